import SensorStats

/// Zero or span drift of a gas sensor: the least-squares slope of its readings against time over a run at fixed
/// conditions (reference/sensors.md §8.7 "Drift"; for MOx use raw SRAW/log-R, never the adaptive indices).
///
/// Slope per hour with its standard error s/√Sxx (s the residual standard deviation, ν = n − 2) and the t-based
/// interval b ± t_{1−α/2}(n − 2)·u_b. Streaming (`StreamingLineFit`), so a day-long record costs nothing. Readings are
/// taken as independent: correlated noise (1/f, MOx baseline wander) makes the standard error optimistic, so compare
/// it with the Allan deviation of the same record when the verdict is close.
public struct GasDrift: Sendable {
    private var fit = StreamingLineFit()
    /// Welford moments of the time (hours), for Sxx.
    private var times = RunningMoments()
    private var first: Double?
    private var lastHours = 0.0

    public init() {}

    /// Adds one reading at `time` seconds (any origin); non-finite values are skipped.
    public mutating func add(time: Double, value: Double) {
        guard time.isFinite, value.isFinite else { return }
        let origin = first ?? time
        first = origin
        let hours = (time - origin) / 3600
        fit.add(x: hours, y: value)
        times.add(hours)
        lastHours = Swift.max(lastHours, hours)
    }

    public struct Result: Sendable, Equatable, Codable {
        /// Slope per hour with its standard error (unit: reading per hour).
        public var slopePerHour: UncertainValue
        /// [low, high] of the slope at `confidence`, per hour.
        public var interval: [Double]
        public var confidence: Double
        public var slopePerDay: Double
        public var count: Int
        /// Hours from the first to the last reading.
        public var spanHours: Double
        public var residualStandardDeviation: Double
    }

    /// nil below 3 readings or without two distinct times.
    public func result(unit: String, confidence: Double = 0.95) -> Result? {
        guard fit.count >= 3, let slope = fit.slope, let s = fit.residualStandardDeviation else { return nil }
        let n = Double(fit.count)
        let sxx = times.m2
        guard sxx > 0 else { return nil }
        let u = s / sxx.squareRoot()
        let level = Swift.min(Swift.max(confidence, 0.5), 0.9999)
        let t = StudentT.quantile(1 - (1 - level) / 2, degreesOfFreedom: n - 2)
        return Result(
            slopePerHour: UncertainValue(slope, standardUncertainty: u, unit: "\(unit)/h"),
            interval: [slope - t * u, slope + t * u], confidence: level, slopePerDay: 24 * slope,
            count: fit.count, spanHours: lastHours, residualStandardDeviation: s)
    }
}
