import ControlProtocol
import Foundation
import Reports
import SensorMetrics
import SensorSim
import Testing

/// The whole path, as a technician uses it: the daemon on the simulated rig in a temporary folder, the real
/// CLI against its socket, the report on disk.
@Suite(.serialized) struct EndToEndTests {
    /// The id register value each chip of the simulated rig reads at probe (the MS5611 has none).
    static let chipIDs: [String: String?] = ["bmp390": "0x60", "bmp581": "0x50", "dps310": "0x10", "lps22hh": "0xB3", "ms5611": nil]

    @Test func qualificationThroughTheCLI() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            let devices = try await runCommand("sensorqual", ["devices", "--socket", daemon.socket, "--json"], in: folder)
            #expect(devices.status == 0)
            // The CLI prints the list; the microphones are listed as wired (nothing to probe without a capture). The
            // magnetometers and gas sensors answer their own probes: RM3100 REVID, MMC5983MA, LIS3MDL and BMM150 ids;
            // the ADS122C04, SCD41 and SGP41 have no id register; the ENS160's PART_ID low byte.
            let slots = try JSONValue(parsing: devices.stdout).decode([DeviceInfo].self).filter { $0.state != "wired" }
            #expect(slots.map(\.state) == Array(repeating: "ready", count: 16))
            #expect(slots.map(\.chipID) == ["0x60", "0x60", "0x60", "0x60", "0x50", "0x10", "0xB3", nil,
                                            "0x22", "0x30", "0x3D", "0x32", nil, nil, nil, "0x60"])

            let run = try await runCommand("sensorqual", ["run", "--plan", "pressure-basic", "--lot", "LOT-7", "--operator", "tester",
                                                         "--serial", "S1=SN1", "--serial", "S4=SN4", "--json"],
                                           in: folder, environment: ["SENSORQUAL_SOCKET": daemon.socket])
            // The simulated lot holds a failing unit: exit status 1.
            #expect(run.status == 1, "stderr: \(run.stderr)")
            let status = try JSONValue(parsing: run.stdout).decode(RunStatus.self)
            #expect(status.state == "done")
            #expect(status.verdict == "fail")
            #expect(status.duts.map(\.verdict) == ["pass", "pass", "conditional-pass", "fail", "pass", "pass", "fail", "fail"])
            let path = try #require(status.reportPath)
            #expect(path.hasPrefix(folder.path + "/state/runs/\(status.id)/"))

            // The report's figures against the simulator's known per-unit errors.
            let report = try QualificationReport.read(from: path)
            let rig = SimulatedRig(seed: 1)
            #expect(report.schema == "sensorqual.report" && report.schemaVersion == 5)
            #expect(report.rig.simulated && report.run.clock == "simulated")
            #expect(report.run.lot == "LOT-7" && report.run.operator == "tester")
            #expect(report.spec.name == "miit-2020" && report.spec.decisionRule == .guardedAcceptance)
            #expect(report.plan.plannedSeconds == 1620)
            #expect(report.plan.steps.map(\.name) == ["warm-up", "noise", "accuracy sweep"])
            #expect(report.rig.references.first?.configuration.certificate?.id == "SIM-CAL-2026-0001")
            #expect(report.rig.references.first?.identity == SimulatedRig.controllerIdentity)
            #expect(report.duts.map(\.serial) == ["SN1", nil, nil, "SN4", nil, nil, nil, nil])
            // The controller was reached over SCPI on a loopback socket, as a real one would be.
            #expect(report.rig.references.first?.configuration.link.hasPrefix("scpi-tcp://127.0.0.1:") == true)
            for (dut, unit) in zip(report.duts, rig.units) {
                #expect(dut.idRegisterValue == Self.chipIDs[unit.chip] ?? nil)
                #expect(dut.calibrationBytes == (unit.calibration.isEmpty ? nil : unit.calibration.map { String(format: "%02X", $0) }.joined()))
                let accuracy = try #require(dut.accuracy)
                // The accuracy error found must match the injected offset within its uncertainty.
                let offset = try #require(accuracy.offset)
                #expect(abs(offset.value - unit.errors.offset) <= offset.expandedUncertainty,
                        "\(dut.slot): \(offset.value) ± \(offset.expandedUncertainty) vs \(unit.errors.offset)")
                #expect(accuracy.points.count == 9)
                let figure = try #require(dut.figures.first { $0.metric == "absolute-accuracy" })
                #expect(figure.value.unit == "Pa" && figure.value.coverageFactor == 2)
                #expect(figure.limit == SpecLimit(.withinPlusMinus, 100, unit: "Pa") && figure.rule == .guardedAcceptance)
                let noise = try #require(dut.figures.first { $0.metric == "rms-noise" })
                if unit.chip == "bmp390" {
                    #expect(abs(noise.value.value - unit.errors.noise(oversampling: 16)) <= 3 * noise.value.expandedUncertainty)
                    #expect(noise.conditions.contains("ODR 25 Hz, OSR ×16"))
                }
                #expect(dut.integrity.isClean)
        }

        // The same report through the socket and from the file.
        let shown = try await runCommand("sensorqual", ["report", "--socket", daemon.socket], in: folder)
        #expect(shown.status == 1)
        #expect(shown.stdout.contains("conditional-pass") && shown.stdout.contains("SIMULATED") && shown.stdout.contains(path))
        let fromFile = try await runCommand("sensorqual", ["report", "--file", path, "--json"], in: folder)
        #expect(try QualificationReport.decoder().decode(QualificationReport.self, from: Data(fromFile.stdout.utf8)) == report)

        let runs = try await runCommand("sensorqual", ["runs", "--socket", daemon.socket, "--json"], in: folder)
        #expect(try JSONValue(parsing: runs.stdout).decode(RunList.self).runs.map(\.id) == [status.id])
        let shownStatus = try await runCommand("sensorqual", ["status", "--socket", daemon.socket], in: folder)
        #expect(shownStatus.status == 0 && shownStatus.stdout.contains("rig sim-bench (simulated)"))

        }
        #expect(exit == 0)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/sensorqual.sock"))
    }

    /// Bad requests get JSON-RPC errors and the connection stays usable; a second run while one runs is `busy`.
    @Test func badRequestsAndBusy() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A plans folder of our own: the shipped plan, and a broken one.
        try FileManager.default.createDirectory(atPath: folder.path + "/plans", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Products.repository + "/plans/pressure-basic.yaml",
                                         toPath: folder.path + "/plans/pressure-basic.yaml")
        try "plan: broken\nclass: pressure\nacquisition: {odr_hz: 25, oversampling: 0, iir: 0}\nsteps: []\n"
            .write(toFile: folder.path + "/plans/broken.yaml", atomically: false, encoding: .utf8)
        let exit = try await DaemonUnderTest.with(folder: folder, arguments: ["--simulate", "--plans-dir", folder.path + "/plans"]) { daemon in
            let client = try await daemon.client()
            #expect(client.hello["rig"] == "sim-bench")
            #expect(client.hello["protocol"] == ["major": 1, "minor": 3])

            #expect(try await client.send(raw: "{not json").error?.code == .parseError)
            #expect(try await client.send(raw: #"{"jsonrpc":"2.0","id":1,"method":"runs.explode"}"#).error?.code == .methodNotFound)
            let noPlan = try await client.send(raw: #"{"jsonrpc":"2.0","id":2,"method":"runs.start","params":{"plan":"no-such-plan"}}"#)
            #expect(noPlan.error?.code == .notFound)
            #expect(noPlan.error?.message.contains("no plan 'no-such-plan'") == true)
            let badPlan = try await client.send(raw: #"{"jsonrpc":"2.0","id":6,"method":"runs.start","params":{"plan":"broken"}}"#)
            #expect(badPlan.error?.code == .invalidPlan)
            #expect(badPlan.error?.data?["file"] == .string(folder.path + "/plans/broken.yaml"))
            #expect(badPlan.error?.data?["line"] == 3)
            #expect(badPlan.error?.message.contains("oversampling must be ≥ 1") == true)
            let badSlot = try await client.send(raw: #"{"jsonrpc":"2.0","id":3,"method":"runs.start","params":{"plan":"pressure-basic","slots":["Z9"]}}"#)
            #expect(badSlot.error?.code == .invalidParams)
            let badType = try await client.send(raw: #"{"jsonrpc":"2.0","id":4,"method":"runs.start","params":{"plan":7}}"#)
            #expect(badType.error?.code == .invalidParams)
            #expect(try await client.send(raw: #"{"jsonrpc":"2.0","id":5,"method":"reports.get","params":{"run":"../../etc"}}"#).error?.code
                == .invalidParams)
            let version = try await client.call(Method.systemVersion)
            #expect(version["server"] == "sensorquald")

            _ = try await client.call(Method.watch, params: nil)
            let first = try await client.call(Method.runsStart, params: RunStartParams(plan: "pressure-basic"), as: RunStatus.self)
            do {
                _ = try await client.call(Method.runsStart, params: RunStartParams(plan: "pressure-basic"), as: RunStatus.self)
                Issue.record("a second run on a busy rig was accepted")
            } catch let error as RPCError {
                #expect(error.code == .busy)
        }
        // The watcher sees the run through to its end.
        var states: [String] = []
        for await notification in client.notifications {
            if let state = notification.params["state"]?.stringValue { states.append(state) }
            if notification.method == NotificationMethod.runFinished {
                #expect(notification.params["id"]?.stringValue == first.id)
                break
            }
        }
        #expect(states.prefix(4) == ["queued", "probing", "warming", "measuring"])
        #expect(states.last == "done")
        await client.close()
        }
        #expect(exit == 0)
    }

    /// The manual reference from the technician's side: the run announces each point on the socket and holds
    /// until `sensorqual reference submit` gives the reading (in hPa here, converted); a reading with nothing
    /// waiting is refused with the reason.
    @Test func manualReferenceFromTheCLI() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/plans", withIntermediateDirectories: true)
        try """
            plan: by-hand
            class: pressure
            acquisition: {odr_hz: 25, oversampling: 16, iir: 0, chips: {lps22hh: {oversampling: 1}, ms5611: {oversampling: 4096}}}
            steps:
              - sweep: {setpoints_pa: [100000, 102000], directions: up, settle_timeout_s: 60, dwell_s: 10, reference_interval_s: 1}
            """.write(toFile: folder.path + "/plans/by-hand.yaml", atomically: false, encoding: .utf8)
        let exit = try await DaemonUnderTest.with(folder: folder, arguments: ["--simulate", "--manual-reference",
                                                                             "--plans-dir", folder.path + "/plans"]) { daemon in
            let early = try await runCommand("sensorqual", ["reference", "submit", "1013.25", "hPa", "--socket", daemon.socket], in: folder)
            #expect(early.status == 2 && early.stderr.contains("no run is active"))
            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let run = try await client.call(Method.runsStart, params: RunStartParams(plan: "by-hand", slots: ["S1", "S5"]), as: RunStatus.self)
            var points: [Double] = []
            var states: [String] = []
            for await notification in client.notifications {
                if notification.method == NotificationMethod.runState, let state = notification.params["state"]?.stringValue {
                    states.append(state)
                }
                if notification.method == NotificationMethod.runReference, let setpoint = notification.params["reference_pa"]?.doubleValue {
                    points.append(setpoint)
                    let status = try await client.call(Method.runsStatus, params: RunReference(run: run.id), as: RunStatus.self)
                    #expect(status.awaitingReferencePa == setpoint)
                    #expect(status.state == "waiting-for-operator")
                    let submit = try await runCommand("sensorqual", ["reference", "submit", "1013.27", "hPa", "--socket", daemon.socket],
                                                      in: folder)
                    #expect(submit.status == 0 && submit.stdout.contains(String(format: "reference 101327.0 Pa recorded for the %.0f Pa point", setpoint)),
                            "\(submit.stderr)")
                }
                if notification.method == NotificationMethod.runFinished { break }
            }
            #expect(points == [100_000, 102_000])
            // Each point: waiting for the technician, then back to measuring once the reading is in.
            #expect(states == ["queued", "probing", "measuring", "waiting-for-operator", "measuring", "waiting-for-operator", "measuring",
                               "analysing"], "\(states)")
            let done = try await client.call(Method.runsStatus, params: RunReference(run: run.id), as: RunStatus.self)
            #expect(done.state == "done")
            let report = try QualificationReport.read(from: try #require(done.reportPath))
            #expect(report.rig.references.first?.identity?.hasPrefix("manual reference") == true)
            #expect(report.duts.allSatisfy { $0.accuracy?.points.count == 2 })
            await client.close()
        }
        #expect(exit == 0)
    }

    /// A real rig whose adapter is missing and whose reference is out of calibration: the daemon starts and
    /// reports the slot, and refuses a run with `calibrationExpired` rather than measuring untraceably.
    @Test func realRigWithoutAdapterAndExpiredCertificate() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let rig = """
            rig: bench-2
            buses:
              - {id: b, device: /dev/i2c-239}
            references:
              - id: pc
                kind: pressure-controller
                link: scpi-tcp://127.0.0.1:5025
                scpi: {dialect: mensor-cpc6000}
                model: Mensor CPC6050
                certificate: {id: C-1, expanded_uncertainty_pa: 5, coverage_factor: 2, due: 2020-01-31}
            slots:
              - {id: A, bus: b, address: 0x77, chip: bmp390}
            """
        try rig.write(toFile: folder.path + "/rig.yaml", atomically: false, encoding: .utf8)
        let exit = try await DaemonUnderTest.with(folder: folder, arguments: ["--rig", folder.path + "/rig.yaml"]) { daemon in
            let client = try await daemon.client()
            let devices = try await client.call(Method.devicesList, params: nil).decode(DeviceList.self).devices
            #expect(devices.count == 1)
            #expect(devices[0].state == "error")
            #expect(devices[0].detail?.contains("/dev/i2c-239") == true)
            do {
                _ = try await client.call(Method.runsStart, params: RunStartParams(plan: "pressure-basic"), as: RunStatus.self)
                Issue.record("a run with an expired reference certificate was accepted")
            } catch let error as RPCError {
                #expect(error.code == .calibrationExpired)
                #expect(error.message.contains("C-1 was due 2020-01-31"))
            }
            await client.close()
        }
        #expect(exit == 0)
    }

    @Test func errorsExitWithStatusTwo() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let noDaemon = try await runCommand("sensorqual", ["status", "--socket", folder.path + "/none.sock"], in: folder)
        #expect(noDaemon.status == 2)
        #expect(noDaemon.stderr.contains(folder.path + "/none.sock"))
        let badSerial = try await runCommand("sensorqual", ["run", "--serial", "oops"], in: folder)
        #expect(badSerial.status == 2)
        #expect(badSerial.stderr.contains("SLOT=SERIAL"))
        let help = try await runCommand("sensorqual", ["--help"], in: folder)
        #expect(help.status == 0 && help.stdout.contains("demo"))
        let badRig = try await runCommand("sensorquald", ["--rig", folder.path + "/missing.yaml", "--state-dir", folder.path,
                                                         "--socket", folder.path + "/s.sock"], in: folder)
        #expect(badRig.status == 2)
        #expect(badRig.stderr.contains(folder.path + "/missing.yaml"))
    }
}
