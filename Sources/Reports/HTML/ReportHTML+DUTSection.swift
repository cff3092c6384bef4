import Qualification
import SensorMetrics

extension ReportHTML {
    /// One DUT: what it is, where it sat, the conditions, every figure, and the plots of the data it has.
    static func dutSection(_ dut: DUTOutcome, index: Int, report: QualificationReport) -> String {
        var html = "<section class=\"dut\" id=\"dut-\(index + 1)\">\n<h2>Slot \(HTML.escape(dut.slot)) — "
            + HTML.escape(dut.model) + (dut.serial.map { ", serial " + HTML.escape($0) } ?? "") + "</h2>\n"
        var place = HTML.escape(dut.bus)
        if let mux = dut.mux { place += ", behind " + HTML.escape(mux) + (dut.muxChannel.map { " channel \($0)" } ?? "") }
        if let address = dut.address { place += ", address " + HTML.escape(address.description) }
        if let channel = dut.audioChannel { place += ", audio channel \(channel)" }
        var facts: [(String, String)] = [
            ("Chip", HTML.escape(dut.chip) + " (" + HTML.escape(dut.model) + ")"),
            ("Serial", HTML.escape(dut.serial)),
            ("Position", place),
        ]
        if let id = dut.idRegisterValue { facts.append(("Id register", "<code>" + HTML.escape(id) + "</code>")) }
        if let bytes = dut.calibrationBytes { facts.append(("Calibration bytes", "<code>" + HTML.escape(bytes) + "</code>")) }
        if let conditions = dut.conditions { facts.append(("Conditions", HTML.escape(ConditionsText.pressure(conditions)))) }
        if let magnetic = dut.magnetic { facts.append(("Conditions", HTML.escape(ConditionsText.magnetic(magnetic.conditions)))) }
        if let gas = dut.gas {
            facts.append(("Conditions", HTML.escape(gas.gas + " on " + gas.signal.name + " (" + gas.signal.unit + "), "
                                                    + ConditionsText.gas(gas.conditions))))
        }
        if let acoustic = dut.acoustic { facts.append(("Capture", HTML.escape(acoustic.output.rawValue + " output, " + acoustic.stream))) }
        if let raw = dut.rawCapture {
            facts.append(("Raw capture", "<code>" + HTML.escape(raw) + "</code>"
                + (dut.csvCapture.map { ", as CSV <code>" + HTML.escape($0) + "</code>" } ?? "")))
        }
        facts.append(("Verdict", "<span class=\"verdict \(verdictClass(dut.verdict))\">&nbsp;"
                      + HTML.escape(dut.verdict?.rawValue ?? "not judged") + "&nbsp;</span>"))
        if let lost = dut.lost { facts.append(("Lost", "<span class=\"warning\">" + HTML.escape(lost) + "</span>")) }
        if let outages = dut.outages, !outages.isEmpty {
            // A DUT that came back keeps its figures from what was read; the outages say where its records have gaps.
            facts.append(("Outages", "<span class=\"warning\">" + outages.map { HTML.escape(OutageText.describe($0)) }.joined(separator: "<br>")
                          + "</span>"))
        }
        if !dut.missing.isEmpty {
            facts.append(("Missing", "<span class=\"warning\">" + dut.missing.map(HTML.escape).joined(separator: "<br>") + "</span>"))
        }
        html += factsTable(facts)
        html += figuresTable(dut)
        html += plots(dut, index: index, report: report)
        return html + "</section>\n"
    }

    /// Every figure of the DUT, judged or reported, with its conditions.
    static func figuresTable(_ dut: DUTOutcome) -> String {
        guard !dut.figures.isEmpty else { return "<p>No figure was computed for this DUT.</p>\n" }
        var html = "<table class=\"figures\">\n<tr><th>Figure</th><th>Value ± U (k = 2)</th><th>Limit</th><th>Rule</th>"
            + "<th>Verdict</th><th>Conditions</th></tr>\n"
        for figure in dut.figures {
            html += "<tr><td>\(HTML.escape(figure.metric))</td>"
                + "<td class=\"number\">\(HTML.escape(DisplayNumber.measured(figure.value)))</td>"
                + "<td class=\"number\">\(HTML.escape(figure.limit.map(DisplayNumber.limit)))</td>"
                + "<td>\(HTML.escape(figure.rule?.rawValue))</td>"
                + (figure.limit == nil && figure.verdict == nil ? "<td class=\"muted\">reported</td>" : verdictCell(figure.verdict))
                + "<td>\(HTML.escape(figure.conditions))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// The plots this DUT has data for, each with its caption; a sentence where a plot was expected but cannot be drawn.
    static func plots(_ dut: DUTOutcome, index: Int, report: QualificationReport) -> String {
        let prefix = "dut\(index + 1)"
        var figures: [PlotFigure] = []
        if let noise = dut.noise {
            let limit = dut.figures.first { $0.metric == "rms-noise" }?.limit
            figures.append(AllanDeviationPlot.pressure(noise, conditions: dut.conditions, rmsLimit: limit, id: prefix + "-allan"))
        }
        if let accuracy = dut.accuracy {
            figures.append(AccuracyErrorPlot.pressure(accuracy, figure: dut.figures.first { $0.metric == "absolute-accuracy" },
                                                      conditions: dut.conditions, id: prefix + "-error"))
        }
        if let acoustic = dut.acoustic, acoustic.overload != nil || !acoustic.distortion.isEmpty {
            figures.append(DistortionPlot.microphone(acoustic, id: prefix + "-thd"))
        }
        if let magnetic = dut.magnetic, let noise = magnetic.noise {
            figures.append(AllanDeviationPlot.magnetic(noise, conditions: magnetic.conditions, id: prefix + "-allan"))
            figures.append(SpectralDensityPlot.magnetic(noise, conditions: magnetic.conditions, id: prefix + "-psd"))
        }
        if let gas = dut.gas, let accuracy = gas.accuracy {
            figures.append(AccuracyErrorPlot.gas(gas, accuracy: accuracy, figure: dut.figures.first { $0.metric == "accuracy" },
                                                 id: prefix + "-error"))
        }
        var html = ""
        if let acoustic = dut.acoustic, !acoustic.warnings.isEmpty {
            html += "<p class=\"warning\">" + acoustic.warnings.map(HTML.escape).joined(separator: "<br>") + "</p>\n"
        }
        if let reason = dut.magnetic?.scaleNotFitted { html += "<p class=\"warning\">" + HTML.escape(reason) + "</p>\n" }
        guard !figures.isEmpty else { return html + "<p class=\"no-plot\">No plot: this DUT has no measurement data to plot.</p>\n" }
        return html + figures.map(\.html).joined(separator: "\n") + "\n"
    }
}
