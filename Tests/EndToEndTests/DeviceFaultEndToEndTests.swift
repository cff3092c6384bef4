import ControlProtocol
import Foundation
import Reports
import Testing

/// Issue 8 "Faults" through the real binaries: `sensorquald --simulate --simulate-faults FILE` pulls S3 from 10 s to
/// 40 s of the rig clock; a watcher hears S3 lost (errno, time) and then back, other clients are answered meanwhile,
/// the other slots finish as usual, and the report keeps the outage.
@Suite(.serialized) struct DeviceFaultEndToEndTests {
    @Test func lostDeviceReturnsAndTheReportShowsTheOutage() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/plans", withIntermediateDirectories: true)
        // The technician is the reference: the run holds at the noise setpoint (20 s, inside the outage) until the
        // reading is submitted, so the test looks at the daemon during the outage without racing the virtual clock.
        try """
            plan: fault-demo
            class: pressure
            acquisition: {odr_hz: 25, oversampling: 16, iir: 0}
            steps:
              - warmup: {duration_s: 20}
              - noise: {duration_s: 60, setpoint_pa: 101325}
            """.write(toFile: folder.path + "/plans/fault-demo.yaml", atomically: false, encoding: .utf8)
        try "- {slot: S3, fault: absent, from_s: 10, to_s: 40}\n"
            .write(toFile: folder.path + "/faults.yaml", atomically: false, encoding: .utf8)
        let arguments = ["--simulate", "--manual-reference", "--plans-dir", folder.path + "/plans",
                         "--simulate-faults", folder.path + "/faults.yaml"]
        let exit = try await DaemonUnderTest.with(folder: folder, arguments: arguments) { daemon in
            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let run = try await client.call(Method.runsStart, params: RunStartParams(plan: "fault-demo", slots: ["S1", "S2", "S3", "S4"]),
                                            as: RunStatus.self)
            var device: [(slot: String?, detail: String)] = []
            var statusDuringOutage: RunStatus?
            for await notification in client.notifications {
                if notification.method == NotificationMethod.runDevice, let detail = notification.params["detail"]?.stringValue {
                    device.append((notification.params["slot"]?.stringValue, detail))
                }
                if notification.method == NotificationMethod.runReference, notification.params["reference_pa"] != nil {
                    // Another client, the CLI, is answered while S3 is out, and sees it lost.
                    let shown = try await runCommand("sensorqual", ["status", "--socket", daemon.socket, "--json"], in: folder)
                    #expect(shown.status == 0, "\(shown.stderr)")
                    let latest = try JSONValue(parsing: shown.stdout)["run"]?.decode(RunStatus.self)
                    statusDuringOutage = latest
                    let submit = try await runCommand("sensorqual", ["reference", "submit", "101325", "Pa", "--socket", daemon.socket],
                                                      in: folder)
                    #expect(submit.status == 0, "\(submit.stderr)")
                }
                if notification.method == NotificationMethod.runFinished { break }
            }
            await client.close()

            // The watcher: S3 lost with ENXIO at ≈10 s, then back at the first re-probe after 40 s (+31 s: ≈41 s).
            #expect(device.count == 2, "\(device)")
            #expect(device.first?.slot == "S3" && device.first?.detail.hasPrefix("ENXIO (6): no ACK at 0x76") == true)
            #expect(device.first?.detail.contains("(lost at 10.") == true, "\(device)")
            #expect(device.last?.slot == "S3" && device.last?.detail.hasPrefix("returned at 41.") == true, "\(device)")
            let during = try #require(statusDuringOutage)
            #expect(during.id == run.id && during.state == "waiting-for-operator")
            #expect(during.duts.first { $0.slot == "S3" }?.lost?.hasPrefix("ENXIO (6)") == true)
            #expect(during.duts.filter { $0.slot != "S3" }.allSatisfy { $0.lost == nil })

            let done = try await daemon.client().call(Method.runsStatus, params: RunReference(run: run.id), as: RunStatus.self)
            #expect(done.state == "done")
            #expect(done.duts.allSatisfy { $0.lost == nil })
            let report = try QualificationReport.read(from: try #require(done.reportPath))
            #expect(report.schemaVersion == 5)
            let s3 = try #require(report.duts.first { $0.slot == "S3" })
            let outage = try #require(s3.outages?.first)
            #expect(s3.outages?.count == 1 && s3.lost == nil)
            #expect(outage.errno == 6 && outage.errnoName == "ENXIO")
            #expect(outage.lostAtS > 10 && outage.lostAtS < 10.2)
            let returned = try #require(outage.returnedAtS)
            #expect(abs(returned - (outage.lostAtS + 31)) < 0.01, "returned at \(returned)")
            #expect(outage.failedReprobes == 4)
            // The other slots: 80 s at 25 Hz, nothing missed.
            for dut in report.duts where dut.slot != "S3" {
                #expect(dut.outages == nil && dut.integrity.missedSamples == 0 && dut.integrity.samples >= 1995, "\(dut.slot) \(dut.integrity)")
            }
            #expect(s3.integrity.samples + s3.integrity.missedSamples >= 1995)
            // The HTML report shows it in the DUT section and the integrity table.
            let html = try String(contentsOfFile: (done.reportPath! as NSString).deletingLastPathComponent + "/report.html", encoding: .utf8)
            #expect(html.contains("<th>Outages</th>") && html.contains("1: 10.") && html.contains("(ENXIO)"))
            print(String(format: "DeviceFaultEndToEnd: S3 lost at %.4f s, returned at %.4f s, %d failed re-probes, %d missed; S3 samples %d, S1 samples %d",
                         outage.lostAtS, returned, outage.failedReprobes, outage.missedSamples, s3.integrity.samples,
                         report.duts[0].integrity.samples))
        }
        #expect(exit == 0)
    }

    @Test func badFaultScheduleStopsTheDaemonWithFileAndLine() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "- {slot: S3, fault: absent, from_s: 10, to_s: 40}\n- {slot: S3, fault: flaky, from_s: 1, to_s: 2}\n"
            .write(toFile: folder.path + "/faults.yaml", atomically: false, encoding: .utf8)
        let result = try await runCommand("sensorquald", ["--simulate", "--simulate-faults", folder.path + "/faults.yaml",
                                                          "--state-dir", folder.path + "/state", "--socket", folder.path + "/s.sock"],
                                          in: folder)
        #expect(result.status == 2)
        #expect(result.stderr.contains(folder.path + "/faults.yaml:2: fault 'flaky' is not one of nack, timeout, absent"), "\(result.stderr)")
    }
}
