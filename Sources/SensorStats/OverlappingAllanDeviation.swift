/// Streaming overlapping Allan deviation of readings taken at a fixed interval τ₀, at chosen averaging factors m
/// (τ = m·τ₀), in bounded memory (reference/statistics.md §2.1–2.4, sensors.md §8.4).
///
/// Readings are frequency data (allantools `data_type="freq"`): the deviation has the units of the reading. Each
/// factor is computed by one of two schemes of statistics.md §2.3:
/// - **exact** (scheme A): factors with 2m + 1 ≤ `memoryBudget` add every second difference, so they equal
///   `allantools.oadev` to rounding. When they are all powers of two (`octaves(upTo:)`), they run as an octave
///   cascade of first differences over chunks of readings (`OctaveCascade`: 2·m − 1 values of history, m the
///   largest exact factor, plus two fixed chunk buffers); otherwise they share one ring of the last 2·m + 1 phase
///   values and run sample by sample;
/// - **decimated** (scheme B): each larger factor keeps its own small ring of the phase subsampled at stride
///   d = max(1, m >> `decimationShift`) and equals allantools' `calc_adev_phase(phase, rate, m, stride: d)`.
///   For octave factors this is the decimated cascade, ⌊2m/d⌋ + 1 = 2^(s+1) + 1 values per level; a factor that d
///   does not divide also keeps the ⌊m/d⌋ + 1 phase values at t ≡ m (mod d).
///
/// Memory is fixed at `init` (`phaseCapacity`) and does not grow with the number of readings.
///
/// The phase is the running sum of (y − y_ref), y_ref the first reading of the segment, τ₀ factored out:
/// Neumaier-compensated for `Double` readings and exact `Int64` for integer codes (`add(code:)`; the deviation is
/// then in codes). The two inputs cannot be mixed in one instance.
///
/// `markGap()` splits the record at a dropout (statistics.md §2.3 "Gaps"): the rings restart, so no second
/// difference spans the gap, while the sums, term counts and `gapCount` carry on.
///
/// Each `Point` carries a χ² confidence interval (§2.4) from the simple EDF formulas of SP1065 Table 5, for a noise
/// type that is given or read off the local slope of the curve.
public struct OverlappingAllanDeviation: Sendable, AllanReadingStream {
    /// Reading interval τ₀ in seconds.
    public let tau0: Double
    /// The averaging factors, ascending and without duplicates.
    public let factors: [Int]
    /// The most phase values the exact shared ring may hold.
    public let memoryBudget: Int
    /// s of statistics.md §2.3 scheme B: a decimated factor m uses stride max(1, m >> s).
    public let decimationShift: Int

    /// The default `memoryBudget`: 2¹⁸ phase values (4 MiB for readings), i.e. exact up to m = 131 071.
    public static let defaultMemoryBudget = 1 << 18
    /// The default `decimationShift`, s = 5 (statistics.md §2.3: 65 values per octave level; for white and
    /// random-walk noise a stride of m/32 keeps essentially all of the overlap's statistical efficiency).
    public static let defaultDecimationShift = 5

    /// factors[0..<exactCount] are exact (scheme A); the rest have a `DecimatedLevel` each.
    let exactCount: Int
    /// 2m + 1 for the largest exact factor m: the phase values scheme A may hold.
    let exactCapacity: Int
    /// Capacity of the sample-by-sample exact ring in store[0..<ringCapacity]: `exactCapacity`, or 0 when the
    /// octave cascade does scheme A.
    let ringCapacity: Int
    /// Scheme A for power-of-two exact factors; nil when the exact ring does it.
    var cascade: OctaveCascade?
    /// All phase rings: the exact ring, then each decimated level's rings.
    var store: [AllanPhase]
    var exactHead = 0
    var levels: [DecimatedLevel]
    /// Σv² and the number of terms per factor.
    var sums: [Double]
    var terms: [Int]

    var input = AllanInputKind.none
    var readingPhase = CompensatedReadingPhase()
    var codePhase = IntegerCodePhase()
    /// Phase index t of the newest phase value in the current segment (x₀ = 0 has t = 0).
    var segmentPhaseIndex = 0
    /// With the octave cascade: the phase index up to which the integrator has summed the staged steps.
    var integratedPhaseIndex = 0
    var segmentReadings = 0
    var totalReadings = 0
    /// Per factor: the term count when the current segment began.
    var segmentStartTerms: [Int]
    /// Per factor and noise type (index 2 − α): Σ n_i²/ν_i over the closed segments, for the pooled EDF.
    var closedSegmentEDF: [Double]

    /// Number of dropouts marked with `markGap()` that split the data (statistics.md §2.3 "Gaps").
    public private(set) var gapCount = 0

    /// - Parameters:
    ///   - tau0: reading interval in seconds.
    ///   - factors: averaging factors m ≥ 1; duplicates are removed.
    ///   - memoryBudget: the most phase values the exact ring may hold; factors with 2m + 1 above it are
    ///     decimated. Each value is 16 bytes (a `Double` pair).
    ///   - decimationShift: s of scheme B, ≥ 0; s = 0 makes every decimated factor non-overlapping.
    public init(
        tau0: Double, factors: [Int], memoryBudget: Int = defaultMemoryBudget,
        decimationShift: Int = defaultDecimationShift
    ) {
        precondition(tau0 > 0, "tau0 must be positive")
        precondition(factors.allSatisfy { $0 >= 1 }, "averaging factors must be ≥ 1")
        precondition(memoryBudget >= 0 && decimationShift >= 0, "budget and shift must not be negative")
        self.tau0 = tau0
        self.factors = Array(Set(factors)).sorted()
        self.memoryBudget = memoryBudget
        self.decimationShift = decimationShift
        let exact = self.factors.filter { 2 * $0 + 1 <= memoryBudget }
        exactCount = exact.count
        exactCapacity = exact.last.map { 2 * $0 + 1 } ?? 0
        cascade = OctaveCascade(exactFactors: self.factors[0..<exactCount])
        ringCapacity = cascade == nil ? exactCapacity : 0
        var levels: [DecimatedLevel] = []
        var next = ringCapacity
        for index in exactCount..<self.factors.count {
            let level = DecimatedLevel(
                factorIndex: index, lag: self.factors[index],
                stride: Swift.max(1, self.factors[index] >> decimationShift), base: next)
            next += level.aCapacity + level.bCapacity
            levels.append(level)
        }
        DecimatedLevel.chainLevels(&levels)
        self.levels = levels
        store = Array(repeating: .zero, count: next)
        sums = Array(repeating: 0, count: self.factors.count)
        terms = Array(repeating: 0, count: self.factors.count)
        segmentStartTerms = terms
        closedSegmentEDF = Array(repeating: 0, count: self.factors.count * PowerLawNoise.allCases.count)
    }

    /// Octave factors 1, 2, 4 … up to `maximum`.
    public static func octaves(upTo maximum: Int) -> [Int] {
        var factors: [Int] = []
        var m = 1
        while m <= maximum { factors.append(m); m *= 2 }
        return factors
    }

    /// Adds a block of readings, in order. The loop runs on unsafe buffers over rings taken out of `self`, so it
    /// pays neither exclusivity checks nor copy-on-write (statistics.md §2.3, pitfall under "speed").
    public mutating func add(_ block: UnsafeBufferPointer<Double>) {
        guard !block.isEmpty else { return }
        claim(.readings)
        readingPhase = ingest(block, integrator: readingPhase)
    }

    /// Adds a block of integer codes, in order.
    public mutating func add(codes block: UnsafeBufferPointer<Int32>) {
        guard !block.isEmpty else { return }
        claim(.codes)
        codePhase = ingest(block, integrator: codePhase)
    }

    /// Marks a dropout between the readings added so far and the next one (statistics.md §2.3 "Gaps", option a).
    /// The next reading starts a new segment with its own y_ref and x₀ = 0, so no second difference spans the gap;
    /// sums and term counts are kept. Counted in `gapCount` only when the segment before it holds readings, so
    /// repeated calls, or a call before any reading, count once or not at all.
    public mutating func markGap() {
        guard segmentReadings > 0 else { return }
        gapCount += 1
        flushChunk()
        cascade?.restart()
        closeSegment()
        segmentReadings = 0
        segmentPhaseIndex = 0
        for index in levels.indices { levels[index].restart() }
    }

    /// Number of readings (or codes) added.
    public var readingCount: Int { totalReadings }

    /// Phase values held by all rings: fixed at `init`, whatever the number of readings. Scheme A counts as its
    /// 2m + 1 values (the octave cascade holds 2m − 1); the cascade's two chunk buffers of
    /// `OctaveCascade.chunkCapacity` values come on top.
    public var phaseCapacity: Int { exactCapacity + store.count - ringCapacity }

    /// The deviation at averaging factor `m`, if it was requested and has at least one term.
    public func deviation(factor m: Int) -> Double? {
        guard let index = factors.firstIndex(of: m) else { return nil }
        let totals = totals()
        guard totals.terms[index] > 0 else { return nil }
        return deviation(at: index, totals: totals)
    }

    /// √(Σv²/(2n))/m: the reading-unit Allan deviation, τ₀ cancelling out of the phase (statistics.md §2.1).
    func deviation(at index: Int, totals: (sums: [Double], terms: [Int])) -> Double {
        (totals.sums[index] / (2 * Double(totals.terms[index]))).squareRoot() / Double(factors[index])
    }

    /// The stride of factor `index`: 1 in the exact ring, d on a decimated level.
    func stride(at index: Int) -> Int {
        index < exactCount ? 1 : levels[index - exactCount].stride
    }

    private mutating func claim(_ kind: AllanInputKind) {
        precondition(input == .none || input == kind, "readings and integer codes cannot be mixed")
        input = kind
    }
}
