import Foundation
import SensorSim
import Testing
@testable import Qualification

/// `sensorqual check`'s logic: each file's kind from its top-level key, loaded as the daemon loads it.
@Suite struct ConfigurationCheckTests {
    /// A fresh folder under the temporary directory, removed by the caller.
    static func scratchFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func eachKindIsCheckedAndSummarised() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rig = folder + "/sim-bench.yaml"
        try SimulatedRig(seed: 1).rigFile().write(toFile: rig, atomically: true, encoding: .utf8)
        let files = [rig, Repository.root + "/plans/pressure-basic.yaml", Repository.root + "/specs/miit-2020.yaml",
                     Repository.root + "/Devices/bmp390.yaml"]
        let checks = ConfigurationCheck.run(paths: files, devicesDirectory: Repository.root + "/Devices")
        #expect(checks.map(\.kind) == [.rig, .plan, .spec, .chip])
        #expect(checks.allSatisfy { $0.ok }, "\(checks.map(\.text))")
        let parsed = try Rig.load(path: rig, catalog: try Repository.catalog())
        #expect(parsed.microphones.isEmpty && parsed.slots.count == 16)
        #expect(checks[0].summary == "rig sim-bench: 16 slots, \(parsed.references.count) references")
        #expect(checks[0].text == "\(rig): ok (\(checks[0].summary!))")
        #expect(checks[1].summary == "plan pressure-basic: pressure, 3 steps")
        #expect(checks[2].summary?.hasPrefix("spec miit-2020: ") == true)
        #expect(checks[3].summary?.hasPrefix("chip bmp390: Bosch") == true)
    }

    @Test func failuresNameFileLineAndReason() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let plan = folder + "/p.yaml"
        try "plan: p\nclass: pressure\nacquisition: {odr_hz: 25, oversampling: 16}\nsteps:\n  - warmup: {duration_s: 10, setpoint_pa: 1}\n"
            .write(toFile: plan, atomically: true, encoding: .utf8)
        let other = folder + "/other.yaml"
        try "# not ours\nname: x\n".write(toFile: other, atomically: true, encoding: .utf8)
        let chip = folder + "/wrong-name.yaml"
        try String(contentsOfFile: Repository.root + "/Devices/bmp390.yaml", encoding: .utf8)
            .write(toFile: chip, atomically: true, encoding: .utf8)
        let missing = folder + "/missing.yaml"
        let checks = ConfigurationCheck.run(paths: [plan, other, chip, missing], devicesDirectory: nil)
        #expect(checks.allSatisfy { !$0.ok })
        #expect(checks[0].kind == .plan && checks[0].line == 5)
        #expect(checks[0].text == "\(plan):5: steps[0].warmup.setpoint_pa: unknown key 'setpoint_pa' (known here: duration_s)")
        #expect(checks[1].kind == nil && checks[1].reason?.hasPrefix("not a rig, plan, spec or catalog file") == true)
        #expect(checks[2].kind == .chip && checks[2].reason == "chip 'bmp390' must live in bmp390.yaml")
        #expect(checks[3].kind == nil && checks[3].line == nil && checks[3].reason?.hasPrefix("cannot read") == true)
    }

    /// A rig plan is checked with its parts, found beside it: each must be a class plan that loads.
    @Test func rigPlanWithItsParts() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.copyItem(atPath: Repository.root + "/plans/pressure-basic.yaml", toPath: folder + "/pressure-basic.yaml")
        try "plan: bench\nclass: rig\nparts: [pressure-basic]\n".write(toFile: folder + "/bench.yaml", atomically: true, encoding: .utf8)
        try "plan: broken\nclass: rig\nparts:\n  - pressure-basic\n  - mic-fulll\n".write(toFile: folder + "/broken.yaml", atomically: true, encoding: .utf8)
        try "plan: nested\nclass: rig\nparts: [bench]\n".write(toFile: folder + "/nested.yaml", atomically: true, encoding: .utf8)
        let checks = ConfigurationCheck.run(paths: [folder + "/bench.yaml", folder + "/broken.yaml", folder + "/nested.yaml"], devicesDirectory: nil)
        #expect(checks.map(\.kind) == [.plan, .plan, .plan])
        #expect(checks[0].ok && checks[0].summary == "rig plan bench: pressure-basic (pressure)")
        #expect(!checks[1].ok && checks[1].line == 5 && checks[1].reason == "parts[1]: no plan 'mic-fulll' in the plan folders")
        #expect(!checks[2].ok && checks[2].line == 3 && checks[2].reason == "parts[0]: 'bench' is itself a rig plan; parts are class plans")
    }

    /// A rig file needs the catalog; without one the rig fails and says why, and other files are still checked.
    @Test func rigWithoutCatalog() throws {
        let folder = try Self.scratchFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rig = folder + "/rig.yaml"
        try SimulatedRig(seed: 1).rigFile().write(toFile: rig, atomically: true, encoding: .utf8)
        let checks = ConfigurationCheck.run(paths: [rig, Repository.root + "/specs/miit-2020.yaml"], devicesDirectory: folder + "/none")
        #expect(!checks[0].ok && checks[0].kind == .rig)
        #expect(checks[0].reason?.contains("cannot check the rig without the device catalog") == true)
        #expect(checks[1].ok)
    }
}
