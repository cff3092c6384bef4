import ControlProtocol
import Foundation
import Reports
import SensorMetrics
import SensorSim
import Testing

/// A microphone qualification as a technician runs it: the daemon on the simulated rig, whose acoustic chamber
/// reaches the daemon through the real libasound capture path (ALSA's `file` plugin on the chamber's FIFO), the
/// CLI, the report. The figures are checked against what the simulator was built with: each unit's own
/// sensitivity, its SNR with the chamber's ambient noise added power-wise, and its overload point.
@Suite struct MicrophoneQualificationTests {

    @Test func micFullThroughALSA() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try await DaemonUnderTest.with(folder: folder) { daemon in
            let devices = try await runCommand("sensorqual", ["devices", "--socket", daemon.socket, "--json"], in: folder)
            let slots = try JSONValue(parsing: devices.stdout).decode([DeviceInfo].self)
            #expect(slots.filter { $0.state == "wired" }.map(\.slot) == ["M1", "M2", "M3", "M4"])

            let run = try await runCommand("sensorqual", ["run", "--plan", "mic-full", "--serial", "M1=MIC-1", "--json"],
                                           in: folder, environment: ["SENSORQUAL_SOCKET": daemon.socket])
            #expect(run.status == 1, "stderr: \(run.stderr)")   // the lot holds failing parts
            let status = try JSONValue(parsing: run.stdout).decode(RunStatus.self)
            #expect(status.state == "done")
            #expect(status.duts.map(\.verdict) == ["pass", "conditional-pass", "fail", "fail"])

            let report = try QualificationReport.read(from: try #require(status.reportPath))
            #expect(report.run.clock == "audio samples")
            #expect(report.rig.references.map(\.configuration.kind) == ["reference-microphone", "sound-source"])
            let rig = SimulatedRig(seed: 1)
            for (dut, unit) in zip(report.duts, rig.microphones) {
                let m = try #require(dut.acoustic, "\(dut.slot) has no acoustic record")
                let simulated = try #require(rig.chamber.microphones[unit.channel])
                #expect(dut.integrity.xruns == 0)
                // The sensitivity against the unit's own, through the reference microphone: ±0.05 dB.
                let sensitivity = try #require(m.sensitivity)
                let measured = (sensitivity.dBV ?? sensitivity.dBFS).value
                #expect(abs(measured - simulated.sensitivity) < 0.05, "\(dut.slot): \(measured) vs \(simulated.sensitivity)")
                // The engine levels the source on the reference microphone to within 0.2 dB.
                #expect(abs(sensitivity.spl.value - 94) < 0.2)
                // SNR: the model's EIN and the chamber's 8 dB SPL(A) ambient add as powers (acoustic.md §2): ±0.1 dB.
                let ein = unit.model.equivalentInputNoise
                let noise = 10 * log10(pow(10, ein / 10) + pow(10, SimulatedRig.chamberAmbient / 10))
                let snr = try #require(dut.figures.first { $0.metric == "snr" })
                #expect(abs(snr.value.value - (94 - noise)) < 0.1, "\(dut.slot): SNR \(snr.value.value) vs \(94 - noise)")
                #expect(m.noise?.isBandLimited == false && m.noise?.ambientDBA == SimulatedRig.chamberAmbient)
                let overload = try #require(m.overload)
                switch unit.model.output {
                case .analog:
                    // The membrane reaches 10 % THD at the model's AOP; 1 dB steps, log-THD interpolation: ±0.1 dB.
                    let aop = try #require(overload.aopDBSPL)
                    #expect(abs(aop - unit.model.acousticOverloadPoint) < 0.1, "\(dut.slot): AOP \(aop)")
                    #expect(!overload.digitallyLimited)
                case .digital:
                    // 94 − S puts full scale near 120 dB SPL: the 10 % point lies just above it, digitally limited.
                    let aop = try #require(overload.aopDBSPL)
                    #expect(aop > 119 && aop < 123, "\(dut.slot): AOP \(aop)")
                    #expect(overload.digitallyLimited)
                    #expect(m.warnings.contains { $0.contains("digital full scale from") })
                }
                // THD at 94 and 105 dB SPL, as the plan asked.
                #expect(m.distortion.map { ($0.spl * 10).rounded() / 10 } == [94, 105])
            }
            // Every record is kept as WAV: the offline analysis of the files gives the daemon's own figures.
            let runFolder = try #require(status.reportPath).replacingOccurrences(of: "/report.json", with: "")
            for dut in [report.duts[0], report.duts[2]] {
                let m = try #require(dut.acoustic)
                let audio = runFolder + "/" + (try #require(dut.rawCapture))
                let s = String(try #require(m.sensitivity).dBFS.value)
                let acoustic = try await AnalyzeAcousticTests.analyze(["acoustic", audio + "/sensitivity-94.0dB.wav", "--sensitivity-dbfs", s,
                                                       "--noise", audio + "/noise.wav"], in: folder)
                #expect(abs((acoustic["signal_dbfs"]?.doubleValue ?? .nan) - m.sensitivity!.levelDBFS) < 1e-6)
                let snr = try #require(dut.figures.first { $0.metric == "snr" }).value.value
                #expect(abs((acoustic["snr_db"]?.doubleValue ?? .nan) - snr) < 1e-6, "\(dut.slot): \(acoustic)")
                let levels = try #require(m.overload).points.flatMap {
                    ["--level", String($0.spl) + "=" + audio + String(format: "/overload-%.1fdB.wav", $0.commandedSPL)]
                }
                let aop = try await AnalyzeAcousticTests.analyze(["aop", "--sensitivity-dbfs", s] + levels, in: folder)
                #expect(abs((aop["aop_db_spl"]?.doubleValue ?? .nan) - (m.overload?.aopDBSPL ?? .nan)) < 1e-6, "\(dut.slot): \(aop)")
                #expect(aop["digitally_limited"]?.boolValue == m.overload?.digitallyLimited)
            }
            let text = try await runCommand("sensorqual", ["report", "--file", try #require(status.reportPath)], in: folder)
            #expect(text.stdout.contains("DIGITALLY LIMITED"))
            #expect(text.stdout.contains("M1 IM73A135V01 on audio chamber ch0"))
        }
    }
}

/// The hand-held calibrator: the run asks the technician to fit it on each microphone in turn and submit its
/// certificate level, then to remove it for the quiet record; the calibrator's level is the reference.
@Suite struct CalibratorTests {
    @Test func sensitivityAndNoiseWithAHandHeldCalibrator() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        _ = try await DaemonUnderTest.with(folder: folder, arguments: ["--simulate", "--manual-reference"]) { daemon in
            let early = try await runCommand("sensorqual", ["reference", "quiet", "--socket", daemon.socket], in: folder)
            #expect(early.status == 2 && early.stderr.contains("no run is active"))
            // A calibrator plays one level: a plan with an overload sweep is refused at the start of the run.
            let aop = try await runCommand("sensorqual", ["run", "--plan", "mic-aop", "--json", "--socket", daemon.socket], in: folder)
            let refused = try JSONValue(parsing: aop.stdout).decode(RunStatus.self)
            #expect(refused.state == "failed" && refused.error?.contains("calibrator cannot play") == true, "\(refused)")

            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let run = try await client.call(Method.runsStart, params: RunStartParams(plan: "mic-noise", slots: ["M1", "M3"]),
                                            as: RunStatus.self)
            var asked: [String] = []
            for await notification in client.notifications {
                if notification.method == NotificationMethod.runReference, let prompt = notification.params["detail"]?.stringValue {
                    let status = try await client.call(Method.runsStatus, params: RunReference(run: run.id), as: RunStatus.self)
                    #expect(status.awaitingCalibrator == prompt)
                    if let slot = notification.params["slot"]?.stringValue {
                        #expect(notification.params["calibrator_db_spl"]?.doubleValue == 94)
                        asked.append(slot)
                        let submit = try await runCommand("sensorqual", ["reference", "submit", "94.0", "dB", "--socket", daemon.socket],
                                                          in: folder)
                        #expect(submit.stdout.contains("calibrator 94.00 dB SPL recorded on \(slot)"), "\(submit.stderr)")
                    } else {
                        asked.append("quiet")
                        // The run waits for quiet, not for a level.
                        let wrong = try await runCommand("sensorqual", ["reference", "submit", "94.0", "dB", "--socket", daemon.socket],
                                                         in: folder)
                        #expect(wrong.status == 2 && wrong.stderr.contains("not for a level"))
                        let quiet = try await runCommand("sensorqual", ["reference", "quiet", "--socket", daemon.socket], in: folder)
                        #expect(quiet.status == 0, "\(quiet.stderr)")
                    }
                }
                if notification.method == NotificationMethod.runFinished { break }
            }
            await client.close()
            #expect(asked == ["M1", "M3", "quiet"])
            let reportPath = try #require(try await daemon.client().call(Method.runsStatus, params: RunReference(run: run.id),
                                                                          as: RunStatus.self).reportPath)
            let report = try QualificationReport.read(from: reportPath)
            #expect(report.run.state == .done)
            #expect(report.rig.references.map(\.configuration.kind) == ["reference-microphone", "sound-source"])
            #expect(report.rig.references.last?.identity?.hasPrefix("acoustic calibrator") == true)
            let rig = SimulatedRig(seed: 1)
            for (dut, unit) in zip(report.duts, [rig.microphones[0], rig.microphones[2]]) {
                let simulated = try #require(rig.chamber.microphones[unit.channel])
                let sensitivity = try #require(dut.acoustic?.sensitivity)
                // The calibrator's level is the truth, with its certificate's U = 0.2 dB (k = 2).
                #expect(sensitivity.spl.value == 94 && abs(sensitivity.spl.expandedUncertainty - 0.2) < 1e-12)
                #expect(abs((sensitivity.dBV ?? sensitivity.dBFS).value - simulated.sensitivity) < 0.05)
                let noise = 10 * log10(pow(10, unit.model.equivalentInputNoise / 10) + pow(10, SimulatedRig.chamberAmbient / 10))
                let snr = try #require(dut.figures.first { $0.metric == "snr" })
                #expect(abs(snr.value.value - (94 - noise)) < 0.1, "\(dut.slot): SNR \(snr.value.value)")
            }
            #expect(report.duts.map(\.verdict) == [.pass, .fail])
        }
    }
}
