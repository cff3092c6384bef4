import ControlProtocol
import Foundation
import Qualification
import Reports
import Testing

/// The daemon's side of a reference instrument that stops answering (issue 8, "Faults"): the simulated controller
/// swallows the first line sent to it from 70 s of rig time (the sweep's first setpoint); the run pauses with the
/// operator prompt, `sensorqual reference resume` lets it go on, and it ends done with every point measured.
@Suite struct ReferencePauseEndToEndTests {
    @Test func silentControllerPausesUntilResumed() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/plans", withIntermediateDirectories: true)
        try """
            plan: short-sweep
            class: pressure
            acquisition: {odr_hz: 25, oversampling: 16, iir: 0, chips: {lps22hh: {oversampling: 1}, ms5611: {oversampling: 4096}}}
            steps:
              - noise: {duration_s: 60, setpoint_pa: 101325}
              - sweep: {setpoints_pa: [90000, 100000], directions: up, settle_timeout_s: 120, dwell_s: 10, reference_interval_s: 1}
            """.write(toFile: folder.path + "/plans/short-sweep.yaml", atomically: false, encoding: .utf8)
        try "- {reference: pc1, fault: silent, from_s: 70, lines: 1}\n"
            .write(toFile: folder.path + "/faults.yaml", atomically: false, encoding: .utf8)
        let exit = try await DaemonUnderTest.with(folder: folder, arguments: ["--simulate", "--plans-dir", folder.path + "/plans",
                                                                             "--simulate-faults", folder.path + "/faults.yaml"]) { daemon in
            let idle = try await runCommand("sensorqual", ["reference", "resume", "--socket", daemon.socket], in: folder)
            #expect(idle.status == 2 && idle.stderr.contains("no run is paused"), "\(idle.stderr)")

            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let run = try await client.call(Method.runsStart, params: RunStartParams(plan: "short-sweep", slots: ["S1", "S2"]), as: RunStatus.self)
            var prompts: [String] = []
            var finished: RunStatus?
            for await notification in client.notifications {
                if notification.method == NotificationMethod.runReference, let detail = notification.params["detail"]?.stringValue {
                    prompts.append(detail)
                    let status = try await client.call(Method.runsStatus, params: RunReference(run: run.id), as: RunStatus.self)
                    #expect(status.state == "waiting-for-operator" && status.awaitingOperator == detail)
                    let resumed = try await runCommand("sensorqual", ["reference", "resume", "--socket", daemon.socket], in: folder)
                    #expect(resumed.status == 0 && resumed.stdout.contains("run \(run.id) resumed"), "\(resumed.stderr)")
                }
                if notification.method == NotificationMethod.runFinished {
                    finished = try notification.params.decode(RunStatus.self)
                    break
                }
            }
            #expect(prompts.count == 1, "\(prompts)")
            #expect(prompts.first?.hasPrefix("reference pc1 (") == true && prompts.first?.contains("is not answering") == true)
            let status = try #require(finished)
            #expect(status.state == "done", "\(status.error ?? "")")
            let report = try QualificationReport.read(from: try #require(status.reportPath))
            #expect(report.duts.allSatisfy { $0.accuracy?.points.map(\.setpoint) == [90_000, 100_000] })
            await client.close()
        }
        #expect(exit == 0)
    }
}
