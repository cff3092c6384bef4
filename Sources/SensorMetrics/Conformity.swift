/// The outcome of checking one figure against one limit.
public enum Verdict: String, Sendable, Codable, CaseIterable, Comparable {
    case pass
    /// Inside the limit, but within the guard band: conformance not proven (statistics.md §6.4).
    case conditionalPass = "conditional-pass"
    /// Outside the limit, but within the guard band: non-conformance not proven.
    case conditionalFail = "conditional-fail"
    case fail

    /// Severity order, used to combine verdicts: the worst one wins.
    private var severity: Int {
        switch self {
        case .pass: 0
        case .conditionalPass: 1
        case .conditionalFail: 2
        case .fail: 3
        }
    }

    public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.severity < rhs.severity }

    /// The verdict of a set of checks: the worst of them; nil when there are none.
    public static func combined<S: Sequence>(_ verdicts: S) -> Verdict? where S.Element == Verdict {
        verdicts.max()
    }
}

/// How a measured value and its uncertainty are compared with a limit (ILAC-G8:09/2019, ISO 14253-1:2017;
/// statistics.md §6.4).
public enum DecisionRule: String, Sendable, Codable, CaseIterable {
    /// Non-binary with guard band w = U: pass only where |margin| ≥ U; results inside the guard band are
    /// conditional. The default: conformance must be proven.
    case guardedAcceptance = "guarded-acceptance"
    /// Binary with guard band w = U: pass iff |margin| ≥ U, fail otherwise (ISO 14253-1's supplier rule).
    case guardedBinary = "guarded-binary"
    /// w = 0: pass iff the value is inside the limit; up to 50 % false accept at the limit.
    case simpleAcceptance = "simple-acceptance"
}

/// Which side of a limit is good.
public enum Comparator: String, Sendable, Codable, CaseIterable {
    /// value ≤ limit (noise, resolution).
    case atMost = "<="
    /// value ≥ limit (SNR, AOP).
    case atLeast = ">="
    /// |value| ≤ limit (accuracy: error within ±limit).
    case withinPlusMinus = "+-"
}

/// A spec limit on one figure.
public struct SpecLimit: Sendable, Equatable, Codable {
    public var comparator: Comparator
    public var value: Double
    public var unit: String

    public init(_ comparator: Comparator, _ value: Double, unit: String) {
        self.comparator = comparator
        self.value = value
        self.unit = unit
    }

    /// Signed distance inside the limit: positive when the measured value conforms.
    public func margin(of measured: Double) -> Double {
        switch comparator {
        case .atMost: value - measured
        case .atLeast: measured - value
        case .withinPlusMinus: value - abs(measured)
        }
    }

    /// Decides conformity of `measured` with expanded uncertainty `expandedUncertainty` (same unit).
    public func verdict(for measured: Double, expandedUncertainty: Double, rule: DecisionRule) -> Verdict {
        let margin = margin(of: measured)
        switch rule {
        case .simpleAcceptance:
            return margin >= 0 ? .pass : .fail
        case .guardedBinary:
            return margin >= abs(expandedUncertainty) ? .pass : .fail
        case .guardedAcceptance:
            let w = abs(expandedUncertainty)
            if margin >= w { return .pass }
            if margin >= 0 { return .conditionalPass }
            if margin >= -w { return .conditionalFail }
            return .fail
        }
    }

    public var description: String {
        switch comparator {
        case .atMost: "≤ \(value) \(unit)"
        case .atLeast: "≥ \(value) \(unit)"
        case .withinPlusMinus: "within ±\(value) \(unit)"
        }
    }
}
