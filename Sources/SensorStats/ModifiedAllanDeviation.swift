/// Streaming modified Allan deviation (MDEV) and time deviation (TDEV) of readings at a fixed interval τ₀
/// (reference/statistics.md §2.1, §2.3 scheme D), equal to `allantools.mdev(data_type="freq")` to rounding.
///
/// Mod σ²(mτ₀) = Σ_j V_j² / (2m⁴(N − 3m + 1)), V_j = Σ_{i=j}^{j+m−1}(x_{i+2m} − 2x_{i+m} + x_i), over N phase points
/// (τ₀ factored out of the phase). V_j is kept as a running window sum (Dobrogowski & Kasznia 2007):
/// V_{j+1} = V_j + x_{j+3m} − 3x_{j+2m} + 3x_{j+m} − x_j, which needs the last 3m + 1 phase values. All factors
/// share one ring of 3·m_max + 1 values. Unlike OADEV it cannot be decimated by phase subsampling (its inner
/// average must see every sample), so the factors are capped (`maximumFactor`, default 2¹⁴: a 768 KiB ring).
///
/// Input stage, integer codes, gaps and block adds are as in `OverlappingAllanDeviation`.
public struct ModifiedAllanDeviation: Sendable, AllanReadingStream {
    /// Reading interval τ₀ in seconds.
    public let tau0: Double
    /// The averaging factors, ascending and without duplicates.
    public let factors: [Int]

    /// The default cap on the averaging factor (statistics.md §2.3 scheme D).
    public static let defaultMaximumFactor = 1 << 14

    var ring: [AllanPhase]
    var head = 0
    /// Per factor: the running window sum V, Σ V², and the number of terms.
    var windows: [Double]
    var sums: [Double]
    var terms: [Int]
    var input = AllanInputKind.none
    var readingPhase = CompensatedReadingPhase()
    var codePhase = IntegerCodePhase()
    var segmentPhaseIndex = 0
    var segmentReadings = 0
    var totalReadings = 0

    /// Number of dropouts marked with `markGap()` that split the data.
    public private(set) var gapCount = 0

    /// - Parameters:
    ///   - tau0: reading interval in seconds.
    ///   - factors: averaging factors 1 ≤ m ≤ `maximumFactor`; duplicates are removed.
    ///   - maximumFactor: the cap, which bounds the ring at 3·m + 1 phase values of 16 bytes.
    public init(tau0: Double, factors: [Int], maximumFactor: Int = defaultMaximumFactor) {
        precondition(tau0 > 0, "tau0 must be positive")
        precondition(factors.allSatisfy { $0 >= 1 && $0 <= maximumFactor }, "factors must be in 1…maximumFactor")
        self.tau0 = tau0
        self.factors = Array(Set(factors)).sorted()
        ring = Array(repeating: .zero, count: 3 * (self.factors.last ?? 0) + 1)
        windows = Array(repeating: 0, count: self.factors.count)
        sums = windows
        terms = Array(repeating: 0, count: self.factors.count)
    }

    /// Octave factors 1, 2, 4 … up to `maximumFactor`.
    public init(tau0: Double, maximumFactor: Int = defaultMaximumFactor) {
        self.init(
            tau0: tau0, factors: OverlappingAllanDeviation.octaves(upTo: maximumFactor), maximumFactor: maximumFactor)
    }

    /// Adds a block of readings, in order (unsafe buffers over the ring taken out of `self`: no exclusivity checks
    /// or copy-on-write in the loop, statistics.md §2.3).
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

    /// Marks a dropout before the next reading (statistics.md §2.3 "Gaps"): the ring and the window sums restart,
    /// so no term spans the gap; sums and term counts are kept. Counted only when the segment before holds readings.
    public mutating func markGap() {
        guard segmentReadings > 0 else { return }
        gapCount += 1
        segmentReadings = 0
        segmentPhaseIndex = 0
        for index in windows.indices { windows[index] = 0 }
    }

    /// Number of readings (or codes) added.
    public var readingCount: Int { totalReadings }

    /// Phase values held by the ring: 3·m_max + 1, fixed at `init`.
    public var phaseCapacity: Int { ring.count }

    /// One point of the MDEV curve.
    public struct Point: Sendable, Equatable, Codable {
        public var factor: Int
        /// τ = m·τ₀ in seconds.
        public var tau: Double
        /// The modified Allan deviation, in the units of the readings.
        public var deviation: Double
        /// TDEV = τ·MDEV/√3, in reading units × seconds (statistics.md §2.1).
        public var timeDeviation: Double
        /// Number of terms V_j averaged: N − 3m + 1 for N phase points without gaps.
        public var terms: Int
    }

    /// The curve at every factor that has at least one term.
    public var points: [Point] {
        factors.indices.compactMap { index in
            guard terms[index] > 0 else { return nil }
            let m = factors[index]
            let tau = Double(m) * tau0
            let deviation = deviation(at: index)
            return Point(
                factor: m, tau: tau, deviation: deviation, timeDeviation: tau * deviation / 3.0.squareRoot(),
                terms: terms[index])
        }
    }

    /// MDEV at averaging factor `m`, if it was requested and has at least one term.
    public func deviation(factor m: Int) -> Double? {
        guard let index = factors.firstIndex(of: m), terms[index] > 0 else { return nil }
        return deviation(at: index)
    }

    /// √(ΣV²/(2n))/m²: τ₀ cancels between the phase and the divisor 2m⁴τ₀²n (statistics.md §2.1).
    private func deviation(at index: Int) -> Double {
        let m = Double(factors[index])
        return (sums[index] / (2 * Double(terms[index]))).squareRoot() / (m * m)
    }

    private mutating func claim(_ kind: AllanInputKind) {
        precondition(input == .none || input == kind, "readings and integer codes cannot be mixed")
        input = kind
    }

    /// Integrates a block and updates every factor's window, with the arrays moved out of `self` so the loop runs
    /// on uniquely referenced unsafe buffers.
    private mutating func ingest<I: AllanPhaseIntegrator>(_ block: UnsafeBufferPointer<I.Input>, integrator: I) -> I {
        var integrator = integrator
        var ring = self.ring, windows = self.windows, sums = self.sums, terms = self.terms
        self.ring = []
        self.windows = []
        self.sums = []
        self.terms = []
        let factors = self.factors
        let startsSegment = segmentReadings == 0
        var t = segmentPhaseIndex
        var head = self.head
        ring.withUnsafeMutableBufferPointer { ring in
            windows.withUnsafeMutableBufferPointer { windows in
                sums.withUnsafeMutableBufferPointer { sums in
                    terms.withUnsafeMutableBufferPointer { terms in
                        factors.withUnsafeBufferPointer { factors in
                            let capacity = ring.count
                            func emit(_ x: AllanPhase, at t: Int) {
                                ring[head] = x
                                for j in 0..<factors.count {
                                    let m = factors[j]
                                    if t < 2 * m { break }   // factors ascend
                                    var i1 = head - m
                                    if i1 < 0 { i1 += capacity }
                                    var i2 = i1 - m
                                    if i2 < 0 { i2 += capacity }
                                    let d1 = AllanPhase.difference(x, ring[i1])
                                    let d2 = AllanPhase.difference(ring[i1], ring[i2])
                                    if t < 3 * m {
                                        // Filling the first window: add u_{t−2m} = x_t − 2x_{t−m} + x_{t−2m}.
                                        windows[j] += d1 - d2
                                    } else {
                                        // Slide: add u_{t−2m}, drop u_{t−3m}.
                                        var i3 = i2 - m
                                        if i3 < 0 { i3 += capacity }
                                        windows[j] += d1 - 2 * d2 + AllanPhase.difference(ring[i2], ring[i3])
                                    }
                                    if t >= 3 * m - 1 {
                                        sums[j] += windows[j] * windows[j]
                                        terms[j] += 1
                                    }
                                }
                                head += 1
                                if head == capacity { head = 0 }
                            }
                            if startsSegment {
                                integrator.restart(at: block[0])
                                t = 0
                                emit(.zero, at: 0)
                            }
                            for input in block {
                                t += 1
                                emit(integrator.integrate(input), at: t)
                            }
                        }
                    }
                }
            }
        }
        self.ring = ring
        self.windows = windows
        self.sums = sums
        self.terms = terms
        self.head = head
        segmentPhaseIndex = t
        segmentReadings += block.count
        totalReadings += block.count
        return integrator
    }
}
