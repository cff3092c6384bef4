import SensorDrivers

// The magnetic plan file: an acquisition section, a noise record with the coil off and field steps.
//
//     plan: mag-full
//     class: magnetic
//     acquisition:
//       odr_hz: 100
//       chips:
//         rm3100: {resolution: 200}
//     steps:
//       - warmup: {duration_s: 10}
//       - noise: {duration_s: 200, band_hz: [0.1, 10], segment_s: 20}
//       - field_steps: {axes: [x, y, z], levels_ut: [-40, -20, 0, 20, 40], settle_s: 1, dwell_s: 5}

extension Plan {
    /// How the magnetometer DUTs are configured: settings for every chip, and per-chip overrides (a resolution
    /// setting is in each datasheet's own numbers: RM3100 cycle count, LIS3MDL mode …).
    public struct MagneticAcquisition: Sendable, Equatable, Codable {
        public var settings: MagneticSettings
        public var perChip: [String: MagneticSettings]

        public func settings(for chip: String) -> MagneticSettings { perChip[chip] ?? settings }
    }

    /// Fields stepped on each coil axis in turn: for each axis, each level (µT, the other axes at zero), the field
    /// settles for `settle` s, then the DUTs and the field reference are averaged over `dwell` s.
    public struct FieldSteps: Sendable, Equatable, Codable {
        /// Coil axes 0/1/2 = x/y/z.
        public var axes: [Int]
        public var levels: [Double]
        public var settle: Double
        public var dwell: Double

        /// The visiting order: axis by axis, each level in turn, as applied field vectors (µT).
        public var sequence: [FieldVector] {
            axes.flatMap { axis in
                levels.map { level in
                    FieldVector(x: axis == 0 ? level : 0, y: axis == 1 ? level : 0, z: axis == 2 ? level : 0)
                }
            }
        }
    }

    /// Shortest noise record, s: sensors.md §8.5 item 2 asks ≥ 100 s (≥ 1000 s for the 1/f region).
    static let shortestFieldNoiseRecord = 100.0

    static func parseMagnetic(_ document: PlanDocument, file: YAMLFile) throws(ConfigurationError) -> Plan {
        guard let acquisition = document.acquisition else {
            throw file.error(at: [PathKey("plan")], "a magnetic plan needs an acquisition section (odr_hz)")
        }
        let key = PathKey("acquisition")
        func settings(odr: Double, resolution: Int?, fullScale: Double?, cancellation: Bool?, at path: [PathKey])
            throws(ConfigurationError) -> MagneticSettings {
            guard odr > 0, odr <= 1000 else { throw file.error(at: path + [PathKey("odr_hz")], "odr_hz must be in (0, 1000] Hz, not \(odr)") }
            if let fullScale, fullScale <= 0 { throw file.error(at: path + [PathKey("full_scale_ut")], "full_scale_ut must be positive") }
            if let resolution, resolution < 0 {
                throw file.error(at: path + [PathKey("resolution")], "resolution is a datasheet setting number, 0 or more, not \(resolution)")
            }
            return MagneticSettings(outputDataRate: odr, resolution: resolution, fullScale: fullScale,
                                    offsetCancellation: cancellation ?? true)
        }
        if acquisition.oversampling != nil || acquisition.iir != nil {
            throw file.error(at: [key], "oversampling and iir are pressure settings; a magnetic acquisition has odr_hz, resolution, "
                + "full_scale_ut and offset_cancellation")
        }
        guard let odr = acquisition.odr_hz else { throw file.error(at: [key], "a magnetic acquisition states odr_hz") }
        let base = try settings(odr: odr, resolution: acquisition.resolution, fullScale: acquisition.full_scale_ut,
                                cancellation: acquisition.offset_cancellation, at: [key])
        var perChip: [String: MagneticSettings] = [:]
        for (chip, o) in acquisition.chips ?? [:] {
            perChip[chip] = try settings(odr: o.odr_hz ?? base.outputDataRate, resolution: o.resolution ?? base.resolution,
                                         fullScale: o.full_scale_ut ?? base.fullScale,
                                         cancellation: o.offset_cancellation ?? base.offsetCancellation,
                                         at: [key, PathKey("chips"), PathKey(chip)])
        }
        var steps: [Step] = []
        for (index, step) in document.steps.enumerated() {
            let at = [PathKey("steps"), PathKey(index)]
            let kinds = [step.warmup != nil, step.noise != nil, step.field_steps != nil].filter { $0 }.count
            guard kinds == 1, !step.isAcoustic, step.sweep == nil, step.noise_by_mode == nil, step.blank == nil, step.exposures == nil,
                  step.repeats == nil else {
                throw file.error(at: at, "a magnetic step is exactly one of warmup, noise or field_steps")
            }
            if let w = step.warmup {
                guard w.duration_s >= 0 else { throw file.error(at: at, "warm-up duration must not be negative") }
                steps.append(.warmUp(duration: w.duration_s))
            } else if let n = step.noise {
                let noiseAt = at + [PathKey("noise")]
                guard n.setpoint_pa == nil else { throw file.error(at: noiseAt, "a magnetic noise record has no setpoint_pa") }
                guard n.duration_s >= shortestFieldNoiseRecord else {
                    throw file.error(at: noiseAt + [PathKey("duration_s")],
                                     "a field noise record needs ≥ \(Int(shortestFieldNoiseRecord)) s (sensors.md §8.5), not \(n.duration_s)")
                }
                guard let band = n.band_hz, band.count == 2, band[0] > 0, band[1] > band[0] else {
                    throw file.error(at: noiseAt + [PathKey("band_hz")],
                                     "band_hz is [low, high] in Hz with 0 < low < high: the bandwidth the noise figures hold for")
                }
                let segment = n.segment_s ?? 20
                // Welch needs segments long enough to resolve the band's low edge, and several of them to average.
                guard segment * band[0] >= 1, segment * 5 <= n.duration_s else {
                    throw file.error(at: noiseAt + [PathKey("segment_s")], "segment_s \(segment) s must hold at least one period of "
                        + "\(band[0]) Hz and fit 5 times in the record")
                }
                // The band's top must sit below every chip's Nyquist frequency.
                let slowest = ([base] + perChip.values).map(\.outputDataRate).min() ?? base.outputDataRate
                guard band[1] < slowest / 2 else {
                    throw file.error(at: noiseAt + [PathKey("band_hz")], "the band's top \(band[1]) Hz must be below half the slowest "
                        + "chip's rate (\(slowest) Hz)")
                }
                steps.append(.fieldNoise(duration: n.duration_s, band: band[0]...band[1], segment: segment))
            } else if let f = step.field_steps {
                let stepsAt = at + [PathKey("field_steps")]
                var axes: [Int] = []
                for name in f.axes {
                    guard let axis = ["x", "y", "z"].firstIndex(of: name), !axes.contains(axis) else {
                        throw file.error(at: stepsAt + [PathKey("axes")], "axes are distinct names among x, y, z, not '\(name)'")
                    }
                    axes.append(axis)
                }
                guard f.levels_ut.count >= 2, Set(f.levels_ut).count == f.levels_ut.count else {
                    throw file.error(at: stepsAt + [PathKey("levels_ut")], "field steps need at least two distinct levels")
                }
                guard f.dwell_s > 0, f.settle_s >= 0 else {
                    throw file.error(at: stepsAt, "dwell_s must be positive and settle_s not negative")
                }
                steps.append(.fieldSteps(FieldSteps(axes: axes, levels: f.levels_ut, settle: f.settle_s, dwell: f.dwell_s)))
            }
        }
        guard !steps.isEmpty else { throw file.error(at: [PathKey("steps")], "the plan has no steps") }
        var plan = Plan(name: document.plan, description: document.description ?? "", sensorClass: document.class,
                        acquisition: nil, steps: steps)
        plan.magnetic = MagneticAcquisition(settings: base, perChip: perChip)
        return plan
    }
}

struct FieldStepsDocument: Decodable {
    var axes: [String]
    var levels_ut: [Double]
    var settle_s: Double
    var dwell_s: Double
}
