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

    private enum CodingKeys: String, CodingKey {
        case value, standardUncertainty, coverageFactor, unit, expandedUncertainty
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        value = try c.decode(Double.self, forKey: .value)
        standardUncertainty = try c.decode(Double.self, forKey: .standardUncertainty)
        coverageFactor = try c.decode(Double.self, forKey: .coverageFactor)
        unit = try c.decode(String.self, forKey: .unit)
    }

    /// Writes U beside u and k, so a reader of the report need not compute it.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)
        try c.encode(standardUncertainty, forKey: .standardUncertainty)
        try c.encode(coverageFactor, forKey: .coverageFactor)
        try c.encode(unit, forKey: .unit)
        try c.encode(expandedUncertainty, forKey: .expandedUncertainty)
    }
}
