// The acoustic plan file: a stimulus section and sensitivity, distortion, noise and overload steps.
//
//     plan: mic-full
//     class: acoustic
//     stimulus: {tone_hz: 1000, settle_s: 0.5}
//     steps:
//       - sensitivity: {spl_db: 94, duration_s: 2}
//       - distortion: {spl_db: [94, 105], duration_s: 2}
//       - noise: {duration_s: 10}
//       - overload: {from_db_spl: 110, to_db_spl: 140, step_db: 1, duration_s: 1, stop_above_thd_percent: 20}

extension Plan {
    /// Shortest record of a level, s: three Welch segments of 16 384 samples at 48 kHz (acoustic.md §1.8).
    static let shortestAcousticRecord = 1.0
    /// Shortest quiet record, s: the noise floor of a 70 dB SNR part sits 24 dB SPL(A); §2 suggests ≥ 10 s.
    static let shortestNoiseRecord = 3.0

    static func parseAcoustic(_ document: PlanDocument, file: YAMLFile) throws(ConfigurationError) -> Plan {
        let stimulus = AcousticStimulus(toneHz: document.stimulus?.tone_hz ?? 1000, settle: document.stimulus?.settle_s ?? 0.5)
        guard stimulus.toneHz >= 20, stimulus.toneHz <= 10_000 else {
            throw file.error(at: [PathKey("stimulus"), PathKey("tone_hz")], "tone_hz must be in 20–10 000 Hz, not \(stimulus.toneHz)")
        }
        guard stimulus.settle >= 0 else { throw file.error(at: [PathKey("stimulus"), PathKey("settle_s")], "settle_s must not be negative") }
        var steps: [Step] = []
        for (index, step) in document.steps.enumerated() {
            let at = [PathKey("steps"), PathKey(index)]
            let kinds = [step.sensitivity != nil, step.distortion != nil, step.noise != nil, step.overload != nil].filter { $0 }.count
            guard kinds == 1, step.warmup == nil, step.sweep == nil, step.noise_by_mode == nil else {
                throw file.error(at: at, "an acoustic step is exactly one of sensitivity, distortion, noise or overload")
            }
            func checkLevel(_ spl: Double, _ key: String) throws(ConfigurationError) {
                guard (40...160).contains(spl) else { throw file.error(at: at + [PathKey(key)], "\(spl) dB SPL is outside 40–160 dB SPL") }
            }
            func checkDuration(_ duration: Double, _ kind: String, shortest: Double) throws(ConfigurationError) {
                guard duration >= shortest else {
                    throw file.error(at: at + [PathKey(kind), PathKey("duration_s")], "a \(kind) record needs at least \(shortest) s, not \(duration)")
                }
            }
            if let s = step.sensitivity {
                try checkDuration(s.duration_s, "sensitivity", shortest: shortestAcousticRecord)
                try checkLevel(s.spl_db ?? 94, "sensitivity")
                steps.append(.sensitivity(spl: s.spl_db ?? 94, duration: s.duration_s))
            } else if let d = step.distortion {
                try checkDuration(d.duration_s, "distortion", shortest: shortestAcousticRecord)
                guard !d.spl_db.isEmpty else { throw file.error(at: at + [PathKey("distortion")], "distortion needs at least one level") }
                for level in d.spl_db { try checkLevel(level, "distortion") }
                steps.append(.distortion(levels: d.spl_db, duration: d.duration_s))
            } else if let n = step.noise {
                try checkDuration(n.duration_s, "noise", shortest: shortestNoiseRecord)
                guard n.setpoint_pa == nil else { throw file.error(at: at + [PathKey("noise")], "an acoustic noise step has no setpoint") }
                guard n.band_hz == nil, n.segment_s == nil else {
                    throw file.error(at: at + [PathKey("noise")], "band_hz and segment_s belong to a magnetic noise record; an acoustic "
                        + "noise step has duration_s only (the band is 20 Hz–20 kHz, A-weighted)")
                }
                steps.append(.acousticNoise(duration: n.duration_s))
            } else if let o = step.overload {
                try checkDuration(o.duration_s, "overload", shortest: shortestAcousticRecord)
                try checkLevel(o.from_db_spl, "overload")
                try checkLevel(o.to_db_spl, "overload")
                guard o.step_db > 0, o.to_db_spl > o.from_db_spl else {
                    throw file.error(at: at + [PathKey("overload")], "an overload sweep rises: step_db > 0 and to_db_spl > from_db_spl")
                }
                let stop = o.stop_above_thd_percent ?? 20
                guard stop > 10 else {
                    throw file.error(at: at + [PathKey("overload"), PathKey("stop_above_thd_percent")],
                                     "the sweep must run past 10 % THD to find the overload point, so stop_above_thd_percent > 10")
                }
                steps.append(.overload(OverloadSweep(from: o.from_db_spl, to: o.to_db_spl, step: o.step_db, duration: o.duration_s,
                                                     stopAboveTHD: stop)))
            }
        }
        guard !steps.isEmpty else { throw file.error(at: [PathKey("steps")], "the plan has no steps") }
        return Plan(name: document.plan, description: document.description ?? "", sensorClass: document.class,
                    acquisition: nil, acoustic: stimulus, steps: steps)
    }
}
