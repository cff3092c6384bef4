/// A plot with its caption, or the sentence that says why there is no plot: the report never shows an empty frame.
struct PlotFigure: Sendable {
    var plot: SVGPlot
    /// The conditions the data holds under (ODR, band, stream …): a plot without them cannot be read.
    var caption: String
    /// Said instead of the plot when it has nothing to draw.
    var omitted: String

    var html: String {
        plot.isEmpty ? "<p class=\"no-plot\">" + HTML.escape(omitted) + "</p>" : plot.figure(caption: caption)
    }
}

/// Colours of the plots: one per kind of data, distinct from each other and from the verdict colours, so that a
/// printed page stays readable and a screenshot test can find each curve by its colour.
enum PlotColor {
    /// Pressure noise: the Allan deviation.
    static let pressureAllan = "#0969da"
    /// Magnetometer axes x, y, z, in the Allan and the spectral density plots alike.
    static let axes = ["#8250df", "#1b7c83", "#e16f24"]
    /// Accuracy points visited going up and coming down (pressure); gas levels use `up`.
    static let up = "#bc4c00"
    static let down = "#bf3989"
    /// THD against SPL.
    static let distortion = "#0a3069"
    /// Limits, the 10 % THD line and the overload marker.
    static let limit = "#82071e"
    /// The guard band next to a limit.
    static let guardBand = "#d4a72c"
    /// A datasheet's envelope.
    static let envelope = "#6e7781"
}
