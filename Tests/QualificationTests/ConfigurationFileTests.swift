import SensorDrivers
import SensorIO
import Synchronization
import Foundation
import Testing
@testable import Qualification

/// The repository's own catalog, plans and specs, found from this file's path.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static func catalog() throws -> ChipCatalog { try ChipCatalog.load(directory: root + "/Devices") }
}

@Suite struct ConfigurationFileTests {
    @Test func shippedFilesLoad() throws {
        let catalog = try Repository.catalog()
        let bmp390 = try #require(catalog.chip("bmp390"))
        #expect(bmp390.addresses.map(\.rawValue) == [0x76, 0x77])
        #expect(bmp390.idValues == [0x60, 0x50])
        let plan = try Plan.load(path: Repository.root + "/plans/pressure-basic.yaml")
        #expect(plan.steps.count == 3)
        guard case .sweep(let sweep) = plan.steps[2] else { Issue.record("third step is not a sweep"); return }
        #expect(sweep.sequence.count == 9)
        #expect(sweep.setpoints.min()! >= 30_000 && sweep.setpoints.max()! <= 110_000)
        let spec = try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml")
        #expect(spec.decisionRule == .guardedAcceptance)
        #expect(spec.limit(sensorClass: "pressure", metric: "absolute-accuracy")?.limit == .init(.withinPlusMinus, 100, unit: "Pa"))
        #expect(spec.limit(sensorClass: "pressure", metric: "rms-noise")?.limit == .init(.atMost, 0.6, unit: "Pa"))
        #expect(spec.limit(sensorClass: "acoustic", metric: "aop")?.limit == .init(.atLeast, 135, unit: "dB SPL"))
        #expect(spec.limit(sensorClass: "gas", metric: "lod")?.limit == nil)
    }

    @Test func planErrorsNameFileLineAndReason() {
        let text = """
            plan: p
            class: pressure
            acquisition:
              odr_hz: 0
              oversampling: 16
              iir: 0
            steps:
              - warmup: {duration_s: 10}
            """
        #expect(throws: ConfigurationError(file: "p.yaml", line: 4, reason: "odr_hz must be in (0, 1000] Hz, not 0.0")) {
            try Plan.parse(text: text, name: "p.yaml")
        }
        let twoKinds = text.replacingOccurrences(of: "odr_hz: 0", with: "odr_hz: 25")
            .replacingOccurrences(of: "- warmup: {duration_s: 10}", with: "- {warmup: {duration_s: 10}, noise: {duration_s: 60}}")
        do {
            _ = try Plan.parse(text: twoKinds, name: "p.yaml")
            Issue.record("a step with two kinds was accepted")
        } catch {
            #expect(error.line == 8)
            #expect(error.reason.contains("exactly one of"))
        }
        let missing = text.replacingOccurrences(of: "  oversampling: 16\n", with: "")
        do {
            _ = try Plan.parse(text: missing, name: "p.yaml")
            Issue.record("a plan without oversampling was accepted")
        } catch {
            #expect(error.reason.contains("acquisition.oversampling") && error.reason.contains("missing"))
            #expect(error.line == 4)
        }
        #expect(throws: ConfigurationError.self) { try Plan.parse(text: "plan: [unclosed", name: "bad.yaml") }
        do {
            _ = try Plan.parse(text: "plan: x\nsteps: [\n", name: "bad.yaml")
        } catch {
            #expect(error.file == "bad.yaml" && error.line != nil && error.reason.hasPrefix("not valid YAML"))
        }
    }

    @Test func rigErrorsNameTheSlot() throws {
        let catalog = try Repository.catalog()
        let rig = """
            rig: r
            buses:
              - id: b
                device: /dev/i2c-1
            slots:
              - id: A
                bus: b
                address: 0x76
                chip: bmp390
              - id: B
                bus: b
                address: 0x44
                chip: bmp390
            """
        #expect(throws: ConfigurationError(file: "rig.yaml", line: 12,
                                           reason: "slot B: a BMP390 cannot sit at 0x44 (it answers at 0x76, 0x77)")) {
            try Rig.parse(text: rig, name: "rig.yaml", catalog: catalog)
        }
        let unknownBus = rig.replacingOccurrences(of: "address: 0x44", with: "address: 0x77")
            .replacingOccurrences(of: "  - id: B\n    bus: b", with: "  - id: B\n    bus: c")
        do {
            _ = try Rig.parse(text: unknownBus, name: "rig.yaml", catalog: catalog)
            Issue.record("a slot on a missing bus was accepted")
        } catch {
            #expect(error.line == 11)
            #expect(error.reason == "slot B names bus 'c', which the rig does not have")
        }
        let twice = rig.replacingOccurrences(of: "address: 0x44", with: "address: 0x76")
        #expect(throws: ConfigurationError.self) { try Rig.parse(text: twice, name: "rig.yaml", catalog: catalog) }
        let good = rig.replacingOccurrences(of: "address: 0x44", with: "address: 0x77")
        let parsed = try Rig.parse(text: good, name: "rig.yaml", catalog: catalog)
        #expect(parsed.slots.map(\.address.rawValue) == [0x76, 0x77])
    }

    /// A real rig's wiring: a mux the kernel drives (each channel its own /dev/i2c-N), data-ready and power
    /// lines, and an SCPI controller with a dialect and an override. Each mistake is named with its line.
    @Test func rigWiringAndReferenceLinks() throws {
        let catalog = try Repository.catalog()
        let rig = """
            rig: r
            buses:
              - id: b
                device: /dev/i2c-1
                muxes:
                  - {id: m, chip: pca9548, address: 0x70, mode: kernel, adapters: [/dev/i2c-10, /dev/i2c-11]}
            references:
              - id: pc
                kind: pressure-controller
                link: scpi-serial:///dev/ttyUSB0?baud=9600
                model: Druck PACE5000
                scpi: {dialect: druck-pace, timeout_s: 2, commands: {units: hPa}}
                certificate: {id: C, expanded_uncertainty_pa: 10, coverage_factor: 2, due: 2099-01-01}
            slots:
              - id: A
                bus: b
                mux: {id: m, channel: 1}
                address: 0x76
                chip: dps310
                data_ready: {chip: gpiochip0, line: 17}
                power: {chip: gpiochip0, line: 22, active_low: true}
              - id: B
                bus: b
                address: 0x77
                chip: ms5611
            """
        let parsed = try Rig.parse(text: rig, name: "rig.yaml", catalog: catalog)
        #expect(parsed.buses[0].muxes[0].kernelAdapters == ["/dev/i2c-10", "/dev/i2c-11"])
        #expect(parsed.slots[0].dataReady == Rig.GPIOLineReference(chip: "gpiochip0", line: 17, activeLow: false))
        #expect(parsed.slots[0].power?.activeLow == true)
        #expect(parsed.references[0].scpi == Rig.SCPISettings(dialect: "druck-pace", overrides: ["units": "hPa"], timeout: 2))

        // A kernel-driven mux: the slot's transport is the channel's own adapter, not the parent bus.
        let opened = RecordingConnector.Log()
        let transports = SlotTransports(rig: parsed, connector: RecordingConnector(opened: opened))
        _ = try transports.transport(for: parsed.slots[0])
        _ = try transports.transport(for: parsed.slots[1])
        #expect(opened.devices.withLock { $0 } == ["/dev/i2c-11", "/dev/i2c-1"])

        func error(_ from: String, _ to: String) -> ConfigurationError? {
            do { _ = try Rig.parse(text: rig.replacingOccurrences(of: from, with: to), name: "rig.yaml", catalog: catalog) } catch {
                return error
            }
            return nil
        }
        let sharedLine = error("line: 22, active_low: true", "line: 17")
        #expect(sharedLine?.line == 21 && sharedLine?.reason == "slot A: GPIO gpiochip0:17 is already used by another slot")
        let dialect = error("dialect: druck-pace", "dialect: paroscientific")
        #expect(dialect?.line == 12 && dialect?.reason.contains("SCPI dialect 'paroscientific' is not one of") == true)
        let override = error("units: hPa", "units: furlongs")
        #expect(override?.line == 12 && override?.reason.contains("units") == true)
        let channel = error("channel: 1}", "channel: 2}")
        #expect(channel?.reason == "slot A: kernel mux m lists no /dev/i2c-N adapter for channel 2")
        let link = error("scpi-serial:///dev/ttyUSB0?baud=9600", "gpib://5")
        #expect(link?.line == 10 && link?.reason.contains("is not scpi-tcp://, scpi-serial://, manual or sim:") == true)
        let baud = error("baud=9600", "baud=1200")
        #expect(baud?.line == 10)
    }

    /// The rig file shown in the README loads as it is written.
    @Test func readmeRigFileLoads() throws {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        let block = try #require(readme.components(separatedBy: "```yaml\n").dropFirst().first?.components(separatedBy: "```").first)
        let rig = try Rig.parse(text: block, name: "README.md", catalog: try Repository.catalog())
        #expect(rig.slots.map(\.chip) == ["bmp390", "dps310", "rm3100", "fluxgate-ads122c04", "scd41"])
        #expect(rig.references[0].scpi?.dialect == "mensor-cpc6000")
        #expect(rig.reference(kind: "field-source")?.helmholtzCoil != nil)
        #expect(rig.gasReference(for: "co2")?.mixer?.flushTimeConstant == 6)
        #expect(rig.slots.first { $0.chip == "fluxgate-ads122c04" }?.fluxgate != nil)
    }

    @Test func specUnitsConvertAndBadUnitsFail() throws {
        let spec = """
            profile: s
            title: t
            decision_rule: guarded-acceptance
            limits:
              - {class: pressure, metric: absolute-accuracy, comparator: "+-", value: 1, unit: hPa}
            """
        let parsed = try SpecProfile.parse(text: spec, name: "s.yaml")
        #expect(parsed.limits[0].limit == .init(.withinPlusMinus, 100, unit: "Pa"))
        do {
            _ = try SpecProfile.parse(text: spec.replacingOccurrences(of: "unit: hPa", with: "unit: psi"), name: "s.yaml")
            Issue.record("psi was accepted")
        } catch {
            #expect(error.line == 5)
            #expect(error.reason.contains("'psi'"))
        }
        // Magnetic and gas limits in a datasheet's units, converted to the figures' own.
        let units = try SpecProfile.parse(text: spec + """

              - {class: magnetic, metric: resolution, comparator: "<=", value: 15, unit: nT}
              - {class: magnetic, metric: rms-noise, comparator: "<=", value: 0.4, unit: uT}
              - {class: gas, metric: lod, comparator: "<=", value: 50, unit: ppb}
              - {class: gas, metric: t90, comparator: "<=", value: 0.5, unit: min}
            """, name: "s.yaml")
        #expect(units.limits[1].limit == .init(.atMost, 15_000, unit: "pT"))
        #expect(units.limits[2].limit == .init(.atMost, 400, unit: "nT"))
        #expect(abs((units.limits[3].limit?.value ?? 0) - 0.05) < 1e-12 && units.limits[3].limit?.unit == "ppm")
        #expect(units.limits[4].limit == .init(.atMost, 30, unit: "s"))
        do {
            _ = try SpecProfile.parse(text: spec + "\n  - {class: gas, metric: lod, comparator: \"<=\", value: 1, unit: Pa}", name: "s.yaml")
            Issue.record("a pressure unit on a concentration was accepted")
        } catch {
            #expect(error.reason == "lod is computed in ppm: unit must be one of %vol, ppb, ppm, not 'Pa'")
        }
        #expect(throws: ConfigurationError.self) {
            try SpecProfile.parse(text: spec.replacingOccurrences(of: "guarded-acceptance", with: "optimism"), name: "s.yaml")
        }
    }
}

/// Records which adapters a `SlotTransports` opens.
struct RecordingConnector: RigConnector {
    final class Log: Sendable {
        let devices = Mutex<[String]>([])
    }
    let opened: Log
    var clock: any RigClock { MonotonicClock() }
    var isSimulated: Bool { true }
    func openBus(_ bus: Rig.Bus) throws -> any I2CTransport {
        opened.devices.withLock { $0.append(bus.device) }
        return RecordingBus(name: bus.device)
    }
    func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference { throw CocoaError(.featureUnsupported) }
    func openDataReadyLine(_ line: Rig.GPIOLineReference) throws -> any DataReadyLine { throw CocoaError(.featureUnsupported) }
    func openPowerLine(_ line: Rig.GPIOLineReference) throws -> any PowerSwitch { throw CocoaError(.featureUnsupported) }
    func openSoundSource(_ reference: Rig.Reference) throws -> any SoundSource { throw CocoaError(.featureUnsupported) }
}

final class RecordingBus: I2CTransport {
    let name: String
    init(name: String) { self.name = name }
    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] { [UInt8](repeating: 0, count: readCount) }
    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {}
    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] { [UInt8](repeating: 0, count: count) }
}
