import SensorStats

/// Response (and recovery) times of a gas sensor to a concentration step (reference/sensors.md §8.7 "Response
/// time"): t10, t63 and t90, the seconds from the step to the first crossing of 10 %, 63.2 % and 90 % of the change.
///
/// Baseline = mean of the readings in [t0 − `preWindow`, t0); final = mean of the readings in the last `finalWindow`
/// seconds of the record; change = final − baseline, up or down (for a falling step t90 is the recovery). A crossing
/// is interpolated linearly between the two readings around it, the point (t0, baseline) standing before the first
/// reading after the step; its resolution is the sampling interval, stated beside it.
///
/// The times run from the switch of the mixer at t0 and so include the chamber's flush (τ_ch = V/Q). §8.7 wants
/// τ_ch ≪ τ63; they are not deconvolved here. `chamberLimited` flags τ_ch > 0.1·t63: those times then describe the
/// chamber as much as the sensor.
///
/// Streaming in that the run engine can feed readings as they come; the readings after t0 are kept (a response
/// record is minutes long), because the final value is known only at the end.
public struct GasStepResponse: Sendable {
    public let stepTime: Double
    public let preWindow: Double
    public let finalWindow: Double
    /// τ_ch of the chamber, s, if known.
    public let chamberTimeConstant: Double?

    private var baseline = RunningMoments()
    private var times: [Double] = []
    private var values: [Double] = []

    /// - Parameters:
    ///   - stepTime: t0, when the mixer switched, s (same clock as the readings).
    ///   - preWindow: seconds before t0 averaged for the baseline.
    ///   - finalWindow: seconds at the end of the record averaged for the final value.
    ///   - chamberTimeConstant: the chamber's flush time constant τ_ch = V/Q, s.
    public init(stepTime: Double, preWindow: Double, finalWindow: Double, chamberTimeConstant: Double? = nil) {
        self.stepTime = stepTime
        self.preWindow = preWindow
        self.finalWindow = finalWindow
        self.chamberTimeConstant = chamberTimeConstant
    }

    /// Adds one reading at time `time` (s), in time order; non-finite readings are skipped.
    public mutating func add(time: Double, value: Double) {
        guard time.isFinite, value.isFinite else { return }
        if time < stepTime {
            if time >= stepTime - preWindow { baseline.add(value) }
        } else {
            times.append(time)
            values.append(value)
        }
    }

    /// One response time.
    public struct ResponseTime: Sendable, Equatable, Codable {
        /// The fraction of the change: 0.1, 0.632, 0.9.
        public var level: Double
        /// Seconds after t0; nil with `reason`.
        public var seconds: Double?
        /// The sampling interval, s: the resolution of `seconds`.
        public var resolution: Double
        public var reason: String?
    }

    public struct Result: Sendable, Equatable, Codable {
        public var baseline: Double
        /// Standard deviation of the baseline readings.
        public var baselineStandardDeviation: Double
        public var baselineCount: Int
        public var final: Double
        public var finalCount: Int
        /// final − baseline.
        public var change: Double
        /// "rise" or "fall".
        public var direction: String
        public var t10: ResponseTime
        public var t63: ResponseTime
        public var t90: ResponseTime
        /// Median interval between readings after the step, s.
        public var sampleInterval: Double
        public var chamberTimeConstant: Double?
        /// τ_ch > 0.1·t63 (§8.7: τ_ch must be ≪ τ63); nil without τ_ch or t63.
        public var chamberLimited: Bool?
    }

    /// The levels of §8.7: 10 %, 63.2 % (1 − 1/e) and 90 %.
    public static let levels = (t10: 0.1, t63: 0.632, t90: 0.9)

    /// The times; nil (with `refusal`) when the record is too thin to define baseline or final value.
    public var result: Result? {
        guard let (baselineSD, finalMoments, interval) = inputs else { return nil }
        let base = baseline.mean
        let change = finalMoments.mean - base
        var reason: String?
        if abs(change) <= 3 * baselineSD {
            reason = "the change \(change) is not above 3σ of the baseline (σ = \(baselineSD))"
        } else if let drift = unsettledDrift(change: change) {
            reason = "the signal has not settled: it still moves by \(drift) over the final \(finalWindow) s "
                + "(\(Int((100 * abs(drift / change)).rounded())) % of the change)"
        }
        func time(_ level: Double) -> ResponseTime {
            if let reason { return ResponseTime(level: level, seconds: nil, resolution: interval, reason: reason) }
            guard let seconds = crossing(level: level, base: base, change: change) else {
                return ResponseTime(level: level, seconds: nil, resolution: interval,
                                    reason: "the signal never reaches \(level * 100) % of the change")
            }
            return ResponseTime(level: level, seconds: seconds, resolution: interval, reason: nil)
        }
        let t63 = time(Self.levels.t63)
        return Result(
            baseline: base, baselineStandardDeviation: baselineSD, baselineCount: baseline.count,
            final: finalMoments.mean, finalCount: finalMoments.count, change: change,
            direction: change >= 0 ? "rise" : "fall",
            t10: time(Self.levels.t10), t63: t63, t90: time(Self.levels.t90),
            sampleInterval: interval, chamberTimeConstant: chamberTimeConstant,
            chamberLimited: chamberTimeConstant.flatMap { tau in t63.seconds.map { tau > 0.1 * $0 } })
    }

    /// Why there is no result, or nil when there is one.
    public var refusal: String? {
        if baseline.count < 2 {
            return "fewer than 2 readings in the \(preWindow) s before the step at \(stepTime) s"
        }
        if times.count < 3 { return "fewer than 3 readings after the step at \(stepTime) s" }
        if finalIndices.count < 2 { return "fewer than 2 readings in the final \(finalWindow) s" }
        return nil
    }

    private var inputs: (Double, RunningMoments, Double)? {
        guard refusal == nil, let sd = baseline.sampleStandardDeviation else { return nil }
        let final = RunningMoments(finalIndices.map { values[$0] })
        let steps = zip(times.dropFirst(), times).map { $0 - $1 }.sorted()
        return (sd, final, steps[steps.count / 2])
    }

    private var finalIndices: [Int] {
        guard let end = times.last else { return [] }
        return times.indices.filter { times[$0] >= end - finalWindow && times[$0] > stepTime }
    }

    /// The line fitted to the final window moves by b·W; settled when that is within 2 % of the change or within
    /// 3 standard errors of b·W (noise). Returns the movement when not settled.
    private func unsettledDrift(change: Double) -> Double? {
        var fit = StreamingLineFit()
        let indices = finalIndices
        for i in indices { fit.add(x: times[i], y: values[i]) }
        guard let slope = fit.slope, let s = fit.residualStandardDeviation else { return nil }
        let meanTime = indices.reduce(0) { $0 + times[$1] } / Double(indices.count)
        let sxx = indices.reduce(0) { $0 + (times[$1] - meanTime) * (times[$1] - meanTime) }
        let width = (times[indices.last ?? 0] - times[indices.first ?? 0])
        let movement = slope * width
        let noise = 3 * s / sxx.squareRoot() * width
        return abs(movement) <= Swift.max(0.02 * abs(change), noise) ? nil : movement
    }

    /// First time the progress (y − base)/change reaches `level`, linearly interpolated.
    private func crossing(level: Double, base: Double, change: Double) -> Double? {
        var previous = (time: stepTime, progress: 0.0)
        for (time, value) in zip(times, values) {
            let progress = (value - base) / change
            if progress >= level {
                let span = progress - previous.progress
                let fraction = span > 0 ? (level - previous.progress) / span : 1
                return previous.time + Swift.min(Swift.max(fraction, 0), 1) * (time - previous.time) - stepTime
            }
            previous = (time, progress)
        }
        return nil
    }
}
