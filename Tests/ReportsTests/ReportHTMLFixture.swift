import Foundation
import Qualification
import SensorIO
import SensorMetrics
import SensorSim
@testable import Reports

/// One report with a DUT of each kind that has plots, from real simulated runs through the engines (short plans, so
/// the suite computes in seconds): the four BMP390s of the pressure lot (seed 3: pass, pass, conditional-pass,
/// fail against miit-2020), the IM73A135-class microphone M1 through the ALSA capture of the chamber feed, and the
/// RM3100 magnetometer B1 on the coil set. The serial of S1 and the operator carry markup, to check the escaping.
enum ReportHTMLFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let hostileSerial = "<b>A&B</b> \"1\" 'x'"
    static let hostileOperator = "O'Brien <script>alert(1)</script>"

    static let pressurePlan = """
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

    /// THD at two levels, then a 1 dB sweep across M1's 136.5 dB SPL overload point.
    static let microphonePlan = """
        plan: mic-short
        class: acoustic
        stimulus: {tone_hz: 1000, settle_s: 0.2}
        steps:
          - sensitivity: {spl_db: 94, duration_s: 1}
          - distortion: {spl_db: [94, 105], duration_s: 1}
          - overload: {from_db_spl: 128, to_db_spl: 140, step_db: 1, duration_s: 1, stop_above_thd_percent: 20}
        """

    static let magneticPlan = """
        plan: mag-short
        class: magnetic
        acquisition:
          odr_hz: 100
          chips:
            rm3100: {resolution: 200}
        steps:
          - warmup: {duration_s: 2}
          - noise: {duration_s: 120, band_hz: [0.1, 10], segment_s: 20}
          - field_steps: {axes: [x, y, z], levels_ut: [-40, 0, 40], settle_s: 0.5, dwell_s: 2}
        """

    struct Runs: Sendable {
        var report: QualificationReport
        var pressure: RunOutcome
        var microphone: RunOutcome
        var magnetic: RunOutcome
    }

    static let started = Date(timeIntervalSince1970: 1_790_000_000)   // 2026-09-21T14:13:20Z

    /// The runs, computed once for the test process.
    static let runs: Result<Runs, any Error> = Result {
        let catalog = try ChipCatalog.load(directory: root + "/Devices")
        let spec = try SpecProfile.load(path: root + "/specs/miit-2020.yaml")
        let simulated = SimulatedRig(seed: 3)

        // The chamber's stream through ALSA's file plugin, as the daemon's --simulate captures it.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-html-audio-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let feed = try ChamberFeed(chamber: simulated.chamber, format: simulated.audioFormat, folder: folder)
        defer { feed.stop() }
        let alsaConfig = folder + "/asound.conf"
        try feed.alsaConfiguration(pcmName: "chamber").write(toFile: alsaConfig, atomically: true, encoding: .utf8)
        feed.start()
        let rig = try Rig.parse(text: simulated.rigFile(alsaConfig: alsaConfig), name: "sim", catalog: catalog)
        let connector = SimulatedRigConnector(rig: simulated)

        let pressureRequest = RunRequest(id: "20260921-141320-1", plan: try Plan.parse(text: pressurePlan, name: "short.yaml"),
                                         spec: spec, slots: ["S1", "S2", "S3", "S4"], lot: "LOT<7>",
                                         serials: ["S1": hostileSerial, "S2": "P-0002"], operatorName: hostileOperator)
        let pressure = RunEngine(request: pressureRequest, rig: rig, catalog: catalog, connector: connector,
                                 cancellation: RunCancellation(), events: { _ in }).run()

        let microphoneRequest = RunRequest(id: "mic", plan: try Plan.parse(text: microphonePlan, name: "mic-short.yaml"),
                                           spec: spec, slots: ["M1"], lot: nil, serials: ["M1": "MIC-1"], operatorName: nil)
        let microphone = MicrophoneRunEngine(request: microphoneRequest, rig: rig, catalog: catalog, connector: connector,
                                             cancellation: RunCancellation(), events: { _ in }).run()

        let magneticRequest = RunRequest(id: "mag", plan: try Plan.parse(text: magneticPlan, name: "mag-short.yaml"),
                                         spec: spec, slots: ["B1"], lot: nil, serials: ["B1": "MAG-1"], operatorName: nil)
        let magnetic = MagneticRunEngine(request: magneticRequest, rig: rig, catalog: catalog, connector: connector,
                                         cancellation: RunCancellation(), events: { _ in }).run()

        // One report with the DUTs of all three runs, as a lot report would show them.
        var report = QualificationReport(outcome: pressure, request: pressureRequest, rig: rig,
                                         software: .init(name: "sensorqual", version: "0.1.0"),
                                         started: started, finished: started.addingTimeInterval(2))
        report.duts += microphone.duts + magnetic.duts
        var counts: [String: Int] = [:]
        for dut in report.duts { counts[dut.verdict?.rawValue ?? "not-judged", default: 0] += 1 }
        report.verdict = .init(overall: Verdict.combined(report.duts.compactMap(\.verdict)), complete: report.verdict.complete,
                               counts: counts)
        return Runs(report: report, pressure: pressure, microphone: microphone, magnetic: magnetic)
    }

    /// A fresh temporary folder.
    /// The runs, computed off the concurrency pool (`OffPool`).
    static func shared() async throws -> Runs { try await OffPool.run { try runs.get() } }

    static func folder(_ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(name + "-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
