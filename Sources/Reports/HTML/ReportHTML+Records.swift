import Qualification

extension ReportHTML {
    /// The counters that say whether the data can be trusted (DESIGN.md §3: overflow is never silent), one row per DUT.
    static func integritySection(_ report: QualificationReport) -> String {
        var html = "<section class=\"integrity\">\n<h2>Data integrity</h2>\n"
        guard !report.duts.isEmpty else { return html + "<p>The run has no DUT.</p>\n</section>\n" }
        html += "<table class=\"integrity\">\n<tr><th>Slot</th><th>Samples</th><th>Missed</th><th>Overruns</th>"
            + "<th>Bus errors</th><th>Gaps</th><th>Xruns</th><th>Clipped</th><th>Jitter (µs)</th><th>Readings from</th>"
            + "<th>Lost</th><th>Outages</th><th>Missing</th></tr>\n"
        for dut in report.duts {
            let integrity = dut.integrity
            // Gaps are counted by the noise records that mark them: a magnetometer's.
            let gaps = dut.magnetic?.noise.map { String($0.gapCount) } ?? "—"
            html += "<tr data-slot=\"\(HTML.escape(dut.slot))\"><td>\(HTML.escape(dut.slot))</td>"
                + number(integrity.samples) + number(integrity.missedSamples, alarm: true) + number(integrity.overruns, alarm: true)
                + number(integrity.busErrors, alarm: true) + "<td class=\"number\">\(gaps)</td>"
                + number(integrity.xruns, alarm: true) + number(integrity.clippedSamples, alarm: true)
                + "<td class=\"number\">\(HTML.escape(DisplayNumber.plain(integrity.intervalJitterMicroseconds, significant: 3)))</td>"
                + "<td>\(HTML.escape(integrity.dataReadySource))</td>"
                + "<td>" + (dut.lost.map { "<span class=\"warning\">" + HTML.escape($0) + "</span>" } ?? "no") + "</td>"
                + "<td>" + ((dut.outages ?? []).isEmpty ? "none" : "<span class=\"warning\">" + HTML.escape(OutageText.brief(dut.outages)) + "</span>")
                + "</td>"
                + "<td>" + (dut.missing.isEmpty ? "nothing" : "<span class=\"warning\">" + dut.missing.map(HTML.escape).joined(separator: "<br>") + "</span>")
                + "</td></tr>\n"
        }
        return html + "</table>\n</section>\n"
    }

    private static func number(_ value: Int, alarm: Bool = false) -> String {
        "<td class=\"number\">" + (alarm && value > 0 ? "<span class=\"warning\">\(value)</span>" : "\(value)") + "</td>"
    }

    /// The plan's steps as they were carried out to their end, with the time each took on the run clock.
    static func planSection(_ report: QualificationReport) -> String {
        var html = "<section class=\"plan\">\n<h2>Plan steps as carried out</h2>\n<p>Plan "
            + HTML.escape(report.plan.name) + ": planned " + HTML.escape(DisplayNumber.plain(report.plan.plannedSeconds, significant: 6))
            + " s; the run took " + HTML.escape(DisplayNumber.plain(report.run.runSeconds, significant: 6)) + " s on the "
            + HTML.escape(report.run.clock) + " clock.</p>\n"
        guard !report.plan.steps.isEmpty else {
            return html + "<p class=\"warning\">No step was carried out to its end.</p>\n</section>\n"
        }
        html += "<table class=\"steps\">\n<tr><th>#</th><th>Step</th><th>Planned (s)</th><th>Actual (s)</th><th>Detail</th></tr>\n"
        for (index, step) in report.plan.steps.enumerated() {
            html += "<tr><td class=\"number\">\(index + 1)</td><td>\(HTML.escape(step.name))</td>"
                + "<td class=\"number\">\(HTML.escape(DisplayNumber.plain(step.plannedSeconds, significant: 6)))</td>"
                + "<td class=\"number\">\(HTML.escape(DisplayNumber.plain(step.actualSeconds, significant: 6)))</td>"
                + "<td>\(HTML.escape(step.detail))</td></tr>\n"
        }
        return html + "</table>\n</section>\n"
    }

    /// Lines to sign on paper: who tested, who reviewed, and when.
    static func signatureBlock(_ report: QualificationReport) -> String {
        func block(_ role: String, note: String?) -> String {
            "<div class=\"signature\">\n<h3>\(role)</h3>\n"
                + (note.map { "<p class=\"muted\">" + $0 + "</p>\n" } ?? "")
                + ["Name", "Signature", "Date"].map { "<div class=\"line\"></div><div class=\"label\">\($0)</div>\n" }.joined()
                + "</div>\n"
        }
        return "<section class=\"sign\">\n<h2>Signatures</h2>\n<div class=\"signatures\">\n"
            + block("Tested by", note: report.run.operator.map { "Operator on record: " + HTML.escape($0) })
            + block("Reviewed by", note: nil)
            + "</div>\n</section>\n"
    }
}
