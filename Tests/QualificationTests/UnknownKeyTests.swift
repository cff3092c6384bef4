import Foundation
import SensorSim
import Testing
@testable import Qualification

/// A key the loader does not read is an error with its file, line and the keys known at that place: a misspelt
/// `adress:` or `comparater:` must not leave a setting silently at its default.
@Suite struct UnknownKeyTests {
    static let plan = """
        plan: p
        class: pressure
        acquisition:
          odr_hz: 25
          oversampling: 16   # a comment is not a key
          chips:
            ms5611: {oversampling: 4096}
        steps:
          - warmup: {duration_s: 10}
          - noise: {duration_s: 600, setpoint_pa: 101325}
        """

    static let rig = """
        rig: r
        buses:
          - id: b
            device: /dev/i2c-1
        references:
          - id: pc
            kind: pressure-controller
            link: scpi-tcp://192.0.2.1:5025
            model: Mensor CPC6050
            scpi: {dialect: mensor-cpc6000, timeout_s: 2, commands: {units: hPa, identity: "*IDN?"}}
            certificate: {id: C, expanded_uncertainty_pa: 10, coverage_factor: 2, due: 2099-01-01}
        slots:
          - id: A
            bus: b
            address: 0x76
            chip: bmp390
        """

    static let spec = """
        profile: s
        title: S
        decision_rule: simple-acceptance
        limits:
          - {class: pressure, metric: rms-noise, comparator: "<=", value: 1, unit: Pa}
        """

    @Test func planUnknownKeysAtTopAndInsideAStep() throws {
        _ = try Plan.parse(text: Self.plan, name: "p.yaml")
        let top = Self.plan.replacingOccurrences(of: "class: pressure", with: "class: pressure\nowner: lab 3")
        #expect(throws: ConfigurationError(file: "p.yaml", line: 3, reason: "owner: unknown key 'owner' (known here: "
            + "acquisition, baseline_ppm, class, description, gas, plan, steps, stimulus)")) {
            try Plan.parse(text: top, name: "p.yaml")
        }
        let step = Self.plan.replacingOccurrences(of: "setpoint_pa: 101325", with: "setpoint: 1")
        #expect(throws: ConfigurationError(file: "p.yaml", line: 10, reason: "steps[1].noise.setpoint: unknown key 'setpoint' "
            + "(known here: band_hz, duration_s, segment_s, setpoint_pa)")) {
            try Plan.parse(text: step, name: "p.yaml")
        }
        // Per-chip overrides: the chip names are free, the settings under each are checked.
        let override = Self.plan.replacingOccurrences(of: "{oversampling: 4096}", with: "{oversampling: 4096, osr: 2}")
        do {
            _ = try Plan.parse(text: override, name: "p.yaml")
            Issue.record("an unknown per-chip setting was accepted")
        } catch {
            #expect(error.line == 7)
            #expect(error.reason.hasPrefix("acquisition.chips.ms5611.osr: unknown key 'osr' (known here: "))
        }
    }

    @Test func rigSlotTypoListsTheKnownKeys() throws {
        let catalog = try Repository.catalog()
        _ = try Rig.parse(text: Self.rig, name: "rig.yaml", catalog: catalog)
        let typo = Self.rig.replacingOccurrences(of: "    address: 0x76", with: "    address: 0x76\n    adress: 0x77")
        #expect(throws: ConfigurationError(file: "rig.yaml", line: 16, reason: "slots[0].adress: unknown key 'adress' "
            + "(known here: address, bus, chip, data_ready, fluxgate, id, mux, power)")) {
            try Rig.parse(text: typo, name: "rig.yaml", catalog: catalog)
        }
    }

    /// SCPI command overrides are a free-form map (command name → command text): not checked key by key.
    @Test func freeFormMapsAreNotFlagged() throws {
        let rig = try Rig.parse(text: Self.rig, name: "rig.yaml", catalog: try Repository.catalog())
        #expect(rig.references[0].scpi?.overrides == ["units": "hPa", "identity": "*IDN?"])
    }

    @Test func specLimitTypo() throws {
        _ = try SpecProfile.parse(text: Self.spec, name: "s.yaml")
        let typo = Self.spec.replacingOccurrences(of: "comparator:", with: "comparater:")
        #expect(throws: ConfigurationError(file: "s.yaml", line: 5, reason: "limits[0].comparater: unknown key 'comparater' "
            + "(known here: class, comparator, conditions, decision_rule, metric, unit, value)")) {
            try SpecProfile.parse(text: typo, name: "s.yaml")
        }
    }

    @Test func catalogChipTypo() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unknown-key-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let shipped = try String(contentsOfFile: Repository.root + "/Devices/bmp390.yaml", encoding: .utf8)
        try shipped.write(toFile: folder + "/bmp390.yaml", atomically: true, encoding: .utf8)
        #expect(try ChipCatalog.load(directory: folder).chip("bmp390") != nil)

        let typo = shipped.replacingOccurrences(of: "\nfigures:", with: "\nfigure_notes: see datasheet\nfigures:")
        try typo.write(toFile: folder + "/bmp390.yaml", atomically: true, encoding: .utf8)
        let line = typo.components(separatedBy: "\n").firstIndex { $0.hasPrefix("figure_notes:") }.map { $0 + 1 }
        do {
            _ = try ChipCatalog.load(directory: folder)
            Issue.record("a chip with an unknown key was accepted")
        } catch {
            #expect(error.file == folder + "/bmp390.yaml")
            #expect(error.line == line)
            #expect(error.reason.hasPrefix("figure_notes: unknown key 'figure_notes' (known here: addresses, chip, class,"))
        }
        // Inside a figure, too.
        let figure = shipped.replacingOccurrences(of: "kind: typical", with: "knid: typical")
        try figure.write(toFile: folder + "/bmp390.yaml", atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { try ChipCatalog.chip(path: folder + "/bmp390.yaml") }
    }

    @Test func everyShippedFileLoads() throws {
        let catalog = try Repository.catalog()
        #expect(catalog.names.count == (try FileManager.default.contentsOfDirectory(atPath: Repository.root + "/Devices")
            .filter { $0.hasSuffix(".yaml") }.count))
        for folder in ["plans", "specs"] {
            let files = try FileManager.default.contentsOfDirectory(atPath: Repository.root + "/" + folder).filter { $0.hasSuffix(".yaml") }
            #expect(!files.isEmpty)
            for name in files {
                let path = Repository.root + "/" + folder + "/" + name
                #expect(throws: Never.self, "\(folder)/\(name)") {
                    guard folder == "plans" else { _ = try SpecProfile.load(path: path); return }
                    // A rig plan's parts are shipped plans too.
                    if case .rig(let rig) = try PlanFile.load(path: path) {
                        _ = try rig.loadParts { Repository.root + "/plans/" + $0 + ".yaml" }
                    }
                }
            }
        }
    }

    /// The built-in simulated rig in each of its link variants.
    @Test func simulatedRigFilesLoad() throws {
        let catalog = try Repository.catalog()
        let rig = SimulatedRig(seed: 1)
        let variants = [
            rig.rigFile(),
            rig.rigFile(alsaConfig: "/tmp/x", fieldSourceLink: "manual", gasLinks: ["manual", "manual"]),
            rig.rigFile(referenceLink: "scpi-tcp://127.0.0.1:5025", alsaConfig: "/tmp/x", soundSourceLink: "manual",
                        fieldSourceLink: "scpi-tcp://127.0.0.1:5026",
                        gasLinks: SimulatedRig.gasCylinders.indices.map { "scpi-tcp://127.0.0.1:\(5027 + $0)" }),
        ]
        for text in variants {
            #expect(throws: Never.self) { try Rig.parse(text: text, name: "sim-bench.yaml", catalog: catalog) }
        }
    }
}
