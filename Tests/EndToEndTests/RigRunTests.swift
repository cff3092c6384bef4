import ControlProtocol
import Foundation
import Qualification
import Reports
import Testing

/// Runs at rig scale (issue 7): the whole simulated rig in one run with every artifact it leaves, and a daemon killed
/// mid-run whose restart finds the run interrupted, its data whole and a partial report built from it.
@Suite(.serialized) struct RigRunTests {
    static let slots = ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "M1", "M2", "M3", "M4",
                        "B1", "B2", "B3", "B4", "B5", "G1", "G2", "G3"]

    /// `sensorqual demo` runs rig-full: every slot of every class in one run. Checks the status, report.json (parts,
    /// references, every DUT), report.html, the raw captures (binary and CSV, record for record), the audio
    /// recordings, run.json, and — through a daemon restarted on the same state folder — the archive's runs, unit
    /// history and lot yield.
    @Test func fullRigInOneRun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let state = folder.path + "/state"
        let demo = try await runCommand("sensorqual", ["demo", "--json", "--state-dir", state], in: folder)
        #expect(demo.status == 0, "stderr: \(demo.stderr)")
        let runs = try #require(JSONValue(parsing: demo.stdout)["runs"]).decode([RunStatus].self)
        let status = try #require(runs.first)
        #expect(runs.count == 1 && status.plan == "rig-full")
        #expect(status.state == "done" && status.complete == true, "\(status.error ?? "")")
        #expect(status.duts.map(\.slot) == Self.slots)
        // The pressure lot shows every verdict; every magnetometer misses 1 pT; the gas figures are reported.
        #expect(status.duts.prefix(8).map(\.verdict) == ["pass", "pass", "conditional-pass", "fail", "pass", "pass", "fail", "fail"])
        #expect(status.duts[12..<17].allSatisfy { $0.verdict == "fail" && $0.figures?.first?.metric == "resolution" })
        #expect(status.duts[17...].allSatisfy { $0.verdict == nil && $0.lost == nil && !($0.figures ?? []).isEmpty })

        let reportPath = try #require(status.reportPath)
        let runFolder = (reportPath as NSString).deletingLastPathComponent
        let report = try QualificationReport.read(from: reportPath)
        // Read back whole: re-encoded, the report is the file byte for byte (no field lost to the key coding).
        #expect(try report.jsonData() + [0x0A] == Data(contentsOf: URL(fileURLWithPath: reportPath)))
        #expect(report.schemaVersion == 5 && report.run.state == .done && report.run.lot == "DEMO-LOT-1")
        let parts = try #require(report.plan.parts)
        #expect(parts.map(\.plan) == ["pressure-full", "mic-full", "mag-full", "gas-steps", "gas-lod"])
        #expect(parts.map(\.sensorClass) == ["pressure", "acoustic", "magnetic", "gas", "gas"])
        #expect(parts.map(\.slots) == [Array(Self.slots[0..<8]), Array(Self.slots[8..<12]), Array(Self.slots[12..<17]), ["G1"], ["G2", "G3"]])
        #expect(parts.allSatisfy { $0.state == .done && $0.error == nil })
        // The microphones ran beside the I2C parts: the run took the longest thread, not the sum.
        let i2cSeconds = parts.filter { $0.sensorClass != "acoustic" }.map(\.runSeconds).reduce(0, +)
        #expect(abs(report.run.runSeconds - max(i2cSeconds, parts[1].runSeconds)) < 1e-6)
        #expect(report.run.clock == "simulated, audio samples")
        // Every step, named after its part; every reference instrument the parts drove, each with its answer.
        #expect(report.plan.steps.count == 19 && report.plan.steps.first?.name == "pressure-full: warm-up")
        #expect(Set(report.rig.references.map(\.configuration.kind)).isSuperset(of: ["pressure-controller", "sound-source", "field-source", "gas-mixer"]))
        #expect(report.rig.references.filter { $0.configuration.kind == "gas-mixer" }.count == 2)
        #expect(report.rig.references.filter { $0.configuration.kind != "reference-microphone" }.allSatisfy { $0.identity != nil })
        #expect(report.duts.map(\.serial).prefix(3) == ["SIM-0001", "SIM-0002", "SIM-0003"])

        for dut in report.duts {
            if dut.slot.hasPrefix("M") {
                // A microphone's recordings: one WAV per record.
                #expect(dut.rawCapture == "audio/\(dut.slot)")
                let wavs = try FileManager.default.contentsOfDirectory(atPath: runFolder + "/audio/" + dut.slot).filter { $0.hasSuffix(".wav") }
                #expect(wavs.count >= 4, "\(dut.slot): \(wavs)")
                continue
            }
            // Every reading of every I2C DUT is in its binary capture and, row for row, in its CSV.
            #expect(dut.rawCapture == "raw/\(dut.slot).sqraw" && dut.csvCapture == "raw/\(dut.slot).csv")
            let capture = try RawCapture.read(path: runFolder + "/raw/\(dut.slot).sqraw")
            #expect(capture.times.count == dut.integrity.samples && capture.strayBytes == 0, "\(dut.slot)")
            let csv = try String(contentsOfFile: runFolder + "/raw/\(dut.slot).csv", encoding: .utf8).split(separator: "\n")
            #expect(csv.count == capture.times.count + 1, "\(dut.slot)")
            #expect(csv.first?.hasPrefix("time_s,step,") == true)
            if let last = csv.last, let lastTime = capture.times.last, let firstTime = capture.times.first {
                let seconds = try #require(Double(String(last.split(separator: ",", omittingEmptySubsequences: false)[0])))
                #expect(abs(seconds - Double(lastTime - firstTime) * 1e-9) < 1e-9)
            }
        }
        let header = try String(contentsOfFile: runFolder + "/raw/S1.csv", encoding: .utf8).prefix { $0 != "\n" }
        #expect(header == "time_s,step,pressure [Pa],temperature [°C],raw_pressure [LSB],raw_temperature [LSB]")

        // The printable report: every slot, every kind of plot.
        let html = try String(contentsOfFile: runFolder + "/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("rig-full"))
        for slot in Self.slots { #expect(html.contains(">\(slot)<"), "\(slot) not in report.html") }
        #expect(html.components(separatedBy: "<svg").count - 1 >= 20)
        // What was asked, kept beside the data.
        let manifest = try RunManifest.read(runDirectory: runFolder)
        #expect(manifest.rigPlan?.text.contains("parts: [pressure-full, mic-full, mag-full, gas-steps, gas-lod]") == true)
        #expect(manifest.parts.map(\.slots).joined().count == 20)

        // The raw capture analyses offline: every reading at the plan's rate.
        let analysis = try await runCommand("sensorqual", ["analyze", "series", runFolder + "/raw/S1.sqraw", "--json"], in: folder)
        #expect(analysis.status == 0, "\(analysis.stderr)")
        #expect(try JSONValue(parsing: analysis.stdout)["count"] == .int(Int64(report.duts[0].integrity.samples)))
        #expect(try JSONValue(parsing: analysis.stdout)["sample_rate"]?.doubleValue == 25)

        // The archive, read by a daemon started afresh on the same state folder.
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            let listed = try await runCommand("sensorqual", ["runs", "--lot", "DEMO-LOT-1", "--socket", daemon.socket, "--json"], in: folder)
            #expect(listed.status == 0, "\(listed.stderr)")
            let archived = try #require(JSONValue(parsing: listed.stdout)["runs"]?[0])
            #expect(archived["id"]?.stringValue == status.id && archived["state"] == "done" && archived["verdict"] == "fail")
            #expect(archived["sensor_classes"] == ["pressure", "acoustic", "magnetic", "gas"])
            let kinds = try #require(archived["artifacts"]).decode([ArchivedArtifact].self).map(\.kind)
            #expect(kinds.filter { $0 == .rawCapture }.count == 16 && kinds.filter { $0 == .rawCSV }.count == 16)
            #expect(kinds.filter { $0 == .audio }.count == 4 && kinds.contains(.reportJSON) && kinds.contains(.reportHTML))
            let failed = try await runCommand("sensorqual", ["runs", "--verdict", "pass", "--socket", daemon.socket, "--json"], in: folder)
            #expect(try JSONValue(parsing: failed.stdout)["runs"] == [])

            let unit = try await runCommand("sensorqual", ["dut", "SIM-0004", "--socket", daemon.socket, "--json"], in: folder)
            let history = try JSONValue(parsing: unit.stdout)
            #expect(history["model"] == "BMP390" && history["sensor_class"] == "pressure")
            #expect(history["runs"]?[0]?["verdict"] == "fail" && history["runs"]?[0]?["slot"] == "S4")
            let figures = try #require(history["runs"]?[0]?["figures"]).decode([ArchivedFigure].self)
            let accuracy = try #require(figures.first { $0.metric == "absolute-accuracy" })
            let reported = try #require(report.duts[3].figures.first { $0.metric == "absolute-accuracy" })
            #expect(accuracy.value == reported.value.value && accuracy.verdict == "fail")

            // Pass rate per figure over the lot: 5 of 8 barometers pass both pressure figures (Wilson 95 % interval,
            // scipy binomtest(5, 8).proportion_ci(method='wilson') = [0.30574, 0.86316]).
            let yield = try await runCommand("sensorqual", ["yield", "--lot", "DEMO-LOT-1", "--socket", daemon.socket, "--json"], in: folder)
            let rows = try #require(JSONValue(parsing: yield.stdout)["figures"]?.arrayValue)
            let row = try #require(rows.first { $0["metric"] == "absolute-accuracy" })
            #expect(row["judged"] == 8 && row["pass"] == 5 && row["conditional_pass"] == 1 && row["fail"] == 2)
            #expect(abs((row["interval"]?["low"]?.doubleValue ?? 0) - 0.305742) < 1e-5)
            #expect(abs((row["interval"]?["high"]?.doubleValue ?? 0) - 0.863156) < 1e-5)
            let resolution = try #require(rows.first { $0["metric"] == "resolution" })
            #expect(resolution["judged"] == 5 && resolution["fail"] == 5)
        }
        #expect(exit == 0)
    }

    /// SIGKILL while the run waits for a manual reference reading, after its noise step: the restarted daemon marks
    /// the run interrupted, keeps every byte the captures held, and `sensorqual report RUN` shows a partial report
    /// built from them.
    @Test func killedMidRunIsInterrupted() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/plans", withIntermediateDirectories: true)
        try """
            plan: killed
            class: pressure
            acquisition: {odr_hz: 25, oversampling: 16, iir: 0, chips: {lps22hh: {oversampling: 1}, ms5611: {oversampling: 4096}}}
            steps:
              - warmup: {duration_s: 10}
              - noise: {duration_s: 60}
              - sweep: {setpoints_pa: [100000, 102000], directions: up, settle_timeout_s: 60, dwell_s: 10, reference_interval_s: 1}
            """.write(toFile: folder.path + "/plans/killed.yaml", atomically: false, encoding: .utf8)
        let arguments = ["--simulate", "--manual-reference", "--plans-dir", folder.path + "/plans"]
        let daemon = DaemonUnderTest(folder: folder, arguments: arguments)
        try await daemon.start()
        var runID = ""
        var before: [String: Data] = [:]
        do {
            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let run = try await client.call(Method.runsStart, params: RunStartParams(plan: "killed", slots: ["S1", "S4", "S8"],
                                                                                      lot: "K-1", serials: ["S1": "K-0001"]), as: RunStatus.self)
            runID = run.id
            // The technician answers the noise step's setpoint; at the sweep's first point the noise record is on disk.
            var asked = 0
            for await notification in client.notifications where notification.method == NotificationMethod.runReference {
                guard let setpoint = notification.params["reference_pa"]?.doubleValue else { continue }
                asked += 1
                if asked == 2 { break }
                _ = try await client.call(Method.referenceSubmit, params: ReferenceSubmitParams(valuePa: setpoint), as: ReferenceSubmitResult.self)
            }
            // The archive records each state as it comes, on a queue of its own: wait until it has this one, which
            // the restarted daemon names as where the run was cut short.
            var archivedState = ""
            for _ in 0..<2000 where archivedState != "waiting-for-operator" {
                let runs = try await client.call(Method.archiveRuns, params: JSONValue(encoding: ArchiveRunsParams(lot: "K-1")))
                archivedState = runs["runs"]?[0]?["state"]?.stringValue ?? ""
            }
            #expect(archivedState == "waiting-for-operator")
            for slot in ["S1", "S4", "S8"] {
                before[slot] = FileManager.default.contents(atPath: folder.path + "/state/runs/\(runID)/raw/\(slot).sqraw")
            }
            await client.close()
        } catch {
            try await daemon.kill()
            throw error
        }
        try await daemon.kill()
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/state/runs/\(runID)/report.json"))

        let exit = try await DaemonUnderTest.with(folder: folder, arguments: arguments) { daemon in
            let listed = try await runCommand("sensorqual", ["runs", "--lot", "K-1", "--socket", daemon.socket, "--json"], in: folder)
            let archived = try #require(JSONValue(parsing: listed.stdout)["runs"]?[0])
            #expect(archived["id"]?.stringValue == runID && archived["state"] == "interrupted")
            #expect(archived["error"]?.stringValue?.contains("sensorquald stopped while the run was waiting-for-operator") == true,
                    "\(archived["error"] ?? .null)")

            let shown = try await runCommand("sensorqual", ["report", runID, "--socket", daemon.socket, "--json"], in: folder)
            let report = try QualificationReport.decoder().decode(QualificationReport.self, from: Data(shown.stdout.utf8))
            #expect(report.run.state == .interrupted && report.verdict.overall == nil && !report.verdict.complete)
            #expect(report.run.lot == "K-1" && report.plan.name == "killed")
            #expect(report.duts.map(\.slot) == ["S1", "S4", "S8"] && report.duts[0].serial == "K-0001")
            for dut in report.duts {
                // Nothing the captures held before the kill is lost: the file as read then is a prefix of it now.
                let kept = try #require(FileManager.default.contents(atPath: folder.path + "/state/runs/\(runID)/raw/\(dut.slot).sqraw"))
                let earlier = try #require(before[dut.slot])
                #expect(kept.prefix(earlier.count) == earlier, "\(dut.slot)")
                // At least the warm-up and the noise record: 70 s at 25 Hz.
                #expect(dut.integrity.samples >= 1740, "\(dut.slot): \(dut.integrity.samples)")
                #expect(dut.rawCapture == "raw/\(dut.slot).sqraw" && dut.csvCapture == "raw/\(dut.slot).csv")
                #expect(dut.figures.isEmpty && dut.verdict == nil)
                #expect(dut.missing.first?.hasPrefix("every figure: sensorquald stopped while the run was waiting-for-operator") == true)
            }
            #expect(FileManager.default.fileExists(atPath: folder.path + "/state/runs/\(runID)/report.html"))
        }
        #expect(exit == 0)
    }
}

extension RigRunTests {
    /// Runs side by side: while a pressure run waits for the technician, a second run on one of its slots is refused
    /// `busy`; a run on another barometer (same bus, same controller) waits `queued`; a microphone run (its own audio
    /// interface, and the calibrator, answered by name while the pressure run waits too) runs to its end meanwhile. Cancelled, the waiting run leaves a partial report, and the
    /// queued one starts.
    @Test func runsSideBySide() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/plans", withIntermediateDirectories: true)
        for plan in ["pressure-basic", "mic-sensitivity"] {
            try FileManager.default.copyItem(atPath: Products.repository + "/plans/\(plan).yaml", toPath: folder.path + "/plans/\(plan).yaml")
        }
        let exit = try await DaemonUnderTest.with(folder: folder, arguments: ["--simulate", "--manual-reference",
                                                                             "--plans-dir", folder.path + "/plans"]) { daemon in
            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let waiting = try await client.call(Method.runsStart, params: RunStartParams(plan: "pressure-basic", slots: ["S1"]), as: RunStatus.self)
            var finished: [String: RunStatus] = [:]
            var queued: RunStatus?
            var microphone: RunStatus?
            for await notification in client.notifications {
                // The microphone run asks for the hand-held calibrator (the rig's references are manual here).
                if notification.method == NotificationMethod.runReference, let spl = notification.params["calibrator_db_spl"]?.doubleValue {
                    _ = try await client.call(Method.referenceSubmit, params: ReferenceSubmitParams(levelDBSPL: spl, run: microphone?.id),
                                              as: ReferenceSubmitResult.self)
                }
                if notification.method == NotificationMethod.runReference, notification.params["reference_pa"]?.doubleValue != nil, queued == nil {
                    // S1 is held: refused, naming the slot and the run.
                    do {
                        _ = try await client.call(Method.runsStart, params: RunStartParams(plan: "pressure-basic", slots: ["S1", "S2"]), as: RunStatus.self)
                        Issue.record("a run on a busy slot was accepted")
                    } catch let error as RPCError {
                        #expect(error.code == .busy && error.data?["slot"] == "S1" && error.data?["run"]?.stringValue == waiting.id)
                    }
                    queued = try await client.call(Method.runsStart, params: RunStartParams(plan: "pressure-basic", slots: ["S2"]), as: RunStatus.self)
                    microphone = try await client.call(Method.runsStart, params: RunStartParams(plan: "mic-sensitivity", slots: ["M1"]), as: RunStatus.self)
                }
                guard notification.method == NotificationMethod.runFinished else { continue }
                let status = try notification.params.decode(RunStatus.self)
                finished[status.id] = status
                if status.id == microphone?.id {
                    // The microphone run ended while the others still wait: the second barometer run has not started.
                    let second = try await client.call(Method.runsStatus, params: RunReference(run: queued?.id), as: RunStatus.self)
                    #expect(second.state == "queued")
                    _ = try await client.call(Method.runsCancel, params: RunReference(run: waiting.id), as: RunStatus.self)
                }
                if status.id == waiting.id {
                    // Now the queued run holds the bus and the controller, and asks for its first reading.
                    _ = try await client.call(Method.runsCancel, params: RunReference(run: queued?.id), as: RunStatus.self)
                }
                if finished.count == 3 { break }
            }
            #expect(finished[try #require(microphone?.id)]?.state == "done")
            let cancelled = try #require(finished[waiting.id])
            #expect(cancelled.state == "cancelled")
            // Cancelling leaves a partial report: what the run measured before, no verdict.
            let report = try QualificationReport.read(from: try #require(cancelled.reportPath))
            #expect(report.run.state == .cancelled && report.verdict.overall == nil && report.duts.map(\.slot) == ["S1"])
            #expect(report.duts[0].integrity.samples > 0 && !report.duts[0].missing.isEmpty)
            #expect(finished[try #require(queued?.id)]?.state == "cancelled")
            await client.close()
        }
        #expect(exit == 0)
    }

    /// A rig run cancelled while its pressure part measures ends at once, cancelled: the part in flight stops at its
    /// next transfer, the parts not begun are not begun, and a mixer waiting for its flows on the run's clock gives up
    /// (it once waited forever for a virtual clock that no longer moved).
    @Test func cancelledRigRunEndsPromptly() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let run = try await client.call(Method.runsStart, params: RunStartParams(plan: "rig-full"), as: RunStatus.self)
            var finished: RunStatus?
            var cancelled = false
            for await notification in client.notifications {
                if !cancelled, notification.method == NotificationMethod.runState, notification.params["state"] == "measuring" {
                    cancelled = true
                    _ = try await client.call(Method.runsCancel, params: RunReference(run: run.id), as: RunStatus.self)
                }
                if notification.method == NotificationMethod.runFinished {
                    finished = try notification.params.decode(RunStatus.self)
                    break
                }
            }
            let status = try #require(finished)
            #expect(status.state == "cancelled")
            let report = try QualificationReport.read(from: try #require(status.reportPath))
            #expect(report.plan.parts?.map(\.state).allSatisfy { $0 == .cancelled } == true, "\(report.plan.parts?.map(\.state) ?? [])")
            await client.close()
        }
        #expect(exit == 0)
    }
}
