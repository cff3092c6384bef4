import Foundation
import SensorMetrics

/// Numbers as a reader of a printed report wants them: a value with its expanded uncertainty rounded to the
/// uncertainty's two significant digits (GUM, JCGM 100:2008 §7.2.6), plain numbers to a few significant digits, and
/// never `nan` or `inf` in place of a sentence.
enum DisplayNumber {
    /// "93.3 ± 8.0 Pa"; "(1.52 ± 0.03) × 10⁴ pT" when plain decimals would be unreadable.
    static func measured(_ value: UncertainValue) -> String {
        measured(value.value, expanded: value.expandedUncertainty, unit: value.unit)
    }

    static func measured(_ value: Double, expanded: Double, unit: String) -> String {
        let suffix = unit.isEmpty || unit == "1" ? "" : " " + unit
        guard value.isFinite else { return "not finite" + suffix }
        guard expanded.isFinite, expanded > 0 else { return plain(value) + suffix }
        // The uncertainty's second significant digit sets the last digit shown.
        let last = Int(floor(log10(expanded))) - 1
        let magnitude = Int(floor(log10(Swift.max(abs(value), expanded))))
        if last < -6 || magnitude >= 6 {
            let scale = pow(10, Double(magnitude))
            let decimals = Swift.max(0, magnitude - last)
            return "(" + fixed(value / scale, decimals) + " ± " + fixed(expanded / scale, decimals) + ") × "
                + power(magnitude) + suffix
        }
        let decimals = Swift.max(0, -last)
        return fixed(value, decimals) + " ± " + fixed(expanded, decimals) + suffix
    }

    /// `significant` digits, without trailing zeros or exponent clutter: 0.3237, 101418, 1.5e+04 → 15000.
    static func plain(_ value: Double, significant: Int = 4) -> String {
        guard value.isFinite else { return value.isNaN ? "not a number" : value > 0 ? "∞" : "−∞" }
        if value == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(value))))
        if magnitude >= 9 || magnitude < -6 {
            let scale = pow(10, Double(magnitude))
            return trimmed(fixed(value / scale, significant - 1)) + " × " + power(magnitude)
        }
        let decimals = Swift.max(0, significant - 1 - magnitude)
        return trimmed(fixed(value, decimals))
    }

    /// A limit as the spec states it: "≤ 0.6 Pa", "≥ 70 dB", "±100 Pa".
    static func limit(_ limit: SpecLimit) -> String {
        let unit = limit.unit.isEmpty || limit.unit == "1" ? "" : " " + limit.unit
        switch limit.comparator {
        case .atMost: return "≤ " + plain(limit.value) + unit
        case .atLeast: return "≥ " + plain(limit.value) + unit
        case .withinPlusMinus: return "±" + plain(limit.value) + unit
        }
    }

    /// 10 with a superscript exponent: 10⁴, 10⁻³.
    static func power(_ exponent: Int) -> String {
        let superscripts: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        let digits = String(abs(exponent)).compactMap { $0.wholeNumberValue.map { superscripts[$0] } }
        return "10" + (exponent < 0 ? "⁻" : "") + String(digits)
    }

    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let text = String(format: "%.\(Swift.min(decimals, 12))f", value)
        // A minus sign, not a hyphen, and no "-0".
        if text.hasPrefix("-") {
            return text.dropFirst().allSatisfy { $0 == "0" || $0 == "." } ? String(text.dropFirst()) : "−" + text.dropFirst()
        }
        return text
    }

    private static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var text = text
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
