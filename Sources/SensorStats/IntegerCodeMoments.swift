/// Exact count, Σcode and Σcode² of raw integer ADC codes (reference/statistics.md §0 and §1.4 "practical rule"):
/// the sums are integers, so the state does not depend on the order of the samples or on how they were split
/// and merged, and every readout is a deterministic function of `(count, sum, sumOfSquares)`, hence
/// bit-reproducible. Convert to engineering units only at readout (mean·LSB, variance·LSB²).
///
/// Range: Σcode is an `Int64` and Σcode² an `Int128`. Σcode cannot overflow before 2^32 samples at full 32-bit
/// scale, or 2^40 samples (8.7 years at 4 kHz) of clipped 24-bit codes; Σcode² cannot overflow before 2^65
/// samples. Overflow beyond that traps (Swift's checked arithmetic) rather than returning a wrong sum.
public struct IntegerCodeMoments: Sendable, Hashable, Codable {
    /// Number of codes added.
    public private(set) var count: Int64 = 0
    /// Σcode, exact.
    public private(set) var sum: Int64 = 0
    /// Σcode², exact.
    public private(set) var sumOfSquares: Int128 = 0

    /// Codes per chunk of a block update; see `add(_: UnsafeBufferPointer<Int32>)`.
    static let blockChunkLength = 1024
    /// Largest |code| the block fast path takes: 1024 · (2^26)² = 2^62 fits an `Int64` sum of squares.
    static let fastPathMagnitude: Int32 = 1 << 26

    /// An empty accumulator.
    public init() {}

    /// An accumulator holding `codes`; contiguous collections take the block path.
    public init<S: Sequence>(_ codes: S) where S.Element == Int32 {
        add(contentsOf: codes)
    }

    /// Adds one code.
    public mutating func add(_ code: Int32) {
        let wide = Int64(code)
        count += 1
        sum += wide
        sumOfSquares += Int128(wide * wide)
    }

    /// Adds a wider integer than a code: a time in nanoseconds (a poll's lateness, an interval's deviation). Its
    /// square is summed in `Int128`; Σ overflows, and traps, only beyond 2^63.
    public mutating func add(wide value: Int64) {
        count += 1
        sum += value
        sumOfSquares += Int128(value) * Int128(value)
    }

    /// Adds a block of codes; the same state as adding them one by one (integer sums are exact). Chunks of
    /// `blockChunkLength` codes whose magnitudes stay below 2^26 (every converter up to 26 bits) are summed
    /// with wrapping `Int64` arithmetic that provably cannot wrap, which the compiler can vectorize; a chunk
    /// holding a larger code falls back to per-code `Int128` accumulation.
    public mutating func add(_ block: UnsafeBufferPointer<Int32>) {
        var start = 0
        while start < block.count {
            let end = Swift.min(start + Self.blockChunkLength, block.count)
            addChunk(UnsafeBufferPointer(rebasing: block[start..<end]))
            start = end
        }
    }

    /// Adds a sequence of codes. Arrays, slices and other contiguous collections take the block path
    /// `add(_: UnsafeBufferPointer<Int32>)`; other sequences are added one code at a time.
    public mutating func add<S: Sequence>(contentsOf codes: S) where S.Element == Int32 {
        let tookBlockPath: Void? = codes.withContiguousStorageIfAvailable { add($0) }
        if tookBlockPath == nil {
            for code in codes { add(code) }
        }
    }

    /// Combines two partitions by adding the exact sums; the result is identical, bit for bit, to one pass.
    public mutating func merge(_ other: IntegerCodeMoments) {
        count += other.count
        sum += other.sum
        sumOfSquares += other.sumOfSquares
    }

    /// The mean Σcode/n as the exact fraction `numerator/denominator` (not reduced); nil when empty.
    public var exactMean: (numerator: Int64, denominator: Int64)? {
        count > 0 ? (sum, count) : nil
    }

    /// The mean in codes, Σcode/n: correctly rounded while |Σcode| ≤ 2^53, within one ulp beyond; nil when empty.
    public var mean: Double? {
        guard count > 0 else { return nil }
        if sum.magnitude <= 1 << 53 { return Double(sum) / Double(count) }
        let (quotient, remainder) = Self.floorDivision(Int128(sum), by: Int128(count))
        return Double(quotient) + Double(remainder) / Double(count)
    }

    /// M2 = Σ(code − mean)² = (n·Σcode² − (Σcode)²)/n in codes², from the exact sums (statistics.md §1.4) without
    /// cancellation: within a few ulp of the exact rational value at every range. Nil when empty.
    public var centeredSumOfSquares: Double? {
        guard count > 0 else { return nil }
        // Σcode = n·a + b with 0 ≤ b < n gives n·M2 = n·(Q − n·a² − 2a·b) − b², i.e. M2 = I − b²/n with the
        // integer I = Q − n·a² − 2a·b (all terms of the size of Q, so no Int128 overflow). Writing
        // b² = n·q + r (0 ≤ r < n) gives M2 = J − r/n with the integer J = I − q ≥ r/n ≥ 0.
        let n = Int128(count)
        let (a, b) = Self.floorDivision(Int128(sum), by: n)
        let i = sumOfSquares - n * a * a - 2 * a * b
        let (q, r) = Self.floorDivision(b * b, by: n)
        let j = i - q
        guard r > 0 else { return Double(j) }
        // J ≥ 1 here; (J − 1) + (n − r)/n adds two non-negative terms, so nothing cancels.
        return Double(j - 1) + Double(n - r) / Double(n)
    }

    /// Sample variance M2/(n−1) in codes²; nil below two codes.
    public var sampleVariance: Double? {
        guard count > 1, let m2 = centeredSumOfSquares else { return nil }
        return m2 / Double(count - 1)
    }

    /// Population variance M2/n in codes²; nil when empty.
    public var populationVariance: Double? {
        guard let m2 = centeredSumOfSquares else { return nil }
        return m2 / Double(count)
    }

    /// Sample standard deviation in codes; nil below two codes.
    public var sampleStandardDeviation: Double? { sampleVariance.map { $0.squareRoot() } }

    /// Standard uncertainty of the mean s/√n in codes, for uncorrelated codes (GUM Type A); nil below two codes.
    public var standardErrorOfMean: Double? {
        sampleStandardDeviation.map { $0 / Double(count).squareRoot() }
    }
}

extension IntegerCodeMoments {
    /// Floor division: `value = quotient·divisor + remainder` with `0 ≤ remainder < divisor` (divisor > 0).
    static func floorDivision(_ value: Int128, by divisor: Int128) -> (quotient: Int128, remainder: Int128) {
        var (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        if remainder < 0 {
            quotient -= 1
            remainder += divisor
        }
        return (quotient, remainder)
    }

    /// Adds at most `blockChunkLength` codes: one vectorizable pass for the range check, then `Int64` lanes.
    private mutating func addChunk(_ chunk: UnsafeBufferPointer<Int32>) {
        precondition(chunk.count <= Self.blockChunkLength)
        var low = Int32.max
        var high = Int32.min
        for code in chunk {
            low = Swift.min(low, code)
            high = Swift.max(high, code)
        }
        guard low > -Self.fastPathMagnitude, high < Self.fastPathMagnitude else {
            for code in chunk { add(code) }
            return
        }
        // |code| < 2^26 and at most 2^10 codes: |Σcode| < 2^36 and Σcode² < 2^62, so &+ and &* never wrap.
        var chunkSum: Int64 = 0
        var chunkSquares: Int64 = 0
        for code in chunk {
            let wide = Int64(code)
            chunkSum &+= wide
            chunkSquares &+= wide &* wide
        }
        count += Int64(chunk.count)
        sum += chunkSum
        sumOfSquares += Int128(chunkSquares)
    }
}
