/// Scheme A of reference/statistics.md §2.3 for power-of-two factors, block by block instead of sample by sample.
///
/// With D_m(t) = x_t − x_{t−m}, the second difference of factor m is v = D_m(t) − D_m(t−m), and the next octave's
/// first difference is D_2m(t) = D_m(t) + D_m(t−m). Starting from D_1(t) = y − y_ref (the integrator's step), each
/// level k (m = 2ᵏ) turns a chunk of D_m into Σv² and the chunk of D_2m with one contiguous loop over the chunk,
/// four lanes wide: no ring wrap per sample, no compensated pair, no serial accumulator. Level k only needs the last
/// m values of D_m before the chunk, so the history of all levels up to m_max is 2·m_max − 1 values, within the
/// 2·m_max + 1 of the phase ring it replaces.
///
/// Precision: D_m is the pairwise sum of m steps, so its rounding error is a few ulps of |D_m| (the top additions
/// dominate), as for the compensated phase difference (hi − hi′) + (lo − lo′) of the per-sample loop; it does not
/// grow with |x| or with the number of readings. For integer codes every D_m is an exact integer (|D_m| < 2⁵³).
///
/// Readings are staged per chunk of `chunkCapacity` phase indices on a fixed grid (t = 0, C, 2C, … in the segment),
/// so single adds, block adds and any block size run the same chunks and give identical sums, bit for bit. Readouts
/// add the staged partial chunk without mutating anything (`pending`).
struct OctaveCascade: Sendable {
    /// C: phase indices per chunk. Two chunk buffers of C values (32 KiB) stay in L1/L2 across all levels.
    static let chunkCapacity = 2048

    /// Levels k = 0..<depth, m = 2ᵏ: up to the largest exact factor.
    let depth: Int
    /// Per level: the index in `factors` whose sums it feeds, or −1 for an intermediate octave not requested.
    let factorIndex: [Int]
    /// Level k holds D_{2ᵏ}(t) for the 2ᵏ phase indices before the chunk, at slot t mod 2ᵏ, from offset 2ᵏ − 1.
    var history: [Double]
    /// D_1 of the staged chunk at index t − chunkStart; reused as a level buffer when the chunk is processed.
    var staged: [Double]
    /// The other level buffer.
    var scratch: [Double]
    /// Segment phase index of staged[0].
    var chunkStart = 0
    /// Staged phase indices, < chunkCapacity between calls.
    var fill = 0

    /// nil unless every exact factor is a power of two.
    init?(exactFactors: ArraySlice<Int>) {
        guard exactFactors.allSatisfy({ $0 & ($0 - 1) == 0 }) else { return nil }
        let largest = exactFactors.last ?? 0
        depth = largest == 0 ? 0 : largest.trailingZeroBitCount + 1
        var factorIndex = Array(repeating: -1, count: depth)
        for index in exactFactors.indices { factorIndex[exactFactors[index].trailingZeroBitCount] = index }
        self.factorIndex = factorIndex
        history = Array(repeating: 0, count: Swift.max(0, 2 * largest - 1))
        staged = Array(repeating: 0, count: Self.chunkCapacity)
        scratch = Array(repeating: 0, count: Self.chunkCapacity)
    }

    /// Phase values the history holds: 2·m_max − 1.
    var historyCount: Int { history.count }

    /// Processes the staged chunk: adds its terms to `sums` and `terms` and moves the grid on.
    mutating func flush(sums: inout [Double], terms: inout [Int]) {
        guard fill > 0 else { return }
        let n = fill, a = chunkStart, depth = depth
        var partial = Array(repeating: 0.0, count: depth)
        history.withUnsafeMutableBufferPointer { history in
            staged.withUnsafeMutableBufferPointer { staged in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    partial.withUnsafeMutableBufferPointer { partial in
                        Self.pass(
                            count: n, start: a, depth: depth, first: staged.baseAddress!, second: scratch.baseAddress!,
                            history: UnsafePointer(history.baseAddress), keep: history.baseAddress, partial: partial)
                    }
                }
            }
        }
        add(partial, count: n, start: a, sums: &sums, terms: &terms)
        chunkStart += n
        fill = 0
    }

    /// `sums` and `terms` with the staged partial chunk added, leaving the state as it is.
    func pending(sums: [Double], terms: [Int]) -> (sums: [Double], terms: [Int]) {
        guard fill > 0 else { return (sums, terms) }
        var sums = sums, terms = terms
        var first = Array(staged[0..<fill]), second = Array(repeating: 0.0, count: fill)
        var partial = Array(repeating: 0.0, count: depth)
        let n = fill, a = chunkStart, depth = depth
        history.withUnsafeBufferPointer { history in
            first.withUnsafeMutableBufferPointer { first in
                second.withUnsafeMutableBufferPointer { second in
                    partial.withUnsafeMutableBufferPointer { partial in
                        Self.pass(
                            count: n, start: a, depth: depth, first: first.baseAddress!, second: second.baseAddress!,
                            history: history.baseAddress, keep: nil, partial: partial)
                    }
                }
            }
        }
        add(partial, count: n, start: a, sums: &sums, terms: &terms)
        return (sums, terms)
    }

    /// Starts a new segment (after `flush`): the grid restarts at t = 0. The history is not cleared: a level's
    /// values from before the gap only reach D and v at t < 2m, which are never terms.
    mutating func restart() {
        chunkStart = 0
        fill = 0
    }

    /// Adds per-level Σv² and the term counts of a chunk of n phase indices from a: level m has terms at t ≥ 2m.
    private func add(_ partial: [Double], count n: Int, start a: Int, sums: inout [Double], terms: inout [Int]) {
        for k in 0..<depth where factorIndex[k] >= 0 {
            let index = factorIndex[k]
            sums[index] += partial[k]
            terms[index] += Swift.max(0, a + n - Swift.max(a, 2 << k))
        }
    }

    /// One chunk through every level. `first` holds D_1 at t = a..<a+n and is overwritten; `second` is a buffer
    /// of n values. Level k reads D_m from one buffer and writes D_2m to the other; D_m(t − m) comes from the
    /// history for t < a + m and from the same buffer after. `keep`, when given (the history itself), receives
    /// each level's last m values.
    private static func pass(
        count n: Int, start a: Int, depth: Int, first: UnsafeMutablePointer<Double>,
        second: UnsafeMutablePointer<Double>, history: UnsafePointer<Double>?, keep: UnsafeMutablePointer<Double>?,
        partial: UnsafeMutableBufferPointer<Double>
    ) {
        guard let history else { return }
        for k in 0..<depth {
            let m = 1 << k
            let current = k & 1 == 0 ? first : second, next = k & 1 == 0 ? second : first
            let ring = history + (m - 1)
            let termStart = 2 * m - a   // chunk index of the first term, t = 2m
            var sum = 0.0
            // When the chunk is no longer than m, every D_m(t) of the chunk goes to the slot D_m(t − m) is read
            // from: the loop replaces it in place.
            let inPlace = keep.map { $0 + (m - 1) }.flatMap { n <= m ? $0 : nil }
            // One contiguous run: i in i0..<i1 with D_m(t − m) at previous[i − i0]. The part before the first term
            // still feeds the next level.
            func run(_ i0: Int, _ i1: Int, previous: UnsafePointer<Double>) {
                guard i0 < i1 else { return }
                let split = Swift.min(Swift.max(termStart, i0), i1)
                let replace = inPlace.map { $0 + (previous - ring) }
                if split > i0 {
                    _ = secondDifferences(current + i0, previous, next + i0, replacing: replace, count: split - i0)
                }
                if i1 > split {
                    sum += secondDifferences(
                        current + split, previous + (split - i0), next + split,
                        replacing: replace.map { $0 + (split - i0) }, count: i1 - split)
                }
            }
            // t − m < a: from the ring, slot (a + i) mod m, wrapping at most once.
            let head = Swift.min(n, m)
            let slot = a & (m - 1)
            let beforeWrap = Swift.min(head, m - slot)
            run(0, beforeWrap, previous: ring + slot)
            run(beforeWrap, head, previous: ring)
            // t − m ≥ a: from this chunk.
            run(m, n, previous: UnsafePointer(current))
            partial[k] = sum
            if let keep, inPlace == nil {
                // The last min(n, m) values of D_m become the history, at slot t mod m.
                let target = keep + (m - 1)
                let from = (a + n - head) & (m - 1)
                let firstPart = Swift.min(head, m - from)
                (target + from).update(from: current + (n - head), count: firstPart)
                target.update(from: current + (n - head + firstPart), count: head - firstPart)
            }
        }
    }

    /// Σ (c − p)² over `count` values, writing c + p to `next` (one level's terms and the next level's D) and,
    /// when given, c to `replacing` (the history slots p came from).
    private static func secondDifferences(
        _ current: UnsafePointer<Double>, _ previous: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>,
        replacing: UnsafeMutablePointer<Double>?, count: Int
    ) -> Double {
        guard let replacing else { return secondDifferences(current, previous, next, count: count) }
        let sum = secondDifferences(current, previous, next, count: count, replacing: replacing)
        return sum
    }

    /// Σ (c − p)² over `count` values, writing c + p to `next`. Two four-lane accumulators (the compiler does not
    /// reassociate a scalar sum); the result depends only on the count and the values, so equal runs give equal
    /// sums.
    private static func secondDifferences(
        _ current: UnsafePointer<Double>, _ previous: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>,
        count: Int
    ) -> Double {
        let c = UnsafeRawPointer(current), p = UnsafeRawPointer(previous), out = UnsafeMutableRawPointer(next)
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i &+ 8 <= count {
            let offset = i &* 8
            let c0 = c.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
            let p0 = p.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
            let c1 = c.loadUnaligned(fromByteOffset: offset &+ 32, as: SIMD4<Double>.self)
            let p1 = p.loadUnaligned(fromByteOffset: offset &+ 32, as: SIMD4<Double>.self)
            out.storeBytes(of: c0 + p0, toByteOffset: offset, as: SIMD4<Double>.self)
            out.storeBytes(of: c1 + p1, toByteOffset: offset &+ 32, as: SIMD4<Double>.self)
            let v0 = c0 - p0, v1 = c1 - p1
            s0 += v0 * v0
            s1 += v1 * v1
            i &+= 8
        }
        var tail = 0.0
        while i < count {
            let v = current[i] - previous[i]
            next[i] = current[i] + previous[i]
            tail += v * v
            i &+= 1
        }
        let s = s0 + s1
        return ((s[0] + s[1]) + (s[2] + s[3])) + tail
    }

    /// The same, also storing c over p (`replacing` is `previous`, made mutable): the same sums, bit for bit.
    private static func secondDifferences(
        _ current: UnsafePointer<Double>, _ previous: UnsafePointer<Double>, _ next: UnsafeMutablePointer<Double>,
        count: Int, replacing: UnsafeMutablePointer<Double>
    ) -> Double {
        let c = UnsafeRawPointer(current), p = UnsafeRawPointer(previous), out = UnsafeMutableRawPointer(next)
        let keep = UnsafeMutableRawPointer(replacing)
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i &+ 8 <= count {
            let offset = i &* 8
            let c0 = c.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
            let p0 = p.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
            let c1 = c.loadUnaligned(fromByteOffset: offset &+ 32, as: SIMD4<Double>.self)
            let p1 = p.loadUnaligned(fromByteOffset: offset &+ 32, as: SIMD4<Double>.self)
            out.storeBytes(of: c0 + p0, toByteOffset: offset, as: SIMD4<Double>.self)
            out.storeBytes(of: c1 + p1, toByteOffset: offset &+ 32, as: SIMD4<Double>.self)
            keep.storeBytes(of: c0, toByteOffset: offset, as: SIMD4<Double>.self)
            keep.storeBytes(of: c1, toByteOffset: offset &+ 32, as: SIMD4<Double>.self)
            let v0 = c0 - p0, v1 = c1 - p1
            s0 += v0 * v0
            s1 += v1 * v1
            i &+= 8
        }
        var tail = 0.0
        while i < count {
            let v = current[i] - previous[i]
            next[i] = current[i] + previous[i]
            replacing[i] = current[i]
            tail += v * v
            i &+= 1
        }
        let s = s0 + s1
        return ((s[0] + s[1]) + (s[2] + s[3])) + tail
    }
}
