import SensorStats

/// The figures of one recorded series, computed offline (`sensorqual analyze series`): moments, the overlapping
/// Allan deviation at octave τ with confidence intervals, and the one-sided noise density of its white floor
/// from a Welch PSD (reference/statistics.md §1–3). The same estimators the daemon runs, so a lab can check a
/// report against its raw capture, or characterise data recorded elsewhere.
public struct SeriesAnalysis: Sendable, Codable, Equatable {
    public var count: Int
    public var sampleRate: Double
    public var mean: Double
    /// Sample standard deviation (n − 1).
    public var stddev: Double?
    /// scipy `skew(bias=True)`.
    public var skewness: Double?
    /// Excess kurtosis, scipy `kurtosis` (Fisher, bias=True).
    public var kurtosis: Double?
    public var min: Double
    public var max: Double
    /// Overlapping Allan deviation at octave τ, 68.3 % confidence intervals; no term spans a gap.
    public var adev: [AllanPoint]
    /// Dropouts in the series (from its time stamps), where the Allan deviation restarted its differences.
    public var gaps: Int
    /// sqrt of the mean one-sided density over `noiseDensityBand`, unit/√Hz; nil when the series is too short
    /// for one Welch segment.
    public var noiseDensity: Double?
    /// The band (Hz) the noise density averages: clear of DC (mean removal leaks into the lowest bins) and of
    /// the top of the band, where a sensor's decimation filter rolls off.
    public var noiseDensityBand: [Double]
    public var welchSegmentLength: Int
    public var welchSegments: Int
    /// (frequency Hz, one-sided density unit²/Hz) per bin, with `--psd`.
    public var psd: [[Double]]?

    public struct AllanPoint: Sendable, Codable, Equatable {
        /// τ in seconds.
        public var tau: Double
        public var m: Int
        public var adev: Double
        /// Number of overlapping second differences.
        public var n: Int
        public var ciLow: Double?
        public var ciHigh: Double?
    }

    /// Analyses `values` read at `sampleRate` Hz.
    /// - Parameters:
    ///   - band: the noise-density band in Hz; default [0.1, 0.4]·fs (20 %–80 % of Nyquist).
    ///   - includePSD: keep the whole PSD in the result.
    ///   - gapsBefore: indices of readings that follow a dropout (a missed reading).
    public static func analyze(_ values: [Double], sampleRate: Double, band: ClosedRange<Double>? = nil,
                               includePSD: Bool = false, gapsBefore: [Int] = []) -> SeriesAnalysis {
        precondition(sampleRate > 0, "sample rate must be positive")
        var moments = RunningMoments()
        values.withUnsafeBufferPointer { moments.add($0) }

        var allan = OverlappingAllanDeviation(tau0: 1 / sampleRate,
                                              factors: OverlappingAllanDeviation.octaves(upTo: Swift.max(1, values.count / 4)))
        values.withUnsafeBufferPointer { buffer in
            var start = 0
            for gap in gapsBefore.sorted() where gap > start && gap < buffer.count {
                allan.add(UnsafeBufferPointer(rebasing: buffer[start..<gap]))
                allan.markGap()
                start = gap
            }
            allan.add(UnsafeBufferPointer(rebasing: buffer[start...]))
        }

        // Welch: the largest power-of-two segment up to 4096 that still gives ≥ 8 segments, for a floor
        // estimate with ≥ ~15 degrees of freedom.
        var length = 4096
        while length > 16 && values.count < 8 * length / 2 { length /= 2 }
        var welch = WelchPSD(sampleRate: sampleRate, segmentLength: length)
        values.withUnsafeBufferPointer { welch.add($0) }
        let chosen = band ?? (0.1 * sampleRate)...(0.4 * sampleRate)
        let density = welch.segmentCount > 0 ? welch.noiseDensity(band: chosen) : .nan
        var spectrum: [[Double]]?
        if includePSD, welch.segmentCount > 0 {
            spectrum = zip(welch.frequencies, welch.psd(scaling: .density)).map { [$0, $1] }
        }
        return SeriesAnalysis(
            count: moments.count, sampleRate: sampleRate, mean: moments.mean,
            stddev: moments.sampleStandardDeviation, skewness: moments.skewness, kurtosis: moments.excessKurtosis,
            min: moments.minimum, max: moments.maximum,
            adev: Self.allanPoints(allan), gaps: allan.gapCount,
            noiseDensity: density.isFinite ? density : nil, noiseDensityBand: [chosen.lowerBound, chosen.upperBound],
            welchSegmentLength: length, welchSegments: welch.segmentCount, psd: spectrum)
    }
}

extension SeriesAnalysis {
    /// The octave curve with 68.3 % intervals; the noise type behind each interval is read from the local slope.
    static func allanPoints(_ allan: OverlappingAllanDeviation) -> [AllanPoint] {
        allan.points.map {
            AllanPoint(tau: $0.tau, m: $0.factor, adev: $0.deviation, n: $0.terms, ciLow: $0.ciLow, ciHigh: $0.ciHigh)
        }
    }
}
