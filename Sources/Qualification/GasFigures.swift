import Foundation
import SensorMetrics

/// Turns a gas DUT's measurements into figures (sensors.md §8.7), each checked against the spec profile's limit for
/// it under the profile's decision rule; figures without a limit are reported, not judged (miit-2020 asks gas
/// sensors to be "measured and reported").
enum GasFigures {
    static func qualify(_ outcome: DUTOutcome, spec: SpecProfile) -> [QualifiedFigure] {
        guard let measured = outcome.gas else { return [] }
        let signal = "\(measured.signal.name) (\(measured.signal.unit))"
        let conditions = "\(measured.gas) on \(signal), " + measured.conditions.summary
        var figures: [QualifiedFigure] = []

        func add(_ metric: String, _ value: UncertainValue, _ stated: String) {
            // A limit applies only in the unit it is stated in: a raw MOx signal in ticks is not a ppm figure.
            let limit = spec.limit(sensorClass: "gas", metric: metric)?.limit.flatMap { $0.unit == value.unit ? $0 : nil }
            figures.append(QualifiedFigure(metric, value, sensorClass: "gas", limit: limit, spec: spec, conditions: stated))
        }

        if let accuracy = measured.accuracy {
            let envelope = accuracy.worstEnvelopeRatio.map {
                String(format: "; worst |error|/datasheet envelope = %.2f at %g ppm", $0, accuracy.worstEnvelopeLevel ?? 0)
            } ?? ""
            add("accuracy", accuracy.worstError, String(format: "worst |DUT − certified| over %d levels, at %g ppm", accuracy.points.count,
                                                        accuracy.worstErrorLevel) + envelope + "; ASC off; " + conditions)
            if let ratio = accuracy.worstEnvelopeRatio,
               let point = accuracy.points.first(where: { $0.envelopeRatio == ratio }), let envelope = point.envelope, envelope > 0 {
                add("accuracy-envelope", UncertainValue(ratio, standardUncertainty: point.error.standardUncertainty / envelope, unit: "×"),
                    String(format: "worst |DUT − certified| / the datasheet's ±(a + b·reading), at %g ppm (≤ 1: inside); ", point.certified)
                        + conditions)
            }
            for point in accuracy.points {
                add(String(format: point.certified >= 10 ? "error-at-%.0fppm" : "error-at-%.3gppm", point.certified), point.error,
                    String(format: "DUT − certified %g ppm", point.certified)
                        + (point.envelopeRatio.map { String(format: ", |error|/envelope %.2f", $0) } ?? "") + "; " + conditions)
            }
        }
        if let lod = measured.limitOfDetection {
            let basis = lod.response == .linear
                ? String(format: "3·s_blank/b, s_blank from %d readings, b = %.4g %@/ppm", lod.blankDegreesOfFreedom + 1, lod.slope.value,
                         measured.signal.unit)
                : String(format: "logarithmic response, %.3g %@ per doubling: the smallest detectable rise above the lowest level %g ppm",
                         lod.slopePerDoubling ?? 0, measured.signal.unit, lod.lowestLevel ?? 0)
            add("lod", lod.limitOfDetection, basis + "; " + conditions)
            add("loq", lod.limitOfQuantification, "10·s_blank/b; " + conditions)
        }
        let rises = measured.exposures.filter { !$0.isRepeat }.compactMap(\.response)
        let falls = measured.exposures.filter { !$0.isRepeat }.compactMap(\.recovery)
        let chamber = measured.conditions.chamberCheck.map { "; " + $0 } ?? ""
        func slowest(_ results: [GasStepResponse.Result], _ pick: (GasStepResponse.Result) -> GasStepResponse.ResponseTime)
            -> (GasStepResponse.ResponseTime, Int)? {
            results.compactMap { r in pick(r).seconds.map { _ in (pick(r), results.count) } }.max { ($0.0.seconds ?? 0) < ($1.0.seconds ?? 0) }
        }
        // A crossing interpolated between two readings is known to within the sampling interval: a rectangular
        // half-width of half an interval.
        func time(_ t: GasStepResponse.ResponseTime) -> UncertainValue {
            UncertainValue(t.seconds ?? .nan, standardUncertainty: t.resolution / (2 * 3.0.squareRoot()), unit: "s")
        }
        if let (t63, n) = slowest(rises, \.t63) {
            add("t63", time(t63), "slowest of \(n) rises, from the mixer's switch" + chamber + "; " + conditions)
        }
        if let (t90, n) = slowest(rises, \.t90) {
            add("t90", time(t90), "slowest of \(n) rises, from the mixer's switch" + chamber + "; " + conditions)
        }
        if let (t90, n) = slowest(falls, \.t90) {
            add("t90-recovery", time(t90), "slowest of \(n) recoveries to the baseline" + chamber + "; " + conditions)
        }
        if let repeatability = measured.repeatability {
            let value = UncertainValue(repeatability.standardDeviation,
                                       standardUncertainty: repeatability.standardDeviation / (2 * Double(repeatability.count - 1)).squareRoot(),
                                       unit: measured.signal.unit)
            add("repeatability", value, String(format: "s_r of %d identical exposures at %g ppm (ISO 5725)%@; ", repeatability.count,
                                                measured.exposures.first { $0.isRepeat }?.certified ?? 0,
                                                repeatability.relativePercent.map { String(format: ", %.2g %% of the mean", $0) } ?? "") + conditions)
        }
        // Secondary outputs at each calibration plateau: on-chip estimates and adaptive indices, for the record only.
        for exposure in measured.exposures where !exposure.isRepeat {
            for (name, value) in exposure.secondary.sorted(by: { $0.key < $1.key }) {
                let unit = measured.secondaryUnits[name] ?? ""
                add(String(format: exposure.certified >= 10 ? "%@-at-%.0fppm" : "%@-at-%.3gppm", name, exposure.certified),
                    UncertainValue(value, standardUncertainty: 0, unit: unit),
                    "secondary output, plateau mean; " + (name.hasSuffix("index") || name == "aqi"
                        ? "an adaptive index, not metrology (sensors.md §5.3, §8.7)" : "the chip's own estimate, not calibrated here")
                        + "; " + conditions)
            }
        }
        if let drift = measured.drift {
            add("zero-drift", drift.slopePerHour, String(format: "least-squares slope of the baseline readings over %.2g h; ", drift.spanHours)
                    + conditions)
        }
        return figures
    }
}
