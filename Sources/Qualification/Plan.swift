import SensorDrivers
import SensorMetrics

/// A qualification plan (`plans/<name>.yaml`): what to measure on the DUTs, how long, at which setpoints.
public struct Plan: Sendable, Equatable {
    public var name: String
    public var description: String
    public var sensorClass: String
    public var acquisition: PressureAcquisition
    public var steps: [Step]

    /// How the pressure DUTs are configured and read.
    public struct PressureAcquisition: Sendable, Equatable, Codable {
        public var configuration: BMP390Configuration
        public var outputDataRate: Double { configuration.outputDataRate.hertz }
    }

    public enum Step: Sendable, Equatable {
        /// Read and discard while the DUTs and the manifold settle.
        case warmUp(duration: Double)
        /// A steady record at one setpoint for the noise figure.
        case noise(duration: Double, setpoint: Double)
        /// Setpoints up (and down) against the reference for accuracy.
        case sweep(Sweep)

        public var name: String {
            switch self {
            case .warmUp: "warm-up"
            case .noise: "noise"
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

        /// The visiting order: ascending, then descending without repeating the top point.
        public var sequence: [(setpoint: Double, direction: PressureAccuracy.Direction)] {
            let up = setpoints.sorted()
            var order = up.map { ($0, PressureAccuracy.Direction.up) }
            if upAndDown { order += up.dropLast().reversed().map { ($0, .down) } }
            return order
        }
    }

    /// Planned duration in seconds, taking each settle at its hold time (the real settle is measured).
    public var plannedDuration: Double {
        steps.reduce(0) { total, step in
            switch step {
            case .warmUp(let d), .noise(let d, _): total + d
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
        let a = document.acquisition
        guard let p = BMP390Configuration.Oversampling(rawValue: a.oversampling_pressure) else {
            throw file.error(at: [PathKey("acquisition"), PathKey("oversampling_pressure")],
                             "oversampling_pressure must be 1, 2, 4, 8, 16 or 32, not \(a.oversampling_pressure)")
        }
        guard let t = BMP390Configuration.Oversampling(rawValue: a.oversampling_temperature) else {
            throw file.error(at: [PathKey("acquisition"), PathKey("oversampling_temperature")],
                             "oversampling_temperature must be 1, 2, 4, 8, 16 or 32, not \(a.oversampling_temperature)")
        }
        guard let odr = BMP390Configuration.OutputDataRate(hertz: a.odr_hz) else {
            throw file.error(at: [PathKey("acquisition"), PathKey("odr_hz")], "odr_hz must be 200/2^n Hz (200, 100, 50, 25, 12.5 …), not \(a.odr_hz)")
        }
        guard let iir = BMP390Configuration.IIRFilter(rawValue: a.iir) else {
            throw file.error(at: [PathKey("acquisition"), PathKey("iir")], "iir must be 0, 1, 3, 7 … 127, not \(a.iir)")
        }
        let configuration = BMP390Configuration(pressureOversampling: p, temperatureOversampling: t, outputDataRate: odr, iirFilter: iir)
        guard configuration.isFeasible else {
            throw file.error(at: [PathKey("acquisition")],
                             String(format: "a conversion at OSR ×%d/×%d takes %.1f ms, longer than the %.1f ms period of %g Hz",
                                    p.factor, t.factor, configuration.measurementTime * 1000, 1000 / odr.hertz, odr.hertz))
        }
        var steps: [Step] = []
        for (index, step) in document.steps.enumerated() {
            let at = [PathKey("steps"), PathKey(index)]
            switch (step.warmup, step.noise, step.sweep) {
            case (let w?, nil, nil):
                guard w.duration_s >= 0 else { throw file.error(at: at, "warm-up duration must not be negative") }
                steps.append(.warmUp(duration: w.duration_s))
            case (nil, let n?, nil):
                guard n.duration_s * odr.hertz >= 1000 else {
                    throw file.error(at: at, "a noise record needs ≥ 1000 readings (sensors.md §8.2): \(n.duration_s) s at \(odr.hertz) Hz is too short")
                }
                steps.append(.noise(duration: n.duration_s, setpoint: n.setpoint_pa ?? 101_325))
            case (nil, nil, let s?):
                guard s.setpoints_pa.count >= 2, Set(s.setpoints_pa).count == s.setpoints_pa.count else {
                    throw file.error(at: at + [PathKey("sweep"), PathKey("setpoints_pa")], "a sweep needs at least two distinct setpoints")
                }
                guard s.dwell_s * odr.hertz >= 2, s.settle_timeout_s > 0, s.reference_interval_s > 0 else {
                    throw file.error(at: at + [PathKey("sweep")], "dwell, settle timeout and reference interval must be positive")
                }
                let directions = s.directions ?? "up-down"
                guard directions == "up" || directions == "up-down" else {
                    throw file.error(at: at + [PathKey("sweep"), PathKey("directions")], "directions must be 'up' or 'up-down'")
                }
                steps.append(.sweep(Sweep(setpoints: s.setpoints_pa, upAndDown: directions == "up-down",
                                          settleTimeout: s.settle_timeout_s, settleHold: s.settle_hold_s ?? 0,
                                          dwell: s.dwell_s, referenceInterval: s.reference_interval_s)))
            default:
                throw file.error(at: at, "a step is exactly one of warmup, noise or sweep")
            }
        }
        guard document.class == "pressure" else {
            throw file.error(at: [PathKey("class")], "class '\(document.class)' has no run engine yet; this build runs pressure plans")
        }
        return Plan(name: document.plan, description: document.description ?? "", sensorClass: document.class,
                    acquisition: PressureAcquisition(configuration: configuration), steps: steps)
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
        var oversampling_pressure: Int
        var oversampling_temperature: Int
        var iir: Int
    }
    struct StepDocument: Decodable {
        var warmup: Duration?
        var noise: Noise?
        var sweep: SweepDocument?
    }
    struct Duration: Decodable { var duration_s: Double }
    struct Noise: Decodable { var duration_s: Double; var setpoint_pa: Double? }
    struct SweepDocument: Decodable {
        var setpoints_pa: [Double]
        var directions: String?
        var settle_timeout_s: Double
        var settle_hold_s: Double?
        var dwell_s: Double
        var reference_interval_s: Double
    }
}
