import SensorMetrics

/// A spec profile (`specs/<name>.yaml`): the limits a lot must meet and the rule that decides conformity.
public struct SpecProfile: Sendable, Equatable, Codable {
    public var name: String
    public var title: String
    public var source: String
    public var decisionRule: DecisionRule
    public var limits: [Limit]

    /// One limit on one figure of one sensor class. A limit without a comparator is "measured and reported".
    public struct Limit: Sendable, Equatable, Codable {
        public var sensorClass: String
        public var metric: String
        public var limit: SpecLimit?
        public var conditions: String?
        /// The rule this limit is decided by when it is not the profile's (`decision_rule:` on the limit).
        public var decisionRule: DecisionRule? = nil
    }

    public func limit(sensorClass: String, metric: String) -> Limit? {
        limits.first { $0.sensorClass == sensorClass && $0.metric == metric }
    }

    /// The rule a figure is decided by: its limit's own, else the profile's.
    public func decisionRule(sensorClass: String, metric: String) -> DecisionRule {
        limit(sensorClass: sensorClass, metric: metric)?.decisionRule ?? decisionRule
    }
}

extension SpecProfile {
    public static func load(path: String) throws(ConfigurationError) -> SpecProfile {
        try parse(YAMLFile(path: path))
    }

    public static func parse(text: String, name: String) throws(ConfigurationError) -> SpecProfile {
        try parse(YAMLFile(name: name, text: text))
    }

    /// The metrics each class knows, with the unit its figure is computed in.
    static let metrics: [String: [String: String]] = [
        "pressure": ["absolute-accuracy": "Pa", "rms-noise": "Pa"],
        "acoustic": ["snr": "dB", "aop": "dB SPL"],
        // Worst-axis figures: resolution is the RMS noise in the plan's band, rms-noise over the full bandwidth (what
        // datasheets quote), noise-density the white floor (sensors.md §8.5).
        "magnetic": ["resolution": "pT", "rms-noise": "nT", "noise-density": "pT/√Hz", "scale-factor-error": "%", "offset": "µT",
                     "cross-axis": "%", "non-orthogonality": "°"],
        // accuracy-envelope: the worst |error| over the datasheet's ±(a + b·reading), ≤ 1 inside (sensors.md §8.7).
        "gas": ["lod": "ppm", "accuracy": "ppm", "accuracy-envelope": "×", "t63": "s", "t90": "s", "repeatability": "ppm"],
    ]

    static func parse(_ file: YAMLFile) throws(ConfigurationError) -> SpecProfile {
        let document = try file.decode(SpecDocument.self)
        guard let rule = DecisionRule(rawValue: document.decision_rule) else {
            throw file.error(at: [PathKey("decision_rule")], "decision_rule must be one of "
                + DecisionRule.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(document.decision_rule)'")
        }
        var limits: [Limit] = []
        for (index, entry) in document.limits.enumerated() {
            let at = [PathKey("limits"), PathKey(index)]
            guard let known = metrics[entry.class] else {
                throw file.error(at: at + [PathKey("class")], "unknown sensor class '\(entry.class)'")
            }
            guard let unit = known[entry.metric] else {
                throw file.error(at: at + [PathKey("metric")], "class \(entry.class) has no metric '\(entry.metric)' (it has "
                    + known.keys.sorted().joined(separator: ", ") + ")")
            }
            // `limit(sensorClass:metric:)` judges by the first: a second limit on the same figure would be ignored.
            if let first = limits.firstIndex(where: { $0.sensorClass == entry.class && $0.metric == entry.metric }) {
                throw file.error(at: at + [PathKey("metric")], "\(entry.class) \(entry.metric) already has a limit (limits[\(first)])")
            }
            var limit: SpecLimit?
            if entry.comparator == nil, entry.value != nil || entry.unit != nil {
                throw file.error(at: at, "value and unit need a comparator (<=, >= or +-); a limit without one is measured and reported")
            }
            if let comparatorText = entry.comparator {
                guard let comparator = Comparator(rawValue: comparatorText) else {
                    throw file.error(at: at + [PathKey("comparator")], "comparator must be <=, >= or +-, not '\(comparatorText)'")
                }
                guard let value = entry.value, let given = entry.unit else {
                    throw file.error(at: at, "a limit with a comparator needs value and unit")
                }
                // Converted at load to the unit the figure is computed in (`LimitUnit`).
                guard let factor = LimitUnit.factor(from: given, to: unit) else {
                    throw file.error(at: at + [PathKey("unit")], "\(entry.metric) is computed in \(unit): unit must be one of "
                        + LimitUnit.accepted(for: unit).joined(separator: ", ") + ", not '\(given)'")
                }
                guard value.isFinite else { throw file.error(at: at + [PathKey("value")], "value must be a finite number, not \(value)") }
                // ± a half-width: zero or less accepts nothing.
                if comparator == .withinPlusMinus, !(value > 0) {
                    throw file.error(at: at + [PathKey("value")], "a +- limit is a half-width above 0, not \(value)")
                }
                let converted = value * factor
                limit = SpecLimit(comparator, converted, unit: unit)
            }
            var ownRule: DecisionRule?
            if let text = entry.decision_rule {
                guard let parsed = DecisionRule(rawValue: text) else {
                    throw file.error(at: at + [PathKey("decision_rule")], "decision_rule must be one of "
                        + DecisionRule.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(text)'")
                }
                guard limit != nil else {
                    throw file.error(at: at + [PathKey("decision_rule")], "a decision rule needs a limit to decide (comparator, value, unit)")
                }
                ownRule = parsed
            }
            limits.append(Limit(sensorClass: entry.class, metric: entry.metric, limit: limit, conditions: entry.conditions,
                                decisionRule: ownRule))
        }
        return SpecProfile(name: document.profile, title: document.title, source: document.source ?? "",
                           decisionRule: rule, limits: limits)
    }
}

struct SpecDocument: Decodable {
    var profile: String
    var title: String
    var source: String?
    var decision_rule: String
    var limits: [LimitDocument]

    struct LimitDocument: Decodable {
        var `class`: String
        var metric: String
        var comparator: String?
        var value: Double?
        var unit: String?
        var conditions: String?
        /// This limit's own rule, when it is not the profile's.
        var decision_rule: String?
    }
}
