import ArgumentParser
import ControlProtocol
import Foundation
import Reports

/// `sensorqual runs`'s filters: given any of them, the listing comes from the daemon's run archive (every run of
/// every daemon on this rig), not from the runs of the daemon now running.
struct ArchiveFilterOptions: ParsableArguments {
    @Option(help: "Only runs of this lot (from the archive).")
    var lot: String?

    @Option(help: "Only runs started on or after this ISO 8601 date or date-time, UTC (from the archive).")
    var since: String?

    @Option(help: "Only runs with this verdict: pass, conditional-pass, conditional-fail, fail, or none (from the archive).")
    var verdict: String?

    @Option(help: "At most this many runs, newest first (from the archive; default 50).")
    var limit: Int?

    @Flag(help: "List the archive: every run the rig has recorded, not only this daemon's.")
    var archive = false

    var isActive: Bool { archive || lot != nil || since != nil || verdict != nil || limit != nil }

    /// Prints the archive's runs as a table or JSON.
    func list(client: ClientOptions) async throws {
        let connection = try await client.connect()
        defer { Task { await connection.close() } }
        let list = try await connection.call(Method.archiveRuns, params: ArchiveRunsParams(lot: lot, since: since, verdict: verdict, limit: limit),
                                             as: ArchivedRunList.self)
        if client.json {
            Terminal.write(try JSONValue(encoding: list).description + "\n")
            return
        }
        var table = Table("RUN", "PLAN", "SPEC", "LOT", "STATE", "VERDICT", "DUTS", "STARTED (UTC)")
        for run in list.runs {
            table.add([run.id, run.plan, run.spec, run.lot ?? "-", run.state, run.verdict ?? "-", "\(run.duts.count)", run.startedUTC])
        }
        Terminal.write(list.runs.isEmpty ? "no run in the archive matches\n" : table.rendered)
    }
}

extension Sensorqual {
    /// `sensorqual dut SERIAL`: one unit's history from the run archive.
    struct Dut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dut",
            abstract: "Show one unit's history from the run archive: every run, its verdict and its figures.",
            discussion: "A part run without a serial is archived as RUN-ID/SLOT. Exit status 0, or 2 on error (no such unit).")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The unit's serial number.")
        var serial: String

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let history = try await connection.call(Method.archiveUnit, params: ArchiveUnitParams(serial: serial), as: UnitHistory.self)
            if client.json {
                Terminal.write(try JSONValue(encoding: history).description + "\n")
                return
            }
            Terminal.write(Self.render(history))
        }

        static func render(_ history: UnitHistory) -> String {
            var text = "unit \(history.serial): \(history.model ?? "-")\(history.chip.map { " (\($0))" } ?? ""), "
                + "\(history.sensorClass ?? "-"), \(history.runs.count) run\(history.runs.count == 1 ? "" : "s")\n"
            var runs = Table("RUN", "STARTED (UTC)", "PLAN", "SPEC", "LOT", "SLOT", "STATE", "VERDICT")
            for entry in history.runs {
                runs.add([entry.run, entry.startedUTC, entry.plan, entry.spec, entry.lot ?? "-", entry.slot, entry.state,
                          entry.verdict ?? (entry.lost != nil ? "lost" : "-")])
            }
            text += runs.rendered
            for entry in history.runs {
                text += "\n\(entry.run) \(entry.slot): \(entry.verdict ?? "no verdict")\n"
                if let lost = entry.lost { text += "  lost: \(lost)\n" }
                for missing in entry.missing { text += "  missing: \(missing)\n" }
                guard !entry.figures.isEmpty else { continue }
                var figures = Table("FIGURE", "VALUE", "U (k=2)", "LIMIT", "VERDICT")
                for figure in entry.figures {
                    figures.add([figure.metric, VerdictTable.format(figure.value) + " " + figure.unit,
                                 VerdictTable.format(figure.expandedUncertainty), figure.limit ?? "reported", figure.verdict ?? "-"])
                }
                text += figures.rendered.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
            }
            return text
        }
    }

    /// `sensorqual yield --lot L`: a lot's yield per figure from the run archive.
    struct Yield: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "yield",
            abstract: "Show a lot's yield per figure from the run archive, with the pass rate's 95 % Wilson interval.",
            discussion: """
                Each unit counts once per figure, by its latest judged result in the lot (a retest replaces the first \
                result). Only a proven pass counts as a pass. Exit status 0, or 2 on error (no run of that lot).
                """)

        @OptionGroup var client: ClientOptions

        @Option(help: "Lot number.")
        var lot: String

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let yield = try await connection.call(Method.archiveYield, params: ArchiveYieldParams(lot: lot), as: LotYield.self)
            if client.json {
                Terminal.write(try JSONValue(encoding: yield).description + "\n")
                return
            }
            Terminal.write(Self.render(yield))
        }

        static func render(_ yield: LotYield) -> String {
            let text = "lot \(yield.lot): \(yield.runs) run\(yield.runs == 1 ? "" : "s"), \(yield.units) unit\(yield.units == 1 ? "" : "s")\n"
            guard !yield.figures.isEmpty else { return text + "no judged figure\n" }
            var table = Table("CLASS", "FIGURE", "JUDGED", "PASS", "COND-PASS", "COND-FAIL", "FAIL", "PASS RATE (95 % CI)")
            for figure in yield.figures {
                let interval = figure.interval.map { String(format: " (%.1f–%.1f %%)", 100 * $0.low, 100 * $0.high) } ?? ""
                table.add([figure.sensorClass, figure.metric, "\(figure.judged)", "\(figure.pass)", "\(figure.conditionalPass)",
                           "\(figure.conditionalFail)", "\(figure.fail)", String(format: "%.1f %%", 100 * figure.passRate) + interval])
            }
            return text + table.rendered
        }
    }
}
