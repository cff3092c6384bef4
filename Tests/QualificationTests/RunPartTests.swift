import Foundation
import SensorSim
import Testing
@testable import Qualification

/// How a rig plan's parts are laid out: each on the slots of its class, grouped by what they hold in common.
@Suite struct RunPartTests {
    func parts(_ names: [String]) throws -> [RunPart] {
        let catalog = try Repository.catalog()
        // The microphones are in the rig file once it names an ALSA configuration (not opened here).
        let rig = try Rig.parse(text: SimulatedRig(seed: 1).rigFile(alsaConfig: "/tmp/sim-alsa.conf"), name: "sim", catalog: catalog)
        let spec = try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml")
        let parts = try names.map { name in
            let plan = try Plan.load(path: Repository.root + "/plans/\(name).yaml")
            return RunPart(request: RunRequest(id: "r", plan: plan, spec: spec, slots: RunPart.slots(for: plan, rig: rig, catalog: catalog),
                                               lot: nil, serials: [:], operatorName: nil), rig: rig)
        }
        return parts
    }

    /// On the simulated rig the I2C parts share the bus (and nothing else), the microphones have their interface and
    /// sound source: two threads, the I2C one in the listed order.
    @Test func simulatedRigRunsMicrophonesBesideTheBus() throws {
        let parts = try parts(["pressure-full", "mic-full", "mag-full", "gas-steps", "gas-lod"])
        #expect(parts.map(\.request.slots) == [["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"], ["M1", "M2", "M3", "M4"],
                                               ["B1", "B2", "B3", "B4", "B5"], ["G1"], ["G2", "G3"]])
        #expect(parts[0].resources == ["bus:bus1", "reference:pc1"])
        // The two gas plans drive the mixers of their own gases: only the bus is common.
        #expect(parts[3].resources.intersection(parts[4].resources) == ["bus:bus1"])
        let groups = RunPart.concurrentGroups(parts).map { $0.map(\.request.plan.name) }
        #expect(groups == [["pressure-full", "mag-full", "gas-steps", "gas-lod"], ["mic-full"]])
        // The plan of the whole is its longest thread.
        let i2c = parts.filter { $0.request.plan.sensorClass != "acoustic" }.map(\.request.plan.plannedDuration).reduce(0, +)
        #expect(RunPart.plannedSeconds(parts) == max(i2c, parts[1].request.plan.plannedDuration))
    }

    /// Parts joined only through a third (A and C each share something with B) run on one thread; parts that share
    /// nothing get one each.
    @Test func groupsAreConnectedComponents() throws {
        let base = try parts(["pressure-noise", "mic-noise", "mag-noise"])
        func part(_ template: RunPart, _ resources: Set<String>, name: String) -> RunPart {
            var part = template
            part.request.plan.name = name
            part.resources = resources
            return part
        }
        let a = part(base[0], ["bus:1"], name: "a"), b = part(base[1], ["bus:2", "reference:x"], name: "b")
        let c = part(base[2], ["bus:3", "reference:x"], name: "c"), d = part(base[0], ["bus:4"], name: "d")
        let e = part(base[0], ["bus:1", "bus:3"], name: "e")
        #expect(RunPart.concurrentGroups([a, b, c, d]).map { $0.map(\.request.plan.name) } == [["a"], ["b", "c"], ["d"]])
        #expect(RunPart.concurrentGroups([a, b, c, d, e]).map { $0.map(\.request.plan.name) } == [["a", "b", "c", "e"], ["d"]])
    }
}
