import Foundation
import SensorStats

/// Limit of detection and of quantification of a gas sensor, IUPAC: LOD = 3·s_blank/b, LOQ = 10·s_blank/b
/// (reference/sensors.md §8.7; ISO 11843 is the formal alternative), s_blank the standard deviation of ≥ 20 zero-air
/// readings and b the calibration slope from the mean responses at certified levels.
///
/// **Linear response** (NDIR CO₂, ppm out): b from a least-squares line through (certified concentration, mean
/// response), weighted by 1/u² of the means when all are given; LOD and LOQ are concentrations.
///
/// **Logarithmic response** (raw MOx signals: "b in SRAW ticks per log-concentration", §8.7; Sensirion ≈ 870 ticks
/// per doubling [S27]): the response is linear in ln c, so b is in response units per ln-unit and 3·s_blank/b is the
/// smallest detectable **relative** change of concentration, in ln-units. A log law has no zero, so an absolute LOD
/// from zero air would extrapolate it below the lowest level, where MOx responses are known to leave it. What the
/// data support is reported instead: the relative resolution r = 3·s_blank/b, and the LOD as the concentration above
/// the lowest calibrated level c_min that moves the response by 3·s_blank, c_min·(e^r − 1) (likewise LOQ with 10).
/// An absolute LOD needs levels near it (ISO 11843). s_blank is taken as the noise of the response, which for MOx is
/// about the same in zero air and at c_min; measure it at c_min if it is not.
///
/// Uncertainty: u(LOD)/LOD = √(1/(2ν) + (u_b/b)²), with ν = n − 1 the χ² degrees of freedom of s_blank
/// (u(s)/s ≈ 1/√(2ν)) and u_b the slope's standard error (for the log form, through d/dr of c_min·(e^r − 1)).
public struct GasLimitOfDetection: Sendable, Equatable, Codable {
    /// How the response depends on concentration.
    public enum Response: String, Sendable, Equatable, Codable {
        case linear
        /// Response linear in ln c (raw MOx signals).
        case logarithmic
    }

    /// One certified level with the mean response over its dwell.
    public struct Level: Sendable, Equatable, Codable {
        /// Certified concentration (e.g. ppm), > 0 for the logarithmic form.
        public var concentration: Double
        public var meanResponse: Double
        /// Standard error of the mean response; 0 when unknown (then the fit is unweighted).
        public var standardError: Double
        public init(concentration: Double, meanResponse: Double, standardError: Double = 0) {
            self.concentration = concentration
            self.meanResponse = meanResponse
            self.standardError = standardError
        }
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case tooFewBlanks(Int)
        case tooFewLevels(Int)
        /// A level with a concentration ≤ 0 for the logarithmic form, or a non-finite value.
        case invalidLevel(index: Int)
        /// The slope is zero, or the levels share one concentration.
        case noSlope

        public var description: String {
            switch self {
            case .tooFewBlanks(let n):
                "gas LOD: \(n) blank readings; IUPAC's s_blank needs at least 20 (sensors.md §8.7)"
            case .tooFewLevels(let n):
                "gas LOD: \(n) calibration levels; a slope with a standard error needs at least 3"
            case .invalidLevel(let index):
                "gas LOD: calibration level \(index) has a concentration or response that cannot be used "
                    + "(not finite, or ≤ 0 for a logarithmic response)"
            case .noSlope:
                "gas LOD: the calibration has no slope (all levels at one concentration, or a flat response)"
            }
        }
    }

    public var response: Response
    /// s_blank (response units) and its χ² degrees of freedom n − 1.
    public var blankStandardDeviation: Double
    public var blankDegreesOfFreedom: Int
    /// b: response units per concentration unit (linear) or per ln-unit (logarithmic), with its standard error.
    public var slope: UncertainValue
    /// For the logarithmic form, b·ln 2: response units per doubling (compare Sensirion's ≈ 870 ticks).
    public var slopePerDoubling: Double?
    /// 3·s_blank/b in ln-units (logarithmic form only): the smallest detectable relative change.
    public var relativeResolution: Double?
    /// c_min, the lowest calibrated level (logarithmic form only).
    public var lowestLevel: Double?
    /// LOD and LOQ in concentration units (above `lowestLevel` for the logarithmic form).
    public var limitOfDetection: UncertainValue
    public var limitOfQuantification: UncertainValue

    /// Computes LOD and LOQ.
    /// - Parameters:
    ///   - blanks: ≥ 20 zero-air readings (response units).
    ///   - levels: ≥ 3 certified levels.
    ///   - response: linear or logarithmic.
    ///   - unit: the concentration unit, e.g. "ppm".
    public static func evaluate(blanks: [Double], levels: [Level], response: Response = .linear,
                                unit: String) throws(Failure) -> GasLimitOfDetection {
        let finite = blanks.filter(\.isFinite)
        guard finite.count >= 20, let s = RunningMoments(finite).sampleStandardDeviation else {
            throw .tooFewBlanks(finite.count)
        }
        guard levels.count >= 3 else { throw .tooFewLevels(levels.count) }
        for (index, level) in levels.enumerated() {
            guard level.concentration.isFinite, level.meanResponse.isFinite, level.standardError.isFinite,
                  response == .linear || level.concentration > 0
            else { throw .invalidLevel(index: index) }
        }
        let x = levels.map { response == .linear ? $0.concentration : log($0.concentration) }
        let weighted = levels.allSatisfy { $0.standardError > 0 }
        guard let fit = LinearLeastSquares(
            design: x.map { [$0, 1] }, observations: levels.map(\.meanResponse),
            weights: weighted ? levels.map { 1 / ($0.standardError * $0.standardError) } : nil),
            fit.coefficients[0] != 0
        else { throw .noSlope }
        let reduced = fit.weightedResidualSumOfSquares / Double(fit.degreesOfFreedom)
        let b = fit.coefficients[0]
        let ub = (fit.unscaledCovariance[0][0] * (weighted ? Swift.max(1, reduced) : reduced)).squareRoot()
        let nu = finite.count - 1
        let relative = (1 / (2 * Double(nu)) + (ub / b) * (ub / b)).squareRoot()

        func limit(_ multiple: Double) -> (UncertainValue, Double?) {
            let ratio = multiple * s / abs(b)
            switch response {
            case .linear:
                return (UncertainValue(ratio, standardUncertainty: ratio * relative, unit: unit), nil)
            case .logarithmic:
                let lowest = levels.map(\.concentration).min() ?? 0
                let value = lowest * (exp(ratio) - 1)
                // d/dr of c_min(e^r − 1) = c_min·e^r; u(r) = r·relative.
                return (UncertainValue(value, standardUncertainty: lowest * exp(ratio) * ratio * relative,
                                       unit: unit), ratio)
            }
        }
        let (lod, resolution) = limit(3)
        let (loq, _) = limit(10)
        return GasLimitOfDetection(
            response: response, blankStandardDeviation: s, blankDegreesOfFreedom: nu,
            slope: UncertainValue(b, standardUncertainty: ub, unit: response == .linear ? "response/\(unit)"
                                  : "response/ln(\(unit))"),
            slopePerDoubling: response == .logarithmic ? b * log(2) : nil,
            relativeResolution: resolution,
            lowestLevel: response == .logarithmic ? levels.map(\.concentration).min() : nil,
            limitOfDetection: lod, limitOfQuantification: loq)
    }
}
