# SensorQual: the two commands of the README, and the pieces they are made of.
SWIFT ?= swift
BIN := .build/debug

# `make install` (docs/install.md): PREFIX and DESTDIR as usual. The daemon reads /etc/sensorqual whatever PREFIX is.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/sensorqual
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR := /etc/sensorqual
# systemd, udev, sysusers.d, tmpfiles.d and modules-load.d read /etc, /run, /usr/local/lib and /usr/lib only:
# under PREFIX /usr or /usr/local their files go to $(PREFIX)/lib, under any other PREFIX to /usr/lib.
SYSTEMDLIBDIR ?= $(if $(filter /usr /usr/local,$(PREFIX)),$(PREFIX)/lib,/usr/lib)
UNITDIR ?= $(SYSTEMDLIBDIR)/systemd/system
GENERATORDIR ?= $(SYSTEMDLIBDIR)/systemd/system-generators
SYSUSERSDIR ?= $(SYSTEMDLIBDIR)/sysusers.d
TMPFILESDIR ?= $(SYSTEMDLIBDIR)/tmpfiles.d
UDEVRULESDIR ?= $(SYSTEMDLIBDIR)/udev/rules.d
MODULESLOADDIR ?= $(SYSTEMDLIBDIR)/modules-load.d
# The folder holding the sensorquald and sensorqual to install. Empty: a release build (`swift build -c release`,
# about 10 minutes on two cores), then .build/release. Set (e.g. BINARIES=.build/debug): those, with no build.
BINARIES ?=

.PHONY: all deps build demo test hil bench clean release install uninstall

all: build

deps:
	@scripts/install-deps

build: deps
	$(SWIFT) build

# The daemon on the built-in simulated rig, a full pressure-basic qualification, the report.
demo: build
	$(BIN)/sensorqual demo

# Unit, simulator and end-to-end tests; first the C-import rule, then the systemd units (systemd-analyze verify),
# the TCP-instrument generator, the man pages against --help, and `make install` into a temporary folder (with
# systemd-analyze verify and security on the installed units). The Swift tests run in three passes: the unit suites,
# whose engines and fuzzers keep the process's two-thread concurrency pool busy, apart from the end-to-end and
# socket suites, whose awaits need it; and the load test alone, so that its latency figures measure the daemon.
test: deps
	scripts/check-c-imports
	$(SWIFT) build --build-tests
	scripts/verify-units $(BIN)/sensorquald
	scripts/test-generator
	scripts/check-man-pages $(BIN)
	scripts/test-install $(BIN)
	$(SWIFT) test --skip-build --skip 'EndToEndTests|ControlProtocolTests'
	$(SWIFT) test --skip-build --filter 'EndToEndTests|ControlProtocolTests' --skip 'LoadTests'
	$(SWIFT) test --skip-build --filter 'LoadTests'

# The real binaries against Debian's kernel in QEMU: i2c-stub, gpio-sim (docs/hil.md). Not part of `make test`.
hil: deps
	Tests/HIL/run

# Throughput and memory of the estimators and the microphone chain against numpy, allantools and scipy in the same
# run; the daemon's start-up, status latency under 100 watchers and memory along a full simulated run (not a test).
bench: deps
	Benchmarks/run

release: deps
	$(SWIFT) build -c release --product sensorquald
	$(SWIFT) build -c release --product sensorqual

# Installs the binaries, units, generator, sysusers/tmpfiles/udev/modules-load snippets, the catalog, default plans
# and specs, the example rig and the man pages. Never touches /etc/sensorqual/rig.yaml, plans/, specs/ or the state.
# Installed for real (no DESTDIR), it also creates the users and folders and reloads udev and systemd; enabling
# is left to you: systemctl enable --now sensorquald.socket.
install: $(if $(BINARIES),,release)
	@built='$(if $(BINARIES),$(BINARIES),.build/release)'; \
	for b in sensorquald sensorqual; do \
	    [ -x "$$built/$$b" ] || { echo "install: no $$built/$$b (build it, or set BINARIES=folder)" >&2; exit 2; }; \
	done; \
	install -d '$(DESTDIR)$(BINDIR)' && \
	install -m 0755 "$$built/sensorquald" "$$built/sensorqual" '$(DESTDIR)$(BINDIR)/'
	install -d '$(DESTDIR)$(UNITDIR)'
	sed -e 's|^ExecStart=/usr/bin/sensorquald|ExecStart=$(BINDIR)/sensorquald|' \
	    -e 's|^Environment=SENSORQUAL_DATA_DIR=.*|Environment=SENSORQUAL_DATA_DIR=$(DATADIR)|' \
	    systemd/sensorquald.service >'$(DESTDIR)$(UNITDIR)/sensorquald.service'
	grep -qx 'ExecStart=$(BINDIR)/sensorquald' '$(DESTDIR)$(UNITDIR)/sensorquald.service'
	grep -qx 'Environment=SENSORQUAL_DATA_DIR=$(DATADIR)' '$(DESTDIR)$(UNITDIR)/sensorquald.service'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/sensorquald.service'
	install -m 0644 systemd/sensorquald.socket '$(DESTDIR)$(UNITDIR)/'
	install -D -m 0755 systemd/sensorqual-generator '$(DESTDIR)$(GENERATORDIR)/sensorqual-generator'
	install -D -m 0644 systemd/sensorqual.sysusers '$(DESTDIR)$(SYSUSERSDIR)/sensorqual.conf'
	install -D -m 0644 systemd/sensorqual.tmpfiles '$(DESTDIR)$(TMPFILESDIR)/sensorqual.conf'
	install -D -m 0644 systemd/60-sensorqual-gpio.rules '$(DESTDIR)$(UDEVRULESDIR)/60-sensorqual-gpio.rules'
	install -D -m 0644 systemd/sensorqual-modules.conf '$(DESTDIR)$(MODULESLOADDIR)/sensorqual.conf'
	install -d '$(DESTDIR)$(DATADIR)/devices' '$(DESTDIR)$(DATADIR)/plans' '$(DESTDIR)$(DATADIR)/specs'
	install -m 0644 Devices/*.yaml '$(DESTDIR)$(DATADIR)/devices/'
	install -m 0644 plans/*.yaml '$(DESTDIR)$(DATADIR)/plans/'
	install -m 0644 specs/*.yaml '$(DESTDIR)$(DATADIR)/specs/'
	install -d '$(DESTDIR)$(SYSCONFDIR)/plans' '$(DESTDIR)$(SYSCONFDIR)/specs'
	install -m 0644 docs/rig.yaml.example '$(DESTDIR)$(SYSCONFDIR)/rig.yaml.example'
	install -D -m 0644 man/sensorquald.8 '$(DESTDIR)$(MANDIR)/man8/sensorquald.8'
	install -D -m 0644 man/sensorqual.1 '$(DESTDIR)$(MANDIR)/man1/sensorqual.1'
	@if [ -z '$(DESTDIR)' ]; then \
	    if command -v systemd-sysusers >/dev/null; then systemd-sysusers '$(SYSUSERSDIR)/sensorqual.conf'; fi; \
	    if command -v systemd-tmpfiles >/dev/null; then systemd-tmpfiles --create '$(TMPFILESDIR)/sensorqual.conf'; fi; \
	    if [ -S /run/udev/control ]; then \
	        udevadm control --reload-rules && udevadm trigger --subsystem-match=gpio --action=change; fi; \
	    if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi; \
	    echo "installed; next: edit $(SYSCONFDIR)/rig.yaml (see rig.yaml.example), then"; \
	    echo "  systemctl enable --now sensorquald.socket"; \
	    echo "  usermod -aG sensorqual USER (read), sensorqual-operators (start and cancel runs)"; \
	fi

# Removes what install installed; leaves /etc/sensorqual (your rig, plans, specs) and /var/lib/sensorqual (runs,
# reports, the archive) in place.
uninstall:
	@if [ -z '$(DESTDIR)' ] && [ -d /run/systemd/system ] && \
	    systemctl is-active -q sensorquald.service sensorquald.socket; then \
	    echo "uninstall: sensorquald is running; first: systemctl disable --now sensorquald.socket sensorquald.service" >&2; \
	    exit 1; \
	fi
	rm -f '$(DESTDIR)$(BINDIR)/sensorquald' '$(DESTDIR)$(BINDIR)/sensorqual'
	rm -f '$(DESTDIR)$(UNITDIR)/sensorquald.service' '$(DESTDIR)$(UNITDIR)/sensorquald.socket'
	rm -f '$(DESTDIR)$(GENERATORDIR)/sensorqual-generator'
	rm -f '$(DESTDIR)$(SYSUSERSDIR)/sensorqual.conf' '$(DESTDIR)$(TMPFILESDIR)/sensorqual.conf'
	rm -f '$(DESTDIR)$(UDEVRULESDIR)/60-sensorqual-gpio.rules' '$(DESTDIR)$(MODULESLOADDIR)/sensorqual.conf'
	rm -rf '$(DESTDIR)$(DATADIR)'
	rm -f '$(DESTDIR)$(SYSCONFDIR)/rig.yaml.example'
	rm -f '$(DESTDIR)$(MANDIR)/man8/sensorquald.8' '$(DESTDIR)$(MANDIR)/man1/sensorqual.1'
	@if [ -z '$(DESTDIR)' ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi

clean:
	rm -rf .build .build-hil
