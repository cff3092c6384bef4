# SensorQual: the two commands of the README, and the pieces they are made of.
SWIFT ?= swift
BIN := .build/debug

.PHONY: all deps build demo test verify-units clean

all: build

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

# The daemon on the built-in simulated rig, a full pressure-basic qualification, the report.
demo: build
	$(BIN)/sensorqual demo

# Unit, simulator and end-to-end tests; the systemd units checked with systemd-analyze first.
test: deps
	$(SWIFT) build --build-tests
	scripts/verify-units $(BIN)/sensorquald
	$(SWIFT) test --skip-build

clean:
	rm -rf .build
