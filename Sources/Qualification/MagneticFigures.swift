import Foundation
import SensorMetrics

/// Turns a magnetometer DUT's measurements into figures, each checked against the spec profile's limit for it
/// under the profile's decision rule; figures without a limit are reported, not judged (sensors.md §8.5).
///
/// The judged `resolution` is the RMS noise of the worst axis in the plan's band: a figure that means nothing
/// without its bandwidth (§8.6), so the conditions always name it, with by how much a limit is missed and the τ
/// at which the Allan deviation reaches 1 pT (or that it does not, and the white-noise extrapolation).
enum MagneticFigures {
    static let axisNames = ["x", "y", "z"]

    static func qualify(_ outcome: DUTOutcome, spec: SpecProfile) -> [QualifiedFigure] {
        guard let measured = outcome.magnetic else { return [] }
        let mode = measured.conditions.summary + (measured.conditions.temperatureC.map { String(format: ", %.2f °C", $0) } ?? "")
        var figures: [QualifiedFigure] = []

        func add(_ metric: String, _ value: UncertainValue, _ conditions: String) {
            let limit = spec.limit(sensorClass: "magnetic", metric: metric)?.limit
            figures.append(QualifiedFigure(metric, value, sensorClass: "magnetic", limit: limit, spec: spec, conditions: conditions))
        }

        if let noise = measured.noise, let worst = noise.axes.max(by: { $0.resolution.rms.value < $1.resolution.rms.value }) {
            let record = String(format: "coil off in the shield, %d readings (%.0f s), Welch %.0f s segments × %d; ", noise.sampleCount,
                                noise.duration, noise.segmentSeconds, noise.welchSegments)
            let limitPT = spec.limit(sensorClass: "magnetic", metric: "resolution")?.limit?.value ?? 1
            let reach = worst.tauReaching(limitPT: limitPT).map { String(format: "σ_A reaches %g pT at τ = %.3g s", limitPT, $0.tau) }
                ?? String(format: "σ_A does not reach %g pT within τ ≤ %.3g s (white-noise extrapolation: τ = %.2g s)", limitPT,
                          worst.allanDeviationPT.last?.tau ?? 0, worst.extrapolatedTau(limitPT: limitPT).tau)
            add("resolution", worst.resolution.rms,
                "RMS noise of the worst axis (\(worst.axis)), " + worst.resolution.statement(limitPT: limitPT) + "; " + reach + "; "
                    + record + mode)
            if let noisiest = noise.axes.max(by: { $0.detrendedRMSPT < $1.detrendedRMSPT }) {
                // What datasheets quote: the RMS over the whole band the readings carry (0…ODR/2), in nT, with the
                // χ² uncertainty of a standard deviation from N readings.
                let rms = noisiest.detrendedRMSPT / 1000
                add("rms-noise", UncertainValue(rms, standardUncertainty: rms / (2 * Double(Swift.max(noise.sampleCount - 2, 1))).squareRoot(),
                                                unit: "nT"),
                    String(format: "standard deviation about a fitted line, worst axis (%@), full bandwidth 0–%g Hz; ", noisiest.axis,
                           noise.outputDataRate / 2) + record + mode)
            }
            if let worst = noise.axes.max(by: { $0.noiseFloorPTPerRootHz < $1.noiseFloorPTPerRootHz }) {
                add("noise-density", density(worst), String(format: "white-noise floor of the worst axis (%@), one-sided, %g–%g Hz; ",
                                                            worst.axis, noise.band[0], noise.band[1]) + mode)
            }
            for axis in noise.axes {
                add("noise-density-\(axis.axis)", density(axis),
                    String(format: "white-noise floor, one-sided, mean PSD of %d bins in %g–%g Hz, ν = %.0f; ", axis.noiseFloorBins,
                           noise.band[0], noise.band[1], axis.noiseFloorDegreesOfFreedom) + mode)
                if let bias = axis.biasInstabilityPT, let tau = axis.biasInstabilityTau {
                    add("bias-instability-\(axis.axis)", UncertainValue(bias, standardUncertainty: biasUncertainty(axis), unit: "pT"),
                        String(format: "min σ_A / 0.664 at τ = %.3g s%@; ", tau,
                               axis.biasInstabilityIsUpperBound ? " (still falling at the longest τ: an upper bound)" : "") + mode)
                }
            }
        }
        if let scale = measured.scale {
            let fit = "least-squares fit of \(scale.stepCount) field steps (axes \(scale.steppedAxes.joined(separator: ", "))) "
                + "against the coil's field; " + mode
            for factor in scale.scaleFactors { add("scale-factor-error-\(factor.axis)", factor.errorPercent, fit) }
            if let worst = scale.scaleFactors.max(by: { abs($0.errorPercent.value) < abs($1.errorPercent.value) }) {
                add("scale-factor-error", worst.errorPercent, "worst axis (\(worst.axis)); " + fit)
            }
            for (axis, offset) in zip(axisNames, scale.offsets) { add("offset-\(axis)", offset, fit) }
            if let worst = zip(axisNames, scale.offsets).max(by: { abs($0.1.value) < abs($1.1.value) }) {
                add("offset", worst.1, "worst axis (\(worst.0)); " + fit)
            }
            if let worst = scale.crossAxis.max(by: { abs($0.percent.value) < abs($1.percent.value) }) {
                add("cross-axis", worst.percent, "largest |M_ij|, i ≠ j: sensed \(worst.sensedAxis) per applied \(worst.appliedAxis); " + fit)
            }
            if let worst = scale.nonOrthogonality.max(by: { abs($0.degrees.value) < abs($1.degrees.value) }) {
                add("non-orthogonality", worst.degrees, "largest |angle between sensed axes − 90°| (\(worst.axes)); " + fit)
            }
            for linearity in scale.linearity {
                add("linearity-\(linearity.axis)", UncertainValue(linearity.percentOfSpan, standardUncertainty: 0, unit: "%"),
                    String(format: "largest residual, %% of the %.0f µT span; ", linearity.spanMicrotesla) + fit)
            }
        }
        return figures
    }

    /// An ASD from a χ² variable of ν degrees of freedom: u = a/√(2ν).
    private static func density(_ axis: MagneticNoise.AxisResult) -> UncertainValue {
        UncertainValue(axis.noiseFloorPTPerRootHz, standardUncertainty: axis.noiseFloorPTPerRootHz / (2 * axis.noiseFloorDegreesOfFreedom).squareRoot(),
                       unit: "pT/√Hz")
    }

    /// The bias instability's uncertainty from the Allan point it sits at: half its interval's width.
    private static func biasUncertainty(_ axis: MagneticNoise.AxisResult) -> Double {
        guard let tau = axis.biasInstabilityTau, let point = axis.allanDeviationPT.first(where: { $0.tau == tau }),
              let low = point.ciLow, let high = point.ciHigh else { return 0 }
        return (high - low) / 4 / 0.664
    }
}
