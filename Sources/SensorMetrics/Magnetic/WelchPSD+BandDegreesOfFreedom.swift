import SensorStats

extension WelchPSD {
    /// The equivalent degrees of freedom ν of a weighted sum of bins, Σ q_k·P_k, for Gaussian noise that is white
    /// across the band: the sum is distributed as its mean times χ²_ν/ν, which gives its confidence interval.
    ///
    /// Why not 2K·B/1.0556: statistics.md §3.3 gives ν ≈ 2K/1.0556 for **one** bin (Hann, 50 % overlap; Welch 1967,
    /// Percival & Walden 1993 eq. 292b), but neighbouring bins of a windowed periodogram are correlated too (for Hann
    /// the squared correlation of adjacent bins is 4/9 and of bins two apart 1/36), and so are neighbouring bins of
    /// overlapping segments. Treating B averaged bins as independent would double ν for Hann and make the interval
    /// √2 too narrow. So ν = 2·(E Σ)²/Var Σ is computed exactly from the window, for white noise:
    /// Cov(|X_{s,k}|², |X_{s′,l}|²) = σ⁴·(|C_D(k − l)|² + |C_D(k + l)|²), with D = (s′ − s)·hop and
    /// C_D(m) = Σ_n w_n·w_{n+D}·e^{−2πi·mn/L} (Isserlis' theorem; the second term is the real signal's mirror image).
    /// For a wide Hann band at 50 % overlap this tends to ν ≈ 2K·B/2.11; one bin gives back 2K/1.0556.
    ///
    /// DC and, for even L, the Nyquist bin have other statistics and are not allowed: keep the band off them.
    /// Each segment's mean removal is ignored; it touches only the first bin or two (see `noiseDensity(band:)`).
    ///
    /// - Parameters:
    ///   - weights: bin index → weight q_k (1 for a plain mean, a fraction for a bin half inside a band).
    ///   - segmentRuns: the segment counts of the runs between gaps (segments of different runs do not overlap);
    ///     nil for one unbroken run of `segmentCount` segments.
    /// - Returns: ν, or nil without segments, weights or with a DC/Nyquist bin.
    public func bandDegreesOfFreedom(weights: [Int: Double], segmentRuns: [Int]? = nil) -> Double? {
        let runs = (segmentRuns ?? [segmentCount]).filter { $0 > 0 }
        let length = segmentLength
        let bins = weights.keys.sorted()
        guard !runs.isEmpty, let first = bins.first, let last = bins.last, first >= 1,
              length % 2 == 1 || last < length / 2
        else { return nil }
        let q = bins.map { weights[$0] ?? 0 }
        let meanTotal = Double(runs.reduce(0, +)) * q.reduce(0, +)
        guard meanTotal > 0 else { return nil }

        let longestRun = runs.max() ?? 0
        var variance = 0.0
        var lag = 0
        while lag < longestRun && lag * hop < length {
            // Pairs of segments `lag` apart, both orders when lag > 0.
            let pairs = Double(runs.reduce(0) { $0 + Swift.max(0, $1 - lag) }) * (lag == 0 ? 1 : 2)
            let spectrum = window.shiftedProductSpectrum(shift: lag * hop)
            // |C_D(m)|² for −L < m < 2L (bin differences and sums): the DFT of a real sequence is conjugate-symmetric.
            // Folded by comparison, not `%`: two divisions per pair were most of this sum's time.
            func psi(_ m: Int) -> Double {
                let r = m < 0 ? m + length : (m >= length ? m - length : m)
                return spectrum[r <= length / 2 ? r : length - r]
            }
            var inner = 0.0
            for a in bins.indices {
                // Pairs whose index difference, or sum (mod L), is within the cutoff; the rest add nothing.
                let near = Self.firstIndex(in: bins, notBelow: bins[a] - Self.correlationCutoff)
                for b in near..<bins.count {
                    guard bins[b] <= bins[a] + Self.correlationCutoff else { break }
                    inner += q[a] * q[b] * psi(bins[a] - bins[b])
                }
                for b in bins.indices {
                    guard bins[a] + bins[b] <= Self.correlationCutoff else { break }
                    inner += q[a] * q[b] * psi(bins[a] + bins[b])
                }
                let mirror = Self.firstIndex(in: bins, notBelow: length - Self.correlationCutoff - bins[a])
                for b in mirror..<bins.count where bins[a] + bins[b] > Self.correlationCutoff {
                    inner += q[a] * q[b] * psi(bins[a] + bins[b])
                }
            }
            variance += pairs * inner
            lag += 1
        }
        guard variance > 0 else { return nil }
        return 2 * meanTotal * meanTotal / variance
    }

    /// Bins further apart than this (or whose sum is further than this from 0 or L) are uncorrelated to far below
    /// rounding: for Hann at 50 % overlap |C_D(m)|²/(Σw²)² is 6e-16 at m = 255 and falls as m⁻⁶. It keeps the sum
    /// O(B) for wide bands.
    static var correlationCutoff: Int { 256 }

    /// The first index of ascending `values` holding a value ≥ `bound` (binary search), or `values.count`.
    private static func firstIndex(in values: [Int], notBelow bound: Int) -> Int {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < bound { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
