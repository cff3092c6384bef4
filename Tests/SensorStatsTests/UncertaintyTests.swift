import Testing
@testable import SensorStats

@Suite struct StudentTTests {
    /// scipy 1.17.1 `scipy.stats.t.ppf(p, ν)`; tolerance 1e-9 absolute (the bisection stops at 1e-13).
    @Test(arguments: [
        (0.975, 1.0, 12.706204736174694), (0.975, 2, 4.302652729749462), (0.975, 3, 3.1824463052837078),
        (0.975, 4, 2.7764451051977934), (0.975, 9, 2.262157162798205), (0.975, 19, 2.0930240544083087),
        (0.975, 50, 2.008559112100761), (0.975, 13000, 1.960146483644723),
        (0.8413447460685429, 2, 1.3212773729262555), (0.995, 9, 3.249835541592126), (0.995, 1, 63.656741162871526),
    ])
    func quantiles(p: Double, nu: Double, expected: Double) {
        #expect(abs(StudentT.quantile(p, degreesOfFreedom: nu) - expected) < 1e-9)
        #expect(abs(StudentT.quantile(1 - p, degreesOfFreedom: nu) + expected) < 1e-9)
    }

    /// ν = ∞ is the normal distribution: t_0.975 = 1.959963984540054 (scipy `norm.ppf(0.975)`).
    @Test func normalLimit() {
        #expect(abs(StudentT.quantile(0.975, degreesOfFreedom: .infinity) - 1.959963984540054) < 1e-9)
        #expect(StudentT.quantile(0.5, degreesOfFreedom: 3) == 0)
    }
}

@Suite struct UncertaintyBudgetTests {
    /// statistics.md §6.3 worked example: u_A = 0.00082 (10 readings, ν = 9), u_ref = 0.005, u_res = 0.00029:
    /// u_c = 0.00508, ν_eff ≈ 13 000, so k = t_0.975 ≈ 1.96 and U(k = 2) = 0.0102. The note rounds to three
    /// significant figures: tolerances 1e-5 on u_c, 5 % on ν_eff, 1e-4 on U.
    @Test func workedExample() {
        let budget = UncertaintyBudget([
            .init(name: "DUT repeatability", standardUncertainty: 0.00082, degreesOfFreedom: 9, isTypeA: true),
            .init(name: "reference certificate", standardUncertainty: 0.010 / 2),
            .init(name: "DUT resolution", standardUncertainty: 0.001 / 12.0.squareRoot()),
        ])
        #expect(abs(budget.combinedStandardUncertainty - 0.00508) < 1e-5)
        #expect(abs(budget.effectiveDegreesOfFreedom / 13_000 - 1) < 0.05)
        #expect(abs(budget.coverageFactor(.probability(0.95)) - 1.96) < 0.001)
        #expect(abs(budget.expandedUncertainty() - 0.0102) < 1e-4)
    }

    /// Welch–Satterthwaite by hand: two Type A inputs u = 1 (ν = 4) and u = 2 (ν = 9) with c = 1 and 0.5:
    /// u_c = √2, ν_eff = 4 / (1/4 + 1/9) = 11.0769…
    @Test func welchSatterthwaite() {
        let budget = UncertaintyBudget([
            .init(name: "a", standardUncertainty: 1, degreesOfFreedom: 4, isTypeA: true),
            .init(name: "b", standardUncertainty: 2, sensitivity: 0.5, degreesOfFreedom: 9, isTypeA: true),
        ])
        #expect(abs(budget.combinedStandardUncertainty - 2.0.squareRoot()) < 1e-15)
        #expect(abs(budget.effectiveDegreesOfFreedom - 4 / (1.0 / 4 + 1.0 / 9)) < 1e-12)
        #expect(UncertaintyBudget([.init(name: "b", standardUncertainty: 1)]).effectiveDegreesOfFreedom == .infinity)
    }
}

@Suite struct QuadraticFitTests {
    /// Points on an exact parabola come back exactly (1e-9: the scaled normal equations lose little).
    @Test func recoversAParabola() throws {
        let x = [30_000.0, 50_000, 70_000, 90_000, 110_000]
        let f = { (p: Double) in 12 + 1.2e-4 * (p - 70_000) - 3e-9 * (p - 70_000) * (p - 70_000) }
        let fit = try #require(WeightedQuadraticFit(x: x, y: x.map(f), u: [1, 1, 1, 1, 1]))
        for p in stride(from: 30_000.0, through: 110_000, by: 5_000) { #expect(abs(fit.value(at: p) - f(p)) < 1e-9) }
        #expect(fit.residuals.allSatisfy { abs($0) < 1e-9 })
        #expect(WeightedQuadraticFit(x: [1, 2, 2], y: [1, 2, 3], u: [1, 1, 1]) == nil)
    }
}
