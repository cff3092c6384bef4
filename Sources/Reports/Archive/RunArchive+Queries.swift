import Foundation
import GRDB

/// The archive's queries: what `archive.runs`, `archive.unit` and `archive.yield` answer. Each runs in one read
/// transaction of the WAL, so it sees one committed state even while a run is being written.
extension RunArchive {
    /// Verdict filters `runs` accepts: a verdict, or `none` for runs with no verdict (not judged, failed, cut short).
    public static let verdictFilters = ["pass", "conditional-pass", "conditional-fail", "fail", "none"]

    /// One run with its DUTs, figures, artifacts and state history; nil when the archive has no such run.
    public func run(_ id: String) throws(ArchiveError) -> ArchivedRun? {
        try read { db in
            try Self.runs(db, rows: Row.fetchAll(db, sql: "SELECT * FROM run WHERE id = ?", arguments: [id])).first
        }
    }

    /// SQLite's `PRAGMA integrity_check`: `["ok"]` for a sound file, else its findings (a damaged page, a broken
    /// index). What `sensorqual` and the tests ask after a full disk or a crash: the archive must still be whole.
    public func integrityCheck() throws(ArchiveError) -> [String] {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// Runs newest first (by start time), filtered by lot, start time (at or after `since`) and verdict.
    public func runs(lot: String? = nil, since: Date? = nil, verdict: String? = nil, limit: Int = 50) throws(ArchiveError) -> [ArchivedRun] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let lot {
            conditions.append("lot = ?")
            arguments.append(lot)
        }
        if let since {
            conditions.append("started_utc >= ?")
            arguments.append(ArchiveTime.string(since))
        }
        if let verdict {
            if verdict == "none" {
                conditions.append("verdict IS NULL")
            } else {
                conditions.append("verdict = ?")
                arguments.append(verdict)
            }
        }
        arguments.append(max(0, limit))
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM run \(filter) ORDER BY started_utc DESC, id DESC LIMIT ?"
        let statementArguments = StatementArguments(arguments)
        return try read { db in try Self.runs(db, rows: Row.fetchAll(db, sql: sql, arguments: statementArguments)) }
    }

    /// Every run of one unit, oldest first, with its verdict and figures in each. Empty `runs` for an unknown unit.
    public func unitHistory(serial: String) throws(ArchiveError) -> UnitHistory {
        try read { db in
            let unit = try Row.fetchOne(db, sql: "SELECT * FROM dut WHERE serial = ?", arguments: [serial])
            let rows = try Row.fetchAll(db, sql: """
                SELECT run_dut.slot, run_dut.verdict AS dut_verdict, run_dut.lost, run_dut.missing, run.id, run.started_utc,
                    run.finished_utc, run.plan, run.spec, run.lot, run.state
                FROM run_dut JOIN run ON run.id = run_dut.run_id
                WHERE run_dut.serial = ?
                ORDER BY run.started_utc, run.id
                """, arguments: [serial])
            let figures = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM result WHERE serial = ? ORDER BY id",
                                                                 arguments: [serial]),
                                     by: { Key(run: $0["run_id"], slot: $0["slot"]) })
            let entries = rows.map { row in
                let run: String = row["id"]
                let slot: String = row["slot"]
                return UnitHistory.Entry(run: run, startedUTC: row["started_utc"], finishedUTC: row["finished_utc"], plan: row["plan"],
                                         spec: row["spec"], lot: row["lot"], state: row["state"], slot: slot, verdict: row["dut_verdict"],
                                         lost: row["lost"], missing: Self.lines(row["missing"]),
                                         figures: (figures[Key(run: run, slot: slot)] ?? []).map(Self.figure))
            }
            return UnitHistory(serial: serial, chip: unit?["chip"], model: unit?["model"], sensorClass: unit?["sensor_class"], runs: entries)
        }
    }

    /// The lot's yield per sensor class and figure: each unit counted by its latest judged result in the lot (latest by
    /// run start), with the pass rate's 95 % Wilson interval.
    public func lotYield(lot: String) throws(ArchiveError) -> LotYield {
        try read { db in
            let runs = try Int.fetchOne(db, sql: "SELECT count(*) FROM run WHERE lot = ?", arguments: [lot]) ?? 0
            let units = try Int.fetchOne(db, sql: """
                SELECT count(DISTINCT run_dut.serial) FROM run_dut JOIN run ON run.id = run_dut.run_id WHERE run.lot = ?
                """, arguments: [lot]) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                WITH judged AS (
                    SELECT run_dut.sensor_class, result.metric, result.unit, result.verdict,
                        row_number() OVER (PARTITION BY run_dut.sensor_class, result.metric, result.serial
                                           ORDER BY run.started_utc DESC, run.id DESC, result.id DESC) AS newest
                    FROM result
                    JOIN run_dut ON run_dut.run_id = result.run_id AND run_dut.slot = result.slot
                    JOIN run ON run.id = result.run_id
                    WHERE run.lot = ? AND result.verdict IS NOT NULL
                )
                SELECT sensor_class, metric, max(unit) AS unit,
                    sum(verdict = 'pass') AS pass, sum(verdict = 'conditional-pass') AS conditional_pass,
                    sum(verdict = 'conditional-fail') AS conditional_fail, sum(verdict = 'fail') AS fail
                FROM judged WHERE newest = 1
                GROUP BY sensor_class, metric
                ORDER BY sensor_class, metric
                """, arguments: [lot])
            return LotYield(lot: lot, runs: runs, units: units, figures: rows.map { row in
                LotYield.FigureYield(sensorClass: row["sensor_class"], metric: row["metric"], unit: row["unit"], pass: row["pass"],
                                     conditionalPass: row["conditional_pass"], conditionalFail: row["conditional_fail"],
                                     fail: row["fail"])
            })
        }
    }

    // MARK: Rows to values

    private struct Key: Hashable {
        var run: String
        var slot: String
    }

    /// The runs of `rows`, in their order, each with its DUTs, figures, artifacts and states.
    private static func runs(_ db: Database, rows: [Row]) throws -> [ArchivedRun] {
        guard !rows.isEmpty else { return [] }
        let ids: [String] = rows.map { $0["id"] }
        let placeholders = ids.map { _ in "?" }.joined(separator: ", ")
        let arguments = StatementArguments(ids)
        let duts = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM run_dut WHERE run_id IN (\(placeholders)) ORDER BY rowid",
                                                         arguments: arguments), by: { $0["run_id"] as String })
        let figures = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM result WHERE run_id IN (\(placeholders)) ORDER BY id",
                                                            arguments: arguments), by: { Key(run: $0["run_id"], slot: $0["slot"]) })
        let artifacts = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM artifact WHERE run_id IN (\(placeholders)) ORDER BY id",
                                                              arguments: arguments), by: { $0["run_id"] as String })
        let states = Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT * FROM run_state WHERE run_id IN (\(placeholders)) ORDER BY id",
                                                           arguments: arguments), by: { $0["run_id"] as String })
        return rows.map { row in
            let id: String = row["id"]
            let classes: String = row["sensor_classes"]
            let complete: Bool? = row["complete"]
            return ArchivedRun(
                id: id, plan: row["plan"], spec: row["spec"], sensorClasses: classes.split(separator: ",").map(String.init),
                lot: row["lot"], operator: row["operator"], rig: row["rig"], simulated: row["simulated"], state: row["state"],
                step: row["step"], startedUTC: row["started_utc"], finishedUTC: row["finished_utc"], verdict: row["verdict"],
                complete: complete, error: row["error"], reportPath: row["report_path"], htmlPath: row["html_path"],
                softwareVersion: row["software_version"],
                duts: (duts[id] ?? []).map { dut in
                    let slot: String = dut["slot"]
                    let unit: String = dut["serial"]
                    return ArchivedRun.DUT(slot: slot, serial: unit == id + "/" + slot ? nil : unit, unit: unit,
                                           sensorClass: dut["sensor_class"], chip: dut["chip"], model: dut["model"],
                                           verdict: dut["verdict"], lost: dut["lost"], missing: lines(dut["missing"]),
                                           figures: (figures[Key(run: id, slot: slot)] ?? []).map(figure))
                },
                artifacts: (artifacts[id] ?? []).compactMap { artifact in
                    guard let kind = ArchivedArtifact.Kind(rawValue: artifact["kind"]) else { return nil }
                    return ArchivedArtifact(slot: artifact["slot"], kind: kind, path: artifact["path"], bytes: artifact["bytes"])
                },
                states: (states[id] ?? []).map { ArchivedRun.StateChange(state: $0["state"], step: $0["step"], atUTC: $0["at_utc"]) })
        }
    }

    private static func figure(_ row: Row) -> ArchivedFigure {
        let value: Double? = row["value"]
        let uncertainty: Double? = row["expanded_uncertainty"]
        let coverage: Double? = row["coverage_factor"]
        return ArchivedFigure(metric: row["metric"], value: value ?? .nan, expandedUncertainty: uncertainty ?? .nan,
                              coverageFactor: coverage ?? .nan, unit: row["unit"], limit: row["limit_text"], rule: row["rule"],
                              verdict: row["verdict"], conditions: row["conditions"])
    }

    private static func lines(_ text: String?) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        return text.components(separatedBy: "\n")
    }
}
