import SensorStats

/// The running figures of one quantity of a live read: mean, sample standard deviation, and the overlapping Allan
/// deviation at the whole number of reading intervals nearest 1 s (statistics.md §2; the same estimator as a run's).
public struct ReadingStatistics: Sendable {
    public private(set) var moments = RunningMoments()
    private var allan: OverlappingAllanDeviation
    /// Averaging factor m: τ = m/rate.
    public let factor: Int
    /// τ of the Allan deviation, s.
    public let tau: Double

    public init(rate: Double) {
        factor = max(1, Int((rate * 1).rounded()))
        tau = Double(factor) / rate
        allan = OverlappingAllanDeviation(tau0: 1 / rate, factors: [factor])
    }

    public mutating func add(_ value: Double) {
        moments.add(value)
        allan.add(value)
    }

    public var mean: Double? { moments.count > 0 ? moments.mean : nil }
    public var standardDeviation: Double? { moments.sampleStandardDeviation }
    /// nil until 2τ of readings (2m + 1 of them).
    public var allanDeviation: Double? { allan.deviation(factor: factor) }
}
