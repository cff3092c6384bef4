import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The coil current-source driver against the simulated source over a real loopback TCP socket (the same
/// `InstrumentLink` a bench uses), on a simulated bench whose coil's true constant is 100 µT/A per axis.
@Suite(.serialized) struct CoilCurrentSourceTests {
    /// The certificate says 100.02 µT/A, U = 0.1 µT/A (k = 2): the true 100 µT/A is inside it.
    static let coil = HelmholtzCoil(constant: FieldVector(x: 100.02, y: 100.02, z: 100.02),
                                    expandedUncertainty: FieldVector(x: 0.1, y: 0.1, z: 0.1), coverageFactor: 2,
                                    maximumCurrent: 2, certificate: "SIM-COIL-001")
    /// ±(0.05 % + 0.5 mA): the simulated source's bias (≤ 0.2 mA) and noise (20 µA) are inside it.
    static let accuracy = CurrentAccuracy(fractionOfReading: 0.0005, offsetAmperes: 0.0005)

    struct CoilBench {
        let bench: SimulatedBench
        let source: SimulatedCurrentSource
        let server: SimulatedCurrentSourceServer
        let driver: CoilCurrentSource

        init(commands: CoilCurrentCommands = .keysightE36300, coil: HelmholtzCoil = CoilCurrentSourceTests.coil,
             sourceMaximum: Double = 3) throws {
            bench = SimulatedBench(clock: SimulatedClock(), muxAddress: I2CAddress(0x70), units: [],
                                   referenceRandom: SeededRandom(seed: 1), referenceBias: 0, referenceNoise: 0)
            source = SimulatedCurrentSource(bench: bench, maximumCurrent: sourceMaximum, bipolar: commands.bipolar, seed: 11)
            server = try SimulatedCurrentSourceServer(source: source, commands: commands)
            let link = try InstrumentAddress(parsing: server.link).open(connectTimeout: 2)
            driver = try CoilCurrentSource(link: link, commands: commands, coil: coil,
                                           accuracy: CoilCurrentSourceTests.accuracy, timeout: 0.5)
        }
    }

    func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as InstrumentError {
            if case .refused(let reason) = error.cause { return reason }
            Issue.record("not a refusal: \(error)")
            return nil
        } catch {
            Issue.record("not an InstrumentError: \(error)")
            return nil
        }
    }

    /// (50, 20, 80) µT → I = B/100.02 on channels 1, 2, 3 (sent with nine significant digits: 0.49990002,
    /// 0.199960008, 0.799840032 A); the bench's true
    /// field is then 100·I = (49.990, 19.996, 79.984) µT, and the reference value, measured I × 100.02, is within
    /// 2u of it on every axis. u(x) = 0.050 µT (0.025 µT from the certificate at 0.5 A ⊕ 0.043 µT from the
    /// 0.75 mA/√3 current bound), u(y) = 0.036 µT, u(z) = 0.066 µT.
    @Test func setFieldDrivesTheRightChannels() throws {
        let rig = try CoilBench()
        defer { rig.server.stop() }
        #expect(rig.driver.identity == rig.source.identity)
        let request = FieldVector(x: 50, y: 20, z: 80)
        try rig.driver.apply(request)
        let currents = rig.bench.coilCurrents()
        let expected = [50 / 100.02, 20 / 100.02, 80 / 100.02]
        for axis in 0..<3 { #expect(abs(currents[axis] - expected[axis]) < 1e-8, "axis \(axis): \(currents[axis]) A") }
        let lines = rig.server.receivedLines
        #expect(lines.contains("CURR 0.49990002,(@1)") && lines.contains("CURR 0.199960008,(@2)")
                && lines.contains("CURR 0.799840032,(@3)"), "\(lines)")
        #expect(lines.filter { $0.hasPrefix("OUTP ON") } == ["OUTP ON,(@1)", "OUTP ON,(@2)", "OUTP ON,(@3)"])

        let applied = try rig.driver.appliedField()
        let truth = rig.bench.trueField()
        #expect(abs(truth.x - 49.990002) < 1e-3 && abs(truth.z - 79.984003) < 1e-3)
        for (measured, true_, u) in [(applied.field.x, truth.x, applied.standardUncertainty.x),
                                     (applied.field.y, truth.y, applied.standardUncertainty.y),
                                     (applied.field.z, truth.z, applied.standardUncertainty.z)] {
            #expect(u > 0.03 && u < 0.07, "u = \(u) µT")
            #expect(abs(measured - true_) <= 2 * u, "reference \(measured) µT, truth \(true_) µT, u \(u) µT")
        }
        // A second field does not turn the outputs on again; off() zeroes every axis.
        try rig.driver.apply(FieldVector(x: -0.0, y: 10, z: 0))
        #expect(rig.server.receivedLines.filter { $0.hasPrefix("OUTP ON") }.count == 3)
        try rig.driver.off()
        #expect(rig.bench.coilCurrents() == [0, 0, 0])
        #expect(rig.server.receivedLines.suffix(3) == ["SYST:ERR?", "OUTP OFF,(@3)", "SYST:ERR?"])
    }

    /// 250 µT on x needs 2.4995 A, above the coil's 2 A: refused naming the limit, nothing sent.
    @Test func overCurrentIsRefusedBeforeSending() throws {
        let rig = try CoilBench()
        defer { rig.server.stop() }
        let before = rig.server.receivedLines.count
        let reason = refusal { try rig.driver.apply(FieldVector(x: 250, y: 0, z: 0)) }
        #expect(reason?.contains("maximum current 2 A") == true, "\(reason ?? "no refusal")")
        #expect(reason?.contains("2.4995001 A") == true, "\(reason ?? "no refusal")")
        #expect(rig.server.receivedLines.count == before)
        #expect(rig.bench.coilCurrents() == [0, 0, 0])
    }

    /// A unipolar supply cannot reverse a coil; the same request on a bipolar dialect drives −0.2 A.
    @Test func negativeCurrentNeedsABipolarSource() throws {
        let unipolar = try CoilBench()
        defer { unipolar.server.stop() }
        let reason = refusal { try unipolar.driver.apply(FieldVector(x: 0, y: -20, z: 0)) }
        #expect(reason?.contains("unipolar") == true, "\(reason ?? "no refusal")")

        let bipolar = try CoilBench(commands: CoilCurrentCommands.keysightE36300.overriding(["bipolar": "true"]))
        defer { bipolar.server.stop() }
        try bipolar.driver.apply(FieldVector(x: 0, y: -20, z: 0))
        #expect(abs(bipolar.bench.coilCurrents()[1] + 20 / 100.02) < 1e-8)
    }

    /// The instrument's error queue surfaces: a current within the coil's 5 A but beyond the source's 3 A range is
    /// refused by the instrument (-222), and an error of its own is reported on the next command.
    @Test func instrumentErrorsSurface() throws {
        var coil = Self.coil
        coil.maximumCurrent = 5
        let rig = try CoilBench(coil: coil, sourceMaximum: 3)
        defer { rig.server.stop() }
        let reason = refusal { try rig.driver.apply(FieldVector(x: 400, y: 0, z: 0)) }
        #expect(reason == "-222,\"Data out of range\"")
        rig.server.injectError("-300,\"Device-specific error\"")
        let second = refusal { try rig.driver.apply(FieldVector(x: 10, y: 0, z: 0)) }
        #expect(second == "-300,\"Device-specific error\"")
    }

    /// Rig-file overrides: channel names and templates by key; an unknown key or a template without {channel} is
    /// refused naming it.
    @Test func overrides() throws {
        let rigol = try CoilCurrentCommands.keysightE36300.overriding([
            "set_current": ":SOUR{channel}:CURR {value}", "output_on": ":OUTP CH{channel},ON",
            "output_off": ":OUTP CH{channel},OFF", "measure": ":MEAS:CURR? CH{channel}",
        ])
        #expect(rigol.setCurrentCommand(axis: 1, amperes: 0.25) == ":SOUR2:CURR 0.25")
        #expect(throws: SCPICommandSet.InvalidOverride.self) { try CoilCurrentCommands.keysightE36300.overriding(["volts": "1"]) }
        #expect(throws: SCPICommandSet.InvalidOverride.self) {
            try CoilCurrentCommands.keysightE36300.overriding(["measure": "MEAS:CURR?"])
        }
    }

    /// sensors.md §8.5 item 4: B = (4/5)^{3/2}·µ₀·N·I/R; 10 turns, R = 0.1 m → 89.9176286 µT/A, 50 turns, R = 0.25 m →
    /// 179.8352572 µT/A (python: 0.8**1.5 * 1.25663706212e-6 * N / R * 1e6).
    @Test func helmholtzConstantFromGeometry() {
        #expect(abs(HelmholtzCoil.helmholtzConstant(turns: 10, radius: 0.1) - 89.91762860627028) < 1e-9)
        let coil = HelmholtzCoil.fromGeometry(turns: [10, 50, 10], radii: [0.1, 0.25, 0.1], relativeExpandedUncertainty: 0.01,
                                              maximumCurrent: 2)
        #expect(coil.basis == .geometry)
        #expect(abs(coil.constant.y - 179.83525721254057) < 1e-9)
        #expect(abs(coil.standardUncertainty.x - 0.4495881430313514) < 1e-9)
        #expect(coil.problems.isEmpty)
    }

    /// The in-process `sim:coil` source: the same arithmetic without a socket.
    @Test func inProcessFieldSource() throws {
        let bench = SimulatedBench(clock: SimulatedClock(), muxAddress: I2CAddress(0x70), units: [],
                                   referenceRandom: SeededRandom(seed: 1), referenceBias: 0, referenceNoise: 0)
        let field = SimulatedCoilFieldSource(source: SimulatedCurrentSource(bench: bench, seed: 3), coil: Self.coil,
                                             accuracy: Self.accuracy)
        try field.apply(FieldVector(x: 30, y: 60, z: 90))
        let applied = try field.appliedField()
        let truth = bench.trueField()
        #expect(abs(applied.field.y - truth.y) <= 2 * applied.standardUncertainty.y)
        try field.off()
        #expect(bench.coilCurrents() == [0, 0, 0])
    }
}
