import Foundation
import Testing
@testable import SensorStats

/// Known answers from statistics.md §8 (allantools' NBS14 tests, from Riley / NIST SP1065 p. 107; Stable32 PHASE.DAT).
@Suite struct OverlappingAllanDeviationTests {
    /// T1: NBS14 10-point frequency data, τ0 = 1: ADEV(1) = OADEV(1) = 91.22945, OADEV(2) = 85.95287.
    /// The published values have 7 significant digits: tolerance 5e-7 relative.
    @Test func nbs14TenPoint() throws {
        var adev = OverlappingAllanDeviation(tau0: 1, factors: [1, 2])
        adev.add(contentsOf: [892, 809, 823, 798, 671, 644, 883, 903, 677])
        let one = try #require(adev.deviation(factor: 1))
        let two = try #require(adev.deviation(factor: 2))
        #expect(abs(one / 91.22945 - 1) < 5e-7)
        #expect(abs(two / 85.95287 - 1) < 5e-7)
        #expect(adev.points.map(\.terms) == [8, 6])
    }

    /// T1 again through the integer-code path (exact Int64 phase, statistics.md §2.3). On integer data the phase of
    /// the `Double` path is exact too, so both give the same bits.
    @Test func nbs14TenPointAsCodes() throws {
        var codes = OverlappingAllanDeviation(tau0: 1, factors: [1, 2])
        codes.add(codes: AllanTestData.nbs14TenPoint.map { Int32($0) })
        var readings = OverlappingAllanDeviation(tau0: 1, factors: [1, 2])
        readings.add(contentsOf: AllanTestData.nbs14TenPoint)
        #expect(abs(try #require(codes.deviation(factor: 2)) / 85.95287 - 1) < 5e-7)
        #expect(codes.points.map(\.deviation) == readings.points.map(\.deviation))
        #expect(codes.readingCount == 9)
    }

    /// T2: NBS14 1000-point series from the Lehmer generator (n0 = 1234567890 is the first reading), τ = 1, 10, 100:
    /// OADEV 2.922319e-01, 9.159953e-02, 3.241343e-02 (7 digits published: tolerance 5e-7 relative).
    @Test func nbs14ThousandPoint() throws {
        let values = AllanTestData.nbs14ThousandPoint()
        #expect(Int(values[1] * 2_147_483_647 + 0.5) == 395_529_916)
        var adev = OverlappingAllanDeviation(tau0: 1, factors: [1, 10, 100])
        adev.add(contentsOf: values)
        let expected: [Int: Double] = [1: 2.922319e-01, 10: 9.159953e-02, 100: 3.241343e-02]
        for (m, value) in expected {
            let found = try #require(adev.deviation(factor: m))
            #expect(abs(found / value - 1) < 5e-7, "m = \(m): \(found) vs \(value)")
        }
        #expect(adev.points.map(\.terms) == [999, 981, 801])
    }

    /// T3: PHASE.DAT is T2 integrated with x₀ = 0, so feeding T2 as readings is the same estimate.
    /// - Stable32 OADEV, octave AF 1…128 (statistics.md §8), 5 digits printed: tolerance 5e-5 relative.
    /// - allantools 2024.06 `oadev(y, rate=1, data_type="freq", taus="octave")`, full precision, AF 1…256: tolerance
    ///   1e-13 relative (allantools removes the mean, we the first reading; statistics.md §2.3 found 7.8e-16).
    @Test func phaseDatOctaves() throws {
        var adev = OverlappingAllanDeviation(tau0: 1, factors: OverlappingAllanDeviation.octaves(upTo: 256))
        adev.add(contentsOf: AllanTestData.nbs14ThousandPoint())
        let stable32 = [2.9223e-01, 2.0102e-01, 1.4479e-01, 1.0570e-01, 6.1915e-02, 4.8082e-02, 3.6237e-02, 2.7674e-02]
        let allantools = [
            0.29223187810675916, 0.20101604217093852, 0.14479130721843778, 0.10570385007869997,
            0.06191477841874486, 0.04808214262128163, 0.03623721298570471, 0.02767385582069447,
            0.010282217639032731,
        ]
        let points = adev.points
        #expect(points.map(\.factor) == OverlappingAllanDeviation.octaves(upTo: 256))
        #expect(points.allSatisfy { $0.terms == 1001 - 2 * $0.factor && $0.isExact })
        for (point, value) in zip(points, stable32) {
            #expect(abs(point.deviation / value - 1) < 5e-5, "AF \(point.factor)")
        }
        for (point, value) in zip(points, allantools) {
            #expect(abs(point.deviation / value - 1) < 1e-13, "AF \(point.factor)")
        }
    }

    /// §2.4 CI vector on PHASE.DAT, α = 0, 68.27 %, with the *simple* EDF. Expected: allantools 2024.06
    /// `ci.edf_simple(1001, m, 0)` and `ci.confidence_interval(oadev, edf)` (scipy 1.17.1 `chi2.ppf`). Tolerance
    /// 1e-9 relative: the χ² quantile tolerance of ChiSquaredTests, the formulas being the same.
    @Test func phaseDatSimpleConfidenceIntervals() throws {
        var adev = OverlappingAllanDeviation(tau0: 1, factors: OverlappingAllanDeviation.octaves(upTo: 256))
        adev.add(contentsOf: AllanTestData.nbs14ThousandPoint())
        let expected: [(edf: Double, low: Double, high: Double)] = [
            (665.7795537795538, 0.2845419912560941, 0.3005809268257156),
            (569.907806479235, 0.19531728669174822, 0.2072445901598687),
            (345.9747209312427, 0.1395869308245886, 0.15062484044816282),
            (181.950279605452, 0.1005722457080227, 0.11171058708020382),
            (91.30815540144987, 0.05779963276371294, 0.06705570760567495),
            (44.824278866707544, 0.04371693441023444, 0.05408444879920932),
            (21.434954574987525, 0.03177279673690638, 0.04333135786453556),
            (9.722004273933601, 0.023075415997911842, 0.036902448674341545),
            (3.8632973174474388, 0.007982633603986367, 0.017505727913342074),
        ]
        let points = adev.points(noise: .whiteFM)
        #expect(points.count == expected.count)
        for (point, value) in zip(points, expected) {
            let edf = try #require(point.edf), low = try #require(point.ciLow), high = try #require(point.ciHigh)
            #expect(abs(edf / value.edf - 1) < 1e-12, "AF \(point.factor)")
            #expect(abs(low / value.low - 1) < 1e-9, "AF \(point.factor)")
            #expect(abs(high / value.high - 1) < 1e-9, "AF \(point.factor)")
            #expect(point.noise == .whiteFM)
        }
        // §2.4's table uses Greenhall's EDF (allantools ≈ Stable32). The simple formulas are within about 6 % of
        // it for m ≥ 2 (569.9 vs 540.7, 91.3 vs 86.4, 9.72 vs 9.55) and 15 % at m = 1 (666 vs 782), which moves the
        // interval ends by well under 0.5 % (found: ≤ 0.32 %).
        let greenhall: [Int: (edf: Double, low: Double, high: Double)] = [
            1: (782, 0.28511, 0.29991), 16: (86.4, 5.7696e-02, 6.7219e-02), 128: (9.55, 2.3046e-02, 3.7021e-02),
        ]
        for point in points {
            guard let reference = greenhall[point.factor] else { continue }
            let edf = try #require(point.edf)
            #expect(abs(edf / reference.edf - 1) < (point.factor == 1 ? 0.16 : 0.06), "AF \(point.factor)")
            #expect(abs(try #require(point.ciLow) / reference.low - 1) < 0.005, "AF \(point.factor)")
            #expect(abs(try #require(point.ciHigh) / reference.high - 1) < 0.005, "AF \(point.factor)")
        }
    }

    /// Every noise type at AF 16 against allantools `edf_simple`/`confidence_interval`, and at AF 1 where the
    /// formulas need care: FFM uses SP1065's 2(N−2)²/(2.3N−4.9) = 868.809… (allantools and statistics.md §2.4 drop
    /// the square and give 0.87), and RWFM's 1000.003 is clamped to the n = 999 terms. Expected values for those two
    /// from `ci.confidence_interval(0.29223187810675916, edf)` with those EDFs. Tolerance 1e-9 relative (χ²).
    @Test func phaseDatEveryNoiseType() throws {
        var adev = OverlappingAllanDeviation(tau0: 1, factors: [1, 16])
        adev.add(contentsOf: AllanTestData.nbs14ThousandPoint())
        let expected: [PowerLawNoise: [(edf: Double, low: Double, high: Double)]] = [
            .whitePM: [(500.499, 0.28341694848722737, 0.3019239816550584),
                       (492.86192893401017, 0.060033425866907734, 0.06398486090026971)],
            .flickerPM: [(610.4140845416039, 0.28421507961519604, 0.30096770109023635),
                         (262.7905446669035, 0.05938186785979738, 0.06480213697301555)],
            .whiteFM: [(665.7795537795538, 0.2845419912560941, 0.3005809268257156),
                       (91.30815540144987, 0.05779963276371294, 0.06705570760567495)],
            .flickerFM: [(868.8090885348656, 0.28546644602975535, 0.299502297468231),
                         (74.62471699237369, 0.05741265592564769, 0.06767439944145046)],
            .randomWalkFM: [(999, 0.28590766461666844, 0.29899521744553953),
                            (59.74316970614575, 0.05695006798676393, 0.06845429749245173)],
        ]
        for (noise, values) in expected {
            for (point, value) in zip(adev.points(noise: noise), values) {
                #expect(abs(try #require(point.edf) / value.edf - 1) < 1e-12, "\(noise) AF \(point.factor)")
                #expect(abs(try #require(point.ciLow) / value.low - 1) < 1e-9, "\(noise) AF \(point.factor)")
                #expect(abs(try #require(point.ciHigh) / value.high - 1) < 1e-9, "\(noise) AF \(point.factor)")
            }
        }
        // 95 % at AF 16, WFM: allantools `confidence_interval(dev, 91.308…, ci=0.95)`.
        let wide = try #require(adev.points(noise: .whiteFM, confidence: 0.95).last)
        #expect(abs(try #require(wide.ciLow) / 0.05409040275026368 - 1) < 1e-9)
        #expect(abs(try #require(wide.ciHigh) / 0.07240654237110411 - 1) < 1e-9)
    }

    /// The local-slope noise identification (statistics.md §2.4).
    /// - T2 is white FM (uniform readings): the slope finds WFM up to AF 64. At AF 128 and 256 (EDF 9.7 and 3.9)
    ///   the σ² slopes are −1.8 and −2.9, which read as PM and would claim 5× the EDF (FPM: 48.6 at AF 128); α may
    ///   not rise with τ, so WFM is kept.
    /// - Differenced white noise is white PM (slope −2), where WPM and FPM are indistinguishable and the smaller
    ///   EDF of the two is taken.
    /// - A random walk of readings is RWFM (slope +1) from AF 4 on (fixed seed; 50 000 readings).
    @Test func noiseTypeFromLocalSlope() throws {
        var white = OverlappingAllanDeviation(tau0: 1, factors: OverlappingAllanDeviation.octaves(upTo: 256))
        white.add(contentsOf: AllanTestData.nbs14ThousandPoint())
        #expect(white.points.allSatisfy { $0.noise == .whiteFM })
        #expect(white.points.allSatisfy { $0.ciLow != nil && $0.ciLow! < $0.deviation && $0.ciHigh! > $0.deviation })

        var generator = SplitMix(seed: 7)
        var phaseNoise = OverlappingAllanDeviation(tau0: 1, factors: [1, 2, 4, 8])
        var previous = generator.gaussian()
        for _ in 0..<50_000 {
            let next = generator.gaussian()
            phaseNoise.add(next - previous)
            previous = next
        }
        for point in phaseNoise.points {
            let n = Double(point.terms + 2 * point.factor), m = Double(point.factor)
            let smaller = min(AllanConfidence.simpleEDF(phasePoints: n, factor: m, noise: .whitePM)!,
                              AllanConfidence.simpleEDF(phasePoints: n, factor: m, noise: .flickerPM)!)
            #expect([.whitePM, .flickerPM].contains(point.noise), "AF \(point.factor)")
            // 1e-12: the pooled EDF n²/(n²/ν) of a single segment returns ν up to rounding.
            #expect(abs(try #require(point.edf) / smaller - 1) < 1e-12, "AF \(point.factor)")
        }

        var walk = OverlappingAllanDeviation(tau0: 1, factors: [1, 4, 16, 64, 256])
        var level = 0.0
        for _ in 0..<50_000 {
            level += generator.gaussian()
            walk.add(level)
        }
        #expect(walk.points.dropFirst().allSatisfy { $0.noise == .randomWalkFM })
    }

    /// Below 2 terms there is no interval; a lone point falls back to white FM.
    @Test func confidenceNeedsTwoTerms() throws {
        var adev = OverlappingAllanDeviation(tau0: 1, factors: [2, 4])
        adev.add(contentsOf: [1, 2, 4, 3, 5, 2, 3, 1])   // N = 9 phase points: 5 terms at m = 2, 1 at m = 4
        let points = adev.points
        #expect(points.map(\.terms) == [5, 1])
        #expect(points[0].edf != nil && points[0].noise != nil)
        #expect(points[1].edf == nil && points[1].ciLow == nil && points[1].ciHigh == nil && points[1].noise == nil)
        var lone = OverlappingAllanDeviation(tau0: 1, factors: [1])
        lone.add(contentsOf: [1, 2, 4, 3])
        #expect(lone.points.first?.noise == .whiteFM)
    }

    /// T8: white readings of σ at rate r give OADEV(τ) ≈ σ/√(τ·r). With 20 000 readings the m = 1 estimate has
    /// ~13 000 equivalent degrees of freedom (relative σ ≈ 0.6 %); 4 % bounds it at > 6σ for every factor here.
    @Test func whiteNoiseFollowsTauToTheMinusHalf() throws {
        var generator = SplitMix(seed: 42)
        let rate = 25.0, sigma = 0.3
        var adev = OverlappingAllanDeviation(tau0: 1 / rate, factors: [1, 4, 16])
        for _ in 0..<20000 { adev.add(100_000 + sigma * generator.gaussian()) }
        for m in [1, 4, 16] {
            let tau = Double(m) / rate
            let expected = sigma / (tau * rate).squareRoot()
            let found = try #require(adev.deviation(factor: m))
            #expect(abs(found / expected - 1) < 0.04 * Double(m).squareRoot(), "m = \(m)")
        }
    }

    @Test func octaves() {
        #expect(OverlappingAllanDeviation.octaves(upTo: 100) == [1, 2, 4, 8, 16, 32, 64])
    }
}
