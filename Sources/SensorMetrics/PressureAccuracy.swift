import SensorStats

/// Absolute accuracy of one pressure DUT against a reference over a setpoint grid, up and down
/// (reference/sensors.md §8.3; uncertainty per statistics.md §6.3).
public struct PressureAccuracy: Sendable {
    /// Sweep direction of a setpoint, for hysteresis (JJG 1084 回程误差).
    public enum Direction: String, Sendable, Codable { case up, down }

    /// Readings collected during the dwell at one setpoint.
    public struct Dwell: Sendable {
        public var setpoint: Double
        public var direction: Direction
        public var dut = RunningMoments()
        public var reference = RunningMoments()
        /// Dwell length in seconds, for the Type A uncertainty from the Allan deviation.
        public var duration: Double

        public init(setpoint: Double, direction: Direction, duration: Double) {
            self.setpoint = setpoint
            self.direction = direction
            self.duration = duration
        }
    }

    /// The reference instrument's calibration, from its certificate.
    public struct ReferenceCalibration: Sendable, Codable, Equatable {
        /// Expanded uncertainty on the certificate, Pa.
        public var expandedUncertainty: Double
        public var coverageFactor: Double
        public init(expandedUncertainty: Double, coverageFactor: Double) {
            self.expandedUncertainty = expandedUncertainty
            self.coverageFactor = coverageFactor
        }
        public var standardUncertainty: Double { expandedUncertainty / coverageFactor }
    }

    /// One row of the error table.
    public struct Point: Sendable, Codable, Equatable {
        public var setpoint: Double
        public var direction: Direction
        public var reference: Double
        public var dut: Double
        /// e = p̄_DUT − p̄_ref, Pa, with U (k = 2).
        public var error: UncertainValue
        public var dutCount: Int
        public var referenceCount: Int
        /// The uncertainty budget, standard uncertainties in Pa.
        public var budget: Budget
    }

    /// Standard uncertainties combined into each point's error (GUM, uncorrelated inputs).
    public struct Budget: Sendable, Codable, Equatable {
        /// DUT Type A: max(s/√n, σ_ADEV(τ = dwell)).
        public var dutTypeA: Double
        /// Reference certificate U/k.
        public var referenceCertificate: Double
        /// Reference Type A over the dwell: s/√n of its readings (setpoint stability).
        public var referenceTypeA: Double
        /// DUT resolution q/√12.
        public var resolution: Double
        public var combined: Double {
            (dutTypeA * dutTypeA + referenceCertificate * referenceCertificate
             + referenceTypeA * referenceTypeA + resolution * resolution).squareRoot()
        }
    }

    public struct Result: Sendable, Codable, Equatable {
        public var points: [Point]
        /// max |e| over the grid, with the U of the point where it occurs.
        public var maximumAbsoluteError: UncertainValue
        /// The setpoint and direction where |e| is largest.
        public var worstSetpoint: Double
        /// Offset at the reference pressure p0 from a weighted straight-line fit of e against p, Pa;
        /// nil with fewer than two distinct setpoints.
        public var offset: UncertainValue?
        /// Gain (span) error from the same fit, ppm of reading.
        public var gainError: UncertainValue?
        public var fitReferencePressure: Double
        /// max |ē_up − ē_down| over setpoints visited both ways, Pa; nil without a down sweep.
        public var hysteresis: Double?
    }

    /// Computes the error table, max |e|, offset, gain error and hysteresis.
    /// - Parameters:
    ///   - dutAllanDeviation: σ_ADEV of the DUT at τ (seconds) from a steady record, or nil if unknown.
    ///   - resolution: the DUT's quantization step in Pa.
    ///   - fitReferencePressure: p0 where the offset is stated (e.g. 101 325 Pa).
    public static func evaluate(dwells: [Dwell], calibration: ReferenceCalibration,
                                dutAllanDeviation: (Double) -> Double?, resolution: Double,
                                fitReferencePressure: Double) -> Result? {
        let points: [Point] = dwells.compactMap { dwell in
            guard dwell.dut.count > 1, dwell.reference.count > 0,
                  let sMean = dwell.dut.standardErrorOfMean else { return nil }
            let typeA = Swift.max(sMean, dutAllanDeviation(dwell.duration) ?? 0)
            let budget = Budget(
                dutTypeA: typeA,
                referenceCertificate: calibration.standardUncertainty,
                referenceTypeA: dwell.reference.standardErrorOfMean ?? 0,
                resolution: resolution / 12.0.squareRoot())
            let error = dwell.dut.mean - dwell.reference.mean
            return Point(setpoint: dwell.setpoint, direction: dwell.direction,
                         reference: dwell.reference.mean, dut: dwell.dut.mean,
                         error: UncertainValue(error, standardUncertainty: budget.combined, unit: "Pa"),
                         dutCount: dwell.dut.count, referenceCount: dwell.reference.count, budget: budget)
        }
        guard let worst = points.max(by: { abs($0.error.value) < abs($1.error.value) }) else { return nil }

        // The certificate uncertainty is the same instrument at every point: fully correlated, so it does
        // not average down in the fit. Fit with the uncorrelated part only, then add it back to the offset.
        let uncorrelated = points.map { p in
            (p.budget.dutTypeA * p.budget.dutTypeA + p.budget.referenceTypeA * p.budget.referenceTypeA
             + p.budget.resolution * p.budget.resolution).squareRoot()
        }
        let fit = WeightedLineFit(x: points.map(\.reference), y: points.map(\.error.value),
                                  u: uncorrelated, x0: fitReferencePressure)

        var hysteresis: Double?
        let up = Dictionary(points.filter { $0.direction == .up }.map { ($0.setpoint, $0.error.value) },
                            uniquingKeysWith: { a, _ in a })
        for p in points where p.direction == .down {
            if let e = up[p.setpoint] { hysteresis = Swift.max(hysteresis ?? 0, abs(e - p.error.value)) }
        }

        return Result(
            points: points,
            maximumAbsoluteError: UncertainValue(abs(worst.error.value),
                                                 standardUncertainty: worst.error.standardUncertainty, unit: "Pa"),
            worstSetpoint: worst.setpoint,
            offset: fit.map {
                UncertainValue($0.intercept, standardUncertainty: ($0.interceptUncertainty * $0.interceptUncertainty
                    + calibration.standardUncertainty * calibration.standardUncertainty).squareRoot(), unit: "Pa")
            },
            gainError: fit.map { UncertainValue($0.slope * 1e6, standardUncertainty: $0.slopeUncertainty * 1e6, unit: "ppm") },
            fitReferencePressure: fitReferencePressure,
            hysteresis: hysteresis)
    }
}
