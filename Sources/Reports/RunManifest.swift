import Foundation
import Qualification

/// What a run was asked to do, written to `runs/<id>/run.json` when the run is queued, before its first reading: the
/// plan and rig-plan files as they were read, the spec profile, the slots, lot, serials and operator. With the raw
/// captures, it is what the partial report of a run cut short by a crash or SIGKILL is built from
/// (docs/report-schema.md §10), whatever became of the plan files since.
public struct RunManifest: Sendable, Codable, Equatable {
    public var schema = "sensorqual.run"
    public var schemaVersion = 1
    public var id: String
    public var startTime: String
    public var software: QualificationReport.Software
    public var rig: String
    public var simulated: Bool
    /// The rig plan's file and text, for a run of a rig plan.
    public var rigPlan: PlanText?
    /// Each class plan's file and text, and the slots it runs on.
    public var parts: [Part]
    public var spec: SpecProfile
    public var lot: String?
    public var `operator`: String?
    public var serials: [String: String]

    public struct PlanText: Sendable, Codable, Equatable {
        public var file: String
        public var text: String
        public init(file: String, text: String) {
            self.file = file
            self.text = text
        }
    }

    public struct Part: Sendable, Codable, Equatable {
        public var plan: PlanText
        public var slots: [String]
        public init(plan: PlanText, slots: [String]) {
            self.plan = plan
            self.slots = slots
        }
    }

    public init(id: String, startTime: String, software: QualificationReport.Software, rig: String, simulated: Bool,
                rigPlan: PlanText?, parts: [Part], spec: SpecProfile, lot: String?, operator: String?, serials: [String: String]) {
        self.id = id
        self.startTime = startTime
        self.software = software
        self.rig = rig
        self.simulated = simulated
        self.rigPlan = rigPlan
        self.parts = parts
        self.spec = spec
        self.lot = lot
        self.operator = `operator`
        self.serials = serials
    }

    public static let fileName = "run.json"

    /// Writes `run.json` into `runDirectory` (atomically, fsync'd). On a full disk: a `StorageFailure` naming ENOSPC and
    /// the file, and no `run.json.partial` left behind.
    public func write(runDirectory: String) throws {
        try StorageFile.makeDirectories(runDirectory)
        var data = try QualificationReport.encoder().encode(self)
        data.append(0x0A)
        try ReportWriter.writeAtomically(data, to: runDirectory + "/" + Self.fileName)
    }

    public static func read(runDirectory: String) throws -> RunManifest {
        try QualificationReport.decoder().decode(RunManifest.self, from: Data(contentsOf: URL(fileURLWithPath: runDirectory + "/" + fileName)))
    }

    /// The report of the run as far as it got: `reason` says where it stopped. The plans are read back from the texts
    /// kept here; slots are described as the current rig file has them.
    public func partialReport(rig: Rig, catalog: ChipCatalog, runDirectory: String, reason: String, finished: Date) throws -> QualificationReport {
        guard !parts.isEmpty else { throw ConfigurationError(file: runDirectory + "/" + Self.fileName, reason: "the run names no plan") }
        var results: [RunPartResult] = []
        for part in parts {
            guard case .plan(let plan) = try PlanFile.parse(text: part.plan.text, name: part.plan.file) else {
                throw ConfigurationError(file: runDirectory + "/" + Self.fileName, reason: "part \(part.plan.file) is not a class plan")
            }
            let request = RunRequest(id: id, plan: plan, spec: spec, slots: part.slots, lot: lot,
                                     serials: serials.filter { part.slots.contains($0.key) }, operatorName: `operator`)
            let runPart = RunPart(request: request, rig: rig)
            results.append(RunPartResult(part: runPart, outcome: .unfinished(request, rig: rig, catalog: catalog, runDirectory: runDirectory,
                                                                              simulated: simulated, reason: reason)))
        }
        var rigPlan: RigPlan?
        if let text = self.rigPlan, case .rig(let parsed) = try PlanFile.parse(text: text.text, name: text.file) { rigPlan = parsed }
        let outcome = rigPlan.map { RunOutcome.combining(results, id: id, planName: $0.name) } ?? results[0].outcome
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let started = iso.date(from: startTime) ?? finished
        return QualificationReport(outcome: outcome, parts: results, rigPlan: rigPlan, rig: rig, software: software,
                                   started: started, finished: finished)
    }
}
