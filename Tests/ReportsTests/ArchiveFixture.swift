import Foundation
import Qualification
import SensorDrivers
import SensorMetrics
import SensorSim
@testable import Reports

/// Reports for the archive's tests: one real simulated pressure run (seed 3: verdicts pass, pass, conditional-pass,
/// fail on S1–S4 against miit-2020), and variants of it with chosen ids, lots, times, serials and verdicts.
enum ArchiveFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// A shorter plan than pressure-basic, so the run computes in a moment: the report tests' own.
    static var planText: String { ReportHTMLFixture.pressurePlan }

    struct Simulated: Sendable {
        var request: RunRequest
        var rig: Rig
        var report: QualificationReport
        var started: Date
    }

    static let started = Date(timeIntervalSince1970: 1_790_000_000)   // 2026-09-21T14:13:20Z

    /// The simulated run, computed once for the suite.
    static let simulated: Result<Simulated, any Error> = Result {
        let catalog = try ChipCatalog.load(directory: root + "/Devices")
        let bench = SimulatedRig(seed: 3)
        let rig = try Rig.parse(text: bench.rigFile(), name: "sim", catalog: catalog)
        let request = RunRequest(id: "20260921-141320-1", plan: try Plan.parse(text: planText, name: "short.yaml"),
                                 spec: try SpecProfile.load(path: root + "/specs/miit-2020.yaml"),
                                 slots: ["S1", "S2", "S3", "S4"], lot: "L1", serials: ["S1": "A-0001"], operatorName: "ana")
        let outcome = RunEngine(request: request, rig: rig, catalog: catalog, connector: SimulatedRigConnector(rig: bench),
                                cancellation: RunCancellation(), events: { _ in }).run()
        let report = QualificationReport(outcome: outcome, request: request, rig: rig,
                                         software: .init(name: "sensorqual", version: "0.1.0"),
                                         started: started, finished: started.addingTimeInterval(2))
        return Simulated(request: request, rig: rig, report: report, started: started)
    }

    /// The simulated run, computed off the concurrency pool (`OffPool`).
    static func shared() async throws -> Simulated { try await OffPool.run { try simulated.get() } }

    /// A variant of the simulated report: `units` are (slot, serial, verdict by metric); each DUT takes S1's figures
    /// with those verdicts (a metric left out keeps no verdict: reported, not judged).
    static func report(id: String, lot: String?, startTime: String, state: RunState = .done,
                       units: [(slot: String, serial: String?, verdicts: [String: Verdict])]) async throws -> QualificationReport {
        var report = try await shared().report
        report.run.id = id
        report.run.lot = lot
        report.run.startTime = startTime
        report.run.endTime = startTime
        report.run.state = state
        let template = report.duts[0]
        report.duts = units.map { unit in
            var dut = template
            dut.slot = unit.slot
            dut.serial = unit.serial
            dut.figures = template.figures.map { figure in
                var figure = figure
                figure.verdict = unit.verdicts[figure.metric]
                return figure
            }
            dut.verdict = Verdict.combined(dut.figures.compactMap(\.verdict))
            return dut
        }
        report.verdict.overall = Verdict.combined(report.duts.compactMap(\.verdict))
        report.verdict.complete = state == .done
        return report
    }

    /// Removes a folder `folder()` made, with what the test left in it.
    static func remove(_ folder: String) {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A fresh temporary folder; the test removes it (`remove(_:)`) when it ends.
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("archive-tests-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
