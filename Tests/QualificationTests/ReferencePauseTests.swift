import Dispatch
import Foundation
import SensorDrivers
import SensorIO
import SensorSim
import Synchronization
import Testing
@testable import Qualification

/// A reference instrument that stops answering pauses the run with an operator prompt (issue 8, "Faults"): the
/// simulated controller, reached through the real SCPI driver over loopback TCP, goes silent at the sweep's start.
@Suite struct ReferencePauseTests {
    static let plan = """
        plan: paused
        class: pressure
        acquisition: {odr_hz: 25, oversampling: 16, iir: 0}
        steps:
          - noise: {duration_s: 60, setpoint_pa: 101325}
          - sweep: {setpoints_pa: [50000, 90000], directions: up, settle_timeout_s: 120, dwell_s: 10, reference_interval_s: 1}
        """

    /// Runs the plan on a thread of its own; the controller goes silent when step 2 (the sweep) begins. `atPause` is
    /// called on the test's thread once the run has paused (the prompt event), with the server and the cancellation.
    func run(atPause: (SimulatedSCPIServer, RunCancellation) -> Void) throws -> (RunOutcome, [RunEvent]) {
        let simulated = SimulatedRig(seed: 7)
        let server = try simulated.startSCPIServer()
        defer { server.stop() }
        let catalog = try Repository.catalog()
        // A short query timeout: the silence is found in 0.3 s of real time.
        let text = simulated.rigFile(referenceLink: server.link).replacingOccurrences(of: "timeout_s: 5", with: "timeout_s: 0.3")
        let rig = try Rig.parse(text: text, name: "sim", catalog: catalog)
        let request = RunRequest(id: "p1", plan: try Plan.parse(text: Self.plan, name: "paused.yaml"),
                                 spec: try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml"),
                                 slots: ["S1", "S2"], lot: nil, serials: [:], operatorName: nil)
        let cancellation = RunCancellation()
        let connector = SimulatedRigConnector(rig: simulated)
        return try runPausing(cancellation: cancellation, silenceAtStep: 2, silence: { server.setFault(.silent) },
                              atPause: { atPause(server, cancellation) }) { events in
            RunEngine(request: request, rig: rig, catalog: catalog, connector: connector, cancellation: cancellation, events: events).run()
        }
    }

    /// Paused with the prompt naming the reference and the timed-out query; resumed once the instrument answers again,
    /// the interrupted point is measured again and the run ends done, every point measured once.
    @Test func pausesUntilTheTechnicianResumes() throws {
        let (outcome, events) = try run { server, cancellation in
            server.setFault(nil)
            cancellation.resume()
        }
        let silences: [ReferenceSilence?] = events.compactMap { event -> ReferenceSilence?? in
            if case .referenceSilent(let silence) = event { return .some(silence) } else { return nil }
        }
        #expect(silences.count == 2, "one prompt, one resume: \(silences)")
        let prompt = try #require(silences.first ?? nil).prompt
        #expect(prompt.hasPrefix("reference pc1 (") && prompt.contains("timedOut") && prompt.hasSuffix("then: sensorqual reference resume (or sensorqual cancel)"),
                "\(prompt)")
        #expect(silences.last == .some(nil))
        #expect(outcome.state == .done, "\(outcome.error ?? "")")
        for dut in outcome.duts {
            #expect(dut.lost == nil)
            let accuracy = try #require(dut.accuracy)
            #expect(accuracy.points.map(\.setpoint) == [50_000, 90_000], "each point once, the interrupted one measured again")
        }
    }

    /// Cancelled while paused: the run ends cancelled, with the noise record it had measured.
    @Test func cancelWhilePausedEndsTheRun() throws {
        let (outcome, _) = try run { _, cancellation in cancellation.cancel() }
        #expect(outcome.state == .cancelled)
        #expect(outcome.duts.allSatisfy { $0.noise != nil && $0.accuracy == nil })
    }
}

struct HangGuard: Error, CustomStringConvertible { var description: String }

/// Runs an engine (`run`, given the event sink) on a thread of its own; when plan step `silenceAtStep` begins, calls
/// `silence` (on the run thread, so the instrument falls silent at a known point); once the run has paused for it
/// (the prompt event) calls `atPause` on the test's thread; and returns the outcome and every event. Hang guards: a
/// run that never pauses, or never ends after the answer, fails the test instead of hanging it.
func runPausing(cancellation: RunCancellation, silenceAtStep: Int, silence: @escaping @Sendable () -> Void, atPause: () -> Void,
                _ run: @escaping @Sendable (@escaping RunEngine.EventSink) -> RunOutcome) throws -> (RunOutcome, [RunEvent]) {
    let events = EventLog()
    let paused = DispatchSemaphore(value: 0)
    let finished = DispatchSemaphore(value: 0)
    let outcome = Mutex<RunOutcome?>(nil)
    let thread = Thread {
        let result = run { event in
            events.append(event)
            if case .step(silenceAtStep, _, _) = event { silence() }
            if case .referenceSilent(_?) = event { paused.signal() }
        }
        outcome.withLock { $0 = result }
        finished.signal()
    }
    thread.start()
    func guarded(_ semaphore: DispatchSemaphore, _ what: String) throws {
        guard semaphore.wait(timeout: .now() + 120) == .timedOut else { return }
        cancellation.cancel()
        finished.wait()
        throw HangGuard(description: what)
    }
    try guarded(paused, "the run did not pause within 120 s")
    atPause()
    try guarded(finished, "the run did not end within 120 s of the answer")
    return (try #require(outcome.withLock { $0 }), events.all)
}

/// The gas mixer's MFC lines go silent as the exposures begin: the run pauses; resumed, the mixer is reopened, the
/// chamber flushed back to the baseline, and the exposure measured again, so each level is measured once.
@Suite struct GasMixerPauseTests {
    @Test func exposureIsMeasuredAgainAfterTheMixerAnswers() throws {
        let simulated = SimulatedRig(seed: 9)
        let lines = try simulated.startGasMixers()
        defer { for line in lines { line.stop() } }
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: simulated.rigFile(gasLinks: lines.map(\.link)), name: "sim", catalog: catalog)
        let request = RunRequest(id: "g1", plan: try Plan.load(path: Repository.root + "/plans/gas-steps.yaml"),
                                 spec: try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml"),
                                 slots: ["G1"], lot: nil, serials: [:], operatorName: nil)
        let cancellation = RunCancellation()
        let connector = SimulatedRigConnector(rig: simulated)
        let (result, events) = try runPausing(cancellation: cancellation, silenceAtStep: 3,
                                              silence: { for line in lines { line.setFault(.silent) } },
                                              atPause: { for line in lines { line.setFault(nil) }; cancellation.resume() }) { events in
            GasRunEngine(request: request, rig: rig, catalog: catalog, connector: connector, cancellation: cancellation, events: events).run()
        }
        #expect(result.state == .done, "\(result.error ?? "")")
        let prompts = events.compactMap { event -> ReferenceSilence? in
            if case .referenceSilent(let silence?) = event { silence } else { nil }
        }
        #expect(prompts.count == 1 && prompts[0].reference.hasPrefix("mix"), "\(prompts)")
        let gas = try #require(result.duts.first?.gas)
        #expect(gas.exposures.map(\.certified).count == 9, "4 levels and 5 repeats, each once: \(gas.exposures.map(\.certified))")
    }
}

/// A fault schedule's reference entries, checked like every loader's input: file, line and reason.
@Suite struct ReferenceFaultScheduleTests {
    @Test(arguments: [
        ("- {reference: pc1, fault: nack, from_s: 1, lines: 1}\n", "a reference's fault is silent, not nack"),
        ("- {reference: pc1, fault: silent, from_s: 1}\n", "a silent reference needs lines"),
        ("- {reference: pc1, fault: silent, from_s: 1, lines: 1, to_s: 5}\n", "a reference entry names the reference"),
        ("- {slot: S1, fault: silent, from_s: 1, to_s: 2}\n", "silent and lines go with a reference"),
        ("- {slot: S1, fault: absent, from_s: 1}\n", "to_s: required key is missing"),
    ])
    func refused(text: String, reason: String) {
        do {
            _ = try FaultScheduleFile.parse(text: text, name: "faults.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.file == "faults.yaml" && error.line == 1 && error.reason.contains(reason), "\(error)")
        }
    }

    @Test func silentReferenceIsRead() throws {
        let schedule = try FaultScheduleFile.parse(text: "- {slot: S3, fault: absent, from_s: 1, to_s: 2}\n- {reference: pc1, fault: silent, from_s: 70, lines: 2}\n",
                                                   name: "faults.yaml")
        #expect(schedule.entries.count == 2)
        #expect(schedule.entries[1].reference == "pc1" && schedule.entries[1].lines == 2 && schedule.entries[1].fromS == 70)
        #expect(schedule.entries[1].line == 2)
    }
}
