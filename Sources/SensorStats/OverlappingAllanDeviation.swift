/// Streaming overlapping Allan deviation of readings taken at a fixed interval τ₀, at chosen averaging
/// factors m (τ = m·τ₀). Exact: it keeps a ring of the last 2·m_max + 1 phase values and adds each
/// second difference as it completes, so it equals `allantools.oadev(data_type="freq")`
/// (reference/statistics.md §2.1–2.3, sensors.md §8.4).
///
/// The readings are centred on the first one before integration: the second difference of the phase is
/// blind to a constant frequency offset, so this changes nothing but keeps the phase small.
public struct OverlappingAllanDeviation: Sendable {
    public let tau0: Double
    public let factors: [Int]
    private var ring: [Double]
    private var phaseCount = 0          // phase points seen, x₀ = 0 included
    private var phase = 0.0
    private var origin: Double?
    private var sums: [Double]
    private var terms: [Int]

    /// - Parameters:
    ///   - tau0: reading interval in seconds.
    ///   - factors: averaging factors m ≥ 1; duplicates are removed.
    public init(tau0: Double, factors: [Int]) {
        precondition(tau0 > 0, "tau0 must be positive")
        precondition(factors.allSatisfy { $0 >= 1 }, "averaging factors must be ≥ 1")
        self.tau0 = tau0
        self.factors = Array(Set(factors)).sorted()
        let capacity = 2 * (self.factors.last ?? 1) + 1
        ring = Array(repeating: 0, count: capacity)
        sums = Array(repeating: 0, count: self.factors.count)
        terms = Array(repeating: 0, count: self.factors.count)
        ring[0] = 0
        phaseCount = 1
    }

    /// Octave factors 1, 2, 4 … up to `maximum`.
    public static func octaves(upTo maximum: Int) -> [Int] {
        var factors: [Int] = []
        var m = 1
        while m <= maximum { factors.append(m); m *= 2 }
        return factors
    }

    public mutating func add(_ reading: Double) {
        let origin = self.origin ?? reading
        self.origin = origin
        phase += (reading - origin) * tau0
        let k = phaseCount
        ring[k % ring.count] = phase
        phaseCount += 1
        for (index, m) in factors.enumerated() where k >= 2 * m {
            let d = phase - 2 * ring[(k - m) % ring.count] + ring[(k - 2 * m) % ring.count]
            sums[index] += d * d
            terms[index] += 1
        }
    }

    public mutating func add<S: Sequence>(contentsOf readings: S) where S.Element == Double {
        for y in readings { add(y) }
    }

    /// Number of readings added.
    public var readingCount: Int { phaseCount - 1 }

    /// One point of the Allan deviation curve.
    public struct Point: Sendable, Equatable, Codable {
        public var factor: Int
        /// τ = m·τ₀ in seconds.
        public var tau: Double
        public var deviation: Double
        /// Number of overlapping second differences averaged (N − 2m for N readings).
        public var terms: Int
    }

    /// The curve at every factor that has at least one term.
    public var points: [Point] {
        factors.indices.compactMap { point(at: $0) }
    }

    /// The deviation at averaging factor `m`, if it was requested and has data.
    public func deviation(factor m: Int) -> Double? {
        factors.firstIndex(of: m).flatMap { point(at: $0)?.deviation }
    }

    private func point(at index: Int) -> Point? {
        guard terms[index] > 0 else { return nil }
        let m = factors[index]
        let tau = Double(m) * tau0
        let variance = sums[index] / (2 * tau * tau * Double(terms[index]))
        return Point(factor: m, tau: tau, deviation: variance.squareRoot(), terms: terms[index])
    }
}
