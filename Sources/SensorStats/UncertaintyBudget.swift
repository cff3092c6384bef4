/// A GUM uncertainty budget (JCGM 100:2008; statistics.md §6.3): uncorrelated input components, each with a
/// sensitivity coefficient and degrees of freedom, combined in quadrature, with the effective degrees of
/// freedom from the Welch–Satterthwaite formula and the coverage factor that goes with them.
public struct UncertaintyBudget: Sendable, Equatable, Codable {
    /// One input quantity's contribution.
    public struct Component: Sendable, Equatable, Codable {
        public var name: String
        /// Standard uncertainty u(x_i), in the input's unit.
        public var standardUncertainty: Double
        /// ∂f/∂x_i: converts the input's unit to the result's.
        public var sensitivity: Double
        /// ν_i: n − 1 for a Type A mean of n readings; infinite for Type B (a certificate, a resolution).
        public var degreesOfFreedom: Double
        /// Type A (statistics of repeated readings) or Type B (any other knowledge).
        public var isTypeA: Bool

        public init(name: String, standardUncertainty: Double, sensitivity: Double = 1,
                    degreesOfFreedom: Double = .infinity, isTypeA: Bool = false) {
            self.name = name
            self.standardUncertainty = standardUncertainty
            self.sensitivity = sensitivity
            self.degreesOfFreedom = degreesOfFreedom
            self.isTypeA = isTypeA
        }

        /// |c_i|·u(x_i), in the result's unit.
        public var contribution: Double { abs(sensitivity) * standardUncertainty }
    }

    public var components: [Component]

    public init(_ components: [Component]) { self.components = components }

    /// u_c = √Σ(c_i·u_i)² for uncorrelated inputs (GUM eq. 10).
    public var combinedStandardUncertainty: Double {
        components.reduce(0) { $0 + $1.contribution * $1.contribution }.squareRoot()
    }

    /// ν_eff = u_c⁴ / Σ((c_i·u_i)⁴/ν_i) (Welch–Satterthwaite, GUM G.2b); infinite when every input is Type B.
    public var effectiveDegreesOfFreedom: Double {
        let uc = combinedStandardUncertainty
        let denominator = components.reduce(0.0) { total, c in
            c.degreesOfFreedom.isInfinite ? total : total + pow4(c.contribution) / c.degreesOfFreedom
        }
        return denominator > 0 ? pow4(uc) / denominator : .infinity
    }

    /// How the coverage factor is chosen.
    public enum Coverage: Sendable, Equatable, Codable {
        /// A fixed k (2 unless stated): ≈ 95 % for a normal result with large ν_eff.
        case factor(Double)
        /// k = t_p(ν_eff) for a coverage probability p (e.g. 0.9545 or 0.95; GUM G.4).
        case probability(Double)
    }

    public func coverageFactor(_ coverage: Coverage) -> Double {
        switch coverage {
        case .factor(let k): k
        case .probability(let p): StudentT.quantile((1 + p) / 2, degreesOfFreedom: effectiveDegreesOfFreedom)
        }
    }

    /// U = k·u_c.
    public func expandedUncertainty(_ coverage: Coverage = .factor(2)) -> Double {
        coverageFactor(coverage) * combinedStandardUncertainty
    }

    private func pow4(_ x: Double) -> Double { let s = x * x; return s * s }
}
