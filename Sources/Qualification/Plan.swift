import SensorDrivers
import SensorMetrics

/// A qualification plan (`plans/<name>.yaml`): what to measure on the DUTs, how long, at which setpoints.
public struct Plan: Sendable, Equatable {
    public var name: String
    public var description: String
    public var sensorClass: String
    public var acquisition: PressureAcquisition
    public var steps: [Step]

    /// How the pressure DUTs are configured and read: settings for every chip, and per-chip overrides
    /// (an LPS22HH has no oversampling, an MS5611 counts it as 256…4096).
    public struct PressureAcquisition: Sendable, Equatable, Codable {
        public var settings: PressureSettings
        public var perChip: [String: PressureSettings]

        public init(settings: PressureSettings, perChip: [String: PressureSettings] = [:]) {
            self.settings = settings
            self.perChip = perChip
        }

        /// The settings for a catalog chip.
        public func settings(for chip: String) -> PressureSettings { perChip[chip] ?? settings }
        /// The highest rate any chip is asked for, Hz.
        public var outputDataRate: Double { ([settings] + perChip.values).map(\.outputDataRate).max() ?? settings.outputDataRate }
    }

    public enum Step: Sendable, Equatable {
        /// Read and discard while the DUTs and the manifold settle.
        case warmUp(duration: Double)
        /// A steady record at one setpoint for the noise figure.
        case noise(duration: Double, setpoint: Double)
        /// A steady record per oversampling mode of each chip (its catalog's list), `duration` per mode.
        case noiseByMode(duration: Double, setpoint: Double)
        /// Setpoints up (and down) against the reference for accuracy.
        case sweep(Sweep)

        public var name: String {
            switch self {
            case .warmUp: "warm-up"
            case .noise: "noise"
            case .noiseByMode: "noise by oversampling"
            case .sweep: "accuracy sweep"
            }
        }
    }

    public struct Sweep: Sendable, Equatable, Codable {
        public var setpoints: [Double]
        public var upAndDown: Bool
        /// Longest wait for the controller to report stable, s.
        public var settleTimeout: Double
        /// Wait after stable before the dwell, s.
        public var settleHold: Double
        /// Averaging time per setpoint, s.
        public var dwell: Double
        /// Reference reading interval, s.
        public var referenceInterval: Double
        /// After the controller reports stable, the reference must drift by less than this over
        /// `stabilityWindow` (least-squares slope, Pa/s) before the dwell starts; nil: the controller's word.
        public var stabilityRate: Double?
        public var stabilityWindow: Double

        /// The visiting order: ascending, then descending without repeating the top point.
        public var sequence: [(setpoint: Double, direction: PressureAccuracy.Direction)] {
            let up = setpoints.sorted()
            var order = up.map { ($0, PressureAccuracy.Direction.up) }
            if upAndDown { order += up.dropLast().reversed().map { ($0, .down) } }
            return order
        }
    }

    /// Modes a noise-by-mode step is planned for: the longest mode list of the catalog (set when a run is
    /// prepared for a rig; 1 before).
    public var modeCount = 1

    /// The judged metrics this plan measures: a noise step gives `rms-noise`, a sweep `absolute-accuracy`.
    public var measuredMetrics: Set<String> {
        Set(steps.compactMap { step in
            switch step {
            case .noise: "rms-noise"
            case .sweep: "absolute-accuracy"
            case .warmUp, .noiseByMode: nil
            }
        })
    }

    /// Planned duration in seconds, taking each settle at its hold time (the real settle is measured).
    public var plannedDuration: Double {
        steps.reduce(0) { total, step in
            switch step {
            case .warmUp(let d), .noise(let d, _): total + d
            case .noiseByMode(let d, _): total + d * Double(modeCount)
            case .sweep(let s): total + Double(s.sequence.count) * (s.settleHold + s.dwell)
            }
        }
    }
}

// MARK: - The plan file

extension Plan {
    public static func load(path: String) throws(ConfigurationError) -> Plan {
        try parse(YAMLFile(path: path))
    }

    public static func parse(text: String, name: String) throws(ConfigurationError) -> Plan {
        try parse(YAMLFile(name: name, text: text))
    }

    static func parse(_ file: YAMLFile) throws(ConfigurationError) -> Plan {
        let document = try file.decode(PlanDocument.self)
        let acquisitionKey = PathKey("acquisition")
        let settings = try document.acquisition.settings(file: file, at: [acquisitionKey])
        var perChip: [String: PressureSettings] = [:]
        for (chip, override) in document.acquisition.chips ?? [:] {
            perChip[chip] = try override.settings(over: settings, file: file, at: [acquisitionKey, PathKey("chips"), PathKey(chip)])
        }
        let rate = settings.outputDataRate
        var steps: [Step] = []
        for (index, step) in document.steps.enumerated() {
            let at = [PathKey("steps"), PathKey(index)]
            let kinds = [step.warmup != nil, step.noise != nil, step.noise_by_mode != nil, step.sweep != nil].filter { $0 }.count
            guard kinds == 1 else { throw file.error(at: at, "a step is exactly one of warmup, noise, noise_by_mode or sweep") }
            if let stability = step.sweep?.stability, stability.max_rate_pa_per_s <= 0 || (stability.window_s ?? 10) <= 0 {
                throw file.error(at: at + [PathKey("sweep"), PathKey("stability")], "stability rate and window must be positive")
            }
            switch (step.warmup, step.noise, step.sweep) {
            case (let w?, nil, nil):
                guard w.duration_s >= 0 else { throw file.error(at: at, "warm-up duration must not be negative") }
                steps.append(.warmUp(duration: w.duration_s))
            case (nil, let n?, nil):
                guard n.duration_s * rate >= 1000 else {
                    throw file.error(at: at, "a noise record needs ≥ 1000 readings (sensors.md §8.2): \(n.duration_s) s at \(rate) Hz is too short")
                }
                steps.append(.noise(duration: n.duration_s, setpoint: n.setpoint_pa ?? 101_325))
            case (nil, nil, nil):
                guard let n = step.noise_by_mode else { continue }
                guard n.duration_s >= 10 else { throw file.error(at: at, "noise_by_mode needs at least 10 s per mode") }
                steps.append(.noiseByMode(duration: n.duration_s, setpoint: n.setpoint_pa ?? 101_325))
            case (nil, nil, let s?):
                guard s.setpoints_pa.count >= 2, Set(s.setpoints_pa).count == s.setpoints_pa.count else {
                    throw file.error(at: at + [PathKey("sweep"), PathKey("setpoints_pa")], "a sweep needs at least two distinct setpoints")
                }
                guard s.dwell_s * rate >= 2, s.settle_timeout_s > 0, s.reference_interval_s > 0 else {
                    throw file.error(at: at + [PathKey("sweep")], "dwell, settle timeout and reference interval must be positive")
                }
                let directions = s.directions ?? "up-down"
                guard directions == "up" || directions == "up-down" else {
                    throw file.error(at: at + [PathKey("sweep"), PathKey("directions")], "directions must be 'up' or 'up-down'")
                }
                steps.append(.sweep(Sweep(setpoints: s.setpoints_pa, upAndDown: directions == "up-down",
                                          settleTimeout: s.settle_timeout_s, settleHold: s.settle_hold_s ?? 0,
                                          dwell: s.dwell_s, referenceInterval: s.reference_interval_s,
                                          stabilityRate: s.stability?.max_rate_pa_per_s,
                                          stabilityWindow: s.stability?.window_s ?? 10)))
            default:
                throw file.error(at: at, "a step is exactly one of warmup, noise, noise_by_mode or sweep")
            }
        }
        guard document.class == "pressure" else {
            throw file.error(at: [PathKey("class")], "class '\(document.class)' has no run engine yet; this build runs pressure plans")
        }
        return Plan(name: document.plan, description: document.description ?? "", sensorClass: document.class,
                    acquisition: PressureAcquisition(settings: settings, perChip: perChip), steps: steps)
    }
}

struct PlanDocument: Decodable {
    var plan: String
    var description: String?
    var `class`: String
    var acquisition: Acquisition
    var steps: [StepDocument]

    struct Acquisition: Decodable {
        var odr_hz: Double
        var oversampling: Int
        var iir: Int?
        var low_noise: Bool?
        var chips: [String: Override]?

        func settings(file: YAMLFile, at path: [PathKey]) throws(ConfigurationError) -> PressureSettings {
            guard odr_hz > 0, odr_hz <= 1000 else { throw file.error(at: path + [PathKey("odr_hz")], "odr_hz must be in (0, 1000] Hz, not \(odr_hz)") }
            guard oversampling >= 1 else { throw file.error(at: path + [PathKey("oversampling")], "oversampling must be ≥ 1") }
            guard (iir ?? 0) >= 0 else { throw file.error(at: path + [PathKey("iir")], "iir must not be negative") }
            return PressureSettings(oversampling: oversampling, outputDataRate: odr_hz, iirCoefficient: iir ?? 0, lowNoise: low_noise ?? true)
        }
    }
    /// Per-chip settings: any field left out comes from the plan's defaults.
    struct Override: Decodable {
        var odr_hz: Double?
        var oversampling: Int?
        var iir: Int?
        var low_noise: Bool?

        func settings(over base: PressureSettings, file: YAMLFile, at path: [PathKey]) throws(ConfigurationError) -> PressureSettings {
            try Acquisition(odr_hz: odr_hz ?? base.outputDataRate, oversampling: oversampling ?? base.oversampling,
                            iir: iir ?? base.iirCoefficient, low_noise: low_noise ?? base.lowNoise, chips: nil)
                .settings(file: file, at: path)
        }
    }
    struct StepDocument: Decodable {
        var warmup: Duration?
        var noise: Noise?
        var noise_by_mode: Noise?
        var sweep: SweepDocument?
    }
    struct Stability: Decodable { var max_rate_pa_per_s: Double; var window_s: Double? }
    struct Duration: Decodable { var duration_s: Double }
    struct Noise: Decodable { var duration_s: Double; var setpoint_pa: Double? }
    struct SweepDocument: Decodable {
        var setpoints_pa: [Double]
        var directions: String?
        var settle_timeout_s: Double
        var settle_hold_s: Double?
        var dwell_s: Double
        var reference_interval_s: Double
        var stability: Stability?
    }
}
