import Foundation
import Qualification
import SensorMetrics

/// `report.html`: the qualification report as one self-contained HTML5 page to read, print on A4 and sign. It is
/// rendered from the same `QualificationReport` as `report.json` and adds nothing the JSON does not hold; the JSON
/// stays the record (docs/report-html.md).
///
/// The page has no script and loads nothing: the style is inline, the plots are inline SVG, and a
/// Content-Security-Policy says so to the browser. Every text from the report is HTML-escaped, since serials, lots and
/// operator names are typed by users.
public enum ReportHTML {
    /// The page for `report`.
    public static func render(_ report: QualificationReport) -> String {
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="\(HTML.escape(report.software.name)) \(HTML.escape(report.software.version))">
        <title>Qualification report \(HTML.escape(report.run.id))</title>
        <style>
        \(ReportStyle.css)
        </style>
        </head>
        <body>

        """
        html += header(report)
        html += verdictSummary(report)
        html += verdictTable(report)
        for (index, dut) in report.duts.enumerated() { html += dutSection(dut, index: index, report: report) }
        html += integritySection(report)
        html += planSection(report)
        html += signatureBlock(report)
        html += "<p class=\"muted\">Rendered by \(HTML.escape(report.software.name)) \(HTML.escape(report.software.version)) "
            + "from report.json (\(HTML.escape(report.schema)) version \(report.schemaVersion)), which is the record.</p>\n"
        html += "</body>\n</html>\n"
        return html
    }

    // MARK: Header

    static func header(_ report: QualificationReport) -> String {
        let run = report.run
        var html = "<header>\n<h1>Qualification report — run \(HTML.escape(run.id))</h1>\n"
        if report.rig.simulated {
            html += "<p class=\"warning\">Simulated rig: the figures come from models of the parts, not from parts.</p>\n"
        }
        var facts: [(String, String)] = [
            ("Run", HTML.escape(run.id)),
            ("State", HTML.escape(run.state.rawValue) + (run.error.map { " — <span class=\"warning\">" + HTML.escape($0) + "</span>" } ?? "")),
            ("Lot", HTML.escape(run.lot)),
            ("Operator", HTML.escape(run.operator)),
            ("Started – finished (UTC)", HTML.escape(run.startTime) + " – " + HTML.escape(run.endTime)),
            ("Run time", HTML.escape(DisplayNumber.plain(run.runSeconds, significant: 6)) + " s on the "
                + HTML.escape(run.clock) + " clock"),
            ("Rig", HTML.escape(report.rig.name) + (report.rig.description.map { " — " + HTML.escape($0) } ?? "")
                + (report.rig.simulated ? " (simulated)" : " (real)")),
            ("Software", HTML.escape(report.software.name) + " " + HTML.escape(report.software.version)),
            ("Spec profile", HTML.escape(report.spec.name) + " — " + HTML.escape(report.spec.title)
                + (report.spec.source.isEmpty ? "" : "<br><span class=\"muted\">" + HTML.escape(report.spec.source) + "</span>")),
            ("Decision rule", HTML.escape(report.spec.decisionRule.rawValue) + " <span class=\"muted\">("
                + HTML.escape(ruleExplanation(report.spec.decisionRule)) + ")</span>"),
            ("Plan", HTML.escape(report.plan.name) + (report.plan.description.isEmpty ? "" : " — " + HTML.escape(report.plan.description))
                + ", planned " + HTML.escape(DisplayNumber.plain(report.plan.plannedSeconds, significant: 6)) + " s"),
            ("Configuration hash", "<span class=\"hash\">SHA-256 " + HTML.escape(report.configurationHash ?? "not computable") + "</span>"
                + "<br><span class=\"muted\">of the rig, plan and spec sections as encoded in report.json</span>"),
        ]
        let serials = report.duts.map { HTML.escape($0.slot) + ": " + HTML.escape($0.serial, none: "no serial") }
        facts.append(("Serials", serials.isEmpty ? "—" : serials.joined(separator: ", ")))
        html += factsTable(facts)
        html += "<h3>Reference instruments</h3>\n"
        if report.rig.references.isEmpty {
            html += "<p>No reference instrument was used by this run's class.</p>\n"
        } else {
            html += "<table class=\"references\">\n<tr><th>Id</th><th>Kind</th><th>Model</th><th>Identity</th><th>Certificate</th>"
                + "<th>U (k)</th><th>Due</th></tr>\n"
            for reference in report.rig.references {
                let configuration = reference.configuration
                let certificate = configuration.certificate
                html += "<tr><td>\(HTML.escape(configuration.id))</td><td>\(HTML.escape(configuration.kind))</td>"
                    + "<td>\(HTML.escape(configuration.model))</td><td>\(HTML.escape(reference.identity))</td>"
                    + "<td>\(HTML.escape(certificate?.id, none: "none"))</td>"
                    + "<td class=\"number\">" + (certificate.map {
                        HTML.escape(DisplayNumber.plain($0.expandedUncertainty) + " " + $0.unit + " (k = " + DisplayNumber.plain($0.coverageFactor) + ")")
                    } ?? "—") + "</td>"
                    + "<td>\(HTML.escape(certificate?.due))</td></tr>\n"
            }
            html += "</table>\n"
        }
        return html + "</header>\n"
    }

    static func ruleExplanation(_ rule: DecisionRule) -> String {
        switch rule {
        case .guardedAcceptance: "guard band U: pass only when the margin is at least U; within U of the limit, conditional"
        case .guardedBinary: "guard band U: pass only when the margin is at least U, otherwise fail"
        case .simpleAcceptance: "no guard band: pass when the value is inside the limit"
        }
    }

    static func verdictSummary(_ report: QualificationReport) -> String {
        let overall = report.verdict.overall
        let counts = report.verdict.counts.sorted { $0.key < $1.key }.map { "\(HTML.escape($0.key)) \($0.value)" }
        var html = "<div class=\"banner\">\n<div class=\"verdict overall \(verdictClass(overall))\">Overall verdict: "
            + HTML.escape(overall?.rawValue ?? "not judged") + "</div>\n"
        html += "<div class=\"complete\">Complete: " + (report.verdict.complete ? "yes" : "<span class=\"warning\">no</span>")
            + " <span class=\"muted\">(" + (counts.isEmpty ? "no DUT" : counts.joined(separator: ", ")) + ")</span></div>\n</div>\n"
        if !report.verdict.complete {
            html += "<p class=\"warning\">This report is not complete: it must not be read as a qualification of the lot.</p>\n"
        }
        return html
    }

    // MARK: Pieces

    static func factsTable(_ facts: [(String, String)], class name: String = "facts") -> String {
        "<table class=\"\(name)\">\n" + facts.map { "<tr><th>\(HTML.escape($0.0))</th><td>\($0.1)</td></tr>\n" }.joined() + "</table>\n"
    }

    /// The CSS class of a verdict cell: the verdict's own spelling, `not-judged` for none.
    static func verdictClass(_ verdict: Verdict?) -> String { verdict?.rawValue ?? "not-judged" }

    static func verdictCell(_ verdict: Verdict?) -> String {
        "<td class=\"verdict \(verdictClass(verdict))\">" + HTML.escape(verdict?.rawValue ?? "not judged") + "</td>"
    }
}
