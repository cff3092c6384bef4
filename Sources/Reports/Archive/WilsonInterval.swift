import Foundation

/// The Wilson score interval of a binomial proportion (Wilson 1927; Brown, Cai & DasGupta 2001 §4.1): unlike the
/// Wald interval it stays inside [0, 1] and keeps near its nominal coverage at the small counts and the rates near
/// 100 % of a lot's yield.
public struct WilsonInterval: Codable, Sendable, Equatable {
    public var low: Double
    public var high: Double
    /// Two-sided confidence level, 0.95.
    public var confidence: Double

    /// The two-sided 97.5 % point of the standard normal distribution (scipy.stats.norm.ppf(0.975)).
    public static let z95 = 1.959963984540054

    /// The 95 % interval of `successes` out of `trials`; nil when there are no trials.
    ///
    ///     centre = (p̂ + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)
    public init?(successes: Int, trials: Int) {
        guard trials > 0, successes >= 0, successes <= trials else { return nil }
        let n = Double(trials)
        let p = Double(successes) / n
        let z = Self.z95
        let z2 = z * z
        let denominator = 1 + z2 / n
        let centre = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // At 0 or n successes the bounds are exactly 0 or 1; the formula leaves a rounding residue there.
        low = successes == 0 ? 0 : max(0, centre - half)
        high = successes == trials ? 1 : min(1, centre + half)
        confidence = 0.95
    }
}
