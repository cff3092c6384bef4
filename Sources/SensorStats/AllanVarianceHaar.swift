/// Non-overlapping Allan variance at octave factors 2^k from *disjoint* pairs of adjacent blocks — the Haar
/// wavelet variance (reference/statistics.md §2.3 scheme C, §2.6). O(1) memory per octave and O(1) amortised work
/// per reading: each level keeps at most one pending block sum, and a completed pair is passed up as one block.
///
/// AVAR_Haar(2^k) = ½·mean_p (ȳ_{2p+1} − ȳ_{2p})² over the disjoint pairs of 2^k-reading blocks. For N = 2^K
/// readings Σ_{k<K} AVAR_Haar(2^k) = 2·var_pop(y) exactly (Schlossberger & Howe; §2.6, vector T9). It is the least
/// efficient Allan estimator and differs from `allantools.adev`, whose pairs are consecutive, not disjoint; use it
/// for that identity and for the cheapest mode.
public struct AllanVarianceHaar: Sendable {
    /// Reading interval τ₀ in seconds.
    public let tau0: Double

    /// Per level k: the pending block sum (with `hasPending`), Σ(B_b − B_a)² and the number of pairs.
    var pending: [Double] = []
    var hasPending: [Bool] = []
    var sums: [Double] = []
    var terms: [Int] = []
    var origin = 0.0
    var segmentReadings = 0
    var totalReadings = 0

    /// Number of dropouts marked with `markGap()` that split the data.
    public private(set) var gapCount = 0

    /// - Parameter tau0: reading interval in seconds.
    public init(tau0: Double) {
        precondition(tau0 > 0, "tau0 must be positive")
        self.tau0 = tau0
    }

    /// Adds one reading, in order. Readings are centred on the first of the segment, which no difference sees.
    public mutating func add(_ reading: Double) {
        if segmentReadings == 0 { origin = reading }
        segmentReadings += 1
        totalReadings += 1
        var block = reading - origin
        var level = 0
        while true {
            if level == pending.count {
                pending.append(0)
                hasPending.append(false)
                sums.append(0)
                terms.append(0)
            }
            guard hasPending[level] else {
                pending[level] = block
                hasPending[level] = true
                return
            }
            let difference = block - pending[level]
            sums[level] += difference * difference
            terms[level] += 1
            hasPending[level] = false
            block += pending[level]
            level += 1
        }
    }

    /// Adds a sequence of readings, in order.
    public mutating func add<S: Sequence>(contentsOf readings: S) where S.Element == Double {
        for y in readings { add(y) }
    }

    /// Marks a dropout before the next reading: incomplete blocks are dropped, so no pair spans the gap.
    public mutating func markGap() {
        guard segmentReadings > 0 else { return }
        gapCount += 1
        segmentReadings = 0
        for level in hasPending.indices { hasPending[level] = false }
    }

    /// Number of readings added.
    public var readingCount: Int { totalReadings }

    /// One point of the Haar Allan variance curve.
    public struct Point: Sendable, Equatable, Codable {
        /// m = 2^k.
        public var factor: Int
        /// τ = m·τ₀ in seconds.
        public var tau: Double
        /// AVAR_Haar(m), in reading units squared.
        public var variance: Double
        /// Number of disjoint block pairs averaged.
        public var terms: Int
        /// √variance.
        public var deviation: Double { variance.squareRoot() }
    }

    /// The curve at every octave that has at least one pair.
    public var points: [Point] {
        sums.indices.compactMap { level in
            guard terms[level] > 0 else { return nil }
            let m = 1 << level
            return Point(factor: m, tau: Double(m) * tau0, variance: variance(atLevel: level), terms: terms[level])
        }
    }

    /// AVAR_Haar(m) for m = 2^k, if it has at least one pair.
    public func variance(factor m: Int) -> Double? {
        guard m > 0, m & (m - 1) == 0 else { return nil }
        let level = m.trailingZeroBitCount
        guard level < terms.count, terms[level] > 0 else { return nil }
        return variance(atLevel: level)
    }

    /// Σ(B_b − B_a)²/(2n·m²): block sums B over m readings, so ȳ = B/m.
    private func variance(atLevel level: Int) -> Double {
        let m = Double(1 << level)
        return sums[level] / (2 * Double(terms[level]) * m * m)
    }
}
