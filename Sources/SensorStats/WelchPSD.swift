/// Streaming power spectral density by Welch's method (reference/statistics.md §3.3), equal to
/// `scipy.signal.welch(x, fs, window=…, nperseg=L, noverlap=L−hop)` with its defaults (`detrend='constant'`,
/// one-sided, `average='mean'`; §3.1) on the same samples.
///
/// Segments of L samples start at 0, hop, 2·hop, … of the stream. Each one, when its last sample arrives, has its mean
/// removed in `Double` (two-pass, so offsets like 101 325 Pa keep their 0.01 Pa noise; §3.3 "precision pitfall"), is
/// multiplied by the window, transformed, and its |X_k|² added to a running sum. A trailing partial segment is never
/// counted, as in scipy. Memory is bounded by L: a ring of L samples and L/2 + 1 sums (the transform's buffers are
/// shared by every estimator of the same length).
///
/// Mergeable (§0): two estimators with the same sample rate, window, length and hop merge by adding their sums and
/// segment counts. A merge counts only whole segments; see `merge(_:)` for how to split one series so that the
/// merged estimate equals one pass.
public struct WelchPSD: Sendable {
    /// How `psd(scaling:)` scales the averaged periodogram (§3.2).
    public enum Scaling: String, Sendable, Hashable, Codable {
        /// Power spectral density, units²/Hz: P_k = c_k·|X_k|² / (fs·Σw²). Its square root is the noise density.
        case density
        /// Power spectrum, units² (rms² per bin): P_k = c_k·|X_k|² / (Σw)². A tone's peak reads its power A²/2.
        case spectrum
    }

    /// The sample rate fs in hertz.
    public let sampleRate: Double
    /// The window applied to every segment; its length is the segment length L.
    public let window: SpectralWindow
    /// The number of samples between the starts of consecutive segments, L − overlap.
    public let hop: Int
    /// The number of segments averaged so far, K (merged ones included).
    public private(set) var segmentCount = 0

    /// Σ over segments of |X_k|², k = 0…L/2.
    private var powerSums: [Double]
    /// The last L samples of this estimator's own stream; `head` is where the next one goes (the oldest, once full).
    private var ring: [Double]
    private var head = 0
    /// Samples still to come before the next segment is complete.
    private var untilNextSegment: Int
    /// Samples added to this estimator directly (merges do not count).
    private var streamedCount = 0
    private let fft: RealFFT

    /// Makes an empty estimator.
    ///
    /// - Parameters:
    ///   - sampleRate: fs in hertz, finite and positive.
    ///   - segmentLength: L, at least 2. Any length works (FFTW plans any size); powers of two are fastest, and
    ///     `RealFFT.shared(length:)` shares one plan between all estimators of the same length.
    ///   - window: the window family; periodic Hann by default, as scipy's welch (§3.1).
    ///   - overlap: samples shared by consecutive segments, in 0..<L; L/2 (rounded down, scipy's `nperseg // 2`)
    ///     by default, i.e. 50 % overlap.
    public init(sampleRate: Double, segmentLength: Int, window: SpectralWindow.Kind = .hann, overlap: Int? = nil) {
        precondition(sampleRate.isFinite && sampleRate > 0, "a sample rate must be finite and positive, not \(sampleRate)")
        precondition(segmentLength >= 2, "a Welch segment needs at least 2 samples, not \(segmentLength)")
        let overlap = overlap ?? segmentLength / 2
        precondition((0..<segmentLength).contains(overlap),
                     "the overlap must be in 0..<\(segmentLength) samples, not \(overlap)")
        self.sampleRate = sampleRate
        self.window = SpectralWindow.shared(window, length: segmentLength)
        hop = segmentLength - overlap
        powerSums = Array(repeating: 0, count: segmentLength / 2 + 1)
        ring = Array(repeating: 0, count: segmentLength)
        untilNextSegment = segmentLength
        fft = RealFFT.shared(length: segmentLength)
    }

    /// The segment length L.
    public var segmentLength: Int { window.length }
    /// The number of samples consecutive segments share, L − hop.
    public var overlap: Int { segmentLength - hop }
    /// The number of one-sided bins, ⌊L/2⌋ + 1.
    public var binCount: Int { segmentLength / 2 + 1 }
    /// The bin spacing Δf = fs/L in hertz.
    public var binWidth: Double { sampleRate / Double(segmentLength) }
    /// The bin frequencies f_k = k·fs/L, k = 0…⌊L/2⌋, in hertz (scipy's `rfftfreq`).
    public var frequencies: [Double] {
        (0..<binCount).map { Double($0) * sampleRate / Double(segmentLength) }
    }

    /// Where this estimator's next segment starts, counted in samples from the first sample added to it (K·hop for
    /// an estimator that was never merged into). Feeding a second estimator the same series from this index on, and
    /// merging it, gives exactly the one-pass estimate (see `merge(_:)`).
    public var nextSegmentStart: Int {
        streamedCount < segmentLength ? 0 : ((streamedCount - segmentLength) / hop + 1) * hop
    }

    /// Forgets every segment and sample, as a new estimator of the same rate, window and hop, keeping the window
    /// and the transform (a new one would compute its window again: L cosines).
    public mutating func reset() {
        segmentCount = 0
        for k in powerSums.indices { powerSums[k] = 0 }
        head = 0
        untilNextSegment = segmentLength
        streamedCount = 0
    }

    // MARK: Adding samples

    /// Adds one sample.
    public mutating func add(_ sample: Double) {
        withUnsafePointer(to: sample) { add(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Adds a contiguous block of samples, in order; the same result as adding them one by one, whatever the blocks'
    /// sizes.
    public mutating func add(_ block: UnsafeBufferPointer<Double>) {
        var next = 0
        while next < block.count {
            let take = min(block.count - next, untilNextSegment)
            store(UnsafeBufferPointer(rebasing: block[next..<(next + take)]))
            next += take
            streamedCount += take
            untilNextSegment -= take
            if untilNextSegment == 0 {
                accumulateSegment()
                untilNextSegment = hop
            }
        }
    }

    /// Adds samples in order; contiguous collections (arrays, slices) go through `add(_:)` in one block.
    public mutating func add<S: Sequence>(contentsOf samples: S) where S.Element == Double {
        let done: Void? = samples.withContiguousStorageIfAvailable { add($0) }
        if done == nil {
            for sample in samples { add(sample) }
        }
    }

    /// Writes samples into the ring after the newest one, wrapping around.
    private mutating func store(_ samples: UnsafeBufferPointer<Double>) {
        var written = 0
        var position = head
        let length = segmentLength
        ring.withUnsafeMutableBufferPointer { ring in
            while written < samples.count {
                let chunk = min(samples.count - written, length - position)
                _ = UnsafeMutableBufferPointer(rebasing: ring[position..<(position + chunk)])
                    .update(fromContentsOf: UnsafeBufferPointer(rebasing: samples[written..<(written + chunk)]))
                written += chunk
                position = (position + chunk) % length
            }
        }
        head = position
    }

    /// The ring holds a whole segment, oldest sample at `head`: detrend, window, transform, add |X_k|² (§3.3).
    /// The segment is the ring's two runs, head…L−1 then 0…head−1, written windowed straight into FFTW's buffer.
    private mutating func accumulateSegment() {
        let length = segmentLength
        let head = self.head
        ring.withUnsafeBufferPointer { ring in
            let runs = [UnsafeBufferPointer(rebasing: ring[head...]), UnsafeBufferPointer(rebasing: ring[..<head])]
            // detrend='constant' in Double: the mean, then the mean of the residuals as a correction, so the removed
            // constant is right to the last bit even on a large offset.
            var mean = Self.sum(runs, minus: 0) / Double(length)
            mean += Self.sum(runs, minus: mean) / Double(length)
            window.coefficients.withUnsafeBufferPointer { window in
                powerSums.withUnsafeMutableBufferPointer { sums in
                    fft.accumulatePower(into: sums) { input in
                        var j = 0
                        for run in runs {
                            for x in run {
                                input[j] = window[j] * (x - mean)
                                j += 1
                            }
                        }
                    }
                }
            }
        }
        segmentCount += 1
    }

    /// Σ (x − offset) over the runs, in four interleaved lanes (elements 0, 4, 8… of each run in the first, 1, 5, 9…
    /// in the second; a run's last 0–3 in the first) added pairwise at the end, (a + b) + (c + d). As accurate as one
    /// running sum, but not one chain of additions each waiting for the one before: the two passes of a 16 384-sample
    /// segment were half of the estimator's own time.
    private static func sum(_ runs: [UnsafeBufferPointer<Double>], minus offset: Double) -> Double {
        var a = 0.0, b = 0.0, c = 0.0, d = 0.0
        for run in runs {
            var i = 0
            while i + 4 <= run.count {
                a += run[i] - offset
                b += run[i + 1] - offset
                c += run[i + 2] - offset
                d += run[i + 3] - offset
                i += 4
            }
            while i < run.count {
                a += run[i] - offset
                i += 1
            }
        }
        return (a + b) + (c + d)
    }

    // MARK: Merging

    /// Whether `other` measures the same thing the same way: sample rate, window, segment length and hop.
    public func isMergeable(with other: WelchPSD) -> Bool {
        sampleRate == other.sampleRate && hop == other.hop && window == other.window
    }

    /// Adds `other`'s segments to this estimate (§0: add the sums and the counts). `other` must be mergeable.
    ///
    /// A merge counts whole segments only. Samples `other` holds towards an unfinished segment are dropped, and this
    /// estimator keeps its own, so it can go on streaming. Consequently, for one long series split between two
    /// estimators A and B, the merge equals one pass over the series **only if no segment straddles the split**:
    /// - feed A the series up to any point, and B the same series from `A.nextSegmentStart` on (B's first samples
    ///   repeat A's last `overlap`-or-so ones): the merged estimate is the one-pass estimate, to rounding;
    /// - feed A and B disjoint halves and the segments that would have straddled the split are simply missing
    ///   (L/hop − 1 of them when the split is a multiple of the hop): a valid Welch estimate with fewer segments.
    public mutating func merge(_ other: WelchPSD) {
        precondition(isMergeable(with: other),
                     "only Welch estimates with the same sample rate, window, segment length and hop merge")
        for k in powerSums.indices {
            powerSums[k] += other.powerSums[k]
        }
        segmentCount += other.segmentCount
    }

    // MARK: Readout

    /// The one-sided factor c_k (§3.2): 1 for DC and, when L is even, for the Nyquist bin L/2; 2 for the others,
    /// which fold in their negative-frequency twin.
    private func oneSidedFactor(_ k: Int) -> Double {
        k == 0 || (segmentLength % 2 == 0 && k == segmentLength / 2) ? 1 : 2
    }

    /// The averaged one-sided periodogram, one value per bin of `frequencies` (§3.2–3.3):
    /// P_k = c_k·Σ|X_k|² / (K·fs·Σw²) for `.density` (units²/Hz), or / (K·(Σw)²) for `.spectrum` (units²).
    /// Equals `scipy.signal.welch(…, scaling=…)` to rounding. Before the first whole segment (K = 0) every value
    /// is NaN: there is no estimate yet, and NaN passes no limit.
    public func psd(scaling: Scaling = .density) -> [Double] {
        guard segmentCount > 0 else { return Array(repeating: .nan, count: binCount) }
        let normalization: Double = switch scaling {
        case .density: Double(segmentCount) * sampleRate * window.sumOfSquares
        case .spectrum: Double(segmentCount) * window.sum * window.sum
        }
        return powerSums.indices.map { oneSidedFactor($0) * powerSums[$0] / normalization }
    }

    /// The noise density over `band` (hertz): the square root of the mean `density` over the bins whose frequency
    /// lies in the band, in units/√Hz. This is the **one-sided** amplitude spectral density (ASD), and the
    /// estimator of the white-noise floor: white noise of standard deviation σ reads σ·√(2/fs) (§3.2, §3.4).
    ///
    /// It is a mean, so a tone or spur inside the band raises it: choose a band clear of them. Keep the band off
    /// DC and Nyquist too: removing each segment's mean takes white noise out of the lowest bins (for Hann bin 0
    /// keeps 1/6 of the floor and bin 1 keeps 5/6; wider windows reach further), and the Nyquist bin of an even
    /// length (c = 1) holds half of it. NaN when the band holds no bin or there is no segment yet.
    public func noiseDensity(band: ClosedRange<Double>) -> Double {
        let density = psd(scaling: .density)
        var sum = 0.0
        var count = 0
        for (k, frequency) in frequencies.enumerated() where band.contains(frequency) {
            sum += density[k]
            count += 1
        }
        guard count > 0 else { return .nan }
        return (sum / Double(count)).squareRoot()
    }

    /// The equivalent degrees of freedom ν of each bin's estimate (except DC and Nyquist, which have half): the
    /// estimate is distributed as P·χ²_ν/ν, which gives its confidence interval.
    ///
    /// ν = 2K / (1 + 2·Σ_{j=1}^{K−1} (1 − j/K)·ρ(j·hop)), where ρ is the window's squared overlap correlation
    /// (`SpectralWindow.overlapCorrelation(lag:)`), zero once j·hop ≥ L (Welch 1967; Percival & Walden 1993
    /// eq. 292b). For Hann at 50 % overlap ρ(L/2) = 1/36, so ν ≈ 2K/1.0556 for large K (§3.3); Hann at 75 %
    /// gives ν ≈ 2K/1.92, and without overlap ν = 2K. It assumes a smooth spectrum across the window's main lobe
    /// (Gaussian, locally white noise); 0 while K = 0.
    public var equivalentDegreesOfFreedom: Double {
        guard segmentCount > 0 else { return 0 }
        let k = Double(segmentCount)
        var denominator = 1.0
        var j = 1
        while j < segmentCount && j * hop < segmentLength {
            denominator += 2 * (1 - Double(j) / k) * window.overlapCorrelation(lag: j * hop)
            j += 1
        }
        return 2 * k / denominator
    }
}
