import Foundation
import SensorStats

/// Noise of a three-axis magnetometer at a steady field, per axis, from one streamed record
/// (reference/sensors.md §8.5 items 2–3, §8.6, §4 row "Magnetic resolution 1 pT").
///
/// Readings come in µT; every figure is in pT (pT/√Hz for densities), because the target is 1 pT and a MEMS part
/// misses it by 10⁴–10⁵ (§4): the report must show by how much, at which bandwidth. Per axis:
/// - the **white-noise floor**: the mean one-sided Welch PSD (Hann, 50 % overlap, `segmentSeconds` segments; §8.5
///   item 2) over the bins of `band`, as an ASD, with its χ² interval from the exact equivalent degrees of freedom
///   of that band mean (`WelchPSD.bandDegreesOfFreedom`);
/// - the ASD at 1 Hz and 10 Hz (§8.5 item 2), the mean PSD over the bins within ±10 % of the frequency;
/// - the **RMS noise in the band**, √∫PSD df (§8.5 item 2), which is the noise-limited **resolution** at that
///   bandwidth (§8.5 item 3), with its uncertainty;
/// - Parseval: the RMS of the detrended series against √(Σ P_k·Δf) over 0…fs/2 (§8.5 item 2; statistics.md §3.2);
/// - the overlapping Allan deviation at octave τ from 1/ODR to a tenth of the record (§8.4), the bias instability
///   min σ_A/0.664 (IEEE 952; statistics.md §2.5), the τ where σ_A reaches 1 pT or "not reached", and the white-noise
///   extrapolation τ = (a/1 pT)²/2 (§4 calc row), labelled as an extrapolation (§8.6).
///
/// Streaming: memory is fixed by the segment length and the Allan cascade, not by the record's length.
public struct MagneticNoise: Sendable {
    /// Why a noise record cannot be set up.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case invalidOutputDataRate(Double)
        /// The Welch segment would hold fewer than 8 readings.
        case segmentTooShort(seconds: Double, outputDataRate: Double)
        /// The band holds no PSD bin between DC and Nyquist (exclusive).
        case bandOutsideSpectrum(low: Double, high: Double, binWidth: Double, nyquist: Double)

        public var description: String {
            switch self {
            case .invalidOutputDataRate(let rate):
                "magnetic noise: the output data rate must be finite and positive, not \(rate) Hz"
            case .segmentTooShort(let seconds, let rate):
                "magnetic noise: a Welch segment of \(seconds) s at \(rate) Hz holds fewer than 8 readings"
            case .bandOutsideSpectrum(let low, let high, let binWidth, let nyquist):
                "magnetic noise: the band \(low)–\(high) Hz holds no PSD bin between \(binWidth) Hz and below the "
                    + "Nyquist frequency \(nyquist) Hz"
            }
        }
    }

    public let outputDataRate: Double
    public let segmentSeconds: Double
    /// The band of the white-noise floor and of the RMS noise, Hz.
    public let band: ClosedRange<Double>
    /// The quantisation step (LSB) in µT, if given: reported separately from the noise (§8.5 item 3).
    public let quantisationStep: Double?
    /// Confidence level of every interval (noise floor, resolution, Allan deviation).
    public let confidence: Double

    private var axes: [AxisRecord]
    /// Readings (pT, x, y and z) not yet handed to the axes' estimators, which take them a block at a time.
    private var batch = ReadingBatch(channels: 3)
    /// Reading index, counting missed readings, so the detrending line keeps real time across gaps.
    private var index = 0
    private var readings = 0
    private var gaps = 0

    /// - Parameters:
    ///   - outputDataRate: reading rate in Hz.
    ///   - segmentSeconds: Welch segment length in seconds (§8.5: 10–20 s); rounded to whole readings.
    ///   - band: the band of the noise floor and RMS noise, Hz (e.g. 1…10 Hz); keep it off DC and Nyquist.
    ///   - quantisationStep: the output's LSB in µT, if known.
    ///   - confidence: level of the intervals; 95 % by default.
    public init(outputDataRate: Double, segmentSeconds: Double, band: ClosedRange<Double>,
                quantisationStep: Double? = nil, confidence: Double = 0.95) throws(Failure) {
        guard outputDataRate.isFinite, outputDataRate > 0 else { throw .invalidOutputDataRate(outputDataRate) }
        let length = segmentSeconds.isFinite ? Int((segmentSeconds * outputDataRate).rounded()) : 0
        guard length >= 8 else { throw .segmentTooShort(seconds: segmentSeconds, outputDataRate: outputDataRate) }
        let welch = WelchPSD(sampleRate: outputDataRate, segmentLength: length, window: .hann)
        let binWidth = welch.binWidth
        guard !Self.floorBins(band: band, binWidth: binWidth, segmentLength: length).isEmpty else {
            throw .bandOutsideSpectrum(low: band.lowerBound, high: band.upperBound, binWidth: binWidth,
                                       nyquist: outputDataRate / 2)
        }
        self.outputDataRate = outputDataRate
        self.segmentSeconds = segmentSeconds
        self.band = band
        self.quantisationStep = quantisationStep
        self.confidence = Swift.min(Swift.max(confidence, 0.5), 0.9999)
        // Octaves up to 2¹⁷ s of readings, far beyond any record (levels above the record never get terms); exact
        // up to m = 8191, decimated beyond, which keeps nearly all the overlap's efficiency for white and random-walk
        // noise (statistics.md §2.3 scheme B) in 256 KiB per axis instead of 4 MiB.
        let allan = OverlappingAllanDeviation(
            tau0: 1 / outputDataRate,
            factors: OverlappingAllanDeviation.octaves(upTo: Swift.max(1, Int(outputDataRate * 131_072))),
            memoryBudget: 1 << 14)
        axes = Array(repeating: AxisRecord(welch: welch, allan: allan), count: 3)
    }

    /// Adds one reading of the three axes in µT, in order.
    public mutating func add(_ field: (x: Double, y: Double, z: Double)) {
        batch.append(field.x * Self.picoteslaPerMicrotesla, field.y * Self.picoteslaPerMicrotesla,
                     field.z * Self.picoteslaPerMicrotesla)
        index += 1
        readings += 1
        if batch.isFull { handOverBatch() }
    }

    /// Gives the batched readings to each axis's estimators. They hold no gap (`markGap` hands over first), so their
    /// indices run on from `index − batch.count`.
    private mutating func handOverBatch() {
        guard batch.count > 0 else { return }
        let first = index - batch.count
        for axis in axes.indices {
            batch.withReadings(of: axis) { axes[axis].add($0, firstIndex: first, rate: outputDataRate) }
        }
        batch.removeAll()
    }

    /// This record with its batched readings handed over: what the figures are computed from.
    private var handedOver: MagneticNoise {
        var record = self
        record.handOverBatch()
        return record
    }

    /// Marks a dropout (missed readings) before the next reading, as `PressureNoise` does: no Allan difference and
    /// no Welch segment spans it (the unfinished segment is dropped), and the detrending line keeps real time.
    public mutating func markGap(missedReadings: Int) {
        guard readings > 0 else { return }
        handOverBatch()
        for axis in axes.indices { axes[axis].markGap() }
        index += Swift.max(0, missedReadings)
        gaps += 1
    }

    /// Dropouts marked so far.
    public var gapCount: Int { gaps }

    /// The one-sided PSD of one axis (0 = x, 1 = y, 2 = z) in pT²/Hz at `frequencies` (Hz), for a plot or a check
    /// against `scipy.signal.welch`; nil before the first whole segment or for another axis.
    public func spectrum(axis: Int) -> (frequencies: [Double], density: [Double])? {
        guard axes.indices.contains(axis) else { return nil }
        guard batch.count == 0 else { return handedOver.spectrum(axis: axis) }
        let welch = axes[axis].combinedWelch
        guard welch.segmentCount > 0 else { return nil }
        return (welch.frequencies, welch.psd(scaling: .density))
    }

    static let picoteslaPerMicrotesla = 1e6

    /// The bins of the noise floor: those with a frequency in `band`, DC and (even L) Nyquist excluded.
    static func floorBins(band: ClosedRange<Double>, binWidth: Double, segmentLength: Int) -> [Int] {
        let top = segmentLength % 2 == 0 ? segmentLength / 2 - 1 : segmentLength / 2
        guard top >= 1 else { return [] }
        return (1...top).filter { band.contains(Double($0) * binWidth) }
    }

    /// The weights of the band integral: the fraction of each bin's cell [f − Δf/2, f + Δf/2] inside `band`, over
    /// the same bins as the floor may use (DC and Nyquist excluded), so a white floor integrates to a²·(f₂ − f₁).
    static func bandWeights(band: ClosedRange<Double>, binWidth: Double, segmentLength: Int) -> [Int: Double] {
        let top = segmentLength % 2 == 0 ? segmentLength / 2 - 1 : segmentLength / 2
        var weights: [Int: Double] = [:]
        guard top >= 1 else { return weights }
        for k in 1...top {
            let low = (Double(k) - 0.5) * binWidth, high = (Double(k) + 0.5) * binWidth
            let inside = Swift.min(high, band.upperBound) - Swift.max(low, band.lowerBound)
            if inside > 0 { weights[k] = inside / binWidth }
        }
        return weights
    }

    /// Points of the spectrum kept in a result: enough to show its shape on a log axis, few enough for a report.
    public static let spectrumPoints = 200

    /// The one-sided PSD (pT²/Hz, bins k·Δf) as `[f, ASD]` pairs on about `points` log-spaced frequency bins from the
    /// first bin to the last, DC excluded: the PSD bins falling in each log bin are averaged (a plain mean of power,
    /// which keeps the power and so the ASD level), the frequency is their geometric mean, and the ASD is √(mean PSD).
    /// At low frequencies, where a log bin is narrower than Δf, each PSD bin stays on its own. Bins that are not
    /// finite are left out.
    public static func decimatedSpectrum(psd: [Double], binWidth: Double, points: Int = spectrumPoints) -> [[Double]] {
        let top = psd.count - 1
        guard top >= 1, points >= 1, binWidth > 0, binWidth.isFinite else { return [] }
        let span = log(Double(top))   // from bin 1 to bin `top`, in ln(k)
        var pairs: [[Double]] = []
        var group: (index: Int, power: Double, logFrequency: Double, count: Int)?
        func flush() {
            guard let g = group, g.count > 0 else { return }
            pairs.append([exp(g.logFrequency / Double(g.count)), (g.power / Double(g.count)).squareRoot()])
        }
        for k in 1...top where psd[k].isFinite && psd[k] >= 0 {
            let index = span > 0 ? Swift.min(points - 1, Int(Double(points) * log(Double(k)) / span)) : 0
            if group?.index != index {
                flush()
                group = (index, 0, 0, 0)
            }
            group?.power += psd[k]
            group?.logFrequency += log(Double(k) * binWidth)
            group?.count += 1
        }
        flush()
        return pairs
    }

    /// The figures, or nil before 100 readings and one whole Welch segment per axis.
    public var result: Result? {
        guard readings >= 100 else { return nil }
        guard batch.count == 0 else { return handedOver.result }
        let duration = Double(index) / outputDataRate
        var results: [AxisResult] = []
        for (axis, name) in zip(axes, ["x", "y", "z"]) {
            guard let figures = axis.figures(of: self, name: name, duration: duration) else { return nil }
            results.append(figures)
        }
        let welch = axes[0].combinedWelch
        let quantum = quantisationStep.map { $0 * Self.picoteslaPerMicrotesla }
        return Result(
            axes: results, sampleCount: readings, gapCount: gaps, duration: duration,
            outputDataRate: outputDataRate, band: [band.lowerBound, band.upperBound],
            segmentSeconds: Double(welch.segmentLength) / outputDataRate, welchSegments: welch.segmentCount,
            binWidth: welch.binWidth, confidence: confidence, quantisationStepPT: quantum,
            quantisationNoisePT: quantum.map { $0 / 12.0.squareRoot() })
    }
}

// MARK: - Results

extension MagneticNoise {
    /// The figures of all three axes and the conditions they hold under.
    public struct Result: Sendable, Equatable, Codable {
        /// x, y, z, in that order.
        public var axes: [AxisResult]
        public var sampleCount: Int
        public var gapCount: Int
        /// Record length in seconds, missed readings included.
        public var duration: Double
        public var outputDataRate: Double
        /// [low, high] of the noise band, Hz.
        public var band: [Double]
        public var segmentSeconds: Double
        public var welchSegments: Int
        /// Δf = ODR/L, Hz.
        public var binWidth: Double
        /// The level of every interval.
        public var confidence: Double
        /// The LSB in pT, if given (§8.5 item 3: stated separately).
        public var quantisationStepPT: Double?
        /// q/√12, pT: the quantisation noise if the LSB is larger than the analogue noise.
        public var quantisationNoisePT: Double?

        // Keys spelled so that the report's snake_case round-trips (`quantisation_step_pt` ↔ `quantisationStepPt`), as
        // MicrophoneMeasurements does; the JSON is unchanged.
        enum CodingKeys: String, CodingKey {
            case axes, sampleCount, gapCount, duration, outputDataRate, band, segmentSeconds, welchSegments, binWidth, confidence
            case quantisationStepPT = "quantisationStepPt", quantisationNoisePT = "quantisationNoisePt"
        }
    }

    /// The noise figures of one axis, all in pT (pT/√Hz for densities).
    public struct AxisResult: Sendable, Equatable, Codable {
        /// "x", "y" or "z".
        public var axis: String
        /// Mean field in µT.
        public var meanMicrotesla: Double
        /// White-noise floor: √(mean PSD over the band's bins), pT/√Hz.
        public var noiseFloorPTPerRootHz: Double
        /// Its χ² interval at the result's confidence, pT/√Hz.
        public var noiseFloorIntervalPTPerRootHz: [Double]
        /// ν of the band-mean PSD behind the interval.
        public var noiseFloorDegreesOfFreedom: Double
        /// Bins averaged for the floor.
        public var noiseFloorBins: Int
        /// ASD at 1 Hz and 10 Hz (mean PSD of the bins within ±10 %), pT/√Hz; nil outside the spectrum.
        public var asdAt1HzPTPerRootHz: Double?
        public var asdAt10HzPTPerRootHz: Double?
        /// √(∫PSD df over the band), pT: the noise-limited resolution at this bandwidth (§8.5 item 3).
        public var resolution: Resolution
        /// Residual standard deviation about a fitted line over the whole record, pT.
        public var detrendedRMSPT: Double
        /// RMS² of the detrended series / Σ P_k·Δf over 0…fs/2: ≈ 1 (Parseval, §8.5 item 2); far from 1 means drift
        /// or a spectrum leaking below the first bins.
        public var parsevalRatio: Double
        /// Overlapping Allan deviation at octave τ ≤ record/10, pT, with χ² intervals.
        public var allanDeviationPT: [OverlappingAllanDeviation.Point]
        /// min σ_A/0.664 (IEEE 952; statistics.md §2.5), pT, at `biasInstabilityTau`.
        public var biasInstabilityPT: Double?
        public var biasInstabilityTau: Double?
        /// True when the minimum is the longest τ: the curve was still falling, so the value is an upper bound.
        public var biasInstabilityIsUpperBound: Bool
        /// Where the Allan deviation first falls to 1 pT; nil: not reached within the record.
        public var tauToOnePicotesla: LimitCrossing?
        /// The white-noise extrapolation τ = (a/1 pT)²/2 from the floor a (§4 calc row): **an extrapolation**, valid
        /// only if the noise stays white to that τ (the 1/f floor may stop it, §4).
        public var extrapolatedTauToOnePicotesla: Extrapolation
        /// The amplitude spectral density for a plot: `[frequency Hz, ASD pT/√Hz]` pairs, the Welch PSD decimated onto
        /// about `spectrumPoints` log-spaced frequency bins (see `decimatedSpectrum`). nil in reports written before it
        /// was kept.
        public var spectrum: [[Double]]? = nil

        // Keys spelled so that the report's snake_case round-trips (`quantisation_step_pt` ↔ `quantisationStepPt`), as
        // MicrophoneMeasurements does; the JSON is unchanged.
        enum CodingKeys: String, CodingKey {
            case axis, meanMicrotesla, noiseFloorPTPerRootHz = "noiseFloorPtPerRootHz"
            case noiseFloorIntervalPTPerRootHz = "noiseFloorIntervalPtPerRootHz", noiseFloorDegreesOfFreedom, noiseFloorBins
            case asdAt1HzPTPerRootHz = "asdAt1HzPtPerRootHz", asdAt10HzPTPerRootHz = "asdAt10HzPtPerRootHz", resolution
            case detrendedRMSPT = "detrendedRmspt", parsevalRatio, allanDeviationPT = "allanDeviationPt"
            case biasInstabilityPT = "biasInstabilityPt", biasInstabilityTau, biasInstabilityIsUpperBound, tauToOnePicotesla
            case extrapolatedTauToOnePicotesla, spectrum
        }

        /// The τ where the Allan deviation first falls to `limitPT`, interpolated log-log between the octave points
        /// around it; nil when it never does within τ ≤ record/10 ("not reached").
        public func tauReaching(limitPT: Double) -> LimitCrossing? {
            let points = allanDeviationPT
            guard limitPT > 0, let tau = Self.crossing(points.map { ($0.tau, $0.deviation) }, limit: limitPT)
            else { return nil }
            // The lower curve reaches the limit first, the upper one last.
            let early = Self.crossing(points.map { ($0.tau, $0.ciLow ?? $0.deviation) }, limit: limitPT)
            let late = Self.crossing(points.map { ($0.tau, $0.ciHigh ?? $0.deviation) }, limit: limitPT)
            return LimitCrossing(limitPT: limitPT, tau: tau, tauLow: early, tauHigh: late)
        }

        /// The white-noise averaging time to `limitPT`, τ = (a/limit)²/2 (σ_A = a/√(2τ) for a one-sided ASD a;
        /// sensors.md §8.4, statistics.md §2.5), with the interval that the floor's interval gives.
        public func extrapolatedTau(limitPT: Double) -> Extrapolation {
            func tau(_ a: Double) -> Double { (a / limitPT) * (a / limitPT) / 2 }
            let interval = noiseFloorIntervalPTPerRootHz
            return Extrapolation(limitPT: limitPT, tau: tau(noiseFloorPTPerRootHz),
                                 tauInterval: interval.map(tau),
                                 basis: "white-noise extrapolation from the \(noiseFloorPTPerRootHz) pT/√Hz floor")
        }

        /// First τ where the curve is ≤ limit, log-log interpolated from the point before; the first τ if it starts
        /// there.
        static func crossing(_ curve: [(tau: Double, deviation: Double)], limit: Double) -> Double? {
            guard let k = curve.firstIndex(where: { $0.deviation <= limit }) else { return nil }
            guard k > 0, curve[k].deviation > 0 else { return curve[k].tau }
            let (t0, s0) = curve[k - 1], (t1, s1) = curve[k]
            let fraction = (log(limit) - log(s0)) / (log(s1) - log(s0))
            return exp(log(t0) + fraction * (log(t1) - log(t0)))
        }
    }

    /// The noise-limited resolution: RMS noise in the stated band (§8.5 item 3).
    public struct Resolution: Sendable, Equatable, Codable {
        /// √∫PSD df over the band, pT, with u = value/√(2ν) (χ² with ν degrees of freedom).
        public var rms: UncertainValue
        /// Its χ² interval at the result's confidence, pT.
        public var intervalPT: [Double]
        public var degreesOfFreedom: Double
        /// [low, high] in Hz, and the width the bins actually cover.
        public var band: [Double]
        public var bandwidth: Double

        // Keys spelled so that the report's snake_case round-trips (`quantisation_step_pt` ↔ `quantisationStepPt`), as
        // MicrophoneMeasurements does; the JSON is unchanged.
        enum CodingKeys: String, CodingKey { case rms, intervalPT = "intervalPt", degreesOfFreedom, band, bandwidth }

        /// value / limit: how many times the limit the RMS noise is (> 1 fails).
        public func factorOverLimit(_ limitPT: Double) -> Double { rms.value / limitPT }

        /// E.g. "1.5 × 10⁴ pT RMS in 1–10 Hz: 1.5 × 10⁴ × the 1 pT limit": by how much a part fails, and at which
        /// bandwidth (§4, §8.6).
        public func statement(limitPT: Double = 1) -> String {
            let factor = factorOverLimit(limitPT)
            let verdict = factor <= 1 ? "within" : "\(Self.scientific(factor)) × "
            return "\(Self.scientific(rms.value)) pT RMS in " + String(format: "%g–%g Hz", band[0], band[1])
                + ": \(verdict)the " + String(format: "%g", limitPT) + " pT limit"
        }

        /// Two significant digits in a × 10ⁿ form.
        static func scientific(_ value: Double) -> String {
            guard value.isFinite, value > 0 else { return "\(value)" }
            let exponent = Int(floor(log10(value)))
            let mantissa = value / pow(10, Double(exponent))
            if (-1...2).contains(exponent) { return String(format: "%.3g", value) }
            let superscripts: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
            let digits = String(abs(exponent)).compactMap { $0.wholeNumberValue.map { superscripts[$0] } }
            return String(format: "%.2g", mantissa) + " × 10" + (exponent < 0 ? "⁻" : "") + String(digits)
        }
    }

    /// A τ read off the Allan deviation curve.
    public struct LimitCrossing: Sendable, Equatable, Codable {
        public var limitPT: Double
        /// Where σ_A first falls to the limit, s.
        public var tau: Double
        /// Where the interval's lower end reaches it (earliest), s.
        public var tauLow: Double?
        /// Where the interval's upper end reaches it (latest), s; nil: not within the record.
        public var tauHigh: Double?

        // Keys spelled so that the report's snake_case round-trips (`quantisation_step_pt` ↔ `quantisationStepPt`), as
        // MicrophoneMeasurements does; the JSON is unchanged.
        enum CodingKeys: String, CodingKey { case limitPT = "limitPt", tau, tauLow, tauHigh }
    }

    /// A τ extrapolated from the white-noise floor, not measured.
    public struct Extrapolation: Sendable, Equatable, Codable {
        public var limitPT: Double
        public var tau: Double
        /// From the floor's interval, s.
        public var tauInterval: [Double]
        /// Says it is an extrapolation, and from what.
        public var basis: String

        // Keys spelled so that the report's snake_case round-trips (`quantisation_step_pt` ↔ `quantisationStepPt`), as
        // MicrophoneMeasurements does; the JSON is unchanged.
        enum CodingKeys: String, CodingKey { case limitPT = "limitPt", tau, tauInterval, basis }
    }
}

// MARK: - One axis

extension MagneticNoise {
    /// The estimators of one axis, fed in pT.
    struct AxisRecord: Sendable {
        /// Welch over the current run (since the last gap).
        var welch: WelchPSD
        /// The finished runs, merged; nil before the first gap.
        var finished: WelchPSD?
        /// Segments per run, for the EDF (segments of different runs do not overlap).
        var finishedRuns: [Int] = []
        var allan: OverlappingAllanDeviation
        var line = StreamingLineFit()
        var moments = RunningMoments()

        init(welch: WelchPSD, allan: OverlappingAllanDeviation) {
            self.welch = welch
            self.allan = allan
        }

        /// Adds consecutive readings in pT, the first with reading index `firstIndex`.
        mutating func add(_ picotesla: UnsafeBufferPointer<Double>, firstIndex: Int, rate: Double) {
            welch.add(picotesla)
            allan.add(picotesla)
            moments.add(picotesla)
            for (offset, value) in picotesla.enumerated() {
                line.add(x: Double(firstIndex + offset) / rate, y: value)
            }
        }

        mutating func markGap() {
            allan.markGap()
            if welch.segmentCount > 0 {
                finishedRuns.append(welch.segmentCount)
                if var merged = finished { merged.merge(welch); finished = merged } else { finished = welch }
            }
            welch.reset()
        }

        /// All whole segments so far.
        var combinedWelch: WelchPSD {
            guard var merged = finished else { return welch }
            merged.merge(welch)
            return merged
        }

        func figures(of record: MagneticNoise, name: String, duration: Double) -> AxisResult? {
            let welch = combinedWelch
            guard welch.segmentCount > 0, let detrended = line.residualStandardDeviation else { return nil }
            let runs = finishedRuns + [self.welch.segmentCount]
            let psd = welch.psd(scaling: .density)
            let df = welch.binWidth
            let length = welch.segmentLength
            let tail = (1 - record.confidence) / 2

            // White floor: plain mean of the band's bins.
            let floorBins = MagneticNoise.floorBins(band: record.band, binWidth: df, segmentLength: length)
            let floorPSD = floorBins.reduce(0) { $0 + psd[$1] } / Double(floorBins.count)
            guard let floorNu = welch.bandDegreesOfFreedom(
                weights: Dictionary(uniqueKeysWithValues: floorBins.map { ($0, 1.0) }), segmentRuns: runs)
            else { return nil }
            let floorInterval = Self.interval(floorPSD, nu: floorNu, tail: tail).map { $0.squareRoot() }

            // Band integral with cell weights.
            let weights = MagneticNoise.bandWeights(band: record.band, binWidth: df, segmentLength: length)
            // Summed in bin order: a dictionary's own order changes from one process to the next, and with it the
            // last bits of the sum.
            let bins = weights.keys.sorted()
            let power = bins.reduce(0) { $0 + weights[$1]! * psd[$1] } * df
            guard let bandNu = welch.bandDegreesOfFreedom(weights: weights, segmentRuns: runs) else { return nil }
            let rms = power.squareRoot()
            let resolution = Resolution(
                rms: UncertainValue(rms, standardUncertainty: rms / (2 * bandNu).squareRoot(), unit: "pT"),
                intervalPT: Self.interval(power, nu: bandNu, tail: tail).map { $0.squareRoot() },
                degreesOfFreedom: bandNu, band: [record.band.lowerBound, record.band.upperBound],
                bandwidth: bins.reduce(0) { $0 + weights[$1]! } * df)

            let total = psd.reduce(0, +) * df
            let allanPoints = allan.points(noise: nil, confidence: record.confidence)
                .filter { $0.terms >= 2 && ($0.factor == 1 || $0.tau <= duration / 10) }
            let minimum = allanPoints.min { $0.deviation < $1.deviation }

            var result = AxisResult(
                axis: name, meanMicrotesla: moments.mean / MagneticNoise.picoteslaPerMicrotesla,
                noiseFloorPTPerRootHz: floorPSD.squareRoot(), noiseFloorIntervalPTPerRootHz: floorInterval,
                noiseFloorDegreesOfFreedom: floorNu, noiseFloorBins: floorBins.count,
                asdAt1HzPTPerRootHz: Self.asd(at: 1, psd: psd, binWidth: df),
                asdAt10HzPTPerRootHz: Self.asd(at: 10, psd: psd, binWidth: df),
                resolution: resolution, detrendedRMSPT: detrended,
                parsevalRatio: detrended * detrended / total,
                allanDeviationPT: allanPoints,
                biasInstabilityPT: minimum.map { $0.deviation / 0.664 },
                biasInstabilityTau: minimum?.tau,
                biasInstabilityIsUpperBound: minimum != nil && minimum?.tau == allanPoints.last?.tau,
                tauToOnePicotesla: nil,
                extrapolatedTauToOnePicotesla: Extrapolation(limitPT: 1, tau: 0, tauInterval: [], basis: ""),
                spectrum: MagneticNoise.decimatedSpectrum(psd: psd, binWidth: df))
            result.tauToOnePicotesla = result.tauReaching(limitPT: 1)
            result.extrapolatedTauToOnePicotesla = result.extrapolatedTau(limitPT: 1)
            return result
        }

        /// [low, high] of a χ²_ν/ν-distributed estimate (statistics.md §2.4 form, on a power).
        static func interval(_ estimate: Double, nu: Double, tail: Double) -> [Double] {
            [estimate * nu / ChiSquared.quantile(1 - tail, degreesOfFreedom: nu),
             estimate * nu / ChiSquared.quantile(tail, degreesOfFreedom: nu)]
        }

        /// √(mean PSD over the bins within ±10 % of `frequency`), DC excluded; the nearest bin when none falls
        /// inside but the frequency is in the spectrum; nil outside it.
        static func asd(at frequency: Double, psd: [Double], binWidth: Double) -> Double? {
            let top = psd.count - 1
            guard top >= 1, frequency >= binWidth / 2, frequency <= Double(top) * binWidth else { return nil }
            let bins = (1...top).filter { abs(Double($0) * binWidth - frequency) <= 0.1 * frequency }
            if bins.isEmpty {
                let nearest = Swift.min(Swift.max(1, Int((frequency / binWidth).rounded())), top)
                return psd[nearest].squareRoot()
            }
            return (bins.reduce(0) { $0 + psd[$1] } / Double(bins.count)).squareRoot()
        }
    }
}
