/// A current source's accuracy as its data sheet or calibration certificate states it: ±(fraction of reading +
/// offset). The bound is read as a rectangular distribution, so its standard uncertainty is the bound / √3
/// (GUM JCGM 100:2008 §4.3.7): a specification limit, not a measured spread.
public struct CurrentAccuracy: Sendable, Equatable, Codable {
    /// Part of the reading, e.g. 0.0005 for ±0.05 % of reading.
    public var fractionOfReading: Double
    /// Offset term, A, e.g. 0.0005 for ±0.5 mA.
    public var offsetAmperes: Double

    public init(fractionOfReading: Double, offsetAmperes: Double) {
        self.fractionOfReading = fractionOfReading
        self.offsetAmperes = offsetAmperes
    }

    /// The accuracy bound at a reading of `amperes`, A.
    public func bound(at amperes: Double) -> Double {
        fractionOfReading * abs(amperes) + offsetAmperes
    }

    /// The standard uncertainty of a reading of `amperes`, A: the bound / √3.
    public func standardUncertainty(at amperes: Double) -> Double {
        bound(at: amperes) / 3.0.squareRoot()
    }

    /// What makes it unusable, empty when fine.
    public var problems: [String] {
        var found: [String] = []
        if !(fractionOfReading >= 0 && fractionOfReading.isFinite) { found.append("the current accuracy's fraction of reading must be 0 or more") }
        if !(offsetAmperes >= 0 && offsetAmperes.isFinite) { found.append("the current accuracy's offset must be 0 A or more") }
        return found
    }
}
