import Foundation
import Qualification
import SensorMetrics

/// Error against the reference at each point, with its expanded uncertainty as an error bar, the ±limit lines and
/// the guard band between L − U and L (statistics.md §6.4): a point whose bar stays inside L − U passes, one in the
/// band is conditional. Pressure separates the sweep going up from coming down (hysteresis); gas plots each
/// certified level, with the datasheet's envelope where the catalog gives one.
enum AccuracyErrorPlot {
    static func pressure(_ accuracy: PressureAccuracy.Result, figure: QualifiedFigure?, conditions: PressureConditions?,
                         id: String) -> PlotFigure {
        var plot = SVGPlot(id: id, kind: "error-pressure", title: "Pressure error against the reference",
                           x: PlotAxis("reference pressure", unit: "Pa"), y: PlotAxis("error DUT − reference", unit: "Pa"))
        for (direction, color, shape) in [(PressureAccuracy.Direction.up, PlotColor.up, SVGPlot.Shape.circle),
                                          (.down, PlotColor.down, .square)] {
            let points = accuracy.points.filter { $0.direction == direction }.map {
                SVGPlot.Point(x: $0.reference, y: $0.error.value, low: $0.error.value - $0.error.expandedUncertainty,
                              high: $0.error.value + $0.error.expandedUncertainty)
            }
            if !points.isEmpty {
                plot.series.append(SVGPlot.Series(name: direction == .up ? "going up" : "coming down", color: color,
                                                  points: points, marker: shape))
            }
        }
        let guardText = addLimit(to: &plot, figure: figure, fallbackU: accuracy.points.map(\.error.expandedUncertainty).max())
        let caption = "DUT − reference at each setpoint (mean over the dwell), bars ±U (k = 2) of each point; "
            + "\(accuracy.points.count) points, worst |e| at " + DisplayNumber.plain(accuracy.worstSetpoint, significant: 6) + " Pa"
            + (accuracy.hysteresis.map { ", hysteresis " + DisplayNumber.plain($0, significant: 3) + " Pa" } ?? "")
            + (conditions.map { "; " + ConditionsText.pressure($0) } ?? "") + "." + guardText
        return PlotFigure(plot: plot, caption: caption, omitted: "No error plot: no accuracy point has a finite error.")
    }

    static func gas(_ measurements: GasMeasurements, accuracy: GasAccuracy, figure: QualifiedFigure?, id: String) -> PlotFigure {
        let unit = accuracy.worstError.unit
        var plot = SVGPlot(id: id, kind: "error-gas", title: "Gas error against the certified levels",
                           x: PlotAxis("certified \(measurements.gas)", unit: "ppm"), y: PlotAxis("error DUT − certified", unit: unit))
        plot.series.append(SVGPlot.Series(name: "levels", color: PlotColor.up, points: accuracy.points.map {
            SVGPlot.Point(x: $0.certified, y: $0.error.value, low: $0.error.value - $0.error.expandedUncertainty,
                          high: $0.error.value + $0.error.expandedUncertainty)
        }, line: false))
        let enveloped = accuracy.points.filter { $0.envelope != nil }.sorted { $0.certified < $1.certified }
        if !enveloped.isEmpty {
            for sign in [1.0, -1.0] {
                plot.series.append(SVGPlot.Series(name: sign > 0 ? "+ datasheet envelope" : "− datasheet envelope", color: PlotColor.envelope,
                                                  points: enveloped.map { SVGPlot.Point(x: $0.certified, y: sign * ($0.envelope ?? .nan)) },
                                                  marker: nil, dashed: true))
            }
        }
        let guardText = addLimit(to: &plot, figure: figure, fallbackU: accuracy.points.map(\.error.expandedUncertainty).max())
        let caption = "DUT − certified concentration at each level (plateau mean), bars ±U (k = 2); "
            + ConditionsText.gas(measurements.conditions) + "." + guardText
        return PlotFigure(plot: plot, caption: caption, omitted: "No error plot: no certified level has a finite error.")
    }

    /// The ±L lines of a `+-` limit and the guard bands L − U … L on both sides, with U of the judged figure (the
    /// worst point's); returns the caption's sentence about them.
    static func addLimit(to plot: inout SVGPlot, figure: QualifiedFigure?, fallbackU: Double?) -> String {
        guard let figure, let limit = figure.limit, limit.comparator == .withinPlusMinus, limit.value.isFinite, limit.value > 0
        else { return "" }
        let value = limit.value
        plot.limitLines = [.init(y: value, label: "+" + DisplayNumber.plain(value) + " " + limit.unit, color: PlotColor.limit),
                           .init(y: -value, label: "−" + DisplayNumber.plain(value) + " " + limit.unit, color: PlotColor.limit)]
        let u = figure.value.expandedUncertainty.isFinite ? figure.value.expandedUncertainty : (fallbackU ?? 0)
        guard u > 0 else { return " Limit ±" + DisplayNumber.plain(value) + " " + limit.unit + " (\(figure.metric))." }
        let inner = Swift.max(0, value - u)
        plot.bands = [SVGPlot.Band(x: nil, y: inner...value, color: PlotColor.guardBand, opacity: 0.25,
                                   label: "guard band L − U … L"),
                      SVGPlot.Band(x: nil, y: (-value)...(-inner), color: PlotColor.guardBand, opacity: 0.25)]
        return " Limit ±" + DisplayNumber.plain(value) + " " + limit.unit + " (\(figure.metric), "
            + (figure.rule?.rawValue ?? "no rule") + "); shaded: the guard band from L − U to L, U = "
            + DisplayNumber.plain(u, significant: 2) + " " + limit.unit + " of the judged figure."
    }
}
