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
        #expect(throws: ConfigurationError.self) {
            try SpecProfile.parse(text: spec.replacingOccurrences(of: "guarded-acceptance", with: "optimism"), name: "s.yaml")
        }
    }
}
