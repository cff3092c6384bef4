import Foundation
import GRDB
import Qualification
import SensorMetrics
import Testing
@testable import Reports

@Suite struct RunArchiveTests {
    /// An empty file gets the v1 schema, in WAL mode with synchronous NORMAL and foreign keys on; opening it again
    /// runs no migration twice.
    @Test func migrationsCreateTheSchemaInWAL() throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let path = scratch + "/archive.sqlite"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let archive = try RunArchive(path: path)
        try archive.pool.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA synchronous") == 1)
            #expect(try Int.fetchOne(db, sql: "PRAGMA foreign_keys") == 1)
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            #expect(Set(tables).isSuperset(of: ["run", "dut", "run_dut", "result", "artifact", "run_state"]))
            #expect(try ArchiveMigrations.migrator.appliedMigrations(db) == ["v1"])
        }
        let again = try RunArchive(path: path)
        #expect(try again.runs().isEmpty)
    }

    /// Queued, two state changes, finished: the run row, its DUTs and figures, its files and its state history.
    @Test func roundTripOfASimulatedRun() async throws {
        let simulated = try await ArchiveFixture.shared()
        let folder = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(folder) }
        let archive = try RunArchive(path: folder + "/archive.sqlite")
        let start = ArchivedRun.Start(request: simulated.request, rig: simulated.rig, simulated: true, started: simulated.started,
                                      softwareVersion: "0.1.0")
        #expect(start.slots.map(\.chip) == ["bmp390", "bmp390", "bmp390", "bmp390"])
        try archive.runQueued(start)
        let id = simulated.request.id
        var queued = try #require(try archive.run(id))
        #expect(queued.state == "queued" && queued.verdict == nil && queued.finishedUTC == nil)
        #expect(queued.duts.map(\.unit) == ["A-0001", "\(id)/S2", "\(id)/S3", "\(id)/S4"])
        #expect(queued.duts.map(\.serial) == ["A-0001", nil, nil, nil])

        try archive.stateChanged(run: id, state: "probing", step: nil, at: simulated.started.addingTimeInterval(0.1))
        try archive.stateChanged(run: id, state: "measuring", step: "noise", at: simulated.started.addingTimeInterval(0.5))
        queued = try #require(try archive.run(id))
        #expect(queued.state == "measuring" && queued.step == "noise")

        let runDirectory = folder + "/runs/" + id
        let reportPath = try ReportWriter.write(simulated.report, runDirectory: runDirectory)
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: runDirectory + "/S1.wav"))
        try archive.runFinished(simulated.report, reportPath: reportPath, htmlPath: nil,
                                artifacts: [ArchivedArtifact(slot: "S1", kind: .audio, path: "S1.wav")])

        let run = try #require(try archive.run(id))
        #expect(run.state == "done")
        #expect(run.verdict == "fail" && run.complete == true && run.error == nil)
        #expect(run.plan == "short" && run.spec == "miit-2020" && run.sensorClasses == ["pressure"])
        #expect(run.lot == "L1" && run.operator == "ana" && run.rig == "sim-bench" && run.simulated)
        #expect(run.startedUTC == "2026-09-21T14:13:20.000Z" && run.finishedUTC == "2026-09-21T14:13:22.000Z")
        #expect(run.step == "accuracy sweep")
        #expect(run.reportPath == reportPath)
        #expect(run.states.map(\.state) == ["queued", "probing", "measuring", "done"])
        #expect(run.states[2].step == "noise" && run.states[1].atUTC == "2026-09-21T14:13:20.100Z")
        #expect(run.duts.map(\.verdict) == ["pass", "pass", "conditional-pass", "fail"])
        #expect(run.duts.allSatisfy { $0.sensorClass == "pressure" && $0.model == "BMP390" && $0.lost == nil })
        for (archived, dut) in zip(run.duts, simulated.report.duts) {
            #expect(archived.figures.map(\.metric) == dut.figures.map(\.metric))
            #expect(archived.figures.map(\.value) == dut.figures.map(\.value.value))
            #expect(archived.figures.map(\.expandedUncertainty) == dut.figures.map(\.value.expandedUncertainty))
            #expect(archived.figures.map(\.limit) == dut.figures.map { $0.limit?.description })
            #expect(archived.figures.map(\.verdict) == dut.figures.map { $0.verdict?.rawValue })
            // Judged figures carry the spec's rule; the others (offset, gain error, …) are reported without one.
            #expect(archived.figures.allSatisfy { $0.coverageFactor == 2 && !$0.conditions.isEmpty })
            #expect(archived.figures.map(\.rule) == dut.figures.map { $0.limit == nil ? nil : "guarded-acceptance" })
            #expect(archived.figures.filter { $0.rule != nil }.map(\.metric) == ["absolute-accuracy", "rms-noise"])
        }
        let size = try #require(try FileManager.default.attributesOfItem(atPath: reportPath)[.size] as? NSNumber).intValue
        #expect(run.artifacts == [ArchivedArtifact(slot: nil, kind: .reportJSON, path: "report.json", bytes: size),
                                  ArchivedArtifact(slot: "S1", kind: .audio, path: "S1.wav", bytes: 1000)])
        // The JSON of the control socket round-trips.
        let decoded = try JSONDecoder().decode(ArchivedRun.self, from: JSONEncoder().encode(run))
        #expect(decoded == run)
    }

    /// A run finished into an archive that never saw it queued is inserted from its report; a second call replaces.
    @Test func runFinishedWithoutQueueInsertsTheRun() async throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let archive = try RunArchive(path: scratch + "/archive.sqlite")
        let report = try await ArchiveFixture.report(id: "r1", lot: "L9", startTime: "2026-01-05T10:00:00.000Z",
                                               units: [("S1", "X1", ["rms-noise": .pass]), ("S2", nil, [:])])
        try archive.runFinished(report, reportPath: nil, htmlPath: nil, artifacts: [], reportError: "disk full")
        try archive.runFinished(report, reportPath: nil, htmlPath: nil, artifacts: [], reportError: "disk full")
        let run = try #require(try archive.run("r1"))
        #expect(run.sensorClasses == ["pressure"] && run.plan == "short" && run.lot == "L9")
        #expect(run.error == "report not written: disk full")
        #expect(run.duts.map(\.unit) == ["X1", "r1/S2"] && run.duts.map(\.verdict) == ["pass", nil])
        #expect(run.states.map(\.state) == ["done", "done"])
        #expect(try archive.unitHistory(serial: "X1").runs.count == 1)
    }

    @Test func stateChangeOfAnUnknownRunNamesIt() async throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let path = scratch + "/archive.sqlite"
        let archive = try RunArchive(path: path)
        #expect(throws: ArchiveError(.noRun, path: path, reason: "no run 'nope'")) {
            try archive.stateChanged(run: "nope", state: "probing", step: nil, at: Date())
        }
    }

    /// Runs left queued or measuring by a stopped daemon become interrupted; finished ones are left alone.
    @Test func markInterruptedCutsShortUnfinishedRuns() async throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let archive = try RunArchive(path: scratch + "/archive.sqlite")
        func start(_ id: String, _ seconds: Double) -> ArchivedRun.Start {
            .init(id: id, plan: "pressure-basic", spec: "miit-2020", sensorClasses: ["pressure"], lot: "L1", operatorName: nil,
                  rig: "sim", simulated: true, slots: [.init(slot: "S1", serial: "U-\(id)")],
                  started: Date(timeIntervalSince1970: 1_790_000_000 + seconds), softwareVersion: "0.1.0")
        }
        try archive.runQueued(start("a", 0))
        try archive.runQueued(start("b", 10))
        try archive.stateChanged(run: "b", state: "measuring", step: "noise", at: Date(timeIntervalSince1970: 1_790_000_020))
        var done = try await ArchiveFixture.report(id: "c", lot: "L1", startTime: "2026-09-21T14:14:00.000Z", units: [("S1", "U-c", [:])])
        done.run.state = .cancelled
        try archive.runFinished(done, reportPath: nil, htmlPath: nil, artifacts: [])

        let restart = Date(timeIntervalSince1970: 1_790_000_100)
        #expect(try archive.markInterrupted(at: restart) == ["a", "b"])
        let a = try #require(try archive.run("a"))
        let b = try #require(try archive.run("b"))
        #expect(a.state == "interrupted" && a.error == "sensorquald stopped while the run was queued")
        #expect(b.state == "interrupted" && b.error == "sensorquald stopped while the run was measuring" && b.step == "noise")
        // Its end is the last state change the archive saw; the restart is in its history.
        #expect(b.finishedUTC == "2026-09-21T14:13:40.000Z" && b.complete == false)
        #expect(b.states.map(\.state) == ["queued", "measuring", "interrupted"] && b.states[2].atUTC == "2026-09-21T14:15:00.000Z")
        #expect(try archive.run("c")?.state == "cancelled")
        #expect(try archive.markInterrupted(at: restart).isEmpty)
    }

    /// Newest first, filtered by lot, start time and verdict, and limited.
    @Test func runsFilters() async throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let archive = try RunArchive(path: scratch + "/archive.sqlite")
        let runs: [(String, String, String, [String: Verdict])] = [
            ("r1", "L1", "2026-01-01T08:00:00.000Z", ["rms-noise": .pass]),
            ("r2", "L1", "2026-01-02T08:00:00.000Z", ["rms-noise": .fail]),
            ("r3", "L2", "2026-01-03T08:00:00.000Z", ["rms-noise": .conditionalPass]),
            ("r4", "L2", "2026-01-04T08:00:00.000Z", [:]),
        ]
        for (id, lot, time, verdicts) in runs {
            try archive.runFinished(try await ArchiveFixture.report(id: id, lot: lot, startTime: time, units: [("S1", "U-" + id, verdicts)]),
                                    reportPath: nil, htmlPath: nil, artifacts: [])
        }
        #expect(try archive.runs().map(\.id) == ["r4", "r3", "r2", "r1"])
        #expect(try archive.runs(limit: 2).map(\.id) == ["r4", "r3"])
        #expect(try archive.runs(lot: "L1").map(\.id) == ["r2", "r1"])
        #expect(try archive.runs(since: ArchiveTime.parse("2026-01-02")).map(\.id) == ["r4", "r3", "r2"])
        #expect(try archive.runs(since: ArchiveTime.parse("2026-01-02T08:00:00.001Z")).map(\.id) == ["r4", "r3"])
        #expect(try archive.runs(verdict: "fail").map(\.id) == ["r2"])
        #expect(try archive.runs(verdict: "none").map(\.id) == ["r4"])
        #expect(try archive.runs(lot: "L2", verdict: "conditional-pass").map(\.id) == ["r3"])
        #expect(try archive.runs(lot: "L3").isEmpty)
    }

    /// One unit through two runs, oldest first, with its verdict and figures in each.
    @Test func unitHistoryAcrossTwoRuns() async throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let archive = try RunArchive(path: scratch + "/archive.sqlite")
        try archive.runFinished(try await ArchiveFixture.report(id: "r2", lot: "L1", startTime: "2026-02-02T08:00:00.000Z",
                                                          units: [("S3", "U-7", ["rms-noise": .pass, "absolute-accuracy": .pass])]),
                                reportPath: nil, htmlPath: nil, artifacts: [])
        try archive.runFinished(try await ArchiveFixture.report(id: "r1", lot: "L1", startTime: "2026-02-01T08:00:00.000Z",
                                                          units: [("S1", "U-7", ["rms-noise": .fail, "absolute-accuracy": .pass]),
                                                                  ("S2", "U-8", ["rms-noise": .pass])]),
                                reportPath: nil, htmlPath: nil, artifacts: [])
        let history = try archive.unitHistory(serial: "U-7")
        #expect(history.model == "BMP390" && history.chip == "bmp390" && history.sensorClass == "pressure")
        #expect(history.runs.map(\.run) == ["r1", "r2"])
        #expect(history.runs.map(\.slot) == ["S1", "S3"])
        #expect(history.runs.map(\.verdict) == ["fail", "pass"])
        let figures = Dictionary(uniqueKeysWithValues: history.runs[0].figures.map { ($0.metric, $0.verdict) })
        #expect(figures["rms-noise"] == "fail" && figures["absolute-accuracy"] == "pass")
        #expect(try archive.unitHistory(serial: "U-404").runs.isEmpty)
    }

    /// Each unit counted once per figure, by its latest judged result in the lot; the pass rate's Wilson interval
    /// matches scipy 1.17: `binomtest(3, 5).proportion_ci(method='wilson')` = (0.2307242812760130, 0.8823792257673521),
    /// `binomtest(4, 5)…` = (0.3755346297625253, 0.9637758913675698).
    @Test func lotYieldCountsEachUnitByItsLatestJudgedResult() async throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let archive = try RunArchive(path: scratch + "/archive.sqlite")
        // First pass of lot L7: U2 fails its noise.
        try archive.runFinished(try await ArchiveFixture.report(id: "a", lot: "L7", startTime: "2026-03-10T08:00:00.000Z", units: [
            ("S1", "U1", ["rms-noise": .pass, "absolute-accuracy": .pass]),
            ("S2", "U2", ["rms-noise": .fail, "absolute-accuracy": .pass]),
            ("S3", "U3", ["rms-noise": .conditionalPass, "absolute-accuracy": .pass]),
            ("S4", "U4", ["rms-noise": .pass, "absolute-accuracy": .pass]),
        ]), reportPath: nil, htmlPath: nil, artifacts: [])
        // Retest of U2 after rework, and U5; a lost DUT with nothing judged; U1 failing in another lot does not count.
        try archive.runFinished(try await ArchiveFixture.report(id: "b", lot: "L7", startTime: "2026-03-12T08:00:00.000Z", units: [
            ("S1", "U2", ["rms-noise": .pass, "absolute-accuracy": .pass]),
            ("S2", "U5", ["rms-noise": .conditionalFail, "absolute-accuracy": .fail]),
            ("S3", "U6", [:]),
        ]), reportPath: nil, htmlPath: nil, artifacts: [])
        try archive.runFinished(try await ArchiveFixture.report(id: "c", lot: "L8", startTime: "2026-03-13T08:00:00.000Z", units: [
            ("S1", "U1", ["rms-noise": .fail, "absolute-accuracy": .fail]),
        ]), reportPath: nil, htmlPath: nil, artifacts: [])

        let yield = try archive.lotYield(lot: "L7")
        #expect(yield.runs == 2 && yield.units == 6)
        #expect(yield.figures.map(\.metric) == ["absolute-accuracy", "rms-noise"])
        let accuracy = yield.figures[0]
        #expect(accuracy.sensorClass == "pressure" && accuracy.unit == "Pa")
        let accuracyCounts: [Int] = [accuracy.judged, accuracy.pass, accuracy.conditionalPass, accuracy.conditionalFail, accuracy.fail]
        #expect(accuracyCounts == [5, 4, 0, 0, 1])
        #expect(accuracy.passRate == 0.8)
        let noise = yield.figures[1]
        let noiseCounts: [Int] = [noise.judged, noise.pass, noise.conditionalPass, noise.conditionalFail, noise.fail]
        #expect(noiseCounts == [5, 3, 1, 1, 0])
        #expect(noise.passRate == 0.6)
        let noiseInterval = try #require(noise.interval)
        #expect(abs(noiseInterval.low - 0.2307242812760130) < 1e-12 && abs(noiseInterval.high - 0.8823792257673521) < 1e-12)
        let accuracyInterval = try #require(accuracy.interval)
        #expect(abs(accuracyInterval.low - 0.3755346297625253) < 1e-12 && abs(accuracyInterval.high - 0.9637758913675698) < 1e-12)
        #expect(try archive.lotYield(lot: "nope") == LotYield(lot: "nope", runs: 0, units: 0, figures: []))
    }

    /// Against scipy 1.17's `binomtest(k, n).proportion_ci(confidence_level=0.95, method='wilson')`.
    @Test(arguments: [
        (7, 10, 0.39677814746114526, 0.892208732593699),
        (0, 12, 0.0, 0.24249400665524085),
        (20, 20, 0.8388748419471808, 1.0),
        (95, 100, 0.8882495307680809, 0.978456320845632),
    ])
    func wilsonIntervalMatchesScipy(successes: Int, trials: Int, low: Double, high: Double) throws {
        let interval = try #require(WilsonInterval(successes: successes, trials: trials))
        #expect(abs(interval.low - low) < 1e-12 && abs(interval.high - high) < 1e-12)
        #expect(interval.confidence == 0.95)
    }

    @Test func wilsonIntervalOfNoTrialsIsNil() {
        #expect(WilsonInterval(successes: 0, trials: 0) == nil)
        #expect(WilsonInterval(successes: 3, trials: 2) == nil)
    }

    /// A file that is not SQLite is refused with its path and SQLite's message.
    @Test func corruptFileIsRefusedNamingThePath() async throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let path = scratch + "/archive.sqlite"
        var random = SplitMix64(seed: 42)
        let garbage = Data((0..<8192).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        try garbage.write(to: URL(fileURLWithPath: path))
        do {
            _ = try RunArchive(path: path)
            Issue.record("a garbage file was opened as an archive")
        } catch {
            #expect(error.kind == .unreadable && error.path == path)
            #expect(error.description.contains(path))
            #expect(error.description.contains("file is not a database (SQLite error 26)"), "\(error)")
        }
        let missingFolder = scratch + "/no/such/folder/archive.sqlite"
        #expect { try RunArchive(path: missingFolder) } throws: { error in
            "\(error)".contains(missingFolder) && "\(error)".contains("unable to open database file")
        }
    }

    /// WAL: a second archive on the same file (another process's view) reads the committed rows while a write
    /// transaction is open, and the new row once it commits.
    @Test func readerSeesCommittedRowsWhileAWriteIsOpen() throws {
        let scratch = try ArchiveFixture.folder()
        defer { ArchiveFixture.remove(scratch) }
        let path = scratch + "/archive.sqlite"
        let writer = try RunArchive(path: path)
        let reader = try RunArchive(path: path)
        func start(_ id: String, _ seconds: Double) -> ArchivedRun.Start {
            .init(id: id, plan: "p", spec: "s", sensorClasses: ["pressure"], lot: nil, operatorName: nil, rig: "sim",
                  simulated: true, slots: [], started: Date(timeIntervalSince1970: 1_790_000_000 + seconds), softwareVersion: "0.1.0")
        }
        try writer.runQueued(start("first", 0))
        var seenDuringWrite: [String] = []
        try writer.pool.write { db in
            try db.execute(sql: """
                INSERT INTO run (id, plan, spec, sensor_classes, rig, simulated, state, started_utc, software_version)
                VALUES ('second', 'p', 's', 'pressure', 'sim', 1, 'queued', '2026-09-21T14:14:00.000Z', '0.1.0')
                """)
            seenDuringWrite = try reader.runs().map(\.id)
        }
        #expect(seenDuringWrite == ["first"])
        #expect(try reader.runs().map(\.id) == ["second", "first"])
    }

    @Test func sinceParsesISO8601DatesAndDateTimes() async throws {
        #expect(ArchiveTime.parse("2026-11-26").map(ArchiveTime.string) == "2026-11-26T00:00:00.000Z")
        #expect(ArchiveTime.parse("2026-11-26T15:33:02.452Z").map(ArchiveTime.string) == "2026-11-26T15:33:02.452Z")
        #expect(ArchiveTime.parse("2026-11-26T15:33:02+01:00").map(ArchiveTime.string) == "2026-11-26T14:33:02.000Z")
        for bad in ["2026-13-01", "2026-02-30", "26-11-26", "yesterday", "2026-11-26T25:00:00Z", ""] {
            #expect(ArchiveTime.parse(bad) == nil, "\(bad)")
        }
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): the seeded bytes of the garbage file.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49EB_133B_D111
        return z ^ (z >> 31)
    }
}
