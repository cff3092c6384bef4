import Foundation
import SensorMetrics

/// Turns a microphone's measurements into figures (reference/acoustic.md §1), each checked against the spec
/// profile's limit for it under the profile's decision rule; figures without a limit are reported, not judged.
enum MicrophoneFigures {
    static func qualify(_ m: MicrophoneMeasurements, spec: SpecProfile) -> [QualifiedFigure] {
        var figures: [QualifiedFigure] = []
        let stream = "\(m.stream)"

        func add(_ metric: String, _ value: UncertainValue, _ conditions: String, judged: Bool = true) {
            let limit = judged ? spec.limit(sensorClass: "acoustic", metric: metric)?.limit : nil
            figures.append(QualifiedFigure(metric, value, sensorClass: "acoustic", limit: limit, spec: spec, conditions: conditions))
        }

        if let s = m.sensitivity {
            let at = String(format: "1 kHz at %.2f dB SPL (reference microphone), referred to 94 dB SPL; ", s.spl.value) + stream
            add("sensitivity", s.dBV ?? s.dBFS, at)
            if s.dBV != nil { add("sensitivity-dbfs", s.dBFS, at + ", through the ADC's full scale") }
        }
        if let n = m.noise {
            let band = String(format: "A-weighted %.0f Hz–%.0f Hz, %.1f s quiet record; ", n.bandLowHz, n.bandHighHz, n.durationSeconds) + stream
                + (n.ambientMarginDB.map { String(format: "; ambient margin %.1f dB (+%.2f dB)", $0, n.ambientErrorDB ?? 0) } ?? "")
            add("noise-floor", n.aWeightedDBFS, band)
            if let s = m.sensitivity {
                // S and N come through the same chain: only the reference microphone's certificate (in S) and the
                // noise record's Type A and ambient contribution (in N) are uncertain.
                let ambient = (n.ambientErrorDB ?? 0) / 3.0.squareRoot()
                let u = (s.dBFS.standardUncertainty * s.dBFS.standardUncertainty
                         + n.aWeightedDBFS.standardUncertainty * n.aWeightedDBFS.standardUncertainty + ambient * ambient).squareRoot()
                let snr = s.dBFS.value - n.aWeightedDBFS.value
                let ein = UncertainValue(94 - snr, standardUncertainty: u, unit: "dB SPL(A)")
                if n.isBandLimited {
                    // §5.5: a band short of 20 kHz flatters the SNR; it is shown under its own name and never judged.
                    add("snr-band-limited", UncertainValue(snr, standardUncertainty: u, unit: "dB"),
                        "SNR(A, 20 Hz–fs/2), NOT the 20 Hz–20 kHz spec figure; " + band, judged: false)
                } else {
                    add("snr", UncertainValue(snr, standardUncertainty: u, unit: "dB"), "94 dB SPL at 1 kHz vs " + band)
                }
                add("ein", ein, "equivalent input noise, 94 − SNR")
                if let aop = m.overload?.aopDBSPL {
                    add("dynamic-range", UncertainValue(aop - ein.value, standardUncertainty: u, unit: "dB"), "AOP − EIN")
                }
            }
        }
        // THD grows about in proportion to the level (AN-1112's rule of thumb, acoustic.md §1.4), so the level's
        // uncertainty carries over as a relative ln(10)/20 per dB; the spectral estimate's own scatter is far smaller.
        let levelUncertainty = m.sensitivity?.spl.standardUncertainty ?? 0
        func percent(_ value: Double) -> UncertainValue {
            UncertainValue(value, standardUncertainty: value * log(10) / 20 * levelUncertainty, unit: "%")
        }
        for point in m.distortion {
            let at = String(format: "1 kHz at %.1f dB SPL, H2–H6 amplitude ratio; ", point.spl) + stream
            add("thd", percent(point.thdPercent), at, judged: false)
            add("thd+n", percent(point.thdPlusNoisePercent),
                at.replacingOccurrences(of: "H2–H6 amplitude ratio", with: "20 Hz–20 kHz residual re fundamental"), judged: false)
        }
        if let o = m.overload {
            // The reference microphone's level, and the interpolation between the bracketing levels: the log- and
            // linear-THD crossings bound it, taken as a rectangular spread (acoustic.md §6 TV-7).
            let reference = m.sensitivity?.spl.standardUncertainty ?? 0
            let interpolation = o.aopDBSPL.flatMap { log in o.linearAOPDBSPL.map { abs(log - $0) / 3.0.squareRoot() } } ?? 0
            let u = (reference * reference + interpolation * interpolation).squareRoot()
            let limited = o.digitallyLimited
                ? String(format: "; DIGITALLY LIMITED: within 2 dB of full scale (%.1f dB SPL), the chain clips first", m.fullScaleSPL ?? .nan)
                : ""
            let sweep = String(format: "1 kHz, %d levels %.1f–%.1f dB SPL; ", o.points.count, o.lowestSPL, o.highestSPL) + o.method + limited
            switch o.status {
            case .interpolated:
                add("aop", UncertainValue(o.aopDBSPL ?? .nan, standardUncertainty: u, unit: "dB SPL"), "10 % THD; " + sweep)
            case .aboveHighestTested, .atOrBelowLowestTested:
                // A bound, not a value: judged only when the bound alone decides (a lower bound at or above a ≥
                // limit passes, an upper bound below it fails); otherwise it is reported and the DUT not judged.
                let above = o.status == .aboveHighestTested
                let bound = above ? o.highestSPL : o.lowestSPL
                let limit = spec.limit(sensorClass: "acoustic", metric: "aop")?.limit
                let decides = limit.map { limit in
                    limit.comparator == .atLeast ? (above ? bound >= limit.value : bound < limit.value) : false
                } ?? false
                add("aop", UncertainValue(bound, standardUncertainty: reference, unit: "dB SPL"),
                    (above ? "lower bound: THD stayed below 10 % up to the highest level; "
                           : "upper bound: THD was over 10 % at the lowest level; ") + sweep, judged: decides)
            }
            if let one = o.onePercentDBSPL {
                add("aop-1-percent", UncertainValue(one, standardUncertainty: reference, unit: "dB SPL"), "1 % THD; " + sweep,
                    judged: false)
            }
        }
        return figures
    }
}
