// The only SensorStats file that imports C: a small wrapper over FFTW 3's real-to-complex transform.
import CFFTW
import Synchronization

/// FFTW's planner is not thread-safe: "the only thread-safe routine in FFTW is fftw_execute (and the new-array
/// variants)"; creating or destroying plans from two threads at once corrupts the planner's shared tables and
/// wisdom (FFTW manual §5.4, "Thread safety"). FFTW's own fix, `fftw_make_planner_thread_safe`, lives in
/// libfftw3_threads, which CFFTW does not link. So every plan creation and destruction in the process takes
/// this one lock. It guards FFTW's global state, not ours; there is no other global in SensorStats.
private let fftwPlannerLock = Mutex<Void>(())

/// The discrete Fourier transform of real samples of one fixed length n, by FFTW (`fftw_plan_dft_r2c_1d`,
/// planned once with `FFTW_ESTIMATE`).
///
/// `forward` returns the n/2 + 1 non-redundant bins X_k = Σ_j x_j·e^(−2πi·jk/n), k = 0…n/2, unnormalized:
/// a sine of amplitude A at bin k gives |X_k| = A·n/2. The other bins are the complex conjugates of these.
///
/// A transform may be shared between tasks: `forward` runs one caller at a time on the transform's buffers.
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
}
