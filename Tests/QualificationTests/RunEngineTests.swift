import Foundation
import SensorDrivers
import SensorIO
import SensorSim
import Synchronization
import Testing
@testable import Qualification

/// The simulated rig behind the engine's connector interface (the daemon has its own copy of this adapter).
struct TestConnector: RigConnector {
    let rig: SimulatedRig
    var clock: any RigClock { rig.clock }
    var isSimulated: Bool { true }
    func openBus(_ bus: Rig.Bus) throws -> any I2CTransport { rig.bus }
    func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference { rig.controller }
}

/// Collects a run's events; the engine calls it on its own thread.
final class EventLog: Sendable {
    private let events = Mutex<[RunEvent]>([])
    func append(_ event: RunEvent) { events.withLock { $0.append(event) } }
    var all: [RunEvent] { events.withLock { $0 } }
}

@Suite struct RunEngineTests {
    /// A shorter plan than pressure-basic (same steps), so the test computes in a fraction of a second.
    static let plan = """
        plan: short
        class: pressure
        acquisition: {odr_hz: 25, oversampling_pressure: 16, oversampling_temperature: 2, iir: 0}
        steps:
          - warmup: {duration_s: 10}
          - noise: {duration_s: 120, setpoint_pa: 101325}
          - sweep:
              setpoints_pa: [30000, 70000, 110000]
              settle_timeout_s: 120
              settle_hold_s: 5
              dwell_s: 20
              reference_interval_s: 1
        """

    func request(_ id: String = "t1") throws -> RunRequest {
        let root = Repository.root
        return RunRequest(id: id, plan: try Plan.parse(text: Self.plan, name: "short.yaml"),
                          spec: try SpecProfile.load(path: root + "/specs/miit-2020.yaml"),
                          slots: ["S1", "S2", "S3", "S4"], lot: "L", serials: ["S1": "A"], operatorName: "t")
    }

    func engine(_ simulated: SimulatedRig, request: RunRequest, cancellation: RunCancellation = RunCancellation(),
                events: @escaping RunEngine.EventSink = { _ in }) throws -> RunEngine {
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: simulated.rigFile(), name: "sim", catalog: catalog)
        return RunEngine(request: request, rig: rig, catalog: catalog, connector: TestConnector(rig: simulated),
                         cancellation: cancellation, events: events)
    }

    /// The figures found match the errors injected into each simulated unit, within their stated U (k = 2).
    /// The reference reads 1.5 Pa high (inside its certificate), so the error found is offset − 1.5 Pa:
    /// U includes the certificate's 8 Pa, which covers it.
    @Test func findsTheInjectedErrors() throws {
        let simulated = SimulatedRig(seed: 3)
        let outcome = try engine(simulated, request: try request()).run()
        #expect(outcome.state == .done)
        #expect(outcome.simulated)
        #expect(outcome.duts.count == 4)
        for (dut, unit) in zip(outcome.duts, simulated.units) {
            #expect(dut.lost == nil)
            #expect(dut.integrity.isClean)
            let accuracy = try #require(dut.accuracy)
            #expect(accuracy.points.count == 5)
            let offset = try #require(accuracy.offset)
            #expect(abs(offset.value - unit.errors.offset) <= offset.expandedUncertainty,
                    "\(dut.slot): offset \(offset.value) ± \(offset.expandedUncertainty), injected \(unit.errors.offset)")
            let gain = try #require(accuracy.gainError)
            #expect(abs(gain.value - unit.errors.gainErrorPPM) <= 3 * gain.expandedUncertainty + 5)
            let worst = [30_000.0, 70_000, 110_000].map { abs(unit.errors.systematicError(at: $0) - SimulatedRig.referenceBias) }.max()!
            #expect(abs(accuracy.maximumAbsoluteError.value - worst) <= accuracy.maximumAbsoluteError.expandedUncertainty)
            let noise = try #require(dut.noise)
            let injected = unit.errors.noise(oversampling: 16)
            #expect(abs(noise.rms.value - injected) <= 3 * noise.rms.expandedUncertainty,
                    "\(dut.slot): noise \(noise.rms.value) ± \(noise.rms.expandedUncertainty), injected \(injected)")
            #expect(dut.conditions?.outputDataRateHz == 25)
        }
        // The lot is built to show each verdict against miit-2020.
        #expect(outcome.duts.map(\.verdict) == [.pass, .pass, .conditionalPass, .fail])
        #expect(outcome.verdict == .fail)
        #expect(outcome.isComplete)
        // Planned durations are kept on the simulated clock: warm-up 10 s, noise 120 s.
        #expect(outcome.steps.map(\.name) == ["warm-up", "noise", "accuracy sweep"])
        #expect(abs(outcome.steps[0].actualSeconds - 10) < 0.1 && abs(outcome.steps[1].actualSeconds - 120) < 0.1)
        #expect(outcome.duts[0].integrity.samples > Int(25 * (10 + 120 + 5 * 25) * 0.95))
    }

    /// Same seed, same report: the simulated run is deterministic.
    @Test func deterministic() throws {
        let first = try engine(SimulatedRig(seed: 4), request: try request()).run()
        let second = try engine(SimulatedRig(seed: 4), request: try request()).run()
        #expect(first == second)
    }

    /// A unit pulled during the noise step is marked lost with its error; the other three finish and are judged.
    @Test func lostUnitDoesNotStopTheOthers() throws {
        let simulated = SimulatedRig(seed: 3)
        let events = EventLog()
        let outcome = try engine(simulated, request: try request()) { event in
            events.append(event)
            if case .step(2, _, _) = event { simulated.bench.setPresent(false, channel: 1, address: I2CAddress(0x77)) }
        }.run()
        #expect(outcome.state == .done)
        let lost = outcome.duts[3]
        #expect(lost.lost?.contains("noAcknowledge") == true)
        #expect(lost.verdict == nil)
        #expect(lost.integrity.busErrors == RunEngine.lostAfterErrors)
        #expect(outcome.duts[0..<3].allSatisfy { $0.verdict != nil && $0.lost == nil })
        #expect(!outcome.isComplete)
        #expect(events.all.contains { if case .dutLost("S4", _) = $0 { true } else { false } })
    }

    /// Cancel during the sweep: the run ends cancelled, and what was measured (the noise) is kept.
    @Test func cancelKeepsWhatWasMeasured() throws {
        let simulated = SimulatedRig(seed: 3)
        let cancellation = RunCancellation()
        let outcome = try engine(simulated, request: try request(), cancellation: cancellation) { event in
            if case .step(3, _, _) = event { cancellation.cancel() }
        }.run()
        #expect(outcome.state == .cancelled)
        #expect(outcome.duts.allSatisfy { $0.noise != nil && $0.accuracy == nil && $0.verdict == nil })
        #expect(outcome.steps.count == 2)
    }

    /// No DUT answers: the run fails with the reason and reports every slot lost.
    @Test func noDUTFailsTheRun() throws {
        let simulated = SimulatedRig(seed: 3)
        for unit in simulated.units { simulated.bench.setPresent(false, channel: unit.channel, address: unit.address) }
        let outcome = try engine(simulated, request: try request()).run()
        #expect(outcome.state == .failed)
        #expect(outcome.error == "no DUT answered its probe")
        #expect(outcome.duts.allSatisfy { $0.lost?.hasPrefix("probe:") == true })
    }
}
