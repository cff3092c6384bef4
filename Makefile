# SensorQual: the two commands of the README, and the pieces they are made of.
SWIFT ?= swift
BIN := .build/debug

.PHONY: all deps build demo test bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

# The daemon on the built-in simulated rig, a full pressure-basic qualification, the report.
demo: build
	$(BIN)/sensorqual demo

# Unit, simulator and end-to-end tests; first the C-import rule and the systemd units (systemd-analyze).
test: deps
	scripts/check-c-imports
	$(SWIFT) build --build-tests
	scripts/verify-units $(BIN)/sensorquald
	$(SWIFT) test --skip-build

# Throughput and memory of the estimators against numpy, allantools and scipy in the same run (not a test).
bench: deps
	Benchmarks/run

clean:
	rm -rf .build
