import Foundation

/// The curve of `OverlappingAllanDeviation` with its χ² confidence intervals (reference/statistics.md §2.4).
extension OverlappingAllanDeviation {
    /// One point of the Allan deviation curve.
    public struct Point: Sendable, Equatable, Codable {
        public var factor: Int
        /// τ = m·τ₀ in seconds.
        public var tau: Double
        /// The Allan deviation, in the units of the readings (or codes).
        public var deviation: Double
        /// Number of second differences averaged: N − 2m for N phase points when exact and without gaps,
        /// ⌊(N − 1 − 2m)/d⌋ + 1 when decimated.
        public var terms: Int
        /// Stride d between terms: 1 in the exact shared ring (full overlap, scheme A), d = max(1, m >> s) on a
        /// decimated level (scheme B).
        public var stride: Int
        /// The noise type behind `edf`: the one given, or the one read off the local slope; nil with the interval.
        public var noise: PowerLawNoise?
        /// Equivalent degrees of freedom (SP1065 Table 5 simple formulas); nil below 2 terms.
        public var edf: Double?
        /// Lower and upper ends of the χ² confidence interval; nil below 2 terms.
        public var ciLow: Double?
        public var ciHigh: Double?

        /// True when every overlapping term was used (stride 1): the value equals `allantools.oadev`.
        public var isExact: Bool { stride == 1 }
    }

    /// The curve at every factor that has at least one term, with 1-σ intervals for the noise type read off the
    /// local slope of the curve (see `points(noise:confidence:)`).
    public var points: [Point] { points(noise: nil) }

    /// The curve at every factor that has at least one term, with χ² intervals at `confidence`.
    ///
    /// EDF: the simple formulas of SP1065 Table 5 (`AllanConfidence.simpleEDF`). A decimated level is an
    /// overlapping estimator on the phase subsampled by d, so it uses N′ = n + 2m/d points and factor m/d (for d
    /// not dividing m, an approximation). With gaps, each segment i gets its own ν_i from its n_i terms and they
    /// pool as ν = (Σn_i)²/Σ(n_i²/ν_i), the EDF of the term-weighted mean of independent segment estimates.
    ///
    /// Noise type: `noise` if given. Otherwise it is read off the local slope μ of the Allan variance on a log-log
    /// scale, taken between the neighbouring points (one-sided at the ends), with α = −μ − 1 rounded to the
    /// nearest type (`AllanConfidence.noise(varianceSlope:)`; statistics.md §2.4 names this method). Two rules
    /// keep the noisy slope of the last few points from claiming too many degrees of freedom:
    /// - α never rises with τ. For a sum of power laws σ² = Σcᵢτ^μᵢ the local slope is the cᵢτ^μᵢ-weighted mean
    ///   of the μᵢ, whose derivative in ln τ is their weighted variance, ≥ 0; a type above the one found at a
    ///   shorter τ is estimation noise and is capped at that one.
    /// - Where the slope says white or flicker PM, which the Allan variance cannot tell apart, the one with fewer
    ///   degrees of freedom is used: the wider, conservative interval.
    /// A lone point, or a zero deviation beside it, is taken as white FM (the MEMS noise floor), under the cap.
    public func points(noise: PowerLawNoise?, confidence: Double = AllanConfidence.oneSigma) -> [Point] {
        let totals = totals()
        let terms = totals.terms
        let indices = factors.indices.filter { terms[$0] > 0 }
        let taus = indices.map { Double(factors[$0]) * tau0 }
        let deviations = indices.map { deviation(at: $0, totals: totals) }
        var ceiling = PowerLawNoise.whitePM.alpha
        return indices.indices.map { k in
            let index = indices[k]
            var point = Point(
                factor: factors[index], tau: taus[k], deviation: deviations[k], terms: terms[index],
                stride: stride(at: index))
            guard terms[index] >= 2 else { return point }
            var candidates: [PowerLawNoise]
            if let noise {
                candidates = [noise]
            } else if let mu = Self.localSlope(at: k, taus: taus, deviations: deviations) {
                let found = AllanConfidence.noise(varianceSlope: mu).map { [$0] } ?? [.whitePM, .flickerPM]
                candidates = found.map { $0.alpha <= ceiling ? $0 : PowerLawNoise(rawValue: ceiling) ?? $0 }
                ceiling = candidates.map(\.alpha).max() ?? ceiling
            } else {
                candidates = [PowerLawNoise(rawValue: Swift.min(ceiling, PowerLawNoise.whiteFM.alpha)) ?? .whiteFM]
            }
            let rated = candidates.compactMap { type in
                pooledEDF(at: index, noise: type, terms: terms).map { (type, $0) }
            }
            guard let (type, edf) = rated.min(by: { $0.1 < $1.1 }) else { return point }
            let interval = AllanConfidence.interval(deviation: deviations[k], edf: edf, confidence: confidence)
            point.noise = type
            point.edf = edf
            point.ciLow = interval.low
            point.ciHigh = interval.high
            return point
        }
    }

    /// Slope of log σ² against log τ around point k; nil for a lone point or a zero deviation.
    static func localSlope(at k: Int, taus: [Double], deviations: [Double]) -> Double? {
        let before = Swift.max(k - 1, 0), after = Swift.min(k + 1, taus.count - 1)
        guard before != after, deviations[before] > 0, deviations[after] > 0 else { return nil }
        return 2 * (log(deviations[after]) - log(deviations[before])) / (log(taus[after]) - log(taus[before]))
    }

    /// The pooled EDF of factor `index` over the closed segments and the open one; `terms` as of `totals()`.
    func pooledEDF(at index: Int, noise: PowerLawNoise, terms: [Int]) -> Double? {
        var denominator = closedSegmentEDF[index * PowerLawNoise.allCases.count + 2 - noise.alpha]
        let open = terms[index] - segmentStartTerms[index]
        if open > 0 {
            guard let nu = segmentEDF(terms: open, at: index, noise: noise) else { return nil }
            denominator += Double(open) * Double(open) / nu
        }
        guard denominator > 0 else { return nil }
        let n = Double(terms[index])
        return n * n / denominator
    }

    /// ν of one segment with `n` terms at factor `index`: N′ = n + 2m′ phase points, m′ = m/d.
    func segmentEDF(terms n: Int, at index: Int, noise: PowerLawNoise) -> Double? {
        let m = Double(factors[index]) / Double(stride(at: index))
        return AllanConfidence.simpleEDF(phasePoints: Double(n) + 2 * m, factor: m, noise: noise)
    }

    /// Folds the current segment of every factor into `closedSegmentEDF` (statistics.md §2.3 "Gaps").
    mutating func closeSegment() {
        for index in factors.indices {
            let n = terms[index] - segmentStartTerms[index]
            segmentStartTerms[index] = terms[index]
            guard n > 0 else { continue }
            for noise in PowerLawNoise.allCases {
                guard let nu = segmentEDF(terms: n, at: index, noise: noise) else { continue }
                closedSegmentEDF[index * PowerLawNoise.allCases.count + 2 - noise.alpha] +=
                    Double(n) * Double(n) / nu
            }
        }
    }
}
