import Foundation
import SensorMetrics

/// Turns a pressure DUT's measurements into figures, each checked against the spec profile's limit for it
/// under the profile's decision rule; figures without a limit are reported, not judged.
enum PressureFigures {
    static func qualify(_ outcome: DUTOutcome, spec: SpecProfile) -> [QualifiedFigure] {
        let conditions = outcome.conditions.map { c in
            c.summary + (c.temperatureC.map { String(format: ", %.2f °C", $0) } ?? "")
        } ?? ""
        var figures: [QualifiedFigure] = []

        func add(_ metric: String, _ value: UncertainValue, _ conditions: String) {
            let limit = spec.limit(sensorClass: "pressure", metric: metric)?.limit
            figures.append(QualifiedFigure(metric, value, sensorClass: "pressure", limit: limit, spec: spec, conditions: conditions))
        }

        if let accuracy = outcome.accuracy {
            let range = accuracy.points.map(\.setpoint)
            let grid = String(format: "%d setpoints %.0f–%.0f Pa%@", accuracy.points.count, range.min() ?? 0, range.max() ?? 0,
                              accuracy.points.contains { $0.direction == .down } ? ", up and down" : "")
            add("absolute-accuracy", accuracy.maximumAbsoluteError,
                grid + String(format: ", worst at %.0f Pa; ", accuracy.worstSetpoint) + conditions)
            if let offset = accuracy.offset {
                add("offset", offset, String(format: "at %.0f Pa, weighted line fit; ", accuracy.fitReferencePressure) + conditions)
            }
            if let gain = accuracy.gainError { add("gain-error", gain, "slope of error vs pressure; " + conditions) }
            if let hysteresis = accuracy.hysteresis {
                let u = accuracy.points.map(\.error.standardUncertainty).max() ?? 0
                // Difference of two errors at one setpoint: the reference certificate cancels, the Type A parts add.
                let typeA = accuracy.points.map { ($0.budget.dutTypeA * $0.budget.dutTypeA
                                                   + $0.budget.referenceTypeA * $0.budget.referenceTypeA).squareRoot() }.max() ?? u
                add("hysteresis", UncertainValue(hysteresis, standardUncertainty: typeA * 2.0.squareRoot(), unit: "Pa"),
                    "max |e_up − e_down|; " + conditions)
            }
        }
        if let noise = outcome.noise {
            let record = String(format: "%d readings (%.0f s) at %.0f Pa; ", noise.sampleCount,
                                Double(noise.sampleCount) / (outcome.conditions?.outputDataRateHz ?? 1), noise.meanPressure)
            add("rms-noise", noise.rms, "two-sample deviation, " + record + conditions)
            add("noise-density", UncertainValue(noise.noiseDensity, standardUncertainty: noise.rms.standardUncertainty
                                                / ((outcome.conditions?.outputDataRateHz ?? 2) / 2).squareRoot(), unit: "Pa/√Hz"),
                "σ/√(ODR/2), valid for white noise; " + conditions)
            add("detrended-noise", UncertainValue(noise.detrendedStandardDeviation, standardUncertainty:
                                                  noise.detrendedStandardDeviation / (2 * Double(noise.sampleCount - 2)).squareRoot(),
                                                  unit: "Pa"),
                "standard deviation about a fitted line, cross-check of rms-noise; " + record + conditions)
        }
        for mode in outcome.noiseByMode ?? [] {
            guard let noise = mode.noise, let c = mode.conditions else { continue }
            // Reported, not judged: the spec's rms-noise limit holds at the plan's own mode.
            add("rms-noise-by-mode", noise.rms, String(format: "two-sample deviation, %d readings; ", noise.sampleCount) + c.summary)
        }
        return figures
    }
}
