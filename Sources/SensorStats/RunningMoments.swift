/// Streaming mean and variance of a series: Welford's update, mergeable with Chan's formula
/// (reference/statistics.md §1.1–1.2). Exact for offset data where Σx, Σx² would cancel catastrophically.
public struct RunningMoments: Sendable, Equatable, Codable {
    public private(set) var count: Int = 0
    public private(set) var mean: Double = 0
    /// Σ(x − mean)².
    public private(set) var m2: Double = 0
    public private(set) var minimum: Double = .infinity
    public private(set) var maximum: Double = -.infinity

    public init() {}

    public init<S: Sequence>(_ values: S) where S.Element == Double {
        add(contentsOf: values)
    }

    public mutating func add(_ x: Double) {
        count += 1
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
        minimum = Swift.min(minimum, x)
        maximum = Swift.max(maximum, x)
    }

    /// Adds a block of values; the same result as adding them one by one.
    public mutating func add<S: Sequence>(contentsOf values: S) where S.Element == Double {
        for x in values { add(x) }
    }

    /// Combines two partitions (Chan, Golub & LeVeque; statistics.md §1.2).
    public mutating func merge(_ other: RunningMoments) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let n = Double(count + other.count)
        let d = other.mean - mean
        mean += d * Double(other.count) / n
        m2 += other.m2 + d * d * Double(count) * Double(other.count) / n
        count += other.count
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }

    /// Sample variance M2/(n−1); nil below two values.
    public var sampleVariance: Double? { count > 1 ? m2 / Double(count - 1) : nil }
    /// Sample standard deviation s; nil below two values.
    public var sampleStandardDeviation: Double? { sampleVariance.map { $0.squareRoot() } }
    /// Population variance M2/n; nil when empty.
    public var populationVariance: Double? { count > 0 ? m2 / Double(count) : nil }
    /// Standard uncertainty of the mean s/√n for uncorrelated values (GUM Type A).
    public var standardErrorOfMean: Double? { sampleStandardDeviation.map { $0 / Double(count).squareRoot() } }
}
