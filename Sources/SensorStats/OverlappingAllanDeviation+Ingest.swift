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

    /// The decimated levels' share of an octave-cascade chunk: `steps` holds x_t − x_{t−1} for t = a..<a+n
    /// (the slot of x₀ unused), `integrator` holds x at `integrated` ≥ a − 1. The phase is integrated up to each
    /// event of a level only, one vectorised sum per stretch between events (statistics.md §2.3: a stretch adds
    /// its rounding once, far below the ulp of the level's own differences), and up to the chunk's end after.
    mutating func emitEvents<I: AllanPhaseIntegrator>(
        steps: UnsafePointer<Double>, count n: Int, start a: Int, integrator: inout I, integrated: inout Int
    ) {
        let end = a + n
        func integrate(through t: Int) {
            if t > integrated {
                integrator.accumulate(Self.sum(steps + (integrated + 1 - a), count: t - integrated))
                integrated = t
            }
        }
        while true {
            var t = Int.max
            for l in 0..<levels.count { t = Swift.min(t, levels[l].nextEvent) }
            guard t < end else { break }
            integrate(through: t)
            emitDecimated(integrator.phase, at: t)
        }
        integrate(through: end - 1)
    }

    /// Σ values[0..<count] in two four-lane accumulators; the result depends only on the values and the count.
    static func sum(_ values: UnsafePointer<Double>, count: Int) -> Double {
        if count == 1 { return values[0] }
        let raw = UnsafeRawPointer(values)
        var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
        var i = 0
        while i &+ 8 <= count {
            s0 += raw.loadUnaligned(fromByteOffset: i &* 8, as: SIMD4<Double>.self)
            s1 += raw.loadUnaligned(fromByteOffset: i &* 8 &+ 32, as: SIMD4<Double>.self)
            i &+= 8
        }
        var tail = 0.0
        while i < count {
            tail += values[i]
            i &+= 1
        }
        let s = s0 + s1
        return ((s[0] + s[1]) + (s[2] + s[3])) + tail
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
        emitDecimated(x, at: t)
    }

    /// Takes phase value `x` with segment index `t` into the decimated levels (scheme B).
    mutating func emitDecimated(_ x: AllanPhase, at t: Int) {
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
    /// Integrates a block and feeds every phase value to both schemes. With the octave cascade, the block only
    /// has its steps staged, chunk by chunk on the fixed grid; a full chunk is processed at once (`flushChunk`).
    mutating func ingest<I: AllanPhaseIntegrator>(_ block: UnsafeBufferPointer<I.Input>, integrator: I) -> I {
        guard var cascade = self.cascade.take() else { return ingestSamples(block, integrator: integrator) }
        var integrator = integrator
        var start = block.startIndex
        while start < block.endIndex {
            if segmentReadings == 0 {
                // x₀ = 0 takes the first slot of the segment's first chunk.
                integrator.restart(at: block[start])
                cascade.staged[0] = 0
                cascade.fill = 1
                integratedPhaseIndex = 0
            }
            let end = Swift.min(block.endIndex, start + OctaveCascade.chunkCapacity - cascade.fill)
            let fill = cascade.fill, phase = integrator
            cascade.staged.withUnsafeMutableBufferPointer { staged in
                let target = staged.baseAddress! + fill, source = block.baseAddress! + start
                for i in 0..<(end - start) { target[i] = phase.step(source[i]) }
            }
            cascade.fill += end - start
            segmentReadings += end - start
            totalReadings += end - start
            segmentPhaseIndex = cascade.chunkStart + cascade.fill - 1
            if cascade.fill == OctaveCascade.chunkCapacity { flushChunk(&cascade, integrator: &integrator) }
            start = end
        }
        self.cascade = cascade
        return integrator
    }

    /// Processes the staged chunk: the exact levels in the cascade, then the decimated levels' events.
    mutating func flushChunk<I: AllanPhaseIntegrator>(_ cascade: inout OctaveCascade, integrator: inout I) {
        guard cascade.fill > 0 else { return }
        cascade.staged.withUnsafeBufferPointer { staged in
            emitEvents(
                steps: staged.baseAddress!, count: cascade.fill, start: cascade.chunkStart, integrator: &integrator)
        }
        cascade.flush(sums: &sums, terms: &terms)
    }

    /// Flushes the staged chunk with the integrator of the current input (`markGap`).
    mutating func flushChunk() {
        guard var cascade = self.cascade.take() else { return }
        switch input {
        case .readings:
            var integrator = readingPhase
            flushChunk(&cascade, integrator: &integrator)
            readingPhase = integrator
        case .codes:
            var integrator = codePhase
            flushChunk(&cascade, integrator: &integrator)
            codePhase = integrator
        case .none: break
        }
        self.cascade = cascade
    }

    /// `sums` and `terms` with the staged chunk included, from copies: the decimated levels on a copy of their
    /// small rings, the exact levels through `OctaveCascade.pending`.
    func totals() -> (sums: [Double], terms: [Int]) {
        guard let cascade, cascade.fill > 0 else { return (sums, terms) }
        var copy = self
        copy.cascade = nil   // the copy shares no buffer it will write with `self` but the small ones
        cascade.staged.withUnsafeBufferPointer { staged in
            switch input {
            case .readings:
                var integrator = readingPhase
                copy.emitEvents(steps: staged.baseAddress!, count: cascade.fill, start: cascade.chunkStart,
                                integrator: &integrator)
            case .codes:
                var integrator = codePhase
                copy.emitEvents(steps: staged.baseAddress!, count: cascade.fill, start: cascade.chunkStart,
                                integrator: &integrator)
            case .none: break
            }
        }
        return cascade.pending(sums: copy.sums, terms: copy.terms)
    }

    /// The decimated levels' events in a staged chunk (`AllanKernel.emitEvents`), on buffers taken out of `self`.
    private mutating func emitEvents<I: AllanPhaseIntegrator>(
        steps: UnsafePointer<Double>, count n: Int, start a: Int, integrator: inout I
    ) {
        var integrated = integratedPhaseIndex
        withKernel { kernel in
            kernel.emitEvents(steps: steps, count: n, start: a, integrator: &integrator, integrated: &integrated)
        }
        integratedPhaseIndex = integrated
    }

    /// Runs `body` on the rings and accumulators as unsafe buffers. The arrays are moved out of `self` first, so
    /// each is uniquely referenced and `withUnsafeMutableBufferPointer` neither copies nor conflicts with an
    /// access to `self` (statistics.md §2.3: the same loop over global arrays ran 20× slower).
    private mutating func withKernel(_ body: (inout AllanKernel) -> Void) {
        var store = self.store, levels = self.levels, sums = self.sums, terms = self.terms
        self.store = []
        self.levels = []
        self.sums = []
        self.terms = []
        let factors = self.factors, exactCount = self.exactCount, exactCapacity = self.ringCapacity
        var head = exactHead
        store.withUnsafeMutableBufferPointer { store in
            levels.withUnsafeMutableBufferPointer { levels in
                sums.withUnsafeMutableBufferPointer { sums in
                    terms.withUnsafeMutableBufferPointer { terms in
                        factors.withUnsafeBufferPointer { factors in
                            var kernel = AllanKernel(
                                store: store, levels: levels, sums: sums, terms: terms, factors: factors,
                                exactCount: exactCount, exactCapacity: exactCapacity, exactHead: head)
                            body(&kernel)
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
    }

    /// The sample-by-sample path: integrates a block and feeds every phase value to the exact ring and the
    /// decimated levels.
    private mutating func ingestSamples<I: AllanPhaseIntegrator>(
        _ block: UnsafeBufferPointer<I.Input>, integrator: I
    ) -> I {
        var integrator = integrator
        let startsSegment = segmentReadings == 0
        var t = segmentPhaseIndex
        withKernel { kernel in
            t = kernel.run(block, integrator: &integrator, startsSegment: startsSegment, after: t)
        }
        segmentPhaseIndex = t
        segmentReadings += block.count
        totalReadings += block.count
        return integrator
    }
}
