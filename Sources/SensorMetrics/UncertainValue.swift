/// A measured value with its unit and its expanded uncertainty U = k·u (GUM, JCGM 100:2008).
public struct UncertainValue: Sendable, Equatable, Codable {
    public var value: Double
    /// Standard uncertainty u, same unit as `value`.
    public var standardUncertainty: Double
    /// Coverage factor k (2 unless stated).
    public var coverageFactor: Double
    public var unit: String

    public init(_ value: Double, standardUncertainty: Double, coverageFactor: Double = 2, unit: String) {
        self.value = value
        self.standardUncertainty = standardUncertainty
        self.coverageFactor = coverageFactor
        self.unit = unit
    }

    /// Expanded uncertainty U = k·u.
    public var expandedUncertainty: Double { coverageFactor * standardUncertainty }
}
