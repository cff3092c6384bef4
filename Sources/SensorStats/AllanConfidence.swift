import Foundation

/// The power-law noise types of frequency stability analysis, S_y(f) ∝ f^α (NIST SP1065 §5.2; reference/statistics.md
/// §2.4). For MEMS readings taken as frequency data (§2.5): white FM is the white noise floor, flicker FM the bias
/// instability, random-walk FM the rate random walk, and white PM behaves like quantisation.
public enum PowerLawNoise: Int, Sendable, Hashable, Codable, CaseIterable {
    case whitePM = 2
    case flickerPM = 1
    case whiteFM = 0
    case flickerFM = -1
    case randomWalkFM = -2

    /// The exponent α of the frequency PSD.
    public var alpha: Int { rawValue }
}

/// Equivalent degrees of freedom and χ² confidence intervals for Allan deviations (reference/statistics.md §2.4).
public enum AllanConfidence {
    /// The 1-σ confidence level erf(1/√2) = 0.6826894921370859: α/2 = 0.158655 in each tail.
    public static let oneSigma = 0.682_689_492_137_085_9

    /// EDF of the fully overlapping Allan variance by the simple formulas of NIST SP1065 Table 5 (Stein 1985; as in
    /// allantools `ci.edf_simple`), for N phase points and averaging factor m:
    /// - WPM: (N+1)(N−2m)/(2(N−m));
    /// - FPM: exp(√(ln((N−1)/(2m))·ln((2m+1)(N−1)/4)));
    /// - WFM: [3(N−1)/(2m) − 2(N−2)/N]·4m²/(4m²+5);
    /// - FFM: 2(N−2)²/(2.3N−4.9) at m = 1, 5N²/(4m(N+3m)) for m ≥ 2;
    /// - RWFM: (N−2)/(m(N−3)²)·[(N−1)² − 3m(N−1) + 4m²].
    ///
    /// The FFM m = 1 formula is SP1065's 2(N−2)²/(2.3N−4.9): statistics.md §2.4 and allantools 2024.06 drop the
    /// square, which gives an EDF below 1 for any N. m need not be an integer (decimated levels use m/d).
    ///
    /// The result is clamped to [1, n] with n = N − 2m terms: the EDF of a sum of n squared Gaussian terms,
    /// (Σλ)²/Σλ² over the eigenvalues of its quadratic form, cannot leave that range, while the formulas can
    /// (RWFM at m = 1 gives N − 1 + ε; N = 3 divides by zero). Returns nil when n < 1.
    public static func simpleEDF(phasePoints n: Double, factor m: Double, noise: PowerLawNoise) -> Double? {
        let terms = n - 2 * m
        guard terms >= 1 else { return nil }
        let edf: Double
        switch noise {
        case .whitePM:
            edf = (n + 1) * (n - 2 * m) / (2 * (n - m))
        case .flickerPM:
            edf = exp((log((n - 1) / (2 * m)) * log((2 * m + 1) * (n - 1) / 4)).squareRoot())
        case .whiteFM:
            edf = (3 * (n - 1) / (2 * m) - 2 * (n - 2) / n) * 4 * m * m / (4 * m * m + 5)
        case .flickerFM:
            edf = m < 1.5 ? 2 * (n - 2) * (n - 2) / (2.3 * n - 4.9) : 5 * n * n / (4 * m * (n + 3 * m))
        case .randomWalkFM:
            edf = (n - 2) / (m * (n - 3) * (n - 3)) * ((n - 1) * (n - 1) - 3 * m * (n - 1) + 4 * m * m)
        }
        guard edf.isFinite else { return terms }
        return Swift.min(Swift.max(edf, 1), terms)
    }

    /// The χ² interval of a deviation σ̂ with ν EDF (SP1065 eq. 45; allantools `ci.confidence_interval`):
    /// σ_lo = σ̂·√(ν/χ²_{1−a/2}(ν)), σ_hi = σ̂·√(ν/χ²_{a/2}(ν)), with a = 1 − `confidence`.
    public static func interval(deviation: Double, edf: Double, confidence: Double = oneSigma)
        -> (low: Double, high: Double)
    {
        precondition(confidence > 0 && confidence < 1, "confidence must be inside (0, 1)")
        precondition(edf > 0, "EDF must be positive")
        let tail = (1 - confidence) / 2
        let upper = ChiSquared.quantile(1 - tail, degreesOfFreedom: edf)
        let lower = ChiSquared.quantile(tail, degreesOfFreedom: edf)
        return (deviation * (edf / upper).squareRoot(), deviation * (edf / lower).squareRoot())
    }

    /// The noise type read off the local slope μ of the Allan *variance*, σ² ∝ τ^μ, with α = −μ − 1
    /// (statistics.md §2.4): μ ≥ ½ random-walk FM (drift, μ = 2, lands here too), −½ ≤ μ < ½ flicker FM,
    /// −3/2 ≤ μ < −½ white FM. Below −3/2 the Allan variance cannot tell white from flicker PM (both give μ = −2);
    /// nil is returned and the caller takes whichever of the two gives fewer degrees of freedom.
    public static func noise(varianceSlope mu: Double) -> PowerLawNoise? {
        if mu >= 0.5 { return .randomWalkFM }
        if mu >= -0.5 { return .flickerFM }
        if mu >= -1.5 { return .whiteFM }
        return nil
    }
}
