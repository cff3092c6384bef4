// The only SensorStats file that imports C: a small wrapper over FFTW 3's real-to-complex transform.
import CFFTW
import Synchronization

/// FFTW's planner is not thread-safe: "the only thread-safe routine in FFTW is fftw_execute (and the new-array
/// variants)"; creating or destroying plans from two threads at once corrupts the planner's shared tables and
/// wisdom (FFTW manual §5.4, "Thread safety"). FFTW's own fix, `fftw_make_planner_thread_safe`, lives in
/// libfftw3_threads, which CFFTW does not link. So every plan creation and destruction in the process takes
/// this one lock. It guards FFTW's global state, not ours. The other global in this file, `planCache`, is a
/// cache whose state no result depends on, and it holds no strong reference.
private let fftwPlannerLock = Mutex<Void>(())

/// A transform that is still in use somewhere; the cache never keeps one alive by itself.
private struct CachedTransform {
    weak var transform: RealFFT?
}

/// The transforms handed out by `RealFFT.shared(length:)`, by length. Weak, so it holds at most the transforms some
/// estimator still uses (plus dead entries, pruned on every miss): memory stays bounded by what is in use.
/// Lock order: `planCache`, then `fftwPlannerLock` (inside `init`/`deinit`); nothing takes them the other way round.
private let planCache = Mutex<[Int: CachedTransform]>([:])

/// The discrete Fourier transform of real samples of one fixed length n, by FFTW (`fftw_plan_dft_r2c_1d`,
/// planned once with `FFTW_ESTIMATE`).
///
/// `forward` returns the n/2 + 1 non-redundant bins X_k = Σ_j x_j·e^(−2πi·jk/n), k = 0…n/2, unnormalized:
/// a sine of amplitude A at bin k gives |X_k| = A·n/2. The other bins are the complex conjugates of these.
///
/// A transform may be shared between tasks: `forward` runs one caller at a time on the transform's buffers.
/// `RealFFT.shared(length:)` hands out one such shared transform per length.
public final class RealFFT: Sendable {
    /// One complex bin of the spectrum.
    public struct Bin: Sendable, Hashable {
        /// The real part.
        public var real: Double
        /// The imaginary part.
        public var imaginary: Double

        /// Creates a bin.
        public init(real: Double, imaginary: Double) {
            self.real = real
            self.imaginary = imaginary
        }

        /// |X|² = re² + im², the power in the bin before any scaling.
        public var squaredMagnitude: Double { real * real + imaginary * imaginary }
        /// |X|.
        public var magnitude: Double { squaredMagnitude.squareRoot() }
    }

    /// The plan and its FFTW-aligned buffers (`fftw_alloc_*`, for SIMD).
    private struct Plan: ~Copyable {
        let handle: OpaquePointer
        let input: UnsafeMutablePointer<Double>
        let output: UnsafeMutablePointer<fftw_complex>
    }

    /// The number of real samples n.
    public let length: Int
    /// The number of bins `forward` returns, n/2 + 1.
    public var binCount: Int { length / 2 + 1 }

    private let plan: Mutex<Plan>

    /// Plans the transform of `length` samples. Planning with `FFTW_ESTIMATE` takes microseconds and does not
    /// touch the buffers; any length works, powers of two and small primes' products are fastest.
    ///
    /// The corresponding C calls are `fftw_alloc_real`, `fftw_alloc_complex` and `fftw_plan_dft_r2c_1d`.
    public init(length: Int) {
        precondition(length >= 1 && length <= Int(Int32.max), "an FFT length must be in 1...Int32.max, not \(length)")
        self.length = length
        let binCount = length / 2 + 1
        guard let input = fftw_alloc_real(length), let output = fftw_alloc_complex(binCount) else {
            fatalError("FFTW could not allocate buffers for a transform of \(length) samples")
        }
        var planned: OpaquePointer?
        fftwPlannerLock.withLock { _ in
            planned = fftw_plan_dft_r2c_1d(Int32(length), input, output, FFTW_ESTIMATE)
        }
        guard let handle = planned else {
            fatalError("FFTW could not plan a real transform of \(length) samples")
        }
        plan = Mutex(Plan(handle: handle, input: input, output: output))
    }

    /// The transform of `length` samples that the process already uses, or a new one: estimators of the same
    /// segment length (one Welch PSD per channel, say) share one plan and its buffers instead of each planning its
    /// own. Thread-safe. The cache holds transforms weakly, so a plan lives exactly as long as its last user.
    ///
    /// A shared transform serves its callers one at a time. At sensor rates that costs nothing (a 1 024-point
    /// transform takes about 1 µs, reference/statistics.md §4); a caller that needs its own buffers uses `init`.
    public static func shared(length: Int) -> RealFFT {
        planCache.withLock { cache in
            if let transform = cache[length]?.transform { return transform }
            cache = cache.filter { $0.value.transform != nil }
            let transform = RealFFT(length: length)
            cache[length] = CachedTransform(transform: transform)
            return transform
        }
    }

    deinit {
        plan.withLock { plan in
            fftwPlannerLock.withLock { _ in fftw_destroy_plan(plan.handle) }
            fftw_free(plan.input)
            fftw_free(plan.output)
        }
    }

    /// The n/2 + 1 bins of `input`, which must have `length` samples.
    ///
    /// The corresponding C call is `fftw_execute`.
    public func forward(_ input: [Double]) -> [Bin] {
        var bins: [Bin] = []
        forward(input, into: &bins)
        return bins
    }

    /// Writes the n/2 + 1 bins of `input` into `bins`, reusing its storage: for loops over many segments (Welch).
    ///
    /// The corresponding C call is `fftw_execute`.
    public func forward(_ input: [Double], into bins: inout [Bin]) {
        precondition(input.count == length, "RealFFT of length \(length) given \(input.count) samples")
        let binCount = self.binCount
        bins.removeAll(keepingCapacity: true)
        bins.reserveCapacity(binCount)
        plan.withLock { plan in
            let samples = UnsafeMutableBufferPointer(start: plan.input, count: input.count)
            _ = samples.update(fromContentsOf: input)
            fftw_execute(plan.handle)
            for k in 0..<binCount {
                let bin = plan.output[k]
                bins.append(Bin(real: bin.0, imaginary: bin.1))
            }
        }
    }

    /// Transforms the samples `fill` writes into the transform's own input buffer (all `length` of them) and adds
    /// each bin's |X_k|² to `powerSums[k]`: Welch's inner loop without copying the segment in or the bins out.
    ///
    /// The corresponding C call is `fftw_execute`.
    public func accumulatePower(into powerSums: UnsafeMutableBufferPointer<Double>,
                                fill: (UnsafeMutableBufferPointer<Double>) -> Void) {
        precondition(powerSums.count == binCount, "RealFFT of length \(length) has \(binCount) bins, not \(powerSums.count)")
        plan.withLock { plan in
            fill(UnsafeMutableBufferPointer(start: plan.input, count: length))
            fftw_execute(plan.handle)
            for k in 0..<powerSums.count {
                let bin = plan.output[k]
                powerSums[k] += bin.0 * bin.0 + bin.1 * bin.1
            }
        }
    }
}
