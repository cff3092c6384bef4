import Foundation
import Testing
@testable import SensorStats

/// Streaming MDEV/TDEV (statistics.md §2.1, §2.3 scheme D) against the NBS14 known answers (§8 T1, T2) and allantools.
@Suite struct ModifiedAllanDeviationTests {
    /// T1: MDEV(2) = 74.78849, TDEV(1, 2) = 52.67135, 86.35831 (and MDEV(1) = ADEV(1) = 91.22945). 7 significant
    /// digits published: tolerance 5e-7 relative. N = 10 phase points: N − 3m + 1 = 8 and 5 terms.
    @Test func nbs14TenPoint() throws {
        var mdev = ModifiedAllanDeviation(tau0: 1, factors: [1, 2])
        mdev.add(contentsOf: AllanTestData.nbs14TenPoint)
        let points = mdev.points
        #expect(points.map(\.terms) == [8, 5])
        #expect(abs(points[0].deviation / 91.22945 - 1) < 5e-7)
        #expect(abs(points[1].deviation / 74.78849 - 1) < 5e-7)
        #expect(abs(points[0].timeDeviation / 52.67135 - 1) < 5e-7)
        #expect(abs(points[1].timeDeviation / 86.35831 - 1) < 5e-7)
        // The same through the exact integer-code path: integer data are exact on both paths, so the same bits.
        var codes = ModifiedAllanDeviation(tau0: 1, factors: [1, 2])
        codes.add(codes: AllanTestData.nbs14TenPoint.map { Int32($0) })
        #expect(codes.points == points)
    }

    /// T2: MDEV τ = 1, 10, 100 = 2.922319e-01, 6.172376e-02, 2.170921e-02 (published, 7 digits: 5e-7), and
    /// allantools 2024.06 `mdev(y, rate=1, data_type="freq", taus=[1, 10, 100])` = 0.29223187810675916,
    /// 0.06172376382452218, 0.02170920913694241 with 999, 972, 702 terms (1e-12 relative: allantools uses cumsums
    /// of the whole series, we a running window; both round differently at ~1e-15).
    @Test func nbs14ThousandPoint() throws {
        var mdev = ModifiedAllanDeviation(tau0: 1, factors: [1, 10, 100])
        mdev.add(contentsOf: AllanTestData.nbs14ThousandPoint())
        let published = [2.922319e-01, 6.172376e-02, 2.170921e-02]
        let allantools = [0.29223187810675916, 0.06172376382452218, 0.02170920913694241]
        let points = mdev.points
        #expect(points.map(\.terms) == [999, 972, 702])
        for (k, point) in points.enumerated() {
            #expect(abs(point.deviation / published[k] - 1) < 5e-7, "m = \(point.factor)")
            #expect(abs(point.deviation / allantools[k] - 1) < 1e-12, "m = \(point.factor)")
        }
    }

    /// Octaves 1…256 on T2 against allantools `mdev(..., taus="octave")`, values and terms; 1e-12 relative as above.
    @Test func octavesMatchAllantools() throws {
        var mdev = ModifiedAllanDeviation(tau0: 1, maximumFactor: 256)
        #expect(mdev.phaseCapacity == 3 * 256 + 1)
        mdev.add(contentsOf: AllanTestData.nbs14ThousandPoint())
        let expected: [(n: Int, dev: Double)] = [
            (999, 0.29223187810675916), (996, 0.1582071982972619), (990, 0.10779737453821497),
            (978, 0.07419220012786278), (954, 0.04137594627590894), (906, 0.03425498086637335),
            (810, 0.027871051150462362), (618, 0.018669328742917875), (234, 0.004254511495440068),
        ]
        let points = mdev.points
        #expect(points.map(\.factor) == OverlappingAllanDeviation.octaves(upTo: 256))
        for (point, value) in zip(points, expected) {
            #expect(point.terms == value.n, "m = \(point.factor)")
            #expect(abs(point.deviation / value.dev - 1) < 1e-12, "m = \(point.factor)")
        }
        #expect(ModifiedAllanDeviation(tau0: 1).phaseCapacity == 3 * 16384 + 1)
    }

    /// A gap with a 10⁶ step inside: the result is the term-weighted pool of the two segments computed apart
    /// (1e-12 relative, summation order only), and the block, sequence and single adds agree bit for bit.
    @Test func gapsAndBlocks() throws {
        var generator = SplitMix(seed: 31)
        let first = (0..<2500).map { _ in generator.gaussian() }
        let second = (0..<1500).map { _ in 1e6 + generator.gaussian() }
        let factors = [1, 2, 8, 64, 300]
        var gapped = ModifiedAllanDeviation(tau0: 1, factors: factors)
        var one = gapped, two = gapped, single = gapped
        gapped.add(contentsOf: first)
        gapped.markGap()
        gapped.add(contentsOf: second)
        one.add(contentsOf: first)
        two.add(contentsOf: second)
        #expect(gapped.gapCount == 1)
        for (k, point) in gapped.points.enumerated() {
            let a = one.points[k], b = two.points[k]
            #expect(point.terms == a.terms + b.terms)
            let (na, nb) = (Double(a.terms), Double(b.terms))
            let pooled = (na * a.deviation * a.deviation + nb * b.deviation * b.deviation) / (na + nb)
            #expect(abs(point.deviation * point.deviation / pooled - 1) < 1e-12, "m = \(point.factor)")
        }
        for y in first { single.add(y) }
        single.markGap()
        for y in second { single.add(y) }
        #expect(single.points == gapped.points)
    }
}
