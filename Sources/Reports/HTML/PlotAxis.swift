import Foundation

/// One axis of an `SVGPlot`: its label and unit, a linear or log10 scale, and the ticks a reader reads values off:
/// every decade on a log axis (with unlabelled 2…9 in between while there is room), 1-2-5 steps on a linear one.
struct PlotAxis: Sendable {
    enum Scale: Sendable { case linear, log10 }

    struct Tick: Sendable, Equatable {
        var value: Double
        /// nil for a minor tick (log axes: 2…9 × a decade).
        var label: String?
    }

    /// What is plotted, "τ", "error"; the unit goes after it in brackets.
    var label: String
    var unit: String
    var scale: Scale

    init(_ label: String, unit: String, scale: Scale = .linear) {
        self.label = label
        self.unit = unit
        self.scale = scale
    }

    /// "τ (s)"; the label alone for a quantity without a unit.
    var title: String { unit.isEmpty ? label : "\(label) (\(unit))" }

    /// Whether `value` can be placed on this axis: finite, and positive on a log axis.
    func accepts(_ value: Double) -> Bool { value.isFinite && (scale == .linear || value > 0) }

    /// The axis' value → the fraction 0…1 along it, for a value inside `domain` (log axes take the log).
    func fraction(_ value: Double, domain: ClosedRange<Double>) -> Double {
        switch scale {
        case .linear:
            return (value - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        case .log10:
            let low = log10(domain.lowerBound), high = log10(domain.upperBound)
            return (log10(value) - low) / (high - low)
        }
    }

    /// The domain shown for data spanning `values` (already filtered by `accepts`) and its ticks: whole decades on a
    /// log axis, whole steps on a linear one, so that both ends carry a labelled tick. nil without any value.
    func layout(_ values: [Double]) -> (domain: ClosedRange<Double>, ticks: [Tick])? {
        guard let minimum = values.min(), let maximum = values.max() else { return nil }
        switch scale {
        case .log10: return Self.logLayout(minimum, maximum)
        case .linear: return Self.linearLayout(minimum, maximum)
        }
    }

    static func logLayout(_ minimum: Double, _ maximum: Double) -> (domain: ClosedRange<Double>, ticks: [Tick]) {
        var low = Int(floor(log10(minimum)))
        var high = Int(ceil(log10(maximum)))
        if high <= low { high = low + 1 }
        // An extreme spread (a value of 1e-300 beside 1e3) would give thousands of ticks; keep the top 24 decades.
        if high - low > 24 { low = high - 24 }
        let decades = high - low
        let labelEvery = Swift.max(1, Int((Double(decades) / 8).rounded(.up)))
        var ticks: [Tick] = []
        for exponent in low...high {
            let decade = pow(10, Double(exponent))
            ticks.append(Tick(value: decade, label: (exponent - low) % labelEvery == 0 ? decadeLabel(exponent) : nil))
            if decades <= 6, exponent < high {
                ticks += (2...9).map { Tick(value: Double($0) * decade, label: nil) }
            }
        }
        return (pow(10, Double(low))...pow(10, Double(high)), ticks)
    }

    /// 0.01 … 1000 as plain numbers, beyond as powers of ten (10⁴, 10⁻³).
    static func decadeLabel(_ exponent: Int) -> String {
        switch exponent {
        case -2...(-1): return "0." + String(repeating: "0", count: -exponent - 1) + "1"
        case 0...3: return "1" + String(repeating: "0", count: exponent)
        default: return DisplayNumber.power(exponent)
        }
    }

    static func linearLayout(_ minimum: Double, _ maximum: Double) -> (domain: ClosedRange<Double>, ticks: [Tick]) {
        var low = minimum, high = maximum
        if high - low <= Swift.max(abs(high), abs(low)) * 1e-12 {
            // One value (or none apart): show it in the middle of a span of its own size.
            let half = low == 0 ? 1 : abs(low) * 0.1
            low -= half
            high += half
        }
        let step = niceStep((high - low) / 5)
        let first = floor(low / step + 1e-9), last = ceil(high / step - 1e-9)
        let decimals = Swift.max(0, -Int(floor(log10(step) + 1e-9)))
        let ticks = stride(from: first, through: last, by: 1).map { index in
            Tick(value: index * step, label: DisplayNumber.fixed(index * step, decimals))
        }
        return ((first * step)...(last * step), ticks)
    }

    /// The 1, 2 or 5 × 10ⁿ at or above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        let magnitude = pow(10, floor(log10(raw)))
        let normalised = raw / magnitude
        let factor: Double = normalised <= 1 ? 1 : normalised <= 2 ? 2 : normalised <= 5 ? 5 : 10
        return factor * magnitude
    }
}
