import Foundation

/// Scale factor, offset, cross-axis sensitivity, non-orthogonality and linearity of a three-axis magnetometer from
/// stepped fields of a calibrated coil set (reference/sensors.md §8.5 item 4).
///
/// Model: B_dut = M·B_a + o, with B_a the applied field (coil current × coil constant, µT), M the 3×3 sensitivity
/// matrix and o the offset (µT). Each DUT axis i is one linear least-squares fit of its readings against the applied
/// components that were stepped and a constant: the full row (M_i1, M_i2, M_i3, o_i) when all three axes were stepped
/// on ≥ 2 levels, otherwise only the stepped columns and the offset (a component that never changes cannot be told
/// from the offset). The fit is weighted by 1/u² of the readings' standard errors when all are given (> 0), and its
/// covariance is scaled up by the Birge ratio χ²/ν when the scatter exceeds them, so a poor fit never claims a small
/// uncertainty (as `WeightedLineFit`); without standard errors it is ordinary least squares with s² = SSE/ν.
///
/// Uncertainty of M_ij (GUM, JCGM 100:2008, uncorrelated inputs): the fit's Type A ⊕ |M_ij|·u_rel(k_j), since an error
/// δ in coil constant k_j scales the applied field of axis j and so the whole column j by 1/(1 + δ). The offset does
/// not depend on the coil constant. Non-orthogonality angles get the Type A part only (a column scale changes them in
/// second order).
public struct MagneticScaleFactor: Sendable, Equatable, Codable {
    /// A field vector in µT (or a per-axis figure), x, y, z in the coil frame.
    public struct Field: Sendable, Equatable, Codable {
        public var x: Double
        public var y: Double
        public var z: Double
        public init(x: Double, y: Double, z: Double) { self.x = x; self.y = y; self.z = z }
        /// 0 = x, 1 = y, 2 = z.
        public subscript(axis: Int) -> Double { axis == 0 ? x : axis == 1 ? y : z }
    }

    /// One dwell at a steady applied field.
    public struct Step: Sendable, Equatable, Codable {
        /// B_a = coil current × coil constant, µT.
        public var applied: Field
        /// The DUT's mean reading over the dwell, µT.
        public var reading: Field
        /// Standard error of each mean (s/√n, or the Allan deviation at the dwell), µT; 0 when unknown.
        public var readingStandardError: Field
        public init(applied: Field, reading: Field, readingStandardError: Field) {
            self.applied = applied
            self.reading = reading
            self.readingStandardError = readingStandardError
        }
    }

    /// Why no calibration could be fitted.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// No applied axis took two different values.
        case nothingStepped
        /// Fewer steps than fitted parameters + 1 (no residual to judge the fit by).
        case tooFewSteps(given: Int, needed: Int)
        /// The applied fields of the stepped axes vary together, so their columns cannot be separated.
        case degenerateSteps(axes: [String])
        /// A value is not finite.
        case notFinite(step: Int)

        public var description: String {
            switch self {
            case .nothingStepped:
                "magnetic scale factor: no coil axis was stepped to two different fields"
            case .tooFewSteps(let given, let needed):
                "magnetic scale factor: \(given) steps for a fit that needs at least \(needed)"
            case .degenerateSteps(let axes):
                "magnetic scale factor: the applied fields of axes \(axes.joined(separator: ", ")) vary together; "
                    + "step them independently"
            case .notFinite(let step):
                "magnetic scale factor: step \(step) holds a value that is not finite"
            }
        }
    }

    /// A scale factor M_ii of a stepped axis.
    public struct ScaleFactor: Sendable, Equatable, Codable {
        public var axis: String
        /// M_ii, dimensionless, u combined (Type A ⊕ coil constant).
        public var value: UncertainValue
        /// (M_ii − 1)·100 %.
        public var errorPercent: UncertainValue
        /// The Type A part of u(M_ii), from the fit.
        public var typeA: Double
    }

    /// M_ij, i ≠ j: the reading of sensed axis i per unit field along coil axis j, in %.
    public struct CrossAxis: Sendable, Equatable, Codable {
        public var sensedAxis: String
        public var appliedAxis: String
        public var percent: UncertainValue
    }

    /// The angle between the sensitive directions (rows of M) of two sensed axes, minus 90°.
    public struct NonOrthogonality: Sendable, Equatable, Codable {
        public var axes: String
        public var degrees: UncertainValue
    }

    /// Linearity of a stepped axis: max |residual| as % of its output span |M_ii|·(max B_a − min B_a).
    public struct Linearity: Sendable, Equatable, Codable {
        public var axis: String
        public var percentOfSpan: Double
        /// The applied span, µT.
        public var spanMicrotesla: Double
    }

    /// The coil axes that were stepped ("x", "y", "z").
    public var steppedAxes: [String]
    /// True when all three were stepped and M is the full matrix.
    public var isFullMatrix: Bool
    /// M row by row (sensed axis i, coil axis j); nil for a column that was not stepped.
    public var sensitivity: [[Double?]]
    public var scaleFactors: [ScaleFactor]
    /// o per sensed axis, µT, Type A from the fit.
    public var offsets: [UncertainValue]
    public var crossAxis: [CrossAxis]
    /// Only with the full matrix.
    public var nonOrthogonality: [NonOrthogonality]
    public var linearity: [Linearity]
    /// χ²/ν per sensed axis (weighted fits; 1 for ordinary least squares): > 1 means the readings scatter more than
    /// their standard errors say (or the response is not linear).
    public var reducedChiSquare: [Double]
    public var stepCount: Int
    /// n − p of each axis' fit.
    public var residualDegreesOfFreedom: Int

    static let axisNames = ["x", "y", "z"]

    /// Fits the calibration.
    /// - Parameters:
    ///   - steps: the dwells, in any order.
    ///   - coilConstantRelativeUncertainty: u(k)/k of each coil axis' constant (from its calibration against a
    ///     reference fluxgate, §8.5 item 4).
    public static func fit(steps: [Step], coilConstantRelativeUncertainty: Field) throws(Failure)
        -> MagneticScaleFactor
    {
        for (index, step) in steps.enumerated() {
            let values = (0..<3).flatMap { [step.applied[$0], step.reading[$0], step.readingStandardError[$0]] }
            guard values.allSatisfy(\.isFinite) else { throw .notFinite(step: index) }
        }
        let scale = steps.flatMap { s in (0..<3).map { abs(s.applied[$0]) } }.max() ?? 0
        let stepped = (0..<3).filter { axis in
            let levels = steps.map { $0.applied[axis] }
            guard let low = levels.min(), let high = levels.max() else { return false }
            return high - low > 1e-9 * scale
        }
        guard !stepped.isEmpty else { throw .nothingStepped }
        let parameters = stepped.count + 1
        guard steps.count > parameters else { throw .tooFewSteps(given: steps.count, needed: parameters + 1) }

        let design = steps.map { step in stepped.map { step.applied[$0] } + [1] }
        var fits: [(fit: LinearLeastSquares, covariance: [[Double]], reduced: Double)] = []
        for sensed in 0..<3 {
            let errors = steps.map { $0.readingStandardError[sensed] }
            let weighted = errors.allSatisfy { $0 > 0 }
            guard let fit = LinearLeastSquares(
                design: design, observations: steps.map { $0.reading[sensed] },
                weights: weighted ? errors.map { 1 / ($0 * $0) } : nil)
            else { throw .degenerateSteps(axes: stepped.map { axisNames[$0] }) }
            let reduced = fit.weightedResidualSumOfSquares / Double(fit.degreesOfFreedom)
            let factor = weighted ? Swift.max(1, reduced) : reduced
            fits.append((fit, fit.unscaledCovariance.map { $0.map { $0 * factor } }, weighted ? reduced : 1))
        }

        var sensitivity: [[Double?]] = Array(repeating: [nil, nil, nil], count: 3)
        var typeA: [[Double]] = Array(repeating: [0, 0, 0], count: 3)
        for sensed in 0..<3 {
            for (column, axis) in stepped.enumerated() {
                sensitivity[sensed][axis] = fits[sensed].fit.coefficients[column]
                typeA[sensed][axis] = fits[sensed].covariance[column][column].squareRoot()
            }
        }
        func combined(_ sensed: Int, _ axis: Int) -> (value: Double, u: Double) {
            let m = sensitivity[sensed][axis] ?? 0
            let coil = abs(m) * coilConstantRelativeUncertainty[axis]
            return (m, (typeA[sensed][axis] * typeA[sensed][axis] + coil * coil).squareRoot())
        }

        let scaleFactors = stepped.map { axis in
            let (m, u) = combined(axis, axis)
            return ScaleFactor(
                axis: axisNames[axis], value: UncertainValue(m, standardUncertainty: u, unit: "1"),
                errorPercent: UncertainValue((m - 1) * 100, standardUncertainty: u * 100, unit: "%"),
                typeA: typeA[axis][axis])
        }
        let offsets = (0..<3).map { sensed in
            UncertainValue(fits[sensed].fit.coefficients[stepped.count],
                           standardUncertainty: fits[sensed].covariance[stepped.count][stepped.count].squareRoot(),
                           unit: "µT")
        }
        let crossAxis = stepped.flatMap { axis in
            (0..<3).filter { $0 != axis }.map { sensed in
                let (m, u) = combined(sensed, axis)
                return CrossAxis(sensedAxis: axisNames[sensed], appliedAxis: axisNames[axis],
                                 percent: UncertainValue(m * 100, standardUncertainty: u * 100, unit: "%"))
            }
        }
        let linearity = stepped.map { axis in
            let levels = steps.map { $0.applied[axis] }
            let span = (levels.max() ?? 0) - (levels.min() ?? 0)
            let worst = fits[axis].fit.residuals.map(abs).max() ?? 0
            let output = abs(sensitivity[axis][axis] ?? 0) * span
            return Linearity(axis: axisNames[axis], percentOfSpan: output > 0 ? 100 * worst / output : .infinity,
                             spanMicrotesla: span)
        }
        var angles: [NonOrthogonality] = []
        if stepped.count == 3 {
            let rows = (0..<3).map { i in (0..<3).map { sensitivity[i][$0] ?? 0 } }
            let covariances = (0..<3).map { i in (0..<3).map { a in (0..<3).map { fits[i].covariance[a][$0] } } }
            for (i, j) in [(0, 1), (0, 2), (1, 2)] {
                let angle = Self.angle(rows[i], rows[j], covariance: covariances[i], covariances[j])
                angles.append(NonOrthogonality(
                    axes: axisNames[i] + "-" + axisNames[j],
                    degrees: UncertainValue(angle.degrees - 90, standardUncertainty: angle.u, unit: "°")))
            }
        }
        return MagneticScaleFactor(
            steppedAxes: stepped.map { axisNames[$0] }, isFullMatrix: stepped.count == 3, sensitivity: sensitivity,
            scaleFactors: scaleFactors, offsets: offsets, crossAxis: crossAxis, nonOrthogonality: angles,
            linearity: linearity, reducedChiSquare: fits.map(\.reduced), stepCount: steps.count,
            residualDegreesOfFreedom: steps.count - parameters)
    }

    /// The angle between u and v in degrees, θ = acos(u·v/(|u||v|)), with its standard uncertainty propagated from
    /// the (independent) covariances of u and v: ∂θ/∂u = −(v/(|u||v|) − cos θ·u/|u|²)/sin θ, likewise for v.
    static func angle(_ u: [Double], _ v: [Double], covariance cu: [[Double]], _ cv: [[Double]])
        -> (degrees: Double, u: Double)
    {
        let dot = zip(u, v).reduce(0) { $0 + $1.0 * $1.1 }
        let nu = u.reduce(0) { $0 + $1 * $1 }.squareRoot(), nv = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let cosine = Swift.min(1, Swift.max(-1, dot / (nu * nv)))
        let theta = acos(cosine)
        let sine = sin(theta)
        guard sine > 0 else { return (theta * 180 / .pi, .infinity) }
        let gu = (0..<3).map { -(v[$0] / (nu * nv) - cosine * u[$0] / (nu * nu)) / sine }
        let gv = (0..<3).map { -(u[$0] / (nu * nv) - cosine * v[$0] / (nv * nv)) / sine }
        func quadratic(_ g: [Double], _ c: [[Double]]) -> Double {
            (0..<3).reduce(0) { sum, a in sum + (0..<3).reduce(0) { $0 + g[a] * c[a][$1] * g[$1] } }
        }
        let variance = quadratic(gu, cu) + quadratic(gv, cv)
        return (theta * 180 / .pi, variance.squareRoot() * 180 / .pi)
    }
}
