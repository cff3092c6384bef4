/// The input stage shared by the Allan-family estimators (reference/statistics.md §2.3 "Input stage"): readings
/// y_i are treated as frequency data and integrated to phase x_{i+1} = x_i + (y_i − y_ref), with x_0 = 0 (like
/// allantools' prepended zero) and y_ref the first reading of the segment. τ₀ is factored out: the estimators
/// apply it when they report.

/// One phase value held as the unevaluated sum `hi + lo` (statistics.md §2.3 "Precision of the phase
/// accumulator"). For readings, `hi` is the rounded running sum and `lo` its Neumaier compensation; for integer
/// codes the exact `Int64` phase is split into a multiple of 2³² and the low 32 bits, both exact in a `Double`.
struct AllanPhase: Sendable, Equatable {
    var hi: Double
    var lo: Double

    static let zero = AllanPhase(hi: 0, lo: 0)

    /// a − b. The `hi` parts of nearby phase values are within a factor of two of each other, so their
    /// difference is exact (Sterbenz); the result is then accurate to about one ulp of the difference itself,
    /// not of |x|. For integer phase split at 2³², both partial differences are exact.
    static func difference(_ a: AllanPhase, _ b: AllanPhase) -> Double {
        (a.hi - b.hi) + (a.lo - b.lo)
    }

    /// The second difference x₂ − 2x₁ + x₀ as (x₂ − x₁) − (x₁ − x₀) (statistics.md §2.1).
    static func secondDifference(_ x2: AllanPhase, _ x1: AllanPhase, _ x0: AllanPhase) -> Double {
        difference(x2, x1) - difference(x1, x0)
    }
}

/// A source of phase values: the running integral of one kind of input.
protocol AllanPhaseIntegrator {
    associatedtype Input
    /// Starts a segment: `first` becomes y_ref and the phase returns to 0.
    mutating func restart(at first: Input)
    /// Integrates one input and returns the new phase x_{i+1}.
    mutating func integrate(_ input: Input) -> AllanPhase
    /// The first difference x_{i+1} − x_i that `integrate(input)` adds: y_i − y_ref as a `Double`, rounded as
    /// `integrate` rounds it (exact for integer codes).
    func step(_ input: Input) -> Double
    /// Adds a sum of `step` values at once, as `integrate` adds one (the block path of the octave cascade).
    mutating func accumulate(_ stepSum: Double)
    /// The phase after the last `integrate` or `accumulate`.
    var phase: AllanPhase { get }
}

/// Neumaier-compensated phase for `Double` readings (statistics.md §1.4, §2.3). When y_ref is far from the mean
/// the phase drifts linearly; the compensation keeps the rounding of that drift out of the small second
/// differences.
struct CompensatedReadingPhase: AllanPhaseIntegrator, Sendable {
    var origin = 0.0
    var hi = 0.0
    var lo = 0.0

    mutating func restart(at first: Double) {
        origin = first
        hi = 0
        lo = 0
    }

    func step(_ reading: Double) -> Double {
        reading - origin
    }

    mutating func integrate(_ reading: Double) -> AllanPhase {
        accumulate(step(reading))
        return phase
    }

    mutating func accumulate(_ step: Double) {
        let sum = hi + step
        if abs(hi) >= abs(step) { lo += (hi - sum) + step } else { lo += (step - sum) + hi }
        hi = sum
    }

    var phase: AllanPhase { AllanPhase(hi: hi, lo: lo) }
}

/// Exact `Int64` phase for integer ADC codes (statistics.md §2.3: overflow at 2⁶³ is more than 10¹² samples
/// away for 24-bit codes, and it traps rather than wraps).
struct IntegerCodePhase: AllanPhaseIntegrator, Sendable {
    var origin: Int64 = 0
    var value: Int64 = 0

    mutating func restart(at first: Int32) {
        origin = Int64(first)
        value = 0
    }

    /// Exact while |code − y_ref| < 2⁵³, i.e. always for 32-bit codes.
    func step(_ code: Int32) -> Double {
        Double(Int64(code) - origin)
    }

    mutating func integrate(_ code: Int32) -> AllanPhase {
        value += Int64(code) - origin
        return phase
    }

    /// `stepSum` is a sum of exact integer steps below 2⁵³ in magnitude, so it is itself an exact integer.
    mutating func accumulate(_ stepSum: Double) {
        value += Int64(stepSum)
    }

    var phase: AllanPhase {
        let low = value & 0xFFFF_FFFF   // 0 ≤ low < 2³², exact as a Double
        return AllanPhase(hi: Double(value - low), lo: Double(low))
    }
}

/// Which kind of input an estimator has been fed; the two cannot be mixed because their y_ref differ.
enum AllanInputKind: Sendable {
    case none, readings, codes
}
