/// Exact histogram of raw integer ADC codes (reference/statistics.md §5, the quantile method §0 recommends):
/// one bin per LSB over a window of ±`halfWidth` codes around a centre, counters for codes below and above the
/// window, the exact minimum and maximum, and clipping counters at the converter's rails. Counts are integers,
/// so the histogram does not depend on sample order and merges exactly.
///
/// The centre is the first code added unless given at `init`. Give the same centre to histograms that are
/// built apart and merged later; see `merge(_:)`. Memory is 8 B per bin (±32 768 LSB: 512 KiB), allocated at
/// the first code.
public struct CodeHistogram: Sendable, Equatable {
    /// Why two histograms cannot be merged exactly.
    public enum MergeError: Error, Sendable, Equatable {
        /// The converter rails differ, so the clipping counters count different events.
        case railsDiffer
        /// Codes the other histogram holds only as under- or overflow counts could fall inside this window,
        /// so their bins are unknown. Merge into the histogram with the wider window, or fix a common centre.
        case windowNotCovered
    }

    /// Half-width of the window in codes: the window is `centre − halfWidth … centre + halfWidth`.
    public let halfWidth: Int
    /// The converter's output range; a code equal to either end counts as clipped.
    public let rails: ClosedRange<Int32>
    /// Centre of the window; nil until the first code when not given at `init`.
    public private(set) var centre: Int32?
    /// Number of codes added, inside the window or not.
    public private(set) var count: Int = 0
    /// Codes below the window.
    public private(set) var underflowCount: Int = 0
    /// Codes above the window.
    public private(set) var overflowCount: Int = 0
    /// Codes equal to `rails.lowerBound` (negative clipping).
    public private(set) var lowRailCount: Int = 0
    /// Codes equal to `rails.upperBound` (positive clipping).
    public private(set) var highRailCount: Int = 0
    /// Smallest code added, exact even outside the window; nil when empty.
    public private(set) var minimum: Int32?
    /// Largest code added, exact even outside the window; nil when empty.
    public private(set) var maximum: Int32?
    /// bins[k] counts code `windowLow + k`; empty until the centre is known.
    private var bins: [Int] = []

    /// The output range of a two's-complement converter of `bits` bits: −2^(bits−1) … 2^(bits−1) − 1
    /// (24 bits: −8 388 608 … 8 388 607).
    public static func twosComplementRails(bits: Int) -> ClosedRange<Int32> {
        precondition((2...32).contains(bits), "a converter has 2 to 32 bits, not \(bits)")
        let half = Int64(1) << (bits - 1)
        return Int32(-half)...Int32(half - 1)
    }

    /// A histogram of ±`halfWidth` one-LSB bins around `centre` (the first code when nil), counting clipping at
    /// `rails`.
    public init(halfWidth: Int = 32_768, rails: ClosedRange<Int32>, centre: Int32? = nil) {
        precondition(halfWidth >= 0 && halfWidth <= 1 << 26, "halfWidth \(halfWidth) is outside 0…2^26")
        self.halfWidth = halfWidth
        self.rails = rails
        if let centre { setCentre(centre) }
    }

    /// The codes that have their own bin; nil until the centre is known.
    public var window: ClosedRange<Int64>? {
        centre.map { (Int64($0) - Int64(halfWidth))...(Int64($0) + Int64(halfWidth)) }
    }

    /// Codes at either rail.
    public var clippedCount: Int { lowRailCount + highRailCount }

    /// Peak-to-peak range maximum − minimum in codes, exact; nil when empty.
    public var peakToPeak: Int64? {
        guard let minimum, let maximum else { return nil }
        return Int64(maximum) - Int64(minimum)
    }

    /// The number of samples of `code`; nil when the code lies outside the window (or no centre yet).
    public func count(ofCode code: Int32) -> Int? {
        guard let window, window.contains(Int64(code)) else { return nil }
        return bins[Int(Int64(code) - window.lowerBound)]
    }

    /// Mean code from the bins, Σ(code·count)/n with an exact integer sum; nil when empty or when any code fell
    /// outside the window (its value is not kept). `IntegerCodeMoments` gives the exact mean of every code.
    public var mean: Double? {
        guard count > 0, underflowCount == 0, overflowCount == 0, let window else { return nil }
        var total: Int128 = 0
        for (offset, binCount) in bins.enumerated() where binCount > 0 {
            total += Int128(window.lowerBound + Int64(offset)) * Int128(binCount)
        }
        return Double(total) / Double(count)
    }

    /// Adds one code.
    public mutating func add(_ code: Int32) {
        let origin: Int32
        if let centre { origin = centre } else { setCentre(code); origin = code }
        count += 1
        minimum = Swift.min(minimum ?? code, code)
        maximum = Swift.max(maximum ?? code, code)
        if code == rails.lowerBound { lowRailCount += 1 }
        if code == rails.upperBound { highRailCount += 1 }
        let offset = Int(code) - Int(origin) + halfWidth
        if offset < 0 {
            underflowCount += 1
        } else if offset >= bins.count {
            overflowCount += 1
        } else {
            bins[offset] += 1
        }
    }

    /// Adds a block of codes; the same state as adding them one by one.
    public mutating func add(_ block: UnsafeBufferPointer<Int32>) {
        for code in block { add(code) }
    }

    /// Adds a sequence of codes.
    public mutating func add<S: Sequence>(contentsOf codes: S) where S.Element == Int32 {
        for code in codes { add(code) }
    }

    /// Adds `other`'s counts to this histogram, keeping this histogram's window (adopting `other`'s centre if
    /// this one has none yet). Bins of `other` outside this window go to this histogram's under/overflow
    /// counters, which is exact. `other`'s underflow (overflow) count can only be carried over when its window
    /// starts at or below (ends at or above) this one's; otherwise the merge throws `.windowNotCovered` and
    /// changes nothing. Histograms with equal centre and half-width always merge.
    public mutating func merge(_ other: CodeHistogram) throws(MergeError) {
        guard rails == other.rails else { throw .railsDiffer }
        guard other.count > 0, let otherCentre = other.centre, let otherWindow = other.window else { return }
        let keptCentre = centre ?? otherCentre
        let window = (Int64(keptCentre) - Int64(halfWidth))...(Int64(keptCentre) + Int64(halfWidth))
        guard other.underflowCount == 0 || otherWindow.lowerBound <= window.lowerBound,
              other.overflowCount == 0 || otherWindow.upperBound >= window.upperBound
        else { throw .windowNotCovered }
        if centre == nil { setCentre(otherCentre) }

        count += other.count
        underflowCount += other.underflowCount
        overflowCount += other.overflowCount
        lowRailCount += other.lowRailCount
        highRailCount += other.highRailCount
        if let otherMinimum = other.minimum { minimum = Swift.min(minimum ?? otherMinimum, otherMinimum) }
        if let otherMaximum = other.maximum { maximum = Swift.max(maximum ?? otherMaximum, otherMaximum) }
        for (offset, binCount) in other.bins.enumerated() where binCount > 0 {
            let code = otherWindow.lowerBound + Int64(offset)
            if code < window.lowerBound {
                underflowCount += binCount
            } else if code > window.upperBound {
                overflowCount += binCount
            } else {
                bins[Int(code - window.lowerBound)] += binCount
            }
        }
    }

    /// The `p`-th percentile (0 ≤ p ≤ 100) of the codes, defined exactly as numpy's default
    /// `numpy.percentile(codes, p, method='linear')` (Hyndman & Fan type 7) on the same codes: with the sorted
    /// codes x₀ ≤ … ≤ x_{n−1}, h = (n−1)·(p/100), j = ⌊h⌋, g = h − j, the result is x_j + (x_{j+1} − x_j)·g,
    /// evaluated as numpy's `_lerp` does (x_{j+1} − (x_{j+1} − x_j)·(1 − g) when g ≥ 0.5), so it is bit-identical.
    ///
    /// Exact also with codes outside the window, as long as the order statistics x_j and x_{j+1} (x_j alone when
    /// g = 0) it needs are in the bins or are the minimum x₀ or maximum x_{n−1}, which are always known; so p = 0
    /// and p = 100 always give the exact minimum and maximum. Returns nil when one of them falls in
    /// the underflow or overflow counter, or when the histogram is empty.
    public func percentile(_ p: Double) -> Double? {
        precondition((0...100).contains(p), "percentile \(p) is outside 0…100")
        guard count > 0 else { return nil }
        let virtualIndex = Double(count - 1) * (p / 100)
        let lowerRank = Swift.min(Int(virtualIndex.rounded(.down)), count - 1)
        let gamma = virtualIndex - Double(lowerRank)
        // With g = 0 numpy's result is x_j exactly, so x_{j+1} is not needed (p = 0 gives the minimum).
        let upperRank = gamma == 0 ? lowerRank : Swift.min(lowerRank + 1, count - 1)
        guard let ranks = orderStatistics(lowerRank, upperRank) else { return nil }
        let a = Double(ranks.lower)
        let b = Double(ranks.upper)
        let difference = b - a
        return gamma >= 0.5 ? b - difference * (1 - gamma) : a + difference * gamma
    }

    /// The codes of ranks `lower ≤ upper` (0-based, sorted ascending); nil if either is only in under/overflow.
    private func orderStatistics(_ lower: Int, _ upper: Int) -> (lower: Int64, upper: Int64)? {
        func known(_ rank: Int) -> Int64? {
            if rank == 0, let minimum { return Int64(minimum) }
            if rank == count - 1, let maximum { return Int64(maximum) }
            return nil
        }
        var lowerCode = known(lower)
        var upperCode = known(upper)
        if lowerCode == nil || upperCode == nil {
            guard let window else { return nil }
            for rank in [lower, upper] where rank < underflowCount || rank >= count - overflowCount {
                if known(rank) == nil { return nil }
            }
            // Walk the cumulative counts; rank r is in the bin where the running total first exceeds r.
            var seen = underflowCount
            for (offset, binCount) in bins.enumerated() where binCount > 0 {
                seen += binCount
                let code = window.lowerBound + Int64(offset)
                if lowerCode == nil, lower < seen { lowerCode = code }
                if upperCode == nil, upper < seen { upperCode = code }
                if lowerCode != nil, upperCode != nil { break }
            }
        }
        guard let lowerCode, let upperCode else { return nil }
        return (lowerCode, upperCode)
    }

    /// Fixes the window around `code` and allocates its bins.
    private mutating func setCentre(_ code: Int32) {
        centre = code
        bins = Array(repeating: 0, count: 2 * halfWidth + 1)
    }
}
