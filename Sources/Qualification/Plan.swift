import SensorDrivers
import SensorMetrics
import Yams

/// A qualification plan (`plans/<name>.yaml`): what to measure on the DUTs, how long, at which setpoints.
public struct Plan: Sendable, Equatable {
    public var name: String
    public var description: String
    public var sensorClass: String
    /// How pressure DUTs are configured; nil for an acoustic plan.
    public var acquisition: PressureAcquisition?
    /// The stimulus of an acoustic plan; nil for a pressure plan.
    public var acoustic: AcousticStimulus? = nil
    /// How magnetometer DUTs are configured (a magnetic plan); nil otherwise.
    public var magnetic: MagneticAcquisition? = nil
    /// How gas DUTs are configured and which gas the plan steps (a gas plan); nil otherwise.
    public var gas: GasAcquisition? = nil
    public var steps: [Step]

    /// The tone an acoustic plan plays and how long each level settles before it is recorded.
    public struct AcousticStimulus: Sendable, Equatable, Codable {
        /// Stimulus frequency, Hz (1 kHz: the sensitivity, SNR and AOP definitions' frequency; acoustic.md §1.1).
        public var toneHz: Double
        /// Capture discarded after each level change, s: the microphone's and the source's transients (§5.12).
        public var settle: Double
    }

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
        /// Acoustic: the tone at `spl` (94 dB SPL), recorded for `duration` s: the sensitivity (acoustic.md §2).
        case sensitivity(spl: Double, duration: Double)
        /// Acoustic: THD and THD+N at each level (94 and 105 dB SPL; §1.4).
        case distortion(levels: [Double], duration: Double)
        /// Acoustic: the source off, the chamber quiet, recorded for the A-weighted noise floor (§1.3, §2).
        case acousticNoise(duration: Double)
        /// Acoustic: the tone stepped up in level for THD vs SPL and the overload point (§1.5, §2).
        case overload(OverloadSweep)
        /// Magnetic: the coil off in the shield, a long record for noise density, RMS noise in `band` and the Allan
        /// deviation (sensors.md §8.5 item 2); Welch segments of `segment` s.
        case fieldNoise(duration: Double, band: ClosedRange<Double>, segment: Double)
        /// Magnetic: known fields stepped on each coil axis for scale factor, offset and cross-axis terms (§8.5 item 4).
        case fieldSteps(FieldSteps)
        /// Gas: the baseline mixture held, every reading kept: the blank of the LOD and a zero for the drift (§8.7).
        case gasBlank(duration: Double)
        /// Gas: certified levels, each an exposure then a recovery at the baseline: accuracy, t63/t90 response and
        /// recovery times, LOD levels; or repeated identical exposures for the repeatability (§8.7).
        case gasExposures(GasExposures)

        public var name: String {
            switch self {
            case .warmUp: "warm-up"
            case .noise: "noise"
            case .noiseByMode: "noise by oversampling"
            case .sweep: "accuracy sweep"
            case .sensitivity: "sensitivity"
            case .distortion: "distortion"
            case .acousticNoise: "noise (source off)"
            case .overload: "overload sweep"
            case .fieldNoise: "field noise"
            case .fieldSteps: "field steps"
            case .gasBlank: "blank"
            case .gasExposures(let e): e.isRepeat ? "repeated exposures" : "exposures"
            }
        }
    }

    /// Levels from `from` to `to` dB SPL in `step` dB; the sweep ends early once THD passes `stopAboveTHD` %
    /// (the overload point and the 1 % point are behind it, and louder steps only stress the DUT and the source).
    public struct OverloadSweep: Sendable, Equatable, Codable {
        public var from: Double
        public var to: Double
        public var step: Double
        public var duration: Double
        public var stopAboveTHD: Double

        public var levels: [Double] {
            let count = Int(((to - from) / step).rounded(.down)) + 1
            return (0..<count).map { from + Double($0) * step }
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
        Set(steps.flatMap { step -> [String] in
            switch step {
            case .noise: ["rms-noise"]
            case .sweep: ["absolute-accuracy"]
            case .overload: ["aop"]
            case .fieldNoise: ["resolution", "rms-noise", "noise-density"]
            // Orthogonality needs every axis stepped.
            case .fieldSteps(let s): ["scale-factor-error", "offset", "cross-axis"] + (s.axes.count == 3 ? ["non-orthogonality"] : [])
            case .gasBlank: []
            case .gasExposures(let e) where e.isRepeat: ["repeatability"]
            // The LOD needs the blank and three calibration levels.
            case .gasExposures(let e): ["accuracy", "accuracy-envelope", "t63", "t90"]
                + (e.levels.count >= 3 && steps.contains { if case .gasBlank = $0 { true } else { false } } ? ["lod"] : [])
            // SNR needs both the 94 dB SPL signal and the quiet noise floor.
            case .acousticNoise where steps.contains { if case .sensitivity = $0 { true } else { false } }: ["snr"]
            case .warmUp, .noiseByMode, .sensitivity, .distortion, .acousticNoise: []
            }
        })
    }

    /// Planned duration in seconds, taking each settle at its hold time (the real settle is measured).
    public var plannedDuration: Double {
        steps.reduce(0) { total, step in
            switch step {
            case .warmUp(let d), .noise(let d, _), .fieldNoise(let d, _, _): total + d
            case .fieldSteps(let s): total + Double(s.sequence.count) * (s.settle + s.dwell)
            case .gasBlank(let d): total + d
            case .gasExposures(let e): total + Double(e.levels.count) * (e.exposure + e.recovery)
            case .noiseByMode(let d, _): total + d * Double(modeCount)
            case .sweep(let s): total + Double(s.sequence.count) * (s.settleHold + s.dwell)
            case .sensitivity(_, let d), .acousticNoise(let d): total + d + (acoustic?.settle ?? 0)
            case .distortion(let levels, let d): total + Double(levels.count) * (d + (acoustic?.settle ?? 0))
            case .overload(let sweep): total + Double(sweep.levels.count) * (sweep.duration + (acoustic?.settle ?? 0))
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
        try checkClassKeys(document.class, file: file)
        switch document.class {
        case "pressure": return try parsePressure(document, file: file)
        case "acoustic": return try parseAcoustic(document, file: file)
        case "magnetic": return try parseMagnetic(document, file: file)
        case "gas": return try parseGas(document, file: file)
        default:
            throw file.error(at: [PathKey("class")], "class '\(document.class)' is not one of pressure, acoustic, magnetic, gas")
        }
    }

    /// What each class reads: its sections beside plan, class, description and steps, its acquisition settings,
    /// and its step kinds.
    static let classKeys: [String: (sections: [String], acquisition: [String], steps: [String])] = [
        "pressure": (["acquisition"], ["odr_hz", "oversampling", "iir", "low_noise"], ["warmup", "noise", "noise_by_mode", "sweep"]),
        "acoustic": (["stimulus"], [], ["sensitivity", "distortion", "noise", "overload"]),
        "magnetic": (["acquisition"], ["odr_hz", "resolution", "full_scale_ut", "offset_cancellation"], ["warmup", "noise", "field_steps"]),
        "gas": (["gas", "baseline_ppm", "acquisition"], ["interval_s", "asc", "ambient_pressure_pa", "temperature_c", "humidity_percent"],
                ["warmup", "blank", "exposures", "repeats"]),
    ]

    /// A section, setting or step another class reads is a known key to the decoder, so not an unknown key; in this
    /// class's plan it would be silently ignored (`resolution:` in a pressure plan, `stimulus:` in a gas plan), so
    /// it is an error at its line.
    static func checkClassKeys(_ sensorClass: String, file: YAMLFile) throws(ConfigurationError) {
        guard let schema = classKeys[sensorClass], let root = file.root.mapping else { return }
        let article = sensorClass == "acoustic" ? "an" : "a"
        func fail(_ key: Node, _ reason: String) -> ConfigurationError {
            ConfigurationError(file: file.name, line: key.mark?.line, reason: reason)
        }
        let sections = ["plan", "class", "description", "steps"] + schema.sections
        for (key, _) in root {
            guard let name = key.string, name != "<<", !sections.contains(name) else { continue }
            throw fail(key, "\(name): \(article) \(sensorClass) plan has no \(name) section (it has \(sections.joined(separator: ", ")))")
        }
        func checkSettings(_ mapping: Node.Mapping, at place: String) throws(ConfigurationError) {
            for (key, value) in mapping {
                guard let name = key.string, name != "<<" else { continue }
                if name == "chips", place == "acquisition", let chips = value.mapping {
                    for (chip, settings) in chips {
                        if let settings = settings.mapping { try checkSettings(settings, at: "acquisition.chips.\(chip.string ?? "")") }
                    }
                    continue
                }
                guard schema.acquisition.contains(name) else {
                    throw fail(key, "\(place).\(name) is not \(article) \(sensorClass) setting: \(article) \(sensorClass) acquisition has "
                        + schema.acquisition.joined(separator: ", "))
                }
            }
        }
        if let acquisition = root["acquisition"]?.mapping { try checkSettings(acquisition, at: "acquisition") }
        let kinds = schema.steps.dropLast().joined(separator: ", ") + " or " + (schema.steps.last ?? "")
        for (index, step) in (root["steps"]?.sequence ?? []).enumerated() {
            for (key, _) in step.mapping ?? [:] where !(key.string.map(schema.steps.contains) ?? true) {
                throw fail(key, "steps[\(index)].\(key.string ?? ""): \(article) \(sensorClass) step is exactly one of \(kinds)")
            }
        }
    }

    static func parsePressure(_ document: PlanDocument, file: YAMLFile) throws(ConfigurationError) -> Plan {
        guard let acquisition = document.acquisition else {
            throw file.error(at: [PathKey("plan")], "a pressure plan needs an acquisition section (odr_hz, oversampling)")
        }
        let acquisitionKey = PathKey("acquisition")
        let settings = try acquisition.settings(file: file, at: [acquisitionKey])
        var perChip: [String: PressureSettings] = [:]
        for (chip, override) in acquisition.chips ?? [:] {
            perChip[chip] = try override.settings(over: settings, file: file, at: [acquisitionKey, PathKey("chips"), PathKey(chip)])
        }
        let rate = settings.outputDataRate
        var steps: [Step] = []
        for (index, step) in document.steps.enumerated() {
            let at = [PathKey("steps"), PathKey(index)]
            let kinds = [step.warmup != nil, step.noise != nil, step.noise_by_mode != nil, step.sweep != nil].filter { $0 }.count
            guard kinds == 1, !step.isAcoustic, step.field_steps == nil, step.blank == nil, step.exposures == nil, step.repeats == nil else { throw file.error(at: at, "a step is exactly one of warmup, noise, noise_by_mode or sweep") }
            if let stability = step.sweep?.stability, stability.max_rate_pa_per_s <= 0 || (stability.window_s ?? 10) <= 0 {
                throw file.error(at: at + [PathKey("sweep"), PathKey("stability")], "stability rate and window must be positive")
            }
            switch (step.warmup, step.noise, step.sweep) {
            case (let w?, nil, nil):
                guard w.duration_s >= 0 else { throw file.error(at: at, "warm-up duration must not be negative") }
                steps.append(.warmUp(duration: w.duration_s))
            case (nil, let n?, nil):
                try checkPressureNoise(n, at: at + [PathKey("noise")], file: file)
                guard n.duration_s * rate >= 1000 else {
                    throw file.error(at: at, "a noise record needs ≥ 1000 readings (sensors.md §8.2): \(n.duration_s) s at \(rate) Hz is too short")
                }
                steps.append(.noise(duration: n.duration_s, setpoint: n.setpoint_pa ?? 101_325))
            case (nil, nil, nil):
                guard let n = step.noise_by_mode else { continue }
                try checkPressureNoise(n, at: at + [PathKey("noise_by_mode")], file: file)
                guard n.duration_s >= 10 else { throw file.error(at: at, "noise_by_mode needs at least 10 s per mode") }
                steps.append(.noiseByMode(duration: n.duration_s, setpoint: n.setpoint_pa ?? 101_325))
            case (nil, nil, let s?):
                guard s.setpoints_pa.count >= 2, Set(s.setpoints_pa).count == s.setpoints_pa.count else {
                    throw file.error(at: at + [PathKey("sweep"), PathKey("setpoints_pa")], "a sweep needs at least two distinct setpoints")
                }
                if let index = s.setpoints_pa.firstIndex(where: { !($0 > 0 && $0.isFinite) }) {
                    throw file.error(at: at + [PathKey("sweep"), PathKey("setpoints_pa"), PathKey(index)],
                                     "setpoints_pa are absolute pressures, Pa, above 0: not \(s.setpoints_pa[index])")
                }
                guard s.dwell_s * rate >= 2, s.settle_timeout_s > 0, s.reference_interval_s > 0 else {
                    throw file.error(at: at + [PathKey("sweep")], "dwell, settle timeout and reference interval must be positive")
                }
                if let hold = s.settle_hold_s, !(hold >= 0) {
                    throw file.error(at: at + [PathKey("sweep"), PathKey("settle_hold_s")], "settle_hold_s must not be negative, not \(hold)")
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
        return Plan(name: document.plan, description: document.description ?? "", sensorClass: document.class,
                    acquisition: PressureAcquisition(settings: settings, perChip: perChip), steps: steps)
    }
}

extension Plan {
    /// A pressure noise record: a setpoint that is an absolute pressure, and none of a magnetic record's band keys.
    static func checkPressureNoise(_ noise: PlanDocument.Noise, at path: [PathKey], file: YAMLFile) throws(ConfigurationError) {
        if let setpoint = noise.setpoint_pa, !(setpoint > 0 && setpoint.isFinite) {
            throw file.error(at: path + [PathKey("setpoint_pa")], "setpoint_pa is an absolute pressure, Pa, above 0: not \(setpoint)")
        }
        guard noise.band_hz == nil, noise.segment_s == nil else {
            throw file.error(at: path + [PathKey(noise.band_hz != nil ? "band_hz" : "segment_s")],
                             "band_hz and segment_s belong to a magnetic noise record; a pressure noise record has duration_s and setpoint_pa")
        }
    }
}

struct PlanDocument: Decodable {
    var plan: String
    var description: String?
    var `class`: String
    /// Gas plans: the gas and the baseline concentration between exposures.
    var gas: String?
    var baseline_ppm: Double?
    var acquisition: Acquisition?
    var stimulus: Stimulus?
    var steps: [StepDocument]

    struct Stimulus: Decodable { var tone_hz: Double?; var settle_s: Double? }

    /// A pressure plan's acquisition (odr_hz, oversampling, iir, low_noise) or a magnetic one's (odr_hz, resolution,
    /// full_scale_ut, offset_cancellation), with per-chip overrides of the same keys.
    struct Acquisition: Decodable {
        var odr_hz: Double?
        var oversampling: Int?
        var iir: Int?
        var low_noise: Bool?
        var resolution: Int?
        var full_scale_ut: Double?
        var offset_cancellation: Bool?
        var interval_s: Double?
        var asc: Bool?
        var ambient_pressure_pa: Double?
        var temperature_c: Double?
        var humidity_percent: Double?
        var chips: [String: Override]?

        func settings(file: YAMLFile, at path: [PathKey]) throws(ConfigurationError) -> PressureSettings {
            guard let oversampling else {
                throw file.error(at: path, "\(path.map(\.stringValue).joined(separator: ".")).oversampling is missing: a pressure acquisition states it")
            }
            guard let odr_hz else {
                throw file.error(at: path, "\(path.map(\.stringValue).joined(separator: ".")).odr_hz is missing: a pressure acquisition states it")
            }
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
        var resolution: Int?
        var full_scale_ut: Double?
        var offset_cancellation: Bool?
        var interval_s: Double?
        var asc: Bool?
        var ambient_pressure_pa: Double?
        var temperature_c: Double?
        var humidity_percent: Double?

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
        var sensitivity: Level?
        var distortion: Levels?
        var overload: Overload?
        var field_steps: FieldStepsDocument?
        var blank: Blank?
        var exposures: ExposuresDocument?
        var repeats: RepeatsDocument?

        var isAcoustic: Bool { sensitivity != nil || distortion != nil || overload != nil }
    }
    struct Level: Decodable { var spl_db: Double?; var duration_s: Double }
    struct Levels: Decodable { var spl_db: [Double]; var duration_s: Double }
    struct Overload: Decodable {
        var from_db_spl: Double
        var to_db_spl: Double
        var step_db: Double
        var duration_s: Double
        var stop_above_thd_percent: Double?
    }
    struct Stability: Decodable { var max_rate_pa_per_s: Double; var window_s: Double? }
    struct Duration: Decodable { var duration_s: Double }
    struct Noise: Decodable {
        var duration_s: Double
        var setpoint_pa: Double?
        /// Magnetic: the band the noise density and RMS noise hold for, Hz, and the Welch segment length, s.
        var band_hz: [Double]?
        var segment_s: Double?
    }
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
