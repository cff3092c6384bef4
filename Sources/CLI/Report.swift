import ArgumentParser
import ControlProtocol
import Foundation
import Reports

extension Sensorqual {
    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a run's qualification report (default: the newest run).",
            discussion: "With --file, reads a report.json directly, without a daemon. Exit status 0 only when every DUT passed.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "Run id.")
        var run: String?

        @Option(help: "A report.json to print instead of asking the daemon.")
        var file: String?

        func run() async throws {
            let data: Data
            var path = file
            if let file {
                do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
                    throw ValidationError("cannot read \(file): \(error.localizedDescription)")
                }
            } else {
                let connection = try await client.connect()
                let result: ReportResult = try await connection.call(Method.reportsGet, params: RunReference(run: run), as: ReportResult.self)
                await connection.close()
                data = result.report.jsonData()
                path = result.path
            }
            let report: QualificationReport
            do {
                report = try QualificationReport.decoder().decode(QualificationReport.self, from: data)
            } catch {
                throw ValidationError("\(path ?? "report") is not a SensorQual report: \(error)")
            }
            if client.json {
                Terminal.write(String(decoding: try report.jsonData(), as: UTF8.self) + "\n")
            } else {
                Terminal.write(ReportText.render(report, path: path))
            }
            let passed = report.verdict.complete && report.verdict.overall == .pass
            throw (passed ? ExitStatus.pass : .fail).code
        }
    }
}

/// The human form of a report: header, verdict table, and each DUT's figures with uncertainty and conditions.
enum ReportText {
    static func render(_ report: QualificationReport, path: String?) -> String {
        var text = ""
        let run = report.run
        text += "SensorQual report \(run.id) (schema \(report.schema) v\(report.schemaVersion), \(report.software.name) \(report.software.version))\n"
        text += "rig \(report.rig.name)\(report.rig.simulated ? " — SIMULATED" : ""), plan \(report.plan.name), spec \(report.spec.name) "
            + "(\(report.spec.decisionRule.rawValue), U at k = 2)\n"
        text += "lot \(run.lot ?? "-"), operator \(run.operator ?? "-"), started \(run.startTime), state \(run.state.rawValue)\n"
        text += String(format: "run time %.0f s%@ (planned %.0f s)\n", run.runSeconds,
                       run.clock == "simulated" ? " simulated" : run.clock == "audio samples" ? " of audio" : "", report.plan.plannedSeconds)
        for reference in report.rig.references {
            let certificate = reference.configuration.certificate.map { c in
                "certificate \(c.id): U = \(c.expandedUncertainty) \(c.unit) (k = \(c.coverageFactor)), due \(c.due)"
            } ?? "no certificate"
            text += "reference \(reference.configuration.model) [\(reference.identity ?? "not reached")], \(certificate)\n"
        }
        for step in report.plan.steps {
            text += String(format: "  %@: %.0f s (planned %.0f s), %@\n", step.name, step.actualSeconds, step.plannedSeconds, step.detail)
        }
        text += "\n"
        var verdicts = Table("SLOT", "SERIAL", "MODEL", "VERDICT", "INTEGRITY")
        for dut in report.duts {
            let i = dut.integrity
            let integrity = dut.audioChannel == nil
                ? "\(i.samples) samples, \(i.missedSamples) missed, \(i.busErrors) bus errors"
                : "\(i.samples) samples, \(i.xruns) xruns, \(i.clippedSamples) clipped"
            let reported = dut.lost == nil && !dut.figures.isEmpty && dut.figures.allSatisfy { $0.limit == nil }
            verdicts.add([dut.slot, dut.serial ?? "-", dut.model,
                          dut.verdict?.rawValue ?? (dut.lost != nil ? "lost" : reported ? "reported" : "not judged"), integrity])
        }
        text += verdicts.rendered
        for dut in report.duts {
            if let channel = dut.audioChannel {
                text += "\n\(dut.slot) \(dut.model) on audio \(dut.bus) ch\(channel)\n"
            } else {
                text += "\n\(dut.slot) \(dut.model) at \(dut.bus)\(dut.muxChannel.map { " ch\($0)" } ?? "") \(dut.address?.description ?? "-")"
                    + ", chip id \(dut.idRegisterValue ?? "-")\n"
            }
            if let lost = dut.lost { text += "  lost: \(lost)\n" }
            var figures = Table("FIGURE", "VALUE", "U (k=2)", "LIMIT", "VERDICT")
            for f in dut.figures {
                figures.add([f.metric, VerdictTable.format(f.value.value) + " " + f.value.unit,
                             VerdictTable.format(f.value.expandedUncertainty), f.limit?.description ?? "reported",
                             f.verdict?.rawValue ?? "-"])
            }
            if !dut.figures.isEmpty { text += figures.rendered.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n" }
            if dut.audioChannel != nil || dut.magnetic != nil || dut.gas != nil {
                // Microphone, magnetometer and gas figures each hold under their own level, band or record: show each
                // one's conditions.
                for f in dut.figures { text += "  \(f.metric): \(f.conditions)\n" }
                if let check = dut.gas?.conditions.chamberCheck { text += "  chamber: \(check)\n" }
                for warning in dut.acoustic?.warnings ?? [] { text += "  warning: \(warning)\n" }
                for point in dut.acoustic?.overload?.points ?? [] {
                    text += String(format: "  THD at %.1f dB SPL: %.3f %%\n", point.spl, point.thdPercent)
                }
            } else if let conditions = dut.figures.first?.conditions {
                text += "  conditions: \(conditions)\n"
            }
        }
        text += "\nverdict: \(report.verdict.overall?.rawValue ?? "none")\(report.verdict.complete ? "" : " (incomplete)")\n"
        if let path { text += "file: \(path)\n" }
        return text
    }
}
