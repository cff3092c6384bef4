import Foundation
import GRDB
import Qualification

/// The run archive: one SQLite file (`<state dir>/archive.sqlite`) that records every run as it happens, so a
/// restarted daemon, `sensorqual runs`, a unit's history and a lot's yield all read one place (docs/archive.md).
///
/// A GRDB `DatabasePool`: WAL journal, so readers (the control socket's queries, a second process) see the last
/// committed state while the scheduler writes. Each write method is one short transaction, so the state on disk
/// follows the run as it changes (DESIGN.md §5: after a crash the restarted daemon finds the run where it was).
/// `synchronous = NORMAL`: in WAL mode a commit survives a crash of the process; a power cut may lose the last
/// commits but never corrupts the file.
public final class RunArchive: Sendable {
    public let path: String
    let pool: DatabasePool

    /// The final states: a run in any other state when the daemon starts was cut short.
    public static let finalStates: Set<String> = Set(RunState.allCases.filter(\.isFinal).map(\.rawValue))

    /// Opens (creating it if absent) the archive at `path` and brings its schema up to date.
    /// - Throws: ``ArchiveError`` `.unreadable` naming the path and SQLite's message: not a database, corrupt, no
    ///   permission, or written by a newer SensorQual (a migration this build does not know).
    public init(path: String) throws(ArchiveError) {
        self.path = path
        var configuration = Configuration()
        configuration.label = "run archive"
        configuration.foreignKeysEnabled = true
        // A second process (a backup, sqlite3 at the bench) may hold the write lock for a moment.
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try ArchiveMigrations.migrator.migrate(pool)
            // Touch every table, so a file whose pages are damaged is refused here rather than at the first run.
            try pool.read { db in
                for table in ["run", "dut", "run_dut", "result", "artifact", "run_state"] {
                    _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)")
                }
            }
            self.pool = pool
        } catch {
            throw ArchiveError(.unreadable, path: path, reason: Self.reason(error))
        }
    }

    // MARK: Writes (called by the run scheduler)

    /// A run was accepted: its row, one `run_dut` row per slot, and the `queued` state.
    public func runQueued(_ run: ArchivedRun.Start) throws(ArchiveError) {
        let at = ArchiveTime.string(run.started)
        let runClass = run.sensorClasses.first ?? "unknown"
        try write { db in
            try db.execute(sql: """
                INSERT INTO run (id, plan, spec, sensor_classes, lot, operator, rig, simulated, state, started_utc, software_version)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
                """, arguments: [run.id, run.plan, run.spec, run.sensorClasses.joined(separator: ","), run.lot, run.operatorName,
                                 run.rig, run.simulated, at, run.softwareVersion])
            for slot in run.slots {
                let unit = Self.unitKey(serial: slot.serial, run: run.id, slot: slot.slot)
                let sensorClass = slot.sensorClass ?? runClass
                try Self.upsertUnit(db, unit: unit, hasSerial: Self.hasSerial(slot.serial), chip: slot.chip, model: slot.model,
                                    sensorClass: sensorClass, at: at)
                try db.execute(sql: "INSERT INTO run_dut (run_id, slot, serial, sensor_class, chip, model) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [run.id, slot.slot, unit, sensorClass, slot.chip, slot.model])
            }
            try db.execute(sql: "INSERT INTO run_state (run_id, state, at_utc) VALUES (?, 'queued', ?)", arguments: [run.id, at])
        }
    }

    /// The run entered `state` (and `step`, when it entered a plan step): the run row and its state history.
    /// - Throws: ``ArchiveError`` `.noRun` when the run was never queued in this archive.
    public func stateChanged(run: String, state: String, step: String?, at: Date) throws(ArchiveError) {
        let path = path
        try write { db in
            try db.execute(sql: "UPDATE run SET state = ?, step = coalesce(?, step) WHERE id = ?", arguments: [state, step, run])
            guard db.changesCount > 0 else { throw ArchiveError(.noRun, path: path, reason: "no run '\(run)'") }
            try db.execute(sql: "INSERT INTO run_state (run_id, state, step, at_utc) VALUES (?, ?, ?, ?)",
                           arguments: [run, state, step, ArchiveTime.string(at)])
        }
    }

    /// The run ended and its report is built: the run's final state, verdict and error; each DUT with its figures
    /// (replacing the rows written at queue time); the reports and raw captures as artifacts. A run never queued
    /// here (an archive created after it started) is inserted from the report. Calling it again replaces the rows.
    ///
    /// - Parameters:
    ///   - reportPath, htmlPath: where the report files were written; nil when they were not (`reportError` says why).
    ///   - artifacts: files beyond the report and each DUT's `rawCapture` (audio recordings, CSV exports); paths
    ///     relative to the run folder, the folder of `reportPath`.
    ///   - reportError: why the report could not be written, stored as the run's error when it has none.
    public func runFinished(_ report: QualificationReport, reportPath: String?, htmlPath: String?, artifacts: [ArchivedArtifact],
                            reportError: String? = nil) throws(ArchiveError) {
        let id = report.run.id
        let runDirectory = reportPath.map { ($0 as NSString).deletingLastPathComponent }
        let endTime = report.run.endTime
        let error = report.run.error ?? reportError.map { "report not written: \($0)" }
        var files: [ArchivedArtifact] = []
        if let reportPath { files.append(Self.artifact(kind: .reportJSON, slot: nil, file: reportPath, runDirectory: runDirectory)) }
        if let htmlPath { files.append(Self.artifact(kind: .reportHTML, slot: nil, file: htmlPath, runDirectory: runDirectory)) }
        for dut in report.duts {
            if let raw = dut.rawCapture {
                files.append(Self.artifact(kind: raw.hasPrefix("audio/") ? .audio : .rawCapture, slot: dut.slot, file: raw, runDirectory: runDirectory))
            }
            if let csv = dut.csvCapture { files.append(Self.artifact(kind: .rawCSV, slot: dut.slot, file: csv, runDirectory: runDirectory)) }
        }
        files += artifacts.map { $0.bytes == nil ? Self.artifact(kind: $0.kind, slot: $0.slot, file: $0.path, runDirectory: runDirectory) : $0 }

        try write { db in
            var runClass = try String.fetchOne(db, sql: "SELECT sensor_classes FROM run WHERE id = ?", arguments: [id])
            if runClass == nil {
                let classes = Array(Set(report.duts.compactMap(Self.derivedClass))).sorted()
                runClass = classes.joined(separator: ",")
                try db.execute(sql: """
                    INSERT INTO run (id, plan, spec, sensor_classes, lot, operator, rig, simulated, state, started_utc, software_version)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)
                    """, arguments: [id, report.plan.name, report.spec.name, runClass, report.run.lot, report.run.operator,
                                     report.rig.name, report.rig.simulated, report.run.startTime, report.software.version])
            }
            let single = runClass.flatMap { $0.isEmpty || $0.contains(",") ? nil : $0 }
            // A rig plan's run: each slot's class is its part's.
            var partClass: [String: String] = [:]
            for part in report.plan.parts ?? [] { for slot in part.slots { partClass[slot] = part.sensorClass } }
            try db.execute(sql: """
                UPDATE run SET state = ?, step = coalesce(?, step), finished_utc = ?, verdict = ?, complete = ?, error = ?,
                    report_path = ?, html_path = ?
                WHERE id = ?
                """, arguments: [report.run.state.rawValue, report.plan.steps.last?.name, endTime, report.verdict.overall?.rawValue,
                                 report.verdict.complete, error, reportPath, htmlPath, id])
            try db.execute(sql: "DELETE FROM run_dut WHERE run_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM artifact WHERE run_id = ?", arguments: [id])
            for dut in report.duts {
                let unit = Self.unitKey(serial: dut.serial, run: id, slot: dut.slot)
                let sensorClass = partClass[dut.slot] ?? single ?? Self.derivedClass(dut) ?? "unknown"
                try Self.upsertUnit(db, unit: unit, hasSerial: Self.hasSerial(dut.serial), chip: dut.chip, model: dut.model,
                                    sensorClass: sensorClass, at: endTime)
                try db.execute(sql: """
                    INSERT INTO run_dut (run_id, slot, serial, sensor_class, chip, model, verdict, lost, missing)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, dut.slot, unit, sensorClass, dut.chip, dut.model, dut.verdict?.rawValue, dut.lost,
                                     dut.missing.joined(separator: "\n")])
                for figure in dut.figures {
                    try db.execute(sql: """
                        INSERT INTO result (run_id, slot, serial, metric, value, expanded_uncertainty, coverage_factor, unit,
                            limit_text, rule, verdict, conditions)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [id, dut.slot, unit, figure.metric, Self.finite(figure.value.value),
                                         Self.finite(figure.value.expandedUncertainty), Self.finite(figure.value.coverageFactor),
                                         figure.value.unit, figure.limit?.description, figure.rule?.rawValue, figure.verdict?.rawValue,
                                         figure.conditions])
                }
            }
            for file in files {
                try db.execute(sql: "INSERT OR REPLACE INTO artifact (run_id, slot, kind, path, bytes) VALUES (?, ?, ?, ?, ?)",
                               arguments: [id, file.slot, file.kind.rawValue, file.path, file.bytes])
            }
            try db.execute(sql: "INSERT INTO run_state (run_id, state, at_utc) VALUES (?, ?, ?)",
                           arguments: [id, report.run.state.rawValue, endTime])
        }
    }

    /// At daemon start: every run not in a final state was cut short by a stop, a crash or SIGKILL. Each becomes
    /// `interrupted`, with the error `sensorquald stopped while the run was <state>` and its last recorded state
    /// change as its end. Its raw data stays in its folder.
    /// - Returns: the ids of the runs marked, oldest first.
    @discardableResult
    public func markInterrupted(at: Date) throws(ArchiveError) -> [String] {
        let final = Self.finalStates.sorted()
        let placeholders = final.map { _ in "?" }.joined(separator: ", ")
        return try write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, state FROM run WHERE state NOT IN (\(placeholders)) ORDER BY started_utc, id",
                                        arguments: StatementArguments(final))
            var ids: [String] = []
            for row in rows {
                let id: String = row["id"]
                let state: String = row["state"]
                let last = try String.fetchOne(db, sql: "SELECT max(at_utc) FROM run_state WHERE run_id = ?", arguments: [id])
                try db.execute(sql: "UPDATE run SET state = 'interrupted', error = ?, finished_utc = ?, complete = 0 WHERE id = ?",
                               arguments: ["sensorquald stopped while the run was \(state)", last ?? ArchiveTime.string(at), id])
                try db.execute(sql: "INSERT INTO run_state (run_id, state, at_utc) VALUES (?, 'interrupted', ?)",
                               arguments: [id, ArchiveTime.string(at)])
                ids.append(id)
            }
            return ids
        }
    }

    // MARK: Helpers

    /// A unit's key: its serial, or `<run-id>/<slot>` for a part without one, which is then a unit of that run only.
    static func unitKey(serial: String?, run: String, slot: String) -> String {
        if let serial, hasSerial(serial) { return serial }
        return run + "/" + slot
    }

    private static func hasSerial(_ serial: String?) -> Bool {
        guard let serial else { return false }
        return !serial.trimmingCharacters(in: .whitespaces).isEmpty
    }

    private static func upsertUnit(_ db: Database, unit: String, hasSerial: Bool, chip: String?, model: String?, sensorClass: String,
                                   at: String) throws {
        try db.execute(sql: """
            INSERT INTO dut (serial, has_serial, chip, model, sensor_class, first_seen_utc, last_seen_utc)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (serial) DO UPDATE SET chip = coalesce(excluded.chip, chip), model = coalesce(excluded.model, model),
                sensor_class = excluded.sensor_class, last_seen_utc = max(last_seen_utc, excluded.last_seen_utc)
            """, arguments: [unit, hasSerial, chip, model, sensorClass, at, at])
    }

    /// The class a DUT's measurements say it is of, for a run the archive did not see queued.
    static func derivedClass(_ dut: DUTOutcome) -> String? {
        if dut.acoustic != nil || dut.audioChannel != nil { return "acoustic" }
        if dut.magnetic != nil { return "magnetic" }
        if dut.gas != nil { return "gas" }
        if dut.noise != nil || dut.accuracy != nil || dut.noiseByMode != nil || dut.conditions != nil { return "pressure" }
        return nil
    }

    private static func finite(_ value: Double) -> Double? { value.isFinite ? value : nil }

    /// An artifact with its path relative to the run folder, and its size when the file is there.
    private static func artifact(kind: ArchivedArtifact.Kind, slot: String?, file: String, runDirectory: String?) -> ArchivedArtifact {
        var relative = file
        var absolute: String? = file.hasPrefix("/") ? file : runDirectory.map { $0 + "/" + file }
        if let runDirectory, file.hasPrefix(runDirectory + "/") {
            relative = String(file.dropFirst(runDirectory.count + 1))
            absolute = file
        }
        return ArchivedArtifact(slot: slot, kind: kind, path: relative, bytes: absolute.flatMap(Self.bytes))
    }

    /// A file's size, or the sum of a folder's files (a microphone's WAV recordings); nil when absent.
    private static func bytes(at path: String) -> Int? {
        let fileManager = FileManager.default
        var isFolder: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        guard isFolder.boolValue else { return (try? fileManager.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue }
        return (fileManager.subpaths(atPath: path) ?? []).reduce(0) { total, name in
            total + ((try? fileManager.attributesOfItem(atPath: path + "/" + name)[.size] as? NSNumber)?.intValue ?? 0)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(ArchiveError) -> T {
        do {
            return try pool.write(body)
        } catch let error as ArchiveError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            // SQLite rolled the transaction back: the archive holds every commit before it, and stays a valid database.
            throw ArchiveError.diskFull(path: path, place: StorageFile.noSpace(writing: path).place, reason: Self.reason(error))
        } catch {
            throw ArchiveError(.write, path: path, reason: Self.reason(error))
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(ArchiveError) -> T {
        do {
            return try pool.read(body)
        } catch let error as ArchiveError {
            throw error
        } catch {
            throw ArchiveError(.read, path: path, reason: Self.reason(error))
        }
    }

    /// SQLite's own words and code: `file is not a database (SQLite error 26)`.
    static func reason(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.message ?? "error") (SQLite error \(error.resultCode.rawValue))"
        }
        return "\(error)"
    }
}
