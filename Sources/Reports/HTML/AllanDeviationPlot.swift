import Foundation
import Qualification
import SensorMetrics
import SensorStats

/// The overlapping Allan deviation against τ on log-log axes, each point with its χ² confidence interval as an
/// error bar (statistics.md §2.4): where the noise is white (slope −½), where it turns to drift, and how far it
/// averages down.
enum AllanDeviationPlot {
    /// A pressure DUT's noise record; the rms-noise limit, when the spec has one, drawn where it applies (σ at τ₀).
    static func pressure(_ noise: PressureNoise.Result, conditions: PressureConditions?, rmsLimit: SpecLimit?,
                         id: String) -> PlotFigure {
        var plot = SVGPlot(id: id, kind: "allan-pressure", title: "Allan deviation of the pressure readings",
                           x: PlotAxis("averaging time τ", unit: "s", scale: .log10),
                           y: PlotAxis("Allan deviation σ_A", unit: "Pa", scale: .log10))
        plot.series = [SVGPlot.Series(name: "σ_A with χ² 68 % interval", color: PlotColor.pressureAllan,
                                      points: points(noise.allanDeviation))]
        if let limit = rmsLimit, limit.comparator == .atMost {
            plot.limitLines = [.init(y: limit.value, label: "rms-noise limit " + DisplayNumber.limit(limit) + " (σ_A at τ₀)",
                                     color: PlotColor.limit)]
        }
        let caption = "Overlapping Allan deviation of \(noise.sampleCount) readings at "
            + DisplayNumber.plain(noise.meanPressure, significant: 6) + " Pa"
            + (conditions.map { "; " + ConditionsText.pressure($0) } ?? "")
            + ". Bars: χ² 68 % (1σ) intervals, noise type read off the local slope (statistics.md §2.4). "
            + "The rms-noise figure is σ_A at τ₀ = 1/ODR."
        return PlotFigure(plot: plot, caption: caption,
                          omitted: "No Allan deviation plot: the noise record has no finite, positive deviation.")
    }

    /// A magnetometer's noise record with the coil off: the three axes in one plot.
    static func magnetic(_ noise: MagneticNoise.Result, conditions: MagneticConditions, id: String) -> PlotFigure {
        var plot = SVGPlot(id: id, kind: "allan-magnetic", title: "Allan deviation of the field readings, per axis",
                           x: PlotAxis("averaging time τ", unit: "s", scale: .log10),
                           y: PlotAxis("Allan deviation σ_A", unit: "pT", scale: .log10))
        plot.series = noise.axes.enumerated().map { index, axis in
            SVGPlot.Series(name: "axis \(axis.axis)", color: PlotColor.axes[index % PlotColor.axes.count],
                           points: points(axis.allanDeviationPT))
        }
        let caption = "Overlapping Allan deviation per axis, coil off, \(noise.sampleCount) readings over "
            + DisplayNumber.plain(noise.duration, significant: 4) + " s"
            + (noise.gapCount > 0 ? " with \(noise.gapCount) gaps (no difference spans one)" : "")
            + "; " + ConditionsText.magnetic(conditions)
            + ". Octave τ up to a tenth of the record. Bars: χ² " + DisplayNumber.plain(noise.confidence * 100, significant: 3)
            + " % intervals (statistics.md §2.4)."
        return PlotFigure(plot: plot, caption: caption,
                          omitted: "No Allan deviation plot: the noise record has no finite, positive deviation.")
    }

    static func points(_ curve: [OverlappingAllanDeviation.Point]) -> [SVGPlot.Point] {
        curve.map { SVGPlot.Point(x: $0.tau, y: $0.deviation, low: $0.ciLow, high: $0.ciHigh) }
    }
}
