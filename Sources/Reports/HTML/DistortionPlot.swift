import Foundation
import Qualification
import SensorMetrics

/// THD against SPL (acoustic.md §1.4, §1.5): the overload sweep and the distortion levels, THD on a log axis so that
/// 0.1 % and 20 % read alike, the 10 % line that defines the acoustic overload point, and the AOP marked with its value.
enum DistortionPlot {
    static func microphone(_ measurements: MicrophoneMeasurements, id: String) -> PlotFigure {
        var plot = SVGPlot(id: id, kind: "thd-spl", title: "THD against SPL",
                           x: PlotAxis("SPL at the microphone", unit: "dB SPL"), y: PlotAxis("THD", unit: "%", scale: .log10))
        if let overload = measurements.overload {
            plot.series.append(SVGPlot.Series(name: "overload sweep", color: PlotColor.distortion,
                                              points: overload.points.map { SVGPlot.Point(x: $0.spl, y: $0.thdPercent) }))
        }
        if !measurements.distortion.isEmpty {
            plot.series.append(SVGPlot.Series(name: "distortion levels", color: PlotColor.up,
                                              points: measurements.distortion.map { SVGPlot.Point(x: $0.spl, y: $0.thdPercent) },
                                              line: false, marker: .square))
        }
        plot.limitLines = [.init(y: 10, label: "10 % THD", color: PlotColor.limit)]
        var aopText = ""
        if let overload = measurements.overload {
            switch overload.status {
            case .interpolated:
                if let aop = overload.aopDBSPL, aop.isFinite {
                    plot.markers = [.init(x: aop, y: 10, label: "AOP " + DisplayNumber.fixed(aop, 1) + " dB SPL", color: PlotColor.limit)]
                    aopText = " AOP (10 % crossing, " + overload.method + "): " + DisplayNumber.fixed(aop, 1) + " dB SPL"
                        + (overload.linearAOPDBSPL.map { ", " + DisplayNumber.fixed($0, 1) + " dB SPL with THD interpolated linearly" } ?? "")
                        + "."
                }
            case .atOrBelowLowestTested:
                plot.markers = [.init(x: overload.lowestSPL, y: nil, label: "AOP ≤ " + DisplayNumber.fixed(overload.lowestSPL, 1) + " dB SPL",
                                      color: PlotColor.limit)]
                aopText = " THD was already above 10 % at the lowest level: AOP ≤ " + DisplayNumber.fixed(overload.lowestSPL, 1) + " dB SPL."
            case .aboveHighestTested:
                plot.markers = [.init(x: overload.highestSPL, y: nil, label: "AOP > " + DisplayNumber.fixed(overload.highestSPL, 1) + " dB SPL",
                                      color: PlotColor.limit)]
                aopText = " THD never reached 10 %: AOP > " + DisplayNumber.fixed(overload.highestSPL, 1) + " dB SPL."
            }
            if overload.digitallyLimited { aopText += " Digitally limited: the 10 % point is within 2 dB of full scale (§1.5)." }
        }
        let caption = "THD (H2–H6, amplitude ratio, acoustic.md §1.4) of the 1 kHz tone against the SPL the reference "
            + "microphone measured; " + measurements.stream
            + (measurements.fullScaleSPL.map { ", full scale at " + DisplayNumber.fixed($0, 1) + " dB SPL" } ?? "") + "." + aopText
        return PlotFigure(plot: plot, caption: caption,
                          omitted: "No THD plot: no tone level has a finite, positive THD.")
    }
}
