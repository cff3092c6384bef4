import Foundation
import Qualification
import SensorMetrics
import Testing
@testable import Reports

/// `report.html` as text: the SHA-256 behind its configuration hash, escaping, the verdict table, every plot with the
/// points it should carry, the axes' ticks, plots of data that cannot be drawn, the magnetic spectrum kept for the PSD
/// plot, and the writer. The rendering in a browser is `ReportScreenshotTests`.
@Suite struct ReportHTMLTests {
    // MARK: SHA-256

    /// FIPS 180-2 Appendix B (B.1 "abc", B.2 the 448-bit two-block message, B.3 one million "a"), and the empty
    /// message (NIST's example values for SHA-256).
    @Test func sha256MatchesTheFIPSVectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Fed in pieces across block boundaries, the digest is the same.
        var pieces = SHA256()
        for chunk in ["abcdbcdecdefdefgefghfghighij", "hijkijkljklmklmnlmnomnopnopq"] { pieces.update(Array(chunk.utf8)) }
        #expect(pieces.finalize() == {
            var whole = SHA256()
            whole.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            return whole.finalize()
        }())
    }

    /// The hash is SHA-256 over the rig, plan and spec encodings, each with a newline, of what was configured: it
    /// shows in the header, changes with the spec, and not with what the run found (step times, instrument answers).
    @Test func configurationHashCoversRigPlanAndSpec() async throws {
        var report = try await ReportHTMLFixture.shared().report
        var configured = report
        for index in configured.plan.steps.indices {
            configured.plan.steps[index].actualSeconds = 0
            configured.plan.steps[index].detail = ""
        }
        for index in configured.rig.references.indices { configured.rig.references[index].identity = nil }
        let encoder = QualificationReport.encoder()
        var bytes = [UInt8]()
        for section in [try encoder.encode(configured.rig), try encoder.encode(configured.plan), try encoder.encode(configured.spec)] {
            bytes += section + [0x0A]
        }
        let hash = try #require(report.configurationHash)
        #expect(hash == SHA256.hex(bytes))
        #expect(hash.count == 64)
        #expect(ReportHTML.render(report).contains("SHA-256 " + hash))
        report.plan.steps[0].actualSeconds += 1.5
        report.rig.references[0].identity = "another answer"
        #expect(report.configurationHash == hash)
        report.spec.name += "-edited"
        #expect(report.configurationHash != hash)
    }

    // MARK: Text

    @Test func escapesUserText() async throws {
        #expect(HTML.escape("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
        let html = ReportHTML.render(try await ReportHTMLFixture.shared().report)
        #expect(html.contains("&lt;b&gt;A&amp;B&lt;/b&gt; &quot;1&quot; &#39;x&#39;"))
        #expect(html.contains("O&#39;Brien &lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("LOT&lt;7&gt;"))
        #expect(!html.contains(ReportHTMLFixture.hostileSerial))
        #expect(!html.contains("<script") && !html.contains("<b>"))
    }

    /// No script, nothing loaded from anywhere, and a print stylesheet for A4.
    @Test func pageIsSelfContained() async throws {
        let html = ReportHTML.render(try await ReportHTMLFixture.shared().report)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for forbidden in ["<script", "src=", "href=", "<link", "http://", "https://", "url(http", "@import"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        #expect(html.contains("@media print") && html.contains("size: A4"))
        #expect(html.contains("default-src 'none'"))
        for section in ["<h2>Verdicts</h2>", "<h2>Data integrity</h2>", "<h2>Plan steps as carried out</h2>", "<h2>Signatures</h2>",
                        "Tested by", "Reviewed by", "SIM-CAL-2026-0001", "2027-", "guarded-acceptance", "sensorqual 0.1.0"] {
            #expect(html.contains(section), "\(section)")
        }
    }

    // MARK: Verdict table

    /// One row per judged figure of each DUT; the lot's verdicts in their colour classes.
    @Test func verdictTableHasARowPerJudgedFigure() async throws {
        let report = try await ReportHTMLFixture.shared().report
        let html = ReportHTML.render(report)
        let table = try #require(Self.element(html, from: "<table class=\"verdicts\">", to: "</table>"))
        let rows = table.components(separatedBy: "<tr data-slot=").count - 1
        // S1–S4: absolute-accuracy and rms-noise; M1: aop (the plan has no noise step, so no snr); B1: resolution.
        #expect(rows == 10)
        #expect(rows == report.duts.reduce(0) { $0 + Swift.max(1, ReportHTML.judgedFigures($1).count) })
        for dut in report.duts {
            let slotRows = table.components(separatedBy: "<tr data-slot=\"\(dut.slot)\">").count - 1
            #expect(slotRows == Swift.max(1, ReportHTML.judgedFigures(dut).count), "\(dut.slot)")
        }
        #expect(report.duts.map(\.verdict) == [.pass, .pass, .conditionalPass, .fail, .pass, .fail])
        // Figure cells and DUT cells: S1 2+1, S2 2+1, S3 1, S4 0, M1 1+1, B1 0 pass; S3 1+1 conditional; S4 2+1, B1 1+1 fail.
        #expect(table.components(separatedBy: "class=\"verdict pass\"").count - 1 == 9)
        #expect(table.components(separatedBy: "class=\"verdict conditional-pass\"").count - 1 == 2)
        #expect(table.components(separatedBy: "class=\"verdict fail\"").count - 1 == 5)
        // S3: 93.8 ± 8.0 Pa against ±100 Pa (the demo lot's conditional pass, report-schema.md §7.4).
        let s3 = try #require(report.duts[2].figures.first { $0.metric == "absolute-accuracy" })
        #expect(table.contains(DisplayNumber.measured(s3.value)) && DisplayNumber.measured(s3.value).hasSuffix(" ± 8.0 Pa"))
        #expect(table.contains("±100 Pa") && table.contains("≤ 0.6 Pa") && table.contains("≥ 135 dB SPL") && table.contains("≤ 1 pT"))
    }

    @Test func numbersKeepTheUncertaintysDigits() {
        #expect(DisplayNumber.measured(93.33773565120646, expanded: 8.000693372181766, unit: "Pa") == "93.3 ± 8.0 Pa")
        #expect(DisplayNumber.measured(0.32368252875860437, expanded: 0.004577765654382236, unit: "Pa") == "0.3237 ± 0.0046 Pa")
        #expect(DisplayNumber.measured(-48.46, expanded: 8.0, unit: "Pa") == "−48.5 ± 8.0 Pa")
        #expect(DisplayNumber.measured(15_234_567, expanded: 31_000, unit: "pT") == "(1.5235 ± 0.0031) × 10⁷ pT")
        #expect(DisplayNumber.measured(.nan, expanded: 1, unit: "Pa") == "not finite Pa")
        #expect(DisplayNumber.measured(2.5, expanded: .infinity, unit: "%") == "2.5 %")
        #expect(DisplayNumber.plain(101_417.846, significant: 6) == "101418")
        #expect(DisplayNumber.plain(1.5e-9) == "1.5 × 10⁻⁹")
    }

    // MARK: Plots

    /// Each DUT's plots, each series with exactly its drawable points: pressure Allan and error plots, the
    /// microphone's THD against SPL, the magnetometer's Allan deviation and spectral density per axis.
    @Test func plotsCarryEveryDrawablePoint() async throws {
        let runs = try await ReportHTMLFixture.shared()
        let report = runs.report
        let html = ReportHTML.render(report)
        #expect(html.components(separatedBy: "<svg class=\"plot\"").count - 1 == 4 * 2 + 1 + 2)

        for (index, dut) in report.duts.prefix(4).enumerated() {
            let noise = try #require(dut.noise)
            let allan = try #require(Self.svg(html, id: "dut\(index + 1)-allan"))
            #expect(allan.contains("data-plot=\"allan-pressure\""))
            #expect(Self.seriesPoints(allan) == [noise.allanDeviation.filter { $0.deviation > 0 }.count])
            #expect(noise.allanDeviation.count >= 8)
            // An error bar per point with an interval.
            #expect(allan.components(separatedBy: "class=\"error-bar\"").count - 1
                    == noise.allanDeviation.filter { $0.ciLow != nil || $0.ciHigh != nil }.count)
            let accuracy = try #require(dut.accuracy)
            let error = try #require(Self.svg(html, id: "dut\(index + 1)-error"))
            // Setpoints 30, 70, 110 kPa going up, 70 and 30 kPa coming down.
            #expect(Self.seriesPoints(error) == [3, 2])
            #expect(accuracy.points.count == 5)
            #expect(error.contains("class=\"limit\"") && error.contains("class=\"band\""))
            #expect(error.components(separatedBy: "class=\"limit\"").count - 1 == 2)
        }

        let microphone = try #require(report.duts[4].acoustic)
        let overload = try #require(microphone.overload)
        let thd = try #require(Self.svg(html, id: "dut5-thd"))
        #expect(Self.seriesPoints(thd) == [overload.points.count, 2])
        #expect(overload.points.count >= 9 && overload.status == .interpolated)
        let aop = try #require(overload.aopDBSPL)
        #expect(abs(aop - 136.5) < 0.5, "M1 is built with its AOP at 136.5 dB SPL; measured \(aop)")
        #expect(thd.contains("AOP " + DisplayNumber.fixed(aop, 1) + " dB SPL") && thd.contains("10 % THD"))

        let noise = try #require(report.duts[5].magnetic?.noise)
        let magneticAllan = try #require(Self.svg(html, id: "dut6-allan"))
        #expect(Self.seriesPoints(magneticAllan) == noise.axes.map { $0.allanDeviationPT.filter { $0.deviation > 0 }.count })
        let psd = try #require(Self.svg(html, id: "dut6-psd"))
        let spectra = try noise.axes.map { try #require($0.spectrum) }
        #expect(Self.seriesPoints(psd) == spectra.map(\.count))
        // Three floor intervals shaded over the band, each with its floor line.
        #expect(psd.components(separatedBy: "class=\"band\"").count - 1 == 3)
        #expect(psd.components(separatedBy: "class=\"band-center\"").count - 1 == 3)

        // Every plot stays well under 300 points (here at most 200 per series of the spectrum, 600 in the PSD plot).
        for id in ["dut1-allan", "dut1-error", "dut5-thd", "dut6-allan"] {
            #expect(try Self.seriesPoints(#require(Self.svg(html, id: id))).reduce(0, +) <= 300, "\(id)")
        }
        #expect(spectra.allSatisfy { $0.count <= MagneticNoise.spectrumPoints })
    }

    /// Log axes tick every decade (0.01 … 1000 written out, beyond as powers of ten), linear ones in 1-2-5 steps.
    @Test func axesTickAtDecadesAndNiceSteps() async throws {
        let html = ReportHTML.render(try await ReportHTMLFixture.shared().report)
        let allan = try #require(Self.svg(html, id: "dut1-allan"))
        #expect(Self.ticks(allan, "x") == ["0.01", "0.1", "1", "10", "100"])
        #expect(Self.ticks(allan, "y") == ["0.01", "0.1", "1"])
        let psd = try #require(Self.svg(html, id: "dut6-psd"))
        #expect(Self.ticks(psd, "y") == ["1000", "10⁴"])
        #expect(Self.ticks(psd, "x") == ["0.01", "0.1", "1", "10", "100"])
        let thd = try #require(Self.svg(html, id: "dut5-thd"))
        #expect(Self.ticks(thd, "y") == ["0.01", "0.1", "1", "10", "100"])
        #expect(Self.ticks(thd, "x") == ["90", "100", "110", "120", "130", "140", "150"])
        // ±100 Pa limits with 4 % of room: −108 … 108 in steps of 50.
        let error = try #require(Self.svg(html, id: "dut1-error"))
        #expect(Self.ticks(error, "y") == ["−150", "−100", "−50", "0", "50", "100", "150"])

        let log = PlotAxis.logLayout(0.013, 47)
        #expect(log.domain == 0.01...100)
        #expect(log.ticks.compactMap(\.label) == ["0.01", "0.1", "1", "10", "100"])
        #expect(log.ticks.count == 5 + 4 * 8)   // 2…9 between the decades
        let wide = PlotAxis.logLayout(1e-6, 1e6)
        // 12 decades: every second one labelled, no 2…9 ticks.
        #expect(wide.ticks.compactMap(\.label) == ["10⁻⁶", "10⁻⁴", "0.01", "1", "100", "10⁴", "10⁶"])
        #expect(wide.ticks.count == 13)
        let linear = PlotAxis.linearLayout(-0.3, 7.9)
        #expect(linear.ticks.compactMap(\.label) == ["−2", "0", "2", "4", "6", "8"])
        #expect(PlotAxis.linearLayout(5, 5).domain.contains(5))
        #expect(PlotAxis.niceStep(0.0173) == 0.02 && PlotAxis.niceStep(3.2) == 5 && PlotAxis.niceStep(60) == 100)
    }

    /// Points that cannot be drawn are skipped, a line breaks at them, and a plot with none is replaced by a sentence.
    @Test func undrawableDataIsSkippedNeverDrawn() async throws {
        var plot = SVGPlot(id: "t", kind: "test", title: "t", x: PlotAxis("x", unit: "s", scale: .log10),
                           y: PlotAxis("y", unit: "Pa", scale: .log10))
        plot.series = [SVGPlot.Series(name: "bad", color: "#000000", points: [
            .init(x: .nan, y: 1), .init(x: 1, y: .infinity), .init(x: -1, y: 1), .init(x: 1, y: 0),
        ])]
        #expect(plot.isEmpty && plot.svg().isEmpty)
        let figure = PlotFigure(plot: plot, caption: "c", omitted: "No plot <here>.")
        #expect(figure.html == "<p class=\"no-plot\">No plot &lt;here&gt;.</p>")

        plot.series = [SVGPlot.Series(name: "gap", color: "#000000", points: [
            .init(x: 1, y: 1, low: -1, high: .nan), .init(x: 2, y: 2), .init(x: 3, y: .nan), .init(x: 4, y: 3), .init(x: 5, y: 4),
        ])]
        let svg = plot.svg()
        #expect(Self.seriesPoints(svg) == [4])
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        #expect(!svg.contains("nan") && !svg.contains("inf"))

        // A whole report with non-finite data still renders, and says what it left out.
        var report = try await ReportHTMLFixture.shared().report
        let curve = report.duts[0].noise?.allanDeviation ?? []
        report.duts[0].noise?.allanDeviation = curve.map { point in
            var point = point
            point.deviation = .nan
            return point
        }
        report.duts[0].accuracy?.points = []
        report.duts[4].acoustic?.overload?.points = []
        report.duts[4].acoustic?.distortion = []
        let html = ReportHTML.render(report)
        #expect(html.contains("No Allan deviation plot: the noise record has no finite, positive deviation."))
        #expect(html.contains("No error plot: no accuracy point has a finite error."))
        #expect(Self.svg(html, id: "dut1-allan") == nil && Self.svg(html, id: "dut5-thd") == nil)
        #expect(!html.contains("NaN") && !html.contains(">nan<"))
    }

    // MARK: Magnetic spectrum

    /// The PSD kept in the report: log-spaced, at most 200 points, ASD = √(mean PSD); its level in the band is the
    /// white floor.
    @Test func magneticSpectrumIsADecimatedASD() async throws {
        let noise = try #require(try await ReportHTMLFixture.shared().report.duts[5].magnetic?.noise)
        for axis in noise.axes {
            let spectrum = try #require(axis.spectrum)
            #expect(spectrum.count > 100 && spectrum.count <= 200, "\(axis.axis): \(spectrum.count)")
            let frequencies = spectrum.map { $0[0] }
            #expect(zip(frequencies, frequencies.dropFirst()).allSatisfy { $0 < $1 })
            #expect(abs(frequencies[0] - noise.binWidth) < 1e-12)   // the first bin on its own
            let top = try #require(frequencies.last)
            #expect(top <= noise.outputDataRate / 2)
            // Mean power over the band's points (each weighted by the bins it holds ≈ its width) is the floor².
            let band = spectrum.filter { $0[0] >= noise.band[0] && $0[0] <= noise.band[1] }
            let median = band.map { $0[1] }.sorted()[band.count / 2]
            #expect(abs(median / axis.noiseFloorPTPerRootHz - 1) < 0.15, "\(axis.axis): median \(median), floor \(axis.noiseFloorPTPerRootHz)")
        }

        // White PSD of 4 pT²/Hz: every point has ASD 2 pT/√Hz; 1000 bins go into ≤ 200 points, 49 bins stay as they are.
        let flat = MagneticNoise.decimatedSpectrum(psd: [Double](repeating: 4, count: 1001), binWidth: 0.05)
        // Below bin 29 a log bin (3.5 % wide) holds at most one PSD bin; above, several: 131 points.
        #expect(flat.count <= 200 && flat.count > 100 && flat.allSatisfy { $0[1] == 2 }, "\(flat.count)")
        let last = try #require(flat.last)
        #expect(abs(flat[0][0] - 0.05) < 1e-12 && abs(last[0] - 50) < 3)
        let kept = MagneticNoise.decimatedSpectrum(psd: [Double](repeating: 1, count: 50), binWidth: 1).map { $0[0] }
        #expect(kept.count == 49 && zip(kept, 1...49).allSatisfy { abs($0 - Double($1)) < 1e-9 })
        #expect(MagneticNoise.decimatedSpectrum(psd: [1], binWidth: 1).isEmpty)
        let skipped = MagneticNoise.decimatedSpectrum(psd: [1, .nan, 4], binWidth: 1)
        #expect(skipped.count == 1 && abs(skipped[0][0] - 2) < 1e-12 && skipped[0][1] == 2)
    }

    /// A report written before the spectrum was kept decodes, and its page says why the PSD plot is missing.
    @Test func olderReportsWithoutSpectrumStillRender() async throws {
        let report = try await ReportHTMLFixture.shared().report
        let data = try report.jsonData()
        var text = try #require(String(data: data, encoding: .utf8))
        // Drop every "spectrum" key (arrays of pairs) from the JSON.
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        var duts = try #require(object["duts"] as? [[String: Any]])
        var magnetic = try #require(duts[5]["magnetic"] as? [String: Any])
        var noise = try #require(magnetic["noise"] as? [String: Any])
        noise["axes"] = try #require(noise["axes"] as? [[String: Any]]).map { axis in axis.filter { $0.key != "spectrum" } }
        magnetic["noise"] = noise
        duts[5]["magnetic"] = magnetic
        object["duts"] = duts
        text = try #require(String(data: try JSONSerialization.data(withJSONObject: object), encoding: .utf8))
        #expect(!text.contains("\"spectrum\""))
        let old = try QualificationReport.decoder().decode(QualificationReport.self, from: Data(text.utf8))
        #expect(old.duts[5].magnetic?.noise?.axes.allSatisfy { $0.spectrum == nil } == true)
        let html = ReportHTML.render(old)
        #expect(html.contains("this report was written without the spectrum"))
        #expect(Self.svg(html, id: "dut6-allan") != nil && Self.svg(html, id: "dut6-psd") == nil)
    }

    // MARK: Writer

    /// `writeAll` puts report.json and report.html side by side, atomically; `write` still returns the JSON's path.
    /// The HTML of this six-DUT report, 11 plots, is about 114 kB (114 060 bytes measured).
    @Test func writerPutsBothFilesInTheRunFolder() async throws {
        let report = try await ReportHTMLFixture.shared().report
        let folder = try ReportHTMLFixture.folder("report-html")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let paths = try ReportWriter.writeAll(report, runDirectory: folder + "/run")
        #expect(paths.json == folder + "/run/report.json" && paths.html == folder + "/run/report.html")
        let html = try String(contentsOfFile: paths.html, encoding: .utf8)
        #expect(html == ReportHTML.render(report))
        #expect(try QualificationReport.read(from: paths.json) == report)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/run").sorted() == ["report.html", "report.json"])
        #expect(try ReportWriter.write(report, runDirectory: folder + "/again") == folder + "/again/report.json")
        #expect(FileManager.default.fileExists(atPath: folder + "/again/report.html"))
        let size = html.utf8.count
        #expect(size > 50_000 && size < 300_000, "\(size) bytes")
    }

    // MARK: Reading the page

    /// The text between `start` (included) and the next `end` (included).
    static func element(_ html: String, from start: String, to end: String) -> String? {
        guard let lower = html.range(of: start), let upper = html.range(of: end, range: lower.upperBound..<html.endIndex)
        else { return nil }
        return String(html[lower.lowerBound..<upper.upperBound])
    }

    /// The `<svg>` with this id.
    static func svg(_ html: String, id: String) -> String? {
        guard let start = html.range(of: "id=\"\(id)\" viewBox") else { return nil }
        guard let open = html.range(of: "<svg", options: .backwards, range: html.startIndex..<start.lowerBound),
              let close = html.range(of: "</svg>", range: start.upperBound..<html.endIndex) else { return nil }
        return String(html[open.lowerBound..<close.upperBound])
    }

    /// `data-points` of each series, in order.
    static func seriesPoints(_ svg: String) -> [Int] {
        svg.components(separatedBy: "class=\"series\"").dropFirst().compactMap { part in
            guard let range = part.range(of: "data-points=\"") else { return nil }
            return Int(part[range.upperBound...].prefix { $0.isNumber })
        }
    }

    /// Tick labels of the x or y axis, in order.
    static func ticks(_ svg: String, _ axis: String) -> [String] {
        svg.components(separatedBy: "<text class=\"\(axis)-tick\"").dropFirst().compactMap { part in
            guard let start = part.firstIndex(of: ">"), let end = part.range(of: "</text>") else { return nil }
            return String(part[part.index(after: start)..<end.lowerBound])
        }
    }

    /// Plot coordinates to a tenth, against the `String(format: "%.1f")` they used to be written with: whole
    /// numbers, halves either side of zero, values that round across a whole number, and seeded values over six
    /// decades.
    @Test func plotCoordinatesAreFormatsTenths() {
        func reference(_ value: Double) -> String {
            guard value.isFinite else { return "0" }
            let rounded = (value * 10).rounded() / 10
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
        }
        var values: [Double] = [0, -0.0, 0.04, -0.04, 0.05, -0.05, 0.15, -0.25, 0.95, -0.95, 9.96, -9.96, 1e6 + 0.35,
                                123.45, -123.45, .nan, .infinity, 2e15 + 0.5]
        var state: UInt64 = 0xC00D
        for _ in 0..<50_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let unit = Double(state >> 11) / Double(1 << 53) - 0.5
            values.append(unit * Double(1 << Int(state & 0x1F)))
        }
        for value in values {
            #expect(SVGPlot.coordinate(value) == reference(value), "\(value)")
        }
    }
}
