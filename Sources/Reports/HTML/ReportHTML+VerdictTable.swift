import Qualification
import SensorMetrics

extension ReportHTML {
    /// The figures a DUT was judged on, or had a limit for: what the verdict table lists.
    static func judgedFigures(_ dut: DUTOutcome) -> [QualifiedFigure] {
        dut.figures.filter { $0.limit != nil || $0.verdict != nil }
    }

    /// One row per judged figure of each DUT (one row for a DUT without any), the DUT's columns spanning its rows:
    /// slot, serial, model, figure, value ± U, limit, the figure's verdict and the DUT's.
    static func verdictTable(_ report: QualificationReport) -> String {
        var html = "<h2>Verdicts</h2>\n"
        guard !report.duts.isEmpty else { return html + "<p>The run has no DUT.</p>\n" }
        html += "<table class=\"verdicts\">\n<tr><th>Slot</th><th>Serial</th><th>Model</th><th>Figure</th>"
            + "<th>Value ± U (k = 2)</th><th>Limit</th><th>Verdict</th><th>DUT verdict</th></tr>\n"
        for dut in report.duts {
            let figures = judgedFigures(dut)
            let span = Swift.max(1, figures.count)
            let spanned = span > 1 ? " rowspan=\"\(span)\"" : ""
            let lead = "<td\(spanned)>\(HTML.escape(dut.slot))</td><td\(spanned)>\(HTML.escape(dut.serial))</td>"
                + "<td\(spanned)>\(HTML.escape(dut.model))</td>"
            let dutVerdict = "<td\(spanned) class=\"verdict \(verdictClass(dut.verdict))\">"
                + HTML.escape(dut.verdict?.rawValue ?? "not judged") + "</td>"
            if figures.isEmpty {
                let why = dut.lost.map { "lost: " + $0 } ?? (dut.figures.isEmpty ? "no figure" : "figures reported, none judged")
                html += "<tr data-slot=\"\(HTML.escape(dut.slot))\">" + lead + "<td colspan=\"4\">" + HTML.escape(why) + "</td>"
                    + dutVerdict + "</tr>\n"
                continue
            }
            for (index, figure) in figures.enumerated() {
                html += "<tr data-slot=\"\(HTML.escape(dut.slot))\">" + (index == 0 ? lead : "")
                    + "<td>\(HTML.escape(figure.metric))</td>"
                    + "<td class=\"number\">\(HTML.escape(DisplayNumber.measured(figure.value)))</td>"
                    + "<td class=\"number\">\(HTML.escape(figure.limit.map(DisplayNumber.limit)))</td>"
                    + verdictCell(figure.verdict) + (index == 0 ? dutVerdict : "") + "</tr>\n"
            }
        }
        return html + "</table>\n"
    }
}
