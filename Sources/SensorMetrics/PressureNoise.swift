import SensorStats

/// Pressure noise of one DUT over a record at a steady input (reference/sensors.md §8.2).
///
/// The reported figure is the two-sample (Allan at τ₀) deviation σ = √(½·mean((x_{i+1} − x_i)²)): it equals
/// the RMS noise for white noise and ignores slow drift of the enclosure. The detrended standard deviation
/// is kept beside it as a cross-check; a large gap between the two shows drift or correlated noise.
public struct PressureNoise: Sendable {
    public let outputDataRate: Double
    private var allan: OverlappingAllanDeviation
    private var detrend = StreamingLineFit()
    private var moments = RunningMoments()
    /// Readings not yet handed to the estimators, which take them a block at a time.
    private var batch = ReadingBatch(channels: 1)
    /// Reading index, counting missed readings, of the next reading.
    private var index = 0

    /// - Parameters:
    ///   - outputDataRate: reading rate in Hz.
    ///   - averagingTimes: extra τ values in seconds at which the Allan deviation is wanted (e.g. the dwell
    ///     time of an accuracy step, for its Type A uncertainty); octaves are always kept.
    ///   - duration: the record's planned length, s, when known: octaves up to τ = 512 s are kept, but none longer than
    ///     half of it (an averaging factor m has terms only while m ≤ N/2 readings, so a longer one would add no point,
    ///     only rings of up to 2m phase values set aside and zeroed for nothing: 3 MB per DUT for a 200 Hz record).
    public init(outputDataRate: Double, averagingTimes: [Double] = [], duration: Double? = nil) {
        self.outputDataRate = outputDataRate
        let extra = averagingTimes.map { Swift.max(1, Int(($0 * outputDataRate).rounded())) }
        // One reading more than the duration holds, in case the window catches both ends.
        let reachable = duration.map { Int(($0 * outputDataRate).rounded(.up)) / 2 + 1 } ?? .max
        let octaves = OverlappingAllanDeviation.octaves(upTo: Swift.max(1, Swift.min(Int(outputDataRate * 512), reachable)))
        allan = OverlappingAllanDeviation(tau0: 1 / outputDataRate, factors: octaves + extra)
    }

    /// Marks a dropout (missed conversions) before the next reading: no two-sample difference spans it
    /// (statistics.md §2.3 "Gaps"). The line fit keeps the reading times, so the gap is where it happened.
    public mutating func markGap(missedReadings: Int) {
        handOverBatch()
        allan.markGap()
        index += Swift.max(0, missedReadings)
    }

    /// Dropouts marked so far.
    public var gapCount: Int { allan.gapCount }

    /// Adds one reading in Pa, in order.
    public mutating func add(_ pressure: Double) {
        batch.append(pressure)
        index += 1
        if batch.isFull { handOverBatch() }
    }

    /// Gives the batched readings to the estimators. They hold no gap (`markGap` hands over first), so their indices
    /// run on from `index − batch.count`.
    private mutating func handOverBatch() {
        guard batch.count > 0 else { return }
        let first = index - batch.count
        batch.withReadings(of: 0) { readings in
            allan.add(readings)
            moments.add(readings)
            for (offset, pressure) in readings.enumerated() {
                detrend.add(x: Double(first + offset) / outputDataRate, y: pressure)
            }
        }
        batch.removeAll()
    }

    /// This record with its batched readings handed over: what the figures are computed from.
    private var handedOver: PressureNoise {
        var record = self
        record.handOverBatch()
        return record
    }

    public struct Result: Sendable, Equatable, Codable {
        /// Two-sample deviation with U (k = 2) from its equivalent degrees of freedom, Pa.
        public var rms: UncertainValue
        /// Residual standard deviation about a fitted line, Pa.
        public var detrendedStandardDeviation: Double
        /// σ/√(ODR/2), Pa/√Hz: meaningful only where the noise is white.
        public var noiseDensity: Double
        public var sampleCount: Int
        public var equivalentDegreesOfFreedom: Double
        public var meanPressure: Double
        /// Overlapping Allan deviation at octave τ (and requested τ), Pa.
        public var allanDeviation: [OverlappingAllanDeviation.Point]
    }

    /// nil below 100 readings: too few for a noise figure worth a verdict.
    public var result: Result? {
        guard batch.count == 0 else { return handedOver.result }
        let n = allan.readingCount
        guard n >= 100, let sigma = allan.deviation(factor: 1), let detrended = detrend.residualStandardDeviation
        else { return nil }
        // EDF of the overlapping Allan variance at m = 1 for white noise, NIST SP1065 Table 5 (statistics.md §2.4):
        // ν = (3(N−1)/(2m) − 2(N−2)/N) · 4m²/(4m² + 5). The relative standard uncertainty of σ is 1/√(2ν).
        let N = Double(n + 1)   // phase points
        let edf = (3 * (N - 1) / 2 - 2 * (N - 2) / N) * 4 / 9
        let u = sigma / (2 * edf).squareRoot()
        return Result(
            rms: UncertainValue(sigma, standardUncertainty: u, unit: "Pa"),
            detrendedStandardDeviation: detrended,
            noiseDensity: sigma / (outputDataRate / 2).squareRoot(),
            sampleCount: n,
            equivalentDegreesOfFreedom: edf,
            meanPressure: moments.mean,
            allanDeviation: allan.points)
    }

    /// Allan deviation at averaging time τ (seconds), if that τ was requested and has data.
    public func allanDeviation(at tau: Double) -> Double? {
        guard batch.count == 0 else { return handedOver.allanDeviation(at: tau) }
        return allan.deviation(factor: Swift.max(1, Int((tau * outputDataRate).rounded())))
    }
}
