import SensorStats

/// Repeatability standard deviation s_r of ≥ 5 identical exposures (reference/sensors.md §8.7; ISO 5725-2:
/// same method, item, operator, equipment, short interval), from the plateau means of the exposures.
///
/// s_r is the sample standard deviation (n − 1); its interval comes from (n − 1)s²/σ² ~ χ²_{n−1}:
/// σ ∈ [s·√((n−1)/χ²_{1−α/2}), s·√((n−1)/χ²_{α/2})] (statistics.md §2.4 form, ν = n − 1).
public struct GasRepeatability: Sendable, Equatable, Codable {
    public var count: Int
    public var mean: Double
    public var standardDeviation: Double
    /// [low, high] of σ at `confidence`.
    public var interval: [Double]
    public var confidence: Double
    /// 100·s_r/|mean| %; nil at a zero mean.
    public var relativePercent: Double?

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case tooFewExposures(Int)
        public var description: String {
            switch self {
            case .tooFewExposures(let n):
                "gas repeatability: \(n) exposures; ISO 5725 s_r needs at least 5 (sensors.md §8.7)"
            }
        }
    }

    /// - Parameters:
    ///   - plateauMeans: the mean response of each exposure (non-finite ones are dropped).
    ///   - confidence: level of the interval, 95 % by default.
    public static func evaluate(plateauMeans: [Double], confidence: Double = 0.95) throws(Failure)
        -> GasRepeatability
    {
        let values = plateauMeans.filter(\.isFinite)
        guard values.count >= 5, let s = RunningMoments(values).sampleStandardDeviation else {
            throw .tooFewExposures(values.count)
        }
        let level = Swift.min(Swift.max(confidence, 0.5), 0.9999)
        let nu = Double(values.count - 1)
        let tail = (1 - level) / 2
        let mean = RunningMoments(values).mean
        return GasRepeatability(
            count: values.count, mean: mean, standardDeviation: s,
            interval: [s * (nu / ChiSquared.quantile(1 - tail, degreesOfFreedom: nu)).squareRoot(),
                       s * (nu / ChiSquared.quantile(tail, degreesOfFreedom: nu)).squareRoot()],
            confidence: level, relativePercent: mean != 0 ? 100 * s / abs(mean) : nil)
    }
}
