import SensorDrivers

// The gas plan file: the gas the mixer delivers, an acquisition section and blank, exposure and repeat steps
// (shared/reference/sensors.md §8.7).
//
//     plan: gas-steps
//     class: gas
//     gas: co2
//     baseline_ppm: 400            # what the chamber holds between exposures (0: zero air)
//     acquisition: {interval_s: 5, asc: false, ambient_pressure_pa: 101325, chips: {sgp41: {interval_s: 1}}}
//     steps:
//       - warmup: {duration_s: 300}
//       - blank: {duration_s: 150}
//       - exposures: {levels_ppm: [800, 1000, 2000, 5000], exposure_s: 600, recovery_s: 600, final_window_s: 60}
//       - repeats: {level_ppm: 1000, count: 5, exposure_s: 600, recovery_s: 600, final_window_s: 60}

extension Plan {
    /// How the gas DUTs are configured, and the gas the plan steps.
    public struct GasAcquisition: Sendable, Equatable, Codable {
        /// The gas the mixer delivers (`co2`, `ethanol` …): the cylinder's, and each chip's signal for it.
        public var gas: String
        /// What the chamber holds between exposures and during the blank, ppm (0: zero air).
        public var baseline: Double
        public var settings: GasSettings
        public var perChip: [String: GasSettings]

        public func settings(for chip: String) -> GasSettings { perChip[chip] ?? settings }
    }

    /// Exposures to certified levels, each followed by a recovery at the baseline (§8.7 accuracy and response time):
    /// the last `finalWindow` s of each exposure is the level's plateau, the last `finalWindow` s of each recovery
    /// a zero (drift).
    public struct GasExposures: Sendable, Equatable, Codable {
        public var levels: [Double]
        public var exposure: Double
        public var recovery: Double
        public var finalWindow: Double
        /// Repeated identical exposures (`count` of one level) for the repeatability s_r (ISO 5725, §8.7).
        public var isRepeat: Bool
    }

    /// Shortest blank for the LOD: ≥ 20 readings (§8.7); checked against each chip's interval at run start.
    static let fewestBlankReadings = 20

    static func parseGas(_ document: PlanDocument, file: YAMLFile) throws(ConfigurationError) -> Plan {
        guard let gas = document.gas, !gas.isEmpty, gas.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw file.error(at: [PathKey("plan")], "a gas plan names its gas: gas: co2, ethanol, no2 … (the mixer's cylinder)")
        }
        let baseline = document.baseline_ppm ?? 0
        guard baseline >= 0, baseline.isFinite else { throw file.error(at: [PathKey("baseline_ppm")], "baseline_ppm must not be negative") }
        guard let acquisition = document.acquisition else {
            throw file.error(at: [PathKey("plan")], "a gas plan needs an acquisition section (interval_s)")
        }
        let key = PathKey("acquisition")
        func settings(interval: Double?, asc: Bool?, pressure: Double?, temperature: Double?, humidity: Double?, at path: [PathKey])
            throws(ConfigurationError) -> GasSettings {
            guard let interval, interval > 0, interval <= 3600 else {
                throw file.error(at: path + [PathKey("interval_s")], "interval_s must be in (0, 3600] s")
            }
            if let pressure, !(30_000...120_000).contains(pressure) {
                throw file.error(at: path + [PathKey("ambient_pressure_pa")], "ambient_pressure_pa \(pressure) is outside 30–120 kPa")
            }
            if let humidity, !(0...100).contains(humidity) {
                throw file.error(at: path + [PathKey("humidity_percent")], "humidity_percent must be 0–100")
            }
            // ASC pulls the baseline toward 400 ppm and would bias every accuracy point (§8.7): only on request.
            return GasSettings(samplingInterval: interval, automaticSelfCalibration: asc ?? false, ambientPressurePa: pressure,
                               temperatureC: temperature, humidityPercent: humidity)
        }
        if acquisition.oversampling != nil || acquisition.resolution != nil {
            throw file.error(at: [key], "a gas acquisition has interval_s, asc, ambient_pressure_pa, temperature_c and humidity_percent")
        }
        let base = try settings(interval: acquisition.interval_s, asc: acquisition.asc, pressure: acquisition.ambient_pressure_pa,
                                temperature: acquisition.temperature_c, humidity: acquisition.humidity_percent, at: [key])
        var perChip: [String: GasSettings] = [:]
        for (chip, o) in acquisition.chips ?? [:] {
            perChip[chip] = try settings(interval: o.interval_s ?? base.samplingInterval, asc: o.asc ?? base.automaticSelfCalibration,
                                         pressure: o.ambient_pressure_pa ?? base.ambientPressurePa,
                                         temperature: o.temperature_c ?? base.temperatureC,
                                         humidity: o.humidity_percent ?? base.humidityPercent, at: [key, PathKey("chips"), PathKey(chip)])
        }
        var steps: [Step] = []
        for (index, step) in document.steps.enumerated() {
            let at = [PathKey("steps"), PathKey(index)]
            let kinds = [step.warmup != nil, step.blank != nil, step.exposures != nil, step.repeats != nil].filter { $0 }.count
            guard kinds == 1, step.noise == nil, !step.isAcoustic, step.sweep == nil, step.noise_by_mode == nil, step.field_steps == nil else {
                throw file.error(at: at, "a gas step is exactly one of warmup, blank, exposures or repeats")
            }
            if let w = step.warmup {
                guard w.duration_s >= 0 else { throw file.error(at: at, "warm-up duration must not be negative") }
                steps.append(.warmUp(duration: w.duration_s))
            } else if let b = step.blank {
                guard b.duration_s > 0 else { throw file.error(at: at + [PathKey("blank")], "a blank needs a positive duration_s") }
                steps.append(.gasBlank(duration: b.duration_s))
            } else if let e = step.exposures {
                let stepAt = at + [PathKey("exposures")]
                guard !e.levels_ppm.isEmpty, e.levels_ppm.allSatisfy({ $0 > 0 && $0.isFinite && $0 != baseline }),
                      Set(e.levels_ppm).count == e.levels_ppm.count else {
                    throw file.error(at: stepAt + [PathKey("levels_ppm")], "levels_ppm are distinct positive concentrations other than the baseline")
                }
                steps.append(.gasExposures(try exposures(levels: e.levels_ppm, e.exposure_s, e.recovery_s, e.final_window_s,
                                                         repeat: false, at: stepAt, file: file)))
            } else if let r = step.repeats {
                let stepAt = at + [PathKey("repeats")]
                guard r.level_ppm > 0, r.level_ppm != baseline else {
                    throw file.error(at: stepAt + [PathKey("level_ppm")], "level_ppm is a positive concentration other than the baseline")
                }
                // ISO 5725 repeatability: at least five identical exposures (§8.7).
                guard r.count >= 5 else { throw file.error(at: stepAt + [PathKey("count")], "repeatability needs count ≥ 5 exposures (§8.7)") }
                steps.append(.gasExposures(try exposures(levels: Array(repeating: r.level_ppm, count: r.count), r.exposure_s, r.recovery_s,
                                                         r.final_window_s, repeat: true, at: stepAt, file: file)))
            }
        }
        guard !steps.isEmpty else { throw file.error(at: [PathKey("steps")], "the plan has no steps") }
        var plan = Plan(name: document.plan, description: document.description ?? "", sensorClass: document.class,
                        acquisition: nil, steps: steps)
        plan.gas = GasAcquisition(gas: gas, baseline: baseline, settings: base, perChip: perChip)
        return plan
    }

    private static func exposures(levels: [Double], _ exposure: Double, _ recovery: Double, _ finalWindow: Double?, repeat: Bool,
                                  at path: [PathKey], file: YAMLFile) throws(ConfigurationError) -> GasExposures {
        let window = finalWindow ?? 60
        guard exposure > 0, recovery > 0, window > 0, window <= exposure / 2, window <= recovery / 2 else {
            throw file.error(at: path, "exposure_s and recovery_s must be positive and at least twice final_window_s (\(window) s): "
                + "the plateau is read once the response has settled")
        }
        return GasExposures(levels: levels, exposure: exposure, recovery: recovery, finalWindow: window, isRepeat: `repeat`)
    }
}

extension PlanDocument {
    struct Blank: Decodable { var duration_s: Double }
    struct ExposuresDocument: Decodable {
        var levels_ppm: [Double]
        var exposure_s: Double
        var recovery_s: Double
        var final_window_s: Double?
    }
    struct RepeatsDocument: Decodable {
        var level_ppm: Double
        var count: Int
        var exposure_s: Double
        var recovery_s: Double
        var final_window_s: Double?
    }
}
