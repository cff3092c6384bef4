import Foundation
import Qualification
import SensorMetrics

/// A magnetometer's amplitude spectral density per axis on log-log axes (sensors.md §8.5 item 2), with each axis'
/// white-noise floor and its χ² interval shaded over the plan's band: the band the floor and the resolution were
/// computed in, so a reader sees whether the floor is white there or a 1/f rise or a line sits in it.
enum SpectralDensityPlot {
    static func magnetic(_ noise: MagneticNoise.Result, conditions: MagneticConditions, id: String) -> PlotFigure {
        var plot = SVGPlot(id: id, kind: "psd-magnetic", title: "Amplitude spectral density of the field readings, per axis",
                           x: PlotAxis("frequency", unit: "Hz", scale: .log10),
                           y: PlotAxis("amplitude spectral density", unit: "pT/√Hz", scale: .log10))
        let band = noise.band.count == 2 && noise.band.allSatisfy(\.isFinite) && noise.band[0] <= noise.band[1]
            ? noise.band[0]...noise.band[1] : nil
        for (index, axis) in noise.axes.enumerated() {
            let color = PlotColor.axes[index % PlotColor.axes.count]
            let points = (axis.spectrum ?? []).compactMap { pair in pair.count == 2 ? SVGPlot.Point(x: pair[0], y: pair[1]) : nil }
            plot.series.append(SVGPlot.Series(name: "axis \(axis.axis)", color: color, points: points, marker: nil))
            let interval = axis.noiseFloorIntervalPTPerRootHz
            if let band, interval.count == 2, interval.allSatisfy(\.isFinite), interval[0] <= interval[1] {
                plot.bands.append(SVGPlot.Band(x: band, y: interval[0]...interval[1], color: color, opacity: 0.22,
                                               label: "floor \(axis.axis) " + DisplayNumber.plain(axis.noiseFloorPTPerRootHz, significant: 3)
                                                + " pT/√Hz", center: axis.noiseFloorPTPerRootHz))
            }
        }
        let bandText = band.map { DisplayNumber.plain($0.lowerBound) + "–" + DisplayNumber.plain($0.upperBound) + " Hz" } ?? "not stated"
        let caption = "Welch PSD as ASD, coil off: Hann window, " + DisplayNumber.plain(noise.segmentSeconds) + " s segments, 50 % overlap, "
            + "\(noise.welchSegments) segments, Δf = " + DisplayNumber.plain(noise.binWidth) + " Hz, decimated to ≤ "
            + "\(MagneticNoise.spectrumPoints) log-spaced points (mean power per point); "
            + ConditionsText.magnetic(conditions) + ". Shaded: each axis' white-noise floor (dashed) with its χ² "
            + DisplayNumber.plain(noise.confidence * 100, significant: 3) + " % interval over the band " + bandText + "."
        let reason = noise.axes.contains { $0.spectrum != nil }
            ? "No spectral density plot: the stored spectrum has no finite, positive value."
            : "No spectral density plot: this report was written without the spectrum (before report.html kept it)."
        return PlotFigure(plot: plot, caption: caption, omitted: reason)
    }
}
