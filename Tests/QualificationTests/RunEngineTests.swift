import Foundation
import SensorDrivers
import SensorIO
import SensorSim
import Synchronization
import Testing
@testable import Qualification

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
        acquisition: {odr_hz: 25, oversampling: 16, iir: 0}
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
        return RunEngine(request: request, rig: rig, catalog: catalog, connector: SimulatedRigConnector(rig: simulated),
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
        #expect(lost.lost?.contains("errno 6") == true)
        #expect(lost.integrity.busErrors == BusAcquisition.lostAfterErrors)
        // The report names what is missing: every accuracy point, and why.
        #expect(lost.missing.contains("accuracy point 30000 Pa up") && lost.missing.contains("accuracy point 30000 Pa down"))
        #expect(lost.missing.last?.hasPrefix("cause: ") == true)
        #expect(outcome.duts[0..<3].allSatisfy { $0.missing.isEmpty })
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

@Suite struct RawCaptureTests {
    func run(captureDirectory: String) throws -> RunOutcome {
        let simulated = SimulatedRig(seed: 8)
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: simulated.rigFile(), name: "sim", catalog: catalog)
        let request = RunRequest(id: "cap", plan: try Plan.parse(text: RunEngineTests.plan, name: "short.yaml"),
                                 spec: try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml"),
                                 slots: ["S1", "S2"], lot: nil, serials: ["S2": "B-7"], operatorName: nil)
        return RunEngine(request: request, rig: rig, catalog: catalog, connector: SimulatedRigConnector(rig: simulated),
                         cancellation: RunCancellation(), captureDirectory: captureDirectory) { _ in }.run()
    }

    /// Every reading is in the capture, in order, and the noise step's readings give back the noise figure's
    /// mean (1e-9 Pa: the same numbers summed in the same order).
    @Test func everyReadingIsKept() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cap-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outcome = try run(captureDirectory: folder + "/raw")
        #expect(outcome.state == .done)
        for dut in outcome.duts {
            #expect(dut.rawCapture == "raw/\(dut.slot).sqraw")
            let capture = try RawCapture.read(path: folder + "/" + dut.rawCapture!)
            #expect(capture.header.slot == dut.slot && capture.header.chip == "bmp390" && capture.header.clock == "simulated")
            #expect(capture.header.serial == dut.serial)
            #expect(capture.header.columns.map(\.name) == ["step", "pressure", "temperature", "raw_pressure", "raw_temperature"])
            #expect(capture.times.count == dut.integrity.samples)
            #expect(zip(capture.times, capture.times.dropFirst()).allSatisfy { $0 < $1 })
            #expect(Set(capture.columns[0]) == [1, 2, 3])
            let noise = capture.columns[1].indices.filter { capture.columns[0][$0] == 2 }.map { capture.columns[1][$0] }
            #expect(noise.count == dut.noise?.sampleCount)
            #expect(abs(noise.reduce(0, +) / Double(noise.count) - dut.noise!.meanPressure) < 1e-9)
        }
    }

    /// A capture that cannot be created stops the run with the reason: data that is not kept is not measured.
    @Test func unwritableCaptureFailsTheRun() throws {
        let outcome = try run(captureDirectory: "/dev/null/raw")
        #expect(outcome.state == .failed)
        #expect(outcome.error?.contains("raw capture") == true)
    }

    @Test func truncatedCaptureIsReportedWithItsWholeRecords() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trunc-" + UUID().uuidString + ".sqraw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try RawCaptureWriter(path: path, header: .init(run: "r", slot: "S", chip: "bmp390", serial: nil, clock: "simulated",
                                                                   sampleRateHz: 25, columns: [.init(name: "pressure", unit: "Pa")]))
        try writer.append(time: 1, [101_325])
        try writer.append(time: 2, [101_326])
        try writer.close()
        #expect(try RawCapture.read(path: path).columns[0] == [101_325, 101_326])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([1, 2, 3]))
        try handle.close()
        #expect(throws: ConfigurationError(file: path, reason: "truncated: 2 whole records, then 3 stray bytes")) {
            try RawCapture.read(path: path)
        }
    }
}
