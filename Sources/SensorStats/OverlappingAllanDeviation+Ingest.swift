/// The streaming core of `OverlappingAllanDeviation`: schemes A and B of reference/statistics.md §2.3.

/// One decimated factor m with stride d (statistics.md §2.3 scheme B, generalised to any m). Its terms are
/// x_t − 2x_{t−m} + x_{t−2m} at t = 2m, 2m + d, 2m + 2d, … (segment phase index), i.e. allantools'
/// `calc_adev_phase(phase, rate, m, stride: d)`. Ring A holds the phase at t ≡ 0 (mod d), ⌊2m/d⌋ + 1 values, so
/// x_{t−2m} is always its oldest value. When d divides m, x_{t−m} is m/d values back in ring A; otherwise ring B
/// holds the phase at t ≡ m (mod d), ⌊m/d⌋ + 1 values, and x_{t−m} is its oldest.
struct DecimatedLevel: Sendable {
    let factorIndex: Int
    let lag: Int
    let stride: Int
    let aBase: Int
    let aCapacity: Int
    let bBase: Int
    let bCapacity: Int
    /// m/d when d divides m (ring B unused).
    let middleBack: Int
    /// Ring slots of the newest values.
    var aHead = 0
    var bHead = 0
    /// Segment phase indices of the next push into A, into B, and of the next term; the earliest of them.
    var nextA = 0
    var nextB: Int
    var nextTerm: Int
    var nextEvent = 0
    /// d − 1 when d is a power of two dividing m: every event of the level then falls on t ≡ 0 (mod d).
    let strideMask: Int?
    /// Set by `chainLevels` when this level and all later ones have such strides, each dividing the next: a t
    /// that is not a multiple of this stride has no event on any of them (scheme B's early `break`).
    var startsChain = false

    init(factorIndex: Int, lag: Int, stride: Int, base: Int) {
        self.factorIndex = factorIndex
        self.lag = lag
        self.stride = stride
        aBase = base
        aCapacity = 2 * lag / stride + 1
        let divides = lag % stride == 0
        bBase = base + aCapacity
        bCapacity = divides ? 0 : lag / stride + 1
        middleBack = divides ? lag / stride : 0
        nextB = lag
        nextTerm = 2 * lag
        strideMask = divides && stride & (stride - 1) == 0 ? stride - 1 : nil
    }

    /// Marks the levels from which on scheme B's early exit is valid; `levels` ascend by factor.
    static func chainLevels(_ levels: inout [DecimatedLevel]) {
        var chained = true
        for l in levels.indices.reversed() {
            let nextStride = l + 1 < levels.count ? levels[l + 1].stride : nil
            chained = chained && levels[l].strideMask != nil && (nextStride.map { $0 % levels[l].stride == 0 } ?? true)
            levels[l].startsChain = chained
        }
    }

    mutating func updateNextEvent() {
        nextEvent = Swift.min(nextA, nextTerm, bCapacity > 0 ? nextB : Int.max)
    }

    /// Starts a new segment: old ring contents are never read again, because a term needs a full ring of values
    /// pushed since the restart.
    mutating func restart() {
        nextA = 0
        nextB = lag
        nextTerm = 2 * lag
        updateNextEvent()
    }
}

/// The rings and accumulators as unsafe buffers, for the duration of one block.
private struct AllanKernel {
    let store: UnsafeMutableBufferPointer<AllanPhase>
    let levels: UnsafeMutableBufferPointer<DecimatedLevel>
    let sums: UnsafeMutableBufferPointer<Double>
    let terms: UnsafeMutableBufferPointer<Int>
    let factors: UnsafeBufferPointer<Int>
    let exactCount: Int
    let exactCapacity: Int
    var exactHead: Int

    /// Integrates `block` and emits its phase values; `t` is the segment index of the last value emitted before
    /// (ignored when the block starts a segment, which first emits x₀ = 0). Returns the index of the last one.
    mutating func run<I: AllanPhaseIntegrator>(
        _ block: UnsafeBufferPointer<I.Input>, integrator: inout I, startsSegment: Bool, after t: Int
    ) -> Int {
        var t = t
        var phase = integrator   // a local: kept in registers across the loop
        if startsSegment {
            phase.restart(at: block[0])
            t = 0
            emit(.zero, at: 0)
        }
        for input in block {
            t += 1
            emit(phase.integrate(input), at: t)
        }
        integrator = phase
        return t
    }

    /// Takes phase value `x` with segment index `t`.
    mutating func emit(_ x: AllanPhase, at t: Int) {
        if exactCapacity > 0 {
            // Scheme A: x_{t−m} and x_{t−2m} are m and 2m slots behind the head of the shared ring. Locals keep
            // the buffer bases in registers; indices stay below the ring size, so wrapping arithmetic is exact.
            let store = self.store, factors = self.factors, sums = self.sums, terms = self.terms
            let capacity = exactCapacity, head = exactHead
            store[head] = x
            for j in 0..<exactCount {
                let m = factors[j]
                if t < m &<< 1 { break }   // factors ascend
                var middle = head &- m
                if middle < 0 { middle &+= capacity }
                var oldest = middle &- m
                if oldest < 0 { oldest &+= capacity }
                let v = AllanPhase.secondDifference(x, store[middle], store[oldest])
                sums[j] += v * v
                terms[j] &+= 1
            }
            exactHead = head &+ 1 == capacity ? 0 : head &+ 1
        }
        let store = self.store, levels = self.levels, sums = self.sums, terms = self.terms
        for l in 0..<levels.count {
            // Scheme B: push into the subsampled rings when due, then complete a term when due.
            if levels[l].startsChain, let mask = levels[l].strideMask, t & mask != 0 { break }
            if t < levels[l].nextEvent { continue }
            defer { levels[l].updateNextEvent() }
            if t == levels[l].nextA {
                var head = levels[l].aHead + 1
                if head == levels[l].aCapacity { head = 0 }
                store[levels[l].aBase + head] = x
                levels[l].aHead = head
                levels[l].nextA += levels[l].stride
            }
            if levels[l].bCapacity > 0 && t == levels[l].nextB {
                var head = levels[l].bHead + 1
                if head == levels[l].bCapacity { head = 0 }
                store[levels[l].bBase + head] = x
                levels[l].bHead = head
                levels[l].nextB += levels[l].stride
            }
            if t == levels[l].nextTerm {
                let level = levels[l]
                var oldest = level.aHead + 1
                if oldest == level.aCapacity { oldest = 0 }
                let middle: AllanPhase
                if level.bCapacity > 0 {
                    var slot = level.bHead + 1
                    if slot == level.bCapacity { slot = 0 }
                    middle = store[level.bBase + slot]
                } else {
                    var slot = level.aHead - level.middleBack
                    if slot < 0 { slot += level.aCapacity }
                    middle = store[level.aBase + slot]
                }
                let v = AllanPhase.secondDifference(x, middle, store[level.aBase + oldest])
                sums[level.factorIndex] += v * v
                terms[level.factorIndex] += 1
                levels[l].nextTerm += level.stride
            }
        }
    }
}

extension OverlappingAllanDeviation {
    /// Integrates a block and feeds every phase value to both schemes. The arrays are moved out of `self` first,
    /// so each is uniquely referenced and `withUnsafeMutableBufferPointer` neither copies nor conflicts with an
    /// access to `self` (statistics.md §2.3: the same loop over global arrays ran 20× slower).
    mutating func ingest<I: AllanPhaseIntegrator>(_ block: UnsafeBufferPointer<I.Input>, integrator: I) -> I {
        var integrator = integrator
        var store = self.store, levels = self.levels, sums = self.sums, terms = self.terms
        self.store = []
        self.levels = []
        self.sums = []
        self.terms = []
        let factors = self.factors, exactCount = self.exactCount, exactCapacity = self.exactCapacity
        let startsSegment = segmentReadings == 0
        var t = segmentPhaseIndex
        var head = exactHead
        store.withUnsafeMutableBufferPointer { store in
            levels.withUnsafeMutableBufferPointer { levels in
                sums.withUnsafeMutableBufferPointer { sums in
                    terms.withUnsafeMutableBufferPointer { terms in
                        factors.withUnsafeBufferPointer { factors in
                            var kernel = AllanKernel(
                                store: store, levels: levels, sums: sums, terms: terms, factors: factors,
                                exactCount: exactCount, exactCapacity: exactCapacity, exactHead: head)
                            t = kernel.run(block, integrator: &integrator, startsSegment: startsSegment, after: t)
                            head = kernel.exactHead
                        }
                    }
                }
            }
        }
        self.store = store
        self.levels = levels
        self.sums = sums
        self.terms = terms
        exactHead = head
        segmentPhaseIndex = t
        segmentReadings += block.count
        totalReadings += block.count
        return integrator
    }
}
