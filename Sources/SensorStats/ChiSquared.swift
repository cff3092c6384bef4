import Foundation

/// The χ² distribution with ν > 0 degrees of freedom (ν need not be an integer): the quantiles behind the Allan
/// deviation confidence intervals (reference/statistics.md §2.4, SP1065 eq. 45).
public enum ChiSquared {
    /// P(X ≤ x) = P(ν/2, x/2), the regularized lower incomplete gamma function.
    public static func cumulativeProbability(_ x: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        return regularizedGamma(a: nu / 2, x: x / 2).lower
    }

    /// The p-quantile χ²_p(ν) for 0 ≤ p ≤ 1, to about 1e-14 relative.
    ///
    /// Wilson–Hilferty gives the start (statistics.md §2.4: good to 1e-4 for ν ≥ 80, poor below ν ≈ 3, undefined
    /// when its cube root goes negative, where the small-x limit P ≈ (x/2)^a/Γ(a+1) starts instead). Newton steps on
    /// P(ν/2, x/2) − p then polish it, inside a bracket that every evaluation narrows; a step that leaves the
    /// bracket is replaced by bisection. Above the median the residual is taken on the upper tail Q = 1 − P, which
    /// keeps its relative accuracy where P is close to 1.
    public static func quantile(_ p: Double, degreesOfFreedom nu: Double) -> Double {
        precondition(nu > 0, "degrees of freedom must be positive")
        precondition(p >= 0 && p <= 1, "p must be inside [0, 1]")
        if p == 0 { return 0 }
        if p == 1 { return .infinity }
        let a = nu / 2
        let q = 1 - p
        let upperTail = p > 0.5
        let logGammaA: Double = lgamma(a)
        var x = startingPoint(p, nu: nu)
        var low = 0.0, high = Double.infinity
        for _ in 0..<300 {
            let (lower, upper) = regularizedGamma(a: a, x: x / 2, logGammaA: logGammaA)
            // residual > 0 means x is above the quantile.
            let residual = upperTail ? q - upper : lower - p
            if residual == 0 { return x }
            if residual < 0 { low = x } else { high = x }
            // Density of χ²(ν) at x: (x/2)^(a−1)·e^(−x/2) / (2Γ(a)).
            let density = exp((a - 1) * log(x / 2) - x / 2 - logGammaA) / 2
            var next = x - residual / density
            if !(next > low && next < high) {
                if high.isInfinite {
                    next = 2 * x
                } else if low > 0 && high > 4 * low {
                    next = (low * high).squareRoot()
                } else if low == 0 {
                    next = high / 4
                } else {
                    next = (low + high) / 2
                }
            }
            if abs(next - x) <= 2 * Double.ulpOfOne * x { return next }
            x = next
        }
        return x
    }

    /// Wilson–Hilferty's ν(1 − 2/(9ν) + z·√(2/(9ν)))³, or the small-x limit where that is not positive.
    private static func startingPoint(_ p: Double, nu: Double) -> Double {
        let c = 2 / (9 * nu)
        let cube = 1 - c + standardNormalQuantile(p) * c.squareRoot()
        if cube > 0 { return nu * cube * cube * cube }
        let a = nu / 2
        let logGamma: Double = lgamma(a + 1)
        return 2 * exp((log(p) + logGamma) / a)
    }

    /// Abramowitz & Stegun 26.2.23 (absolute error < 4.5e-4): only a starting point.
    private static func standardNormalQuantile(_ p: Double) -> Double {
        let tail = Swift.min(p, 1 - p)
        let t = (-2 * log(tail)).squareRoot()
        let z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t
            + 0.001308 * t * t * t)
        return p < 0.5 ? -z : z
    }

    /// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 − P(a, x) (Numerical Recipes §6.2
    /// method, written from the formulas): the series Σ xⁿ/(a(a+1)…(a+n)) for x < a + 1, where it converges fast
    /// and gives P directly; otherwise the Legendre continued fraction by the modified Lentz method, which gives Q
    /// directly. The other of the two is its complement, so each keeps full relative accuracy in its own tail.
    static func regularizedGamma(a: Double, x: Double, logGammaA: Double? = nil) -> (lower: Double, upper: Double) {
        precondition(a > 0, "shape must be positive")
        if x <= 0 { return (0, 1) }
        if x.isInfinite { return (1, 0) }
        let logGamma: Double = logGammaA ?? lgamma(a)
        let front = exp(a * log(x) - x - logGamma)
        if x < a + 1 {
            var term = 1 / a, sum = term, denominator = a
            for _ in 0..<100_000 {
                denominator += 1
                term *= x / denominator
                sum += term
                if abs(term) < abs(sum) * Double.ulpOfOne { break }
            }
            let lower = Swift.min(1, sum * front)
            return (lower, 1 - lower)
        }
        let tiny = Double.leastNormalMagnitude / Double.ulpOfOne
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < Double.ulpOfOne { break }
        }
        let upper = Swift.min(1, front * h)
        return (1 - upper, upper)
    }
}
