import Foundation

/// A small line/scatter plot drawn as inline SVG, so that `report.html` needs no script, no font and no image file:
/// linear or log10 axes with their ticks and units, series with error bars, horizontal limit lines, shaded bands,
/// vertical markers and a legend. Data that cannot be drawn (not finite, or not positive on a log axis) is skipped,
/// never drawn at a wrong place; a plot with nothing left is `isEmpty`, and the report says why instead.
struct SVGPlot: Sendable {
    enum Shape: Sendable { case circle, square }

    struct Point: Sendable {
        var x: Double
        var y: Double
        /// The ends of an error bar, when the point has one.
        var low: Double?
        var high: Double?

        init(x: Double, y: Double, low: Double? = nil, high: Double? = nil) {
            self.x = x
            self.y = y
            self.low = low
            self.high = high
        }
    }

    struct Series: Sendable {
        var name: String
        /// A CSS colour, "#0969da".
        var color: String
        var points: [Point]
        /// Join the points (broken wherever a point is skipped).
        var line = true
        var marker: Shape? = .circle
        var dashed = false
    }

    /// A horizontal line across the plot: a limit, a target.
    struct LimitLine: Sendable {
        var y: Double
        var label: String
        var color: String
    }

    /// A shaded rectangle: a guard band, a confidence interval over a frequency band. A nil `x` spans the whole width.
    struct Band: Sendable {
        var x: ClosedRange<Double>?
        var y: ClosedRange<Double>
        var color: String
        var opacity = 0.18
        /// Shown in the legend when given.
        var label: String?
        /// A line across the band at this value (the estimate inside its interval).
        var center: Double?
    }

    /// A vertical line at `x` with a label, and a dot at `y` when given: the overload point on its THD curve.
    struct Marker: Sendable {
        var x: Double
        var y: Double?
        var label: String
        var color: String
    }

    /// Names the plot in the SVG (`data-plot`) and makes its clip path's id unique in the page.
    var id: String
    var kind: String
    var title: String
    var x: PlotAxis
    var y: PlotAxis
    var series: [Series] = []
    var limitLines: [LimitLine] = []
    var bands: [Band] = []
    var markers: [Marker] = []

    init(id: String, kind: String, title: String, x: PlotAxis, y: PlotAxis) {
        self.id = id
        self.kind = kind
        self.title = title
        self.x = x
        self.y = y
    }

    // MARK: Geometry

    static let width = 640.0
    static let plotHeight = 300.0
    static let left = 74.0, right = 28.0, bottom = 46.0
    static let legendRowHeight = 16.0

    /// The points of `series` that can be drawn on these axes.
    func drawable(_ series: Series) -> [Point] {
        series.points.filter { x.accepts($0.x) && y.accepts($0.y) }
    }

    /// Nothing to draw: no series has a drawable point.
    var isEmpty: Bool { series.allSatisfy { drawable($0).isEmpty } }

    /// Drawable points over all series.
    var pointCount: Int { series.reduce(0) { $0 + drawable($1).count } }

    private struct Frame {
        var xDomain: ClosedRange<Double>
        var yDomain: ClosedRange<Double>
        var xTicks: [PlotAxis.Tick]
        var yTicks: [PlotAxis.Tick]
        var top: Double
        var plotLeft: Double { SVGPlot.left }
        var plotRight: Double { SVGPlot.width - SVGPlot.right }
        var plotBottom: Double { top + SVGPlot.plotHeight - SVGPlot.bottom - 16 }
        var height: Double { top + SVGPlot.plotHeight - 16 }
    }

    private func frame(legendRows: Int) -> Frame? {
        var xs: [Double] = [], ys: [Double] = []
        for series in series {
            for point in drawable(series) {
                xs.append(point.x)
                ys.append(point.y)
                ys += [point.low, point.high].compactMap { $0 }.filter(y.accepts)
            }
        }
        guard !xs.isEmpty else { return nil }
        ys += limitLines.map(\.y).filter(y.accepts)
        for band in bands {
            ys += [band.y.lowerBound, band.y.upperBound].filter(y.accepts)
            xs += [band.x?.lowerBound, band.x?.upperBound].compactMap { $0 }.filter(x.accepts)
        }
        xs += markers.map(\.x).filter(x.accepts)
        ys += markers.compactMap(\.y).filter(y.accepts)
        guard let xLayout = x.layout(padded(xs, on: x)), let yLayout = y.layout(padded(ys, on: y)) else { return nil }
        return Frame(xDomain: xLayout.domain, yDomain: yLayout.domain, xTicks: xLayout.ticks, yTicks: yLayout.ticks,
                     top: 12 + Double(legendRows) * Self.legendRowHeight + 6)
    }

    /// A linear axis gets 4 % of the span beyond the data on each side, so that a limit line at the data's edge (or a
    /// point on it) is not drawn on the frame; a log axis ends at whole decades, which leave room already.
    private func padded(_ values: [Double], on axis: PlotAxis) -> [Double] {
        guard axis.scale == .linear, let low = values.min(), let high = values.max(), high > low else { return values }
        let margin = (high - low) * 0.04
        return values + [low - margin, high + margin]
    }

    // MARK: Drawing

    /// The figure: the SVG and its caption. `caption` states the conditions the plotted data holds under.
    func figure(caption: String) -> String {
        "<figure class=\"plot\">\n" + svg() + "\n<figcaption>" + HTML.escape(caption) + "</figcaption>\n</figure>"
    }

    /// The plot as an `<svg>` element; an empty string when `isEmpty`.
    func svg() -> String {
        let legend = legendEntries()
        let rows = legendLayout(legend)
        guard let frame = frame(legendRows: rows.count) else { return "" }
        var out = "<svg class=\"plot\" data-plot=\"\(HTML.escape(kind))\" id=\"\(HTML.escape(id))\" "
            + "viewBox=\"0 0 \(n(Self.width)) \(n(frame.height))\" width=\"\(n(Self.width))\" height=\"\(n(frame.height))\" "
            + "role=\"img\" aria-label=\"\(HTML.escape(title))\">\n"
        out += "<title>\(HTML.escape(title))</title>\n"
        out += "<defs><clipPath id=\"\(HTML.escape(id))-area\"><rect x=\"\(n(frame.plotLeft))\" y=\"\(n(frame.top))\" "
            + "width=\"\(n(frame.plotRight - frame.plotLeft))\" height=\"\(n(frame.plotBottom - frame.top))\"/></clipPath></defs>\n"
        out += grid(frame)
        out += "<g clip-path=\"url(#\(HTML.escape(id))-area)\">\n"
        for band in bands { out += draw(band, frame) }
        for line in limitLines { out += draw(line, frame) }
        for series in series { out += draw(series, frame) }
        for marker in markers { out += draw(marker, frame) }
        out += "</g>\n"
        out += axes(frame)
        out += drawLegend(rows)
        out += "</svg>"
        return out
    }

    private func px(_ value: Double, _ frame: Frame) -> Double {
        frame.plotLeft + x.fraction(value, domain: frame.xDomain) * (frame.plotRight - frame.plotLeft)
    }

    private func py(_ value: Double, _ frame: Frame) -> Double {
        frame.plotBottom - y.fraction(value, domain: frame.yDomain) * (frame.plotBottom - frame.top)
    }

    /// A y value for the screen, with values a log axis cannot show (an interval reaching zero) put at the bottom.
    private func pyClamped(_ value: Double, _ frame: Frame) -> Double {
        y.accepts(value) ? py(value, frame) : frame.plotBottom
    }

    private func grid(_ frame: Frame) -> String {
        var out = "<g class=\"grid\" stroke=\"#d0d7de\" stroke-width=\"0.6\">\n"
        for tick in frame.xTicks where tick.label != nil {
            let p = px(tick.value, frame)
            out += "<line x1=\"\(n(p))\" y1=\"\(n(frame.top))\" x2=\"\(n(p))\" y2=\"\(n(frame.plotBottom))\"/>\n"
        }
        for tick in frame.yTicks where tick.label != nil {
            let p = py(tick.value, frame)
            out += "<line x1=\"\(n(frame.plotLeft))\" y1=\"\(n(p))\" x2=\"\(n(frame.plotRight))\" y2=\"\(n(p))\"/>\n"
        }
        return out + "</g>\n"
    }

    private func axes(_ frame: Frame) -> String {
        var out = "<g class=\"axes\" stroke=\"#57606a\" stroke-width=\"1\" fill=\"none\">\n"
        out += "<rect x=\"\(n(frame.plotLeft))\" y=\"\(n(frame.top))\" width=\"\(n(frame.plotRight - frame.plotLeft))\" "
            + "height=\"\(n(frame.plotBottom - frame.top))\"/>\n"
        for tick in frame.xTicks {
            let p = px(tick.value, frame), length = tick.label == nil ? 3.0 : 5.0
            out += "<line x1=\"\(n(p))\" y1=\"\(n(frame.plotBottom))\" x2=\"\(n(p))\" y2=\"\(n(frame.plotBottom + length))\"/>\n"
        }
        for tick in frame.yTicks {
            let p = py(tick.value, frame), length = tick.label == nil ? 3.0 : 5.0
            out += "<line x1=\"\(n(frame.plotLeft - length))\" y1=\"\(n(p))\" x2=\"\(n(frame.plotLeft))\" y2=\"\(n(p))\"/>\n"
        }
        out += "</g>\n<g class=\"tick-labels\" font-size=\"11\" fill=\"#24292f\">\n"
        for tick in frame.xTicks {
            guard let label = tick.label else { continue }
            out += "<text class=\"x-tick\" x=\"\(n(px(tick.value, frame)))\" y=\"\(n(frame.plotBottom + 17))\" "
                + "text-anchor=\"middle\">\(HTML.escape(label))</text>\n"
        }
        for tick in frame.yTicks {
            guard let label = tick.label else { continue }
            out += "<text class=\"y-tick\" x=\"\(n(frame.plotLeft - 8))\" y=\"\(n(py(tick.value, frame) + 4))\" "
                + "text-anchor=\"end\">\(HTML.escape(label))</text>\n"
        }
        out += "</g>\n"
        let middleX = (frame.plotLeft + frame.plotRight) / 2, middleY = (frame.top + frame.plotBottom) / 2
        out += "<text class=\"x-title\" x=\"\(n(middleX))\" y=\"\(n(frame.plotBottom + 36))\" font-size=\"12\" "
            + "text-anchor=\"middle\" fill=\"#24292f\">\(HTML.escape(x.title))</text>\n"
        out += "<text class=\"y-title\" x=\"14\" y=\"\(n(middleY))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#24292f\" "
            + "transform=\"rotate(-90 14 \(n(middleY)))\">\(HTML.escape(y.title))</text>\n"
        return out
    }

    private func draw(_ band: Band, _ frame: Frame) -> String {
        guard y.accepts(band.y.lowerBound) || y.accepts(band.y.upperBound) else { return "" }
        let x0 = band.x.map { x.accepts($0.lowerBound) ? px($0.lowerBound, frame) : frame.plotLeft } ?? frame.plotLeft
        let x1 = band.x.map { x.accepts($0.upperBound) ? px($0.upperBound, frame) : frame.plotRight } ?? frame.plotRight
        let y0 = pyClamped(band.y.upperBound, frame), y1 = pyClamped(band.y.lowerBound, frame)
        var out = "<rect class=\"band\" x=\"\(n(Swift.min(x0, x1)))\" y=\"\(n(Swift.min(y0, y1)))\" "
            + "width=\"\(n(abs(x1 - x0)))\" height=\"\(n(Swift.max(abs(y1 - y0), 1)))\" fill=\"\(band.color)\" "
            + "fill-opacity=\"\(band.opacity)\"/>\n"
        if let center = band.center, y.accepts(center) {
            let p = py(center, frame)
            out += "<line class=\"band-center\" x1=\"\(n(x0))\" y1=\"\(n(p))\" x2=\"\(n(x1))\" y2=\"\(n(p))\" "
                + "stroke=\"\(band.color)\" stroke-width=\"1.2\" stroke-dasharray=\"2 2\"/>\n"
        }
        return out
    }

    private func draw(_ line: LimitLine, _ frame: Frame) -> String {
        guard y.accepts(line.y) else { return "" }
        let p = py(line.y, frame)
        // The label goes above the line, or below it when the line runs along the top of the frame.
        let labelY = p - frame.top < 14 ? p + 13 : p - 4
        return "<line class=\"limit\" x1=\"\(n(frame.plotLeft))\" y1=\"\(n(p))\" x2=\"\(n(frame.plotRight))\" y2=\"\(n(p))\" "
            + "stroke=\"\(line.color)\" stroke-width=\"1.4\" stroke-dasharray=\"6 3\"/>\n"
            + "<text class=\"limit-label\" x=\"\(n(frame.plotRight - 4))\" y=\"\(n(labelY))\" font-size=\"10.5\" "
            + "text-anchor=\"end\" fill=\"\(line.color)\">\(HTML.escape(line.label))</text>\n"
    }

    private func draw(_ series: Series, _ frame: Frame) -> String {
        let points = drawable(series)
        var out = "<g class=\"series\" data-series=\"\(HTML.escape(series.name))\" data-points=\"\(points.count)\">\n"
        if series.line {
            // One polyline per run of drawable points: a skipped point breaks the line rather than bridging it.
            var runs: [[Point]] = [[]]
            for point in series.points {
                if x.accepts(point.x) && y.accepts(point.y) { runs[runs.count - 1].append(point) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
            }
            for run in runs where run.count > 1 {
                let coordinates = run.map { "\(n(px($0.x, frame))),\(n(py($0.y, frame)))" }.joined(separator: " ")
                out += "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(series.color)\" stroke-width=\"1.6\""
                    + (series.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>\n"
            }
        }
        for point in points {
            let cx = px(point.x, frame), cy = py(point.y, frame)
            let low = point.low.flatMap { $0.isFinite ? $0 : nil }, high = point.high.flatMap { y.accepts($0) ? $0 : nil }
            if low != nil || high != nil {
                let top = high.map { py($0, frame) } ?? cy
                let foot = low.map { pyClamped($0, frame) } ?? cy
                out += "<path class=\"error-bar\" d=\"M\(n(cx)) \(n(top))V\(n(foot))M\(n(cx - 3)) \(n(top))h6M\(n(cx - 3)) \(n(foot))h6\" "
                    + "stroke=\"\(series.color)\" stroke-width=\"1\" fill=\"none\"/>\n"
            }
            switch series.marker {
            case .circle:
                out += "<circle cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"3\" fill=\"\(series.color)\"/>\n"
            case .square:
                out += "<rect x=\"\(n(cx - 3))\" y=\"\(n(cy - 3))\" width=\"6\" height=\"6\" fill=\"\(series.color)\"/>\n"
            case nil:
                break
            }
        }
        return out + "</g>\n"
    }

    private func draw(_ marker: Marker, _ frame: Frame) -> String {
        guard x.accepts(marker.x) else { return "" }
        let p = px(marker.x, frame)
        var out = "<g class=\"marker\">\n<line x1=\"\(n(p))\" y1=\"\(n(frame.top))\" x2=\"\(n(p))\" y2=\"\(n(frame.plotBottom))\" "
            + "stroke=\"\(marker.color)\" stroke-width=\"1.4\" stroke-dasharray=\"3 3\"/>\n"
        if let value = marker.y, y.accepts(value) {
            out += "<circle cx=\"\(n(p))\" cy=\"\(n(py(value, frame)))\" r=\"5\" fill=\"none\" stroke=\"\(marker.color)\" stroke-width=\"2\"/>\n"
        }
        // The label sits left of the line when the line is in the right half, so it stays inside the plot.
        let leftSide = p > (frame.plotLeft + frame.plotRight) / 2
        out += "<text x=\"\(n(leftSide ? p - 5 : p + 5))\" y=\"\(n(frame.top + 14))\" font-size=\"11\" "
            + "text-anchor=\"\(leftSide ? "end" : "start")\" fill=\"\(marker.color)\">\(HTML.escape(marker.label))</text>\n"
        return out + "</g>\n"
    }

    // MARK: Legend

    private enum Swatch { case series(Series), band(Band) }

    private func legendEntries() -> [(label: String, swatch: Swatch)] {
        series.filter { !drawable($0).isEmpty }.map { ($0.name, .series($0)) }
            + bands.compactMap { band in band.label.map { ($0, .band(band)) } }
    }

    /// Entries placed left to right, wrapping to a new row when the next would pass the right edge.
    private func legendLayout(_ entries: [(label: String, swatch: Swatch)]) -> [[(x: Double, label: String, swatch: Swatch)]] {
        var rows: [[(x: Double, label: String, swatch: Swatch)]] = []
        var cursor = Self.left
        for entry in entries {
            // About 6.2 px a character at 11 px, plus the swatch and a gap.
            let width = 30 + 6.2 * Double(entry.label.count)
            if rows.isEmpty || cursor + width > Self.width - Self.right {
                rows.append([])
                cursor = Self.left
            }
            rows[rows.count - 1].append((cursor, entry.label, entry.swatch))
            cursor += width + 8
        }
        return rows
    }

    private func drawLegend(_ rows: [[(x: Double, label: String, swatch: Swatch)]]) -> String {
        guard !rows.isEmpty else { return "" }
        var out = "<g class=\"legend\" font-size=\"11\" fill=\"#24292f\">\n"
        for (index, row) in rows.enumerated() {
            let baseline = 12 + Double(index) * Self.legendRowHeight + 4
            for entry in row {
                switch entry.swatch {
                case .series(let series):
                    if series.line {
                        out += "<line x1=\"\(n(entry.x))\" y1=\"\(n(baseline - 4))\" x2=\"\(n(entry.x + 20))\" y2=\"\(n(baseline - 4))\" "
                            + "stroke=\"\(series.color)\" stroke-width=\"1.6\"" + (series.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>\n"
                    }
                    switch series.marker {
                    case .circle: out += "<circle cx=\"\(n(entry.x + 10))\" cy=\"\(n(baseline - 4))\" r=\"3\" fill=\"\(series.color)\"/>\n"
                    case .square: out += "<rect x=\"\(n(entry.x + 7))\" y=\"\(n(baseline - 7))\" width=\"6\" height=\"6\" fill=\"\(series.color)\"/>\n"
                    case nil: break
                    }
                case .band(let band):
                    out += "<rect x=\"\(n(entry.x))\" y=\"\(n(baseline - 9))\" width=\"20\" height=\"10\" fill=\"\(band.color)\" "
                        + "fill-opacity=\"\(band.opacity)\"/>\n"
                }
                out += "<text x=\"\(n(entry.x + 26))\" y=\"\(n(baseline))\">\(HTML.escape(entry.label))</text>\n"
            }
        }
        return out + "</g>\n"
    }

    /// A coordinate to a tenth of a pixel: enough for print, and it keeps the file small.
    private func n(_ value: Double) -> String { Self.coordinate(value) }

    /// `value` to a tenth: "12" for a whole number, else the tenths as `String(format: "%.1f")` writes them ("-0.3"),
    /// from the integer count of tenths: Foundation's formatting was most of a report's HTML time.
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        guard rounded.magnitude < 1e15 else { return String(format: "%.1f", rounded) }
        // `rounded` is the double nearest k/10, within half an ulp of it: k comes back exactly, and %.1f prints k/10.
        let tenths = Int((rounded * 10).rounded()).magnitude
        return (rounded < 0 ? "-" : "") + String(tenths / 10) + "." + String(tenths % 10)
    }
}
