import SensorIO
import SensorSim
import Testing
@testable import SensorDrivers

/// The MFC gas mixer against two simulated Alicat-dialect MFCs (unit ids A and B) sharing one loopback TCP socket,
/// through the same `InstrumentLink` a bench uses. The mixer waits on the rig's virtual clock, so settling takes
/// simulated seconds and no real sleep; every exchange has a real deadline, so a failure fails and never hangs.
@Suite(.serialized) struct MassFlowGasMixerTests {
    /// 5000 ppm CO2, U = 50 ppm (k = 2): u = 25 ppm.
    static let cylinder = CertifiedCylinder(gas: "co2", ppm: 5000, expandedUncertainty: 50, certificate: "SIM-CYL-0001")

    /// A simulated rig, its MFC line, and the mixer on it: span MFC A 500 sccm FS, zero MFC B 2 slpm FS, both
    /// ±(0.8 % reading + 0.2 % FS); total flow 1 L/min.
    struct Bench {
        let rig: SimulatedRig
        let line: SimulatedMassFlowLine
        let link: any InstrumentLink
        let span: MassFlowController
        let zero: MassFlowController
        let mixer: MassFlowGasMixer

        init() throws {
            rig = SimulatedRig(seed: 23)
            line = try SimulatedMassFlowLine(bench: rig.bench, cylinderGas: "co2", cylinderPPM: 5000)
            link = try MassFlowCommandSet.alicat.address(InstrumentAddress(parsing: line.link)).open(connectTimeout: 2)
            span = try MassFlowController(link: link, unitID: "A", fullScale: 500, unit: .sccm, timeout: 0.5)
            zero = try MassFlowController(link: link, unitID: "B", fullScale: 2, unit: .slpm, timeout: 0.5)
            mixer = try MassFlowGasMixer(span: span, zero: zero, cylinder: MassFlowGasMixerTests.cylinder,
                                         totalFlowLitresPerMinute: 1, clock: rig.clock)
        }

        func close() {
            line.stop()
            link.close()
        }
    }

    /// The error a call fails with; nil when it succeeds. (Closures infer `throws(any Error)` without
    /// FullTypedThrows, hence the cast.)
    func failure(_ body: () throws -> Void) -> InstrumentError? {
        do {
            try body()
            return nil
        } catch let error as InstrumentError {
            return error
        } catch {
            Issue.record("not an InstrumentError: \(error)")
            return nil
        }
    }

    /// 500 ppm from 5000 ppm at 1 L/min: Q_span 0.1 L/min (100 sccm on A), Q_zero 0.9 L/min.
    @Test func flowsForTheTarget() throws {
        let bench = try Bench()
        defer { bench.close() }
        let flows = bench.mixer.flows(for: 500)
        #expect(abs(flows.span - 0.1) < 1e-12)
        #expect(abs(flows.zero - 0.9) < 1e-12)
    }

    /// GUM propagation at the nominal flows: u_Qspan = (0.8 %·0.1 + 0.2 %·0.5)/√3 = 0.00103923 L/min,
    /// u_Qzero = (0.8 %·0.9 + 0.2 %·2)/√3 = 0.00646632 L/min, u_cyl = 25 ppm →
    /// u_C = √((0.1·25)² + (5000·0.9·u_Qspan)² + (5000·0.1·u_Qzero)²) = 6.21074 ppm (python3).
    @Test func dilutionUncertaintyByHand() {
        let result = MassFlowGasMixer.dilution(cylinderPPM: 5000, cylinderUncertainty: 25, spanFlow: 0.1,
                                               spanUncertainty: 0.0010392304845413265, zeroFlow: 0.9,
                                               zeroUncertainty: 0.00646632301492381)
        #expect(abs(result.ppm - 500) < 1e-9)
        #expect(abs(result.standardUncertainty - 6.210743380090127) < 1e-9)
    }

    /// The mixer sets A to 100.000 sccm and B to 0.900 slpm, returns once both read within their accuracy of set
    /// point, and, once the chamber has flushed (60 s = 10 τ), states a concentration within its standard
    /// uncertainty of the bench's true one, with u ≈ 6.21 ppm and a total flow of 1 L/min.
    @Test func deliversAKnownConcentration() throws {
        let bench = try Bench()
        defer { bench.close() }
        let before = bench.rig.clock.now()
        try bench.mixer.deliver(gas: "co2", ppm: 500)
        let settling = Double(bench.rig.clock.now() - before) * 1e-9
        #expect(settling > 0 && settling < 10, "settled after \(settling) s")
        #expect(bench.line.receivedLines.contains("AS100.000"))
        #expect(bench.line.receivedLines.contains("BS0.900"))
        #expect(bench.rig.bench.trueConcentration(of: "co2") < 450, "the chamber flushes with τ = V/Q, not at once")

        bench.rig.clock.advance(by: 60)
        let delivered = try bench.mixer.delivered()
        let truth = bench.rig.bench.trueConcentration(of: "co2")
        #expect(delivered.gas == "co2")
        #expect(delivered.stable)
        #expect(abs(truth - 500) < 0.1, "true concentration \(truth) ppm")
        #expect(abs(delivered.ppm - truth) <= delivered.standardUncertainty,
                "delivered \(delivered.ppm) ± \(delivered.standardUncertainty) ppm, true \(truth) ppm")
        #expect(abs(delivered.standardUncertainty - 6.2107) < 0.05, "u = \(delivered.standardUncertainty) ppm")
        #expect(abs(delivered.totalFlowLitresPerMinute - 1) < 0.005)
        #expect(abs((bench.line.trueFlow(unitID: "A") ?? 0) - 0.1) < 1e-6)
    }

    /// Zero air closes the span MFC: exactly 0 ppm, with no uncertainty from a shut valve.
    @Test func zeroAir() throws {
        let bench = try Bench()
        defer { bench.close() }
        try bench.mixer.deliver(gas: "co2", ppm: 0)
        #expect(bench.line.receivedLines.contains("AS0.000"))
        #expect(bench.line.receivedLines.contains("BS1.000"))
        let delivered = try bench.mixer.delivered()
        #expect(delivered.ppm == 0 && delivered.standardUncertainty == 0)
        try bench.mixer.off()
        #expect(bench.line.receivedLines.suffix(2) == ["AS0.000", "BS0.000"])
    }

    /// A target that needs a flow outside 2–100 % of an MFC's full scale is refused, naming the limit, before
    /// anything is sent: 5 ppm needs 0.001 L/min of span gas (lowest 0.01 L/min); 3000 ppm needs 0.6 L/min
    /// (full scale 0.5 L/min). Above the cylinder and the wrong gas are refused too.
    @Test func outOfRangeTargetsAreRefused() throws {
        let bench = try Bench()
        defer { bench.close() }
        let low = failure { try bench.mixer.deliver(gas: "co2", ppm: 5) }
        guard case .refused(let lowReason)? = low?.cause else { Issue.record("5 ppm: \(String(describing: low))"); return }
        #expect(lowReason.contains("0.001 L/min") && lowReason.contains("0.01 L/min (2 % of full scale 0.5 L/min)"),
                "\(lowReason)")
        let high = failure { try bench.mixer.deliver(gas: "co2", ppm: 3000) }
        guard case .refused(let highReason)? = high?.cause else { Issue.record("3000 ppm: \(String(describing: high))"); return }
        #expect(highReason.contains("0.6 L/min") && highReason.contains("full scale 0.5 L/min (100 %)"), "\(highReason)")
        let above = failure { try bench.mixer.deliver(gas: "co2", ppm: 6000) }
        #expect(above?.cause == .refused("6000 ppm is above the cylinder's 5000 ppm: dilution cannot concentrate"))
        let wrongGas = failure { try bench.mixer.deliver(gas: "no2", ppm: 100) }
        #expect(wrongGas?.cause == .refused("the span cylinder holds co2, not no2"))
        #expect(bench.line.receivedLines.isEmpty, "sent \(bench.line.receivedLines)")
    }

    /// A reply that is not the unit's frame is a malformed-reply error quoting it: garbage, and a frame from the
    /// other unit on the line.
    @Test(arguments: ["A +014.70 garbage", "B +014.70 +025.00 +000.908 +000.900 +000.900 Air"])
    func malformedFrameQuotesTheReply(reply: String) throws {
        let bench = try Bench()
        defer { bench.close() }
        bench.line.setFault(.malformedReplies(reply))
        let error = failure { _ = try bench.span.read() }
        #expect(error?.cause == .malformedReply(reply))
        #expect(error?.command == "A")
        #expect(error?.instrument == "\(bench.link.name) unit A")
    }

    /// A silent line times out within the MFC's timeout; `?` to an unknown command is a refusal quoting it.
    @Test func silenceAndRefusal() throws {
        let bench = try Bench()
        defer { bench.close() }
        bench.line.setFault(.silent)
        #expect(failure { _ = try bench.span.read() }?.cause == .timedOut)
        bench.line.setFault(nil)
        var dialect = MassFlowCommandSet.alicat
        dialect.pollTemplate = "{id}Q"
        let odd = try MassFlowController(link: bench.link, unitID: "A", fullScale: 500, unit: .sccm, commands: dialect,
                                         timeout: 0.5)
        #expect(failure { _ = try odd.read() }?.cause == .refused("the MFC answered \"?\" (command not accepted)"))
        #expect(try bench.span.read().setpointLitresPerMinute == 0, "the line answers polls again")
    }

    /// A set point above full scale is refused before anything is sent; a bad configuration is refused naming it.
    @Test func controllerLimits() throws {
        let bench = try Bench()
        defer { bench.close() }
        #expect(failure { try bench.span.set(litresPerMinute: 0.6) }?.cause == .outOfRange)
        #expect(bench.line.receivedLines.isEmpty)
        let bad = failure { _ = try MassFlowController(link: bench.link, unitID: "", fullScale: -1, unit: .sccm) }
        guard case .refused(let reason)? = bad?.cause else { Issue.record("\(String(describing: bad))"); return }
        #expect(reason.contains("unit id ''") && reason.contains("full scale -1.0 sccm"), "\(reason)")
        #expect(MassFlowCommandSet.alicat.setpoint(unitID: "B", value: 0.9) == "BS0.900")
        #expect(MassFlowCommandSet.alicat.frame(in: "A +014.70 +025.00 +100.94 +100.00 +100.00 N2 MOV")?
            .invalidFlowFlags == ["MOV"])
    }
}
