/// One figure of one DUT as archived: the report's `QualifiedFigure` flattened to a row of the `result` table.
public struct ArchivedFigure: Codable, Sendable, Equatable {
    public var metric: String
    /// NaN when the figure could not be computed (SQLite stores it as NULL).
    public var value: Double
    public var expandedUncertainty: Double
    public var coverageFactor: Double
    public var unit: String
    /// The limit as the report writes it, `≤ 0.6 Pa`; nil for a figure that is reported, not judged.
    public var limit: String?
    public var rule: String?
    public var verdict: String?
    public var conditions: String

    enum CodingKeys: String, CodingKey {
        case metric, value, expandedUncertainty = "expanded_uncertainty", coverageFactor = "coverage_factor", unit, limit
        case rule, verdict, conditions
    }

    public init(metric: String, value: Double, expandedUncertainty: Double, coverageFactor: Double, unit: String,
                limit: String?, rule: String?, verdict: String?, conditions: String) {
        self.metric = metric
        self.value = value
        self.expandedUncertainty = expandedUncertainty
        self.coverageFactor = coverageFactor
        self.unit = unit
        self.limit = limit
        self.rule = rule
        self.verdict = verdict
        self.conditions = conditions
    }
}
