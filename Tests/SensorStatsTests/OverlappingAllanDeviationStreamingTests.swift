import Foundation
import Testing
@testable import SensorStats

/// The streaming machinery of `OverlappingAllanDeviation`: decimated levels (scheme B), gaps, bounded memory, the
/// compensated and integer phase, block adds (statistics.md §2.3).
@Suite struct OverlappingAllanDeviationStreamingTests {
    /// T14: a decimated level equals allantools' `calc_adev_phase(phase, rate, m, stride=max(1, m // 2**s))`, terms
    /// included. Expected values from allantools 2024.06 on `frequency2phase(y, 1.0)` of the same series
    /// (`AllanTestData.whitePlusRandomWalk(count: 16507)`, drawn in python by a port of SplitMix64), N = 16508
    /// phase points:
    ///
    ///     for k in range(14): m = 1 << k; d = max(1, m // 16)
    ///         dev, err, n = allantools.allantools.calc_adev_phase(phase, 1.0, m, d)
    ///
    /// Tolerance 1e-12 relative: allantools removes the mean and sums with numpy, we remove the first reading and
    /// sum in order; statistics.md §2.3 found ≤ 2.4e-15.
    @Test func decimatedLevelsMatchAllantoolsStride() throws {
        let readings = AllanTestData.whitePlusRandomWalk(count: 16507)
        #expect(readings[0] == 0.23747571146197322)
        let shift4: [(m: Int, d: Int, n: Int, dev: Double)] = [
            (1, 1, 16506, 0.5775945744228571), (2, 1, 16504, 0.40959697016991364),
            (4, 1, 16500, 0.291616234854257), (8, 1, 16492, 0.20963087156510168),
            (16, 1, 16476, 0.1482229586310729), (32, 2, 8222, 0.10625031130616922),
            (64, 4, 4095, 0.072219699243892), (128, 8, 2032, 0.05850173333162091),
            (256, 16, 1000, 0.05605314315197204), (512, 32, 484, 0.06319966248846905),
            (1024, 64, 226, 0.08202230400726652), (2048, 128, 97, 0.07482887744420075),
            (4096, 256, 33, 0.1086042449386961), (8192, 512, 1, 0.14753066908333604),
        ]
        // s = 5 (the default), same series: d = max(1, m // 32).
        let shift5: [(m: Int, d: Int, n: Int, dev: Double)] = [
            (32, 1, 16444, 0.10629947478354987), (64, 2, 8190, 0.07210219998748231),
            (128, 4, 4063, 0.0582638140391983), (256, 8, 2000, 0.05592897978667343),
            (512, 16, 968, 0.0633989174077153), (1024, 32, 452, 0.08256035501197126),
            (2048, 64, 194, 0.07491243520658013), (4096, 128, 65, 0.10917668260155723),
            (8192, 256, 1, 0.14753066908333604),
        ]
        // Factors that d does not divide (ring B), s = 5, all decimated.
        let arbitrary: [(m: Int, d: Int, n: Int, dev: Double)] = [
            (100, 3, 5436, 0.06153057441597962), (1500, 46, 294, 0.0833690914270184),
            (3000, 93, 113, 0.08497727181656012), (5000, 156, 42, 0.12686539678881992),
        ]
        let cases: [(expected: [(m: Int, d: Int, n: Int, dev: Double)], budget: Int, shift: Int)] = [
            (shift4, 33, 4), (shift5, 63, 5), (arbitrary, 0, 5),
        ]
        for (expected, budget, shift) in cases {
            var adev = OverlappingAllanDeviation(
                tau0: 1, factors: expected.map(\.m), memoryBudget: budget, decimationShift: shift)
            adev.add(contentsOf: readings)
            let points = adev.points
            #expect(points.count == expected.count)
            for (point, value) in zip(points, expected) {
                #expect(point.factor == value.m && point.stride == value.d && point.terms == value.n)
                #expect(abs(point.deviation / value.dev - 1) < 1e-12, "s = \(shift), m = \(value.m)")
                #expect(point.isExact == (value.d == 1))
            }
        }
        // Exact up to the budget: with 2m + 1 = 2049 values m = 1024 is the full-overlap `oadev`
        // (allantools: 0.08264449050400838, 14460 terms).
        var exact = OverlappingAllanDeviation(tau0: 1, factors: [1024], memoryBudget: 2049)
        exact.add(contentsOf: readings)
        let point = try #require(exact.points.first)
        #expect(point.isExact && point.terms == 14460 && abs(point.deviation / 0.08264449050400838 - 1) < 1e-12)
    }

    /// Memory stays bounded: octaves to 2²⁰ with a budget of 1024 values hold an exact ring of 2·256 + 1 and twelve
    /// decimated levels (2⁹…2²⁰) of 2·2⁵ + 1, 1293 values, whether 1000 or 300 000 readings went in.
    @Test func memoryIsFixedAtInit() {
        var adev = OverlappingAllanDeviation(
            tau0: 0.001, factors: OverlappingAllanDeviation.octaves(upTo: 1 << 20), memoryBudget: 1024)
        #expect(adev.phaseCapacity == 513 + 12 * 65)
        var generator = SplitMix(seed: 3)
        for _ in 0..<1000 { adev.add(generator.gaussian()) }
        #expect(adev.phaseCapacity == 1293)
        let block = (0..<299_000).map { _ in generator.gaussian() }
        adev.add(contentsOf: block)
        #expect(adev.phaseCapacity == 1293)
        #expect(adev.readingCount == 300_000)
        // The largest factor with terms: 2m ≤ 300 000 phase points − 1.
        #expect(adev.points.last?.factor == 131_072)
        #expect(adev.points.filter { !$0.isExact }.map(\.stride) == [16, 32, 64, 128, 256, 512, 1024, 2048, 4096])
    }

    /// Gaps (statistics.md §2.3): a step of 10⁶ inside the dropout changes nothing. The gapped result is the
    /// term-weighted pool of the two segments computed separately (same terms; variances to 1e-12 relative, only
    /// the order of summation differs), on exact and decimated factors alike; without the gap the step dominates.
    /// The pooled EDF is (n₁ + n₂)²/(n₁²/ν₁ + n₂²/ν₂) of the segments' own EDFs (1e-12: same formulas).
    @Test func gapsAreNeverSpanned() throws {
        var generator = SplitMix(seed: 99)
        let first = (0..<3000).map { _ in generator.gaussian() }
        let second = (0..<2000).map { _ in 1e6 + generator.gaussian() }
        let factors = OverlappingAllanDeviation.octaves(upTo: 512)
        func make() -> OverlappingAllanDeviation {
            OverlappingAllanDeviation(tau0: 0.01, factors: factors, memoryBudget: 129, decimationShift: 3)
        }
        var gapped = make(), one = make(), two = make(), joined = make()
        gapped.markGap()   // before any reading: not a gap
        gapped.add(contentsOf: first)
        gapped.markGap()
        gapped.markGap()   // the same dropout
        gapped.add(contentsOf: second)
        one.add(contentsOf: first)
        two.add(contentsOf: second)
        joined.add(contentsOf: first + second)
        #expect(gapped.gapCount == 1 && gapped.readingCount == 5000)
        let pooled = gapped.points(noise: .whiteFM)
        let parts = (one.points(noise: .whiteFM), two.points(noise: .whiteFM))
        #expect(pooled.count == factors.count)
        for (k, point) in pooled.enumerated() {
            let a = parts.0[k], b = parts.1[k]
            #expect(point.terms == a.terms + b.terms, "m = \(point.factor)")
            let (na, nb) = (Double(a.terms), Double(b.terms))
            let variance = (na * a.deviation * a.deviation + nb * b.deviation * b.deviation) / (na + nb)
            #expect(abs(point.deviation * point.deviation / variance - 1) < 1e-12, "m = \(point.factor)")
            if let edf = point.edf, let edfA = a.edf, let edfB = b.edf {
                let expected = (na + nb) * (na + nb) / (na * na / edfA + nb * nb / edfB)
                #expect(abs(edf / expected - 1) < 1e-12, "m = \(point.factor)")
            }
        }
        #expect(pooled.contains { !$0.isExact })
        #expect(try #require(joined.deviation(factor: 1)) > 1000 * (try #require(gapped.deviation(factor: 1))))
    }

    /// Block adds, sequence adds and single adds run the same operations: the results are identical, bit for bit.
    @Test func blockAndSingleAddsAgree() {
        let readings = AllanTestData.whitePlusRandomWalk(count: 5000)
        func make() -> OverlappingAllanDeviation {
            OverlappingAllanDeviation(tau0: 1, factors: [1, 3, 8, 100, 256, 1000], memoryBudget: 300)
        }
        var single = make(), sequence = make(), blocks = make()
        for y in readings { single.add(y) }
        sequence.add(contentsOf: readings)
        readings.withUnsafeBufferPointer { buffer in
            var start = 0
            while start < buffer.count {
                let end = min(start + 777, buffer.count)
                blocks.add(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                start = end
            }
        }
        #expect(single.points == sequence.points)
        #expect(single.points == blocks.points)
        #expect(single.points.count == 6)
    }

    /// The phase accumulator (statistics.md §2.3): a first reading 10⁶ codes away from the rest makes the phase
    /// drift by 10⁶ per reading, to 10¹¹ after 10⁵ readings. Codes keep it exactly (Int64); the `Double` path on the
    /// same data scaled by 0.1 must agree to 1e-11 relative (the scaling rounds each reading by ~1e-16 of 10⁵).
    /// A plain `Double` running sum, computed here for contrast, is off by more than 1e-10.
    @Test func compensatedPhaseMatchesExactCodes() throws {
        var generator = SplitMix(seed: 5)
        let codes: [Int32] = [1_000_000] + (1..<100_000).map { _ in Int32((1000 * generator.gaussian()).rounded()) }
        let readings = codes.map { 0.1 * Double($0) }
        let factors = [1, 64, 4096]
        var exact = OverlappingAllanDeviation(tau0: 1, factors: factors)
        exact.add(codes: codes)
        var compensated = OverlappingAllanDeviation(tau0: 1, factors: factors)
        compensated.add(contentsOf: readings)
        var worstNaive = 0.0
        for m in factors {
            let reference = 0.1 * (try #require(exact.deviation(factor: m)))
            #expect(abs(try #require(compensated.deviation(factor: m)) / reference - 1) < 1e-11, "m = \(m)")
            worstNaive = max(worstNaive, abs(Self.naiveDeviation(readings, m: m) / reference - 1))
        }
        #expect(worstNaive > 1e-10)
    }

    /// OADEV with a plain running `Double` phase, the textbook loop the compensation replaces.
    private static func naiveDeviation(_ readings: [Double], m: Int) -> Double {
        var phase = [0.0]
        for y in readings { phase.append(phase.last! + (y - readings[0])) }
        var sum = 0.0
        for i in 0..<(phase.count - 2 * m) {
            let v = phase[i + 2 * m] - 2 * phase[i + m] + phase[i]
            sum += v * v
        }
        return (sum / (2 * Double(phase.count - 2 * m))).squareRoot() / Double(m)
    }
}
