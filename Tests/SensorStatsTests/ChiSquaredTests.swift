import Foundation
import Testing
@testable import SensorStats

/// χ² quantiles and the regularized incomplete gamma function (statistics.md §2.4, vector T15).
@Suite struct ChiSquaredTests {
    /// statistics.md §2.4 (scipy, 5 decimals printed): tolerance half a unit of the last printed digit. The ν = 9.55
    /// pair is at the exact 1-σ tails (1 ∓ erf(1/√2))/2 = 0.15865525…/0.84134475…: scipy gives 5.336054342 and
    /// 13.770364994 there, while at the rounded p = 0.841345 the upper one is 13.770370860 (table below), which does
    /// not round to the printed 13.77036.
    @Test func referenceValues() {
        let tail = (1 - AllanConfidence.oneSigma) / 2
        #expect(abs(ChiSquared.quantile(0.025, degreesOfFreedom: 10) - 3.24697) < 5e-6)
        #expect(abs(ChiSquared.quantile(0.975, degreesOfFreedom: 10) - 20.48318) < 5e-6)
        #expect(abs(ChiSquared.quantile(tail, degreesOfFreedom: 9.55) - 5.33605) < 5e-6)
        #expect(abs(ChiSquared.quantile(1 - tail, degreesOfFreedom: 9.55) - 13.77036) < 5e-6)
    }

    /// scipy 1.17.1 `chi2.ppf(p, nu)` printed with repr (17 digits):
    ///
    ///     for nu in (0.5, 1, 2, 3, 9.55, 10, 100, 10000):
    ///         for p in (0.001, 0.025, 0.158655, 0.5, 0.841345, 0.975, 0.999): print(chi2.ppf(p, nu))
    ///
    /// Tolerance 1e-9 relative (the brief's): both sides converge to ~1e-14, but the prefactor
    /// exp(a·ln x − x − lnΓ(a)) loses ~1e-12 to cancellation at ν = 10 000.
    @Test(arguments: Self.scipyTable)
    func scipyQuantiles(nu: Double, expected: [Double]) {
        let probabilities = [0.001, 0.025, 0.158655, 0.5, 0.841345, 0.975, 0.999]
        for (p, value) in zip(probabilities, expected) {
            let found = ChiSquared.quantile(p, degreesOfFreedom: nu)
            #expect(abs(found / value - 1) < 1e-9, "ν = \(nu), p = \(p): \(found) vs \(value)")
        }
    }

    static let scipyTable: [(Double, [Double])] = [
        (0.5, [1.3499395786230753e-12, 5.273202591259991e-07, 0.0008556142485658513, 0.0873476047057468,
               0.9642676877713464, 3.433235299960771, 8.752888515773373]),
        (1, [1.5707971492624921e-06, 0.0009820691171752555, 0.04006937464241438, 0.454936423119572,
             1.9869991364434345, 5.023886187314888, 10.827566170662733]),
        (2, [0.002001000667167068, 0.05063561596857975, 0.3455069544146316, 1.386294361119891,
             3.6820464910680224, 7.377758908227871, 13.815510557964274]),
        (3, [0.024297585815692732, 0.21579528262389785, 0.8338899525108443, 2.3659738843753377,
             5.186266261540207, 9.348403604496148, 16.26623619623813]),
        (9.55, [1.327979031720627, 2.9980625536825376, 5.3360512443295995, 8.89224642501867,
                13.770370860222886, 19.829134167677726, 28.82299114108694]),
        (10, [1.4787434638356647, 3.2469727802368413, 5.680614504724601, 9.34181776559197,
              14.325512320132137, 20.483177350807388, 29.58829844507442]),
        (100, [61.91793920693662, 74.22192747492373, 85.90531293789648, 99.33412923598846,
               114.0952848994819, 129.5611971858366, 149.44925277903886]),
        (10000, [9568.668495093969, 9724.718377389798, 9858.58321378599, 9999.333341235144,
                 10141.416794938643, 10279.07017988759, 10442.730565410178]),
    ]

    /// scipy `gammainc(2.5, 3.0)` = `chi2.cdf(6, 5)` = 0.6937810815867212, `chi2.sf(40, 10)` = 1.694474393006737e-05
    /// (continued-fraction side, upper tail kept relative), `chi2.cdf(1e-4, 0.5)` = 0.09277203314117652 (series).
    /// Tolerance 1e-12 relative: the series and the fraction stop at one ulp.
    @Test func cumulativeProbability() {
        #expect(abs(ChiSquared.cumulativeProbability(6, degreesOfFreedom: 5) / 0.6937810815867212 - 1) < 1e-12)
        let tail = ChiSquared.regularizedGamma(a: 5, x: 20).upper
        #expect(abs(tail / 1.694474393006737e-05 - 1) < 1e-12)
        #expect(abs(ChiSquared.cumulativeProbability(1e-4, degreesOfFreedom: 0.5) / 0.09277203314117652 - 1) < 1e-12)
        #expect(ChiSquared.cumulativeProbability(0, degreesOfFreedom: 3) == 0)
        #expect(ChiSquared.quantile(0, degreesOfFreedom: 3) == 0)
        #expect(ChiSquared.quantile(1, degreesOfFreedom: 3) == .infinity)
    }

    /// Round trip P(χ²_p(ν)) = p over seeded random ν ∈ (0.2, 2000) and p ∈ (1e-6, 1 − 1e-6): to 1e-12 absolute
    /// in p, or 1e-10 relative in the tail that is small (the residual Newton drives to zero).
    @Test func roundTrip() {
        var generator = SplitMix(seed: 17)
        for _ in 0..<300 {
            let nu = 0.2 * pow(10_000, generator.uniform())
            let p = 1e-6 + (1 - 2e-6) * generator.uniform()
            let x = ChiSquared.quantile(p, degreesOfFreedom: nu)
            let (lower, upper) = ChiSquared.regularizedGamma(a: nu / 2, x: x / 2)
            let error = p > 0.5 ? abs(upper / (1 - p) - 1) : abs(lower / p - 1)
            #expect(error < 1e-10, "ν = \(nu), p = \(p)")
        }
    }
}
