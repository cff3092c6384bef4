import Foundation

/// The flow-through gas chamber the gas DUTs sit in (sensors.md §8.7): the mixer's output flushes it, so each
/// gas's concentration follows the mixer's setting as a first-order lag with the flush time constant
/// τ = V/Q. Temperature and humidity hold at the chamber's set values. Concentrations in ppm by gas name
/// (`co2`, `ethanol`, `h2`, `no2` …); a gas never commanded is absent (zero air).
struct GasChamber: Sendable {
    /// Chamber volume over flow, s: 0.1 L at 1 L/min is 6 s (§8.7's advice for an SCD41 with τ63 ≈ 60 s).
    var flushTimeConstant = 6.0
    var temperatureC = 25.0
    var humidityPercent = 50.0

    private var target: [String: Double] = [:]
    private var start: [String: Double] = [:]
    private var changeTime = 0.0

    /// The mixer delivers a new mixture from time t: every gas not named goes to zero.
    mutating func command(mixture: [String: Double], at t: Double) {
        var now: [String: Double] = [:]
        for gas in Set(target.keys).union(mixture.keys) { now[gas] = concentration(of: gas, at: t) }
        start = now
        target = mixture
        changeTime = t
    }

    /// The mixture the mixer is delivering, ppm by gas.
    var setting: [String: Double] { target }

    /// Concentration of `gas` at the DUTs at time t, ppm.
    func concentration(of gas: String, at t: Double) -> Double {
        let final = target[gas] ?? 0
        let initial = start[gas] ?? 0
        let elapsed = Swift.max(0, t - changeTime)
        return final + (initial - final) * Foundation.exp(-elapsed / flushTimeConstant)
    }
}
