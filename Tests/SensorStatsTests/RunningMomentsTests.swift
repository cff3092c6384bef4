import Foundation
import Testing
@testable import SensorStats

@Suite struct RunningMomentsTests {
    /// statistics.md §1.4 vector T12: a naive Σx² gives −170.67 here; Welford must give 30 exactly.
    @Test func offsetDataKeepsItsVariance() {
        let moments = RunningMoments([4, 7, 13, 16].map { $0 + 1e9 })
        #expect(moments.sampleVariance == 30)
        #expect(moments.mean == 1e9 + 10)
    }

    /// Merging partitions equals one pass over all values (Chan; statistics.md §1.2). Tolerance 1e-12
    /// relative: the two orders of summation differ only by rounding.
    @Test(arguments: [1, 37, 500, 4096])
    func mergeEqualsOnePass(split: Int) {
        var generator = SplitMix(seed: UInt64(split))
        let values = (0..<5000).map { _ in 1e6 + generator.gaussian() * 3 }
        var first = RunningMoments(values[..<split])
        let second = RunningMoments(values[split...])
        first.merge(second)
        let whole = RunningMoments(values)
        #expect(first.count == whole.count)
        #expect(abs(first.mean - whole.mean) / whole.mean < 1e-12)
        #expect(abs(first.sampleVariance! - whole.sampleVariance!) / whole.sampleVariance! < 1e-9)
        #expect(first.minimum == whole.minimum && first.maximum == whole.maximum)
    }

    @Test func twoPassReference() {
        let values: [Double] = [2.5, -1, 7.25, 3, 3, 0.5]
        let mean = values.reduce(0, +) / 6
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5
        let moments = RunningMoments(values)
        #expect(abs(moments.sampleVariance! - variance) < 1e-12)
        #expect(abs(moments.standardErrorOfMean! - (variance / 6).squareRoot()) < 1e-12)
        #expect(RunningMoments([1]).sampleVariance == nil)
    }
}

/// Higher moments, the Chan/Pébay merge and the block update (statistics.md §1.1, §1.2, §8).
@Suite struct RunningMomentsHigherMomentTests {
    /// `offset` + Gamma(2,1) with Gamma(2,1) drawn as −ln u₁ − ln u₂ from `SplitMix`; the defaults give the
    /// §1.2 vector (100 001 samples of 1e6 + Gamma(2,1), seed 2008).
    static func gammaVector(count: Int = 100_001, offset: Double = 1e6, seed: UInt64 = 2008) -> [Double] {
        var generator = SplitMix(seed: seed)
        return (0..<count).map { _ in offset + (-log(generator.uniform()) - log(generator.uniform())) }
    }

    static func relative(_ value: Double?, _ expected: Double) -> Double {
        guard let value else { return .infinity }
        return abs(value - expected) / abs(expected)
    }

    /// T12 (§8) on both routes: every deviation from the mean is a small integer, so M2 = 90, M3 = 0 and
    /// M4 = 2754 are exact in Double and the sample variance must be exactly 30 (tolerance 0).
    @Test func offsetVectorIsExactOnBothPaths() {
        let values = [4.0, 7, 13, 16].map { $0 + 1e9 }
        var scalar = RunningMoments()
        for x in values { scalar.add(x) }
        let block = RunningMoments(values)
        for moments in [scalar, block] {
            #expect(moments.sampleVariance == 30)
            #expect(moments.mean == 1e9 + 10)
            #expect(moments.m3 == 0 && moments.m4 == 2754)
            #expect(moments.skewness == 0)
        }
    }

    /// Known answers for x = [2.5, −1, 7.25, 3, 3, 0.5] from scipy 1.17.1 / numpy 2.4.6: `scipy.stats.skew(x)`,
    /// `kurtosis(x)`, `skew(x, bias=False)`, `kurtosis(x, bias=False)`, `np.var(x, ddof=1)`. Six values, so only
    /// a few roundings: tolerance 1e-13 relative.
    @Test func smallVectorMatchesScipy() {
        let moments = RunningMoments([2.5, -1, 7.25, 3, 3, 0.5])
        #expect(Self.relative(moments.skewness, 0.5133166490456393) < 1e-13)
        #expect(Self.relative(moments.excessKurtosis, -0.4120845807697062) < 1e-13)
        #expect(Self.relative(moments.correctedSkewness, 0.7028877695631485) < 1e-13)
        #expect(Self.relative(moments.correctedExcessKurtosis, 1.2980866394216903) < 1e-13)
        #expect(Self.relative(moments.sampleVariance, 7.8604166666666675) < 1e-13)
        #expect(RunningMoments([1, 1, 1]).skewness == nil)
        #expect(RunningMoments([1, 2]).correctedSkewness == nil)
        #expect(RunningMoments([1, 2, 4]).correctedExcessKurtosis == nil)
    }

    /// The §1.2 verified vector, regenerated: 100 001 samples of 1e6 + Gamma(2,1), split 37 000 + 63 001, each
    /// part updated one value at a time (§1.1), then merged (§1.2).
    ///
    /// Provenance: a python port of `SplitMix` (same SplitMix64 constants; uniform = ((z >> 11) + 0.5)/2^53;
    /// x = 1e6 + (−math.log(u1) − math.log(u2))) generated the same doubles — the checksum below proves it —
    /// and numpy 2.4.6 / scipy 1.17.1 gave:
    ///   np.var(x, ddof=1)            = 1.9778510657124337
    ///   scipy.stats.skew(x)          = 1.4163383745367517   skew(x, bias=False)     = 1.4163596198071182
    ///   scipy.stats.kurtosis(x)      = 3.080363982577018    kurtosis(x, bias=False) = 3.080578006580751
    /// and exact rational arithmetic (python `fractions`, 60-digit `decimal` for the roots) gave:
    ///   variance 1.9778510657124335, skew 1.4163383745511775, excess kurtosis 3.080363982604263.
    /// Tolerance 1e-10 relative against scipy: one-value-at-a-time Welford on data offset by 1e6 rounds each
    /// deviation to ulp(1e6) ≈ 1.2e-10, about 6e-11 of σ ≈ 1.4; measured errors are 2.6e-11 (variance),
    /// 9e-12 (skew), 3.4e-11 (kurtosis), and scipy itself is 1e-11 from the exact skew.
    @Test func pebayMergeMatchesScipyOnGammaVector() {
        let values = Self.gammaVector()
        // Checksum of the bit patterns, h = (h ^ bits) · 0x100000001B3 mod 2^64, from the python port: the known
        // answers apply only to these exact doubles (Swift's `log` and python's `math.log` are both glibc's).
        let checksum = values.reduce(UInt64(0)) { ($0 ^ $1.bitPattern) &* 0x100_0000_01B3 }
        #expect(checksum == 0xAF24_D5F8_AFD6_B4F7)

        var first = RunningMoments()
        for x in values[..<37_000] { first.add(x) }
        var second = RunningMoments()
        for x in values[37_000...] { second.add(x) }
        first.merge(second)
        #expect(first.count == 100_001)
        #expect(Self.relative(first.sampleVariance, 1.9778510657124337) < 1e-10)
        #expect(Self.relative(first.skewness, 1.4163383745367517) < 1e-10)
        #expect(Self.relative(first.excessKurtosis, 3.080363982577018) < 1e-10)
        #expect(Self.relative(first.correctedSkewness, 1.4163596198071182) < 1e-10)
        #expect(Self.relative(first.correctedExcessKurtosis, 3.080578006580751) < 1e-10)
    }

    /// The block path on the same vector against the exact values: each 1024-value chunk is centred on its own
    /// mean, so the 1e6 offset costs no digits; measured 5e-13 (variance), 1.5e-12 (skew), 4e-12 (kurtosis).
    /// Tolerance 1e-11 relative.
    @Test func blockPathIsAccurateOnGammaVector() {
        let moments = RunningMoments(Self.gammaVector())
        #expect(Self.relative(moments.sampleVariance, 1.9778510657124335) < 1e-11)
        #expect(Self.relative(moments.skewness, 1.4163383745511775) < 1e-11)
        #expect(Self.relative(moments.excessKurtosis, 3.080363982604263) < 1e-11)
    }

    /// Merging N partial estimators (seeded random cut points) equals one pass. Data are 10 + Gamma(2,1), skewed
    /// so that the skewness is not near 0 and a relative tolerance means something; offset/σ ≈ 7 keeps Welford's
    /// own rounding near 1e-15. Tolerance 1e-12 relative (measured ≤ 3e-14).
    @Test(arguments: [2, 3, 7, 64, 1000])
    func mergeOfPartitionsEqualsOnePass(parts: Int) {
        let values = Self.gammaVector(count: 50_000, offset: 10, seed: UInt64(parts))
        var generator = SplitMix(seed: 0xC0FFEE + UInt64(parts))
        var cuts = Set<Int>()
        while cuts.count < parts - 1 { cuts.insert(Int(generator.next() % UInt64(values.count - 1)) + 1) }
        let bounds = [0] + cuts.sorted() + [values.count]

        var whole = RunningMoments()
        for x in values { whole.add(x) }
        var merged = RunningMoments()
        for k in 0..<parts {
            var part = RunningMoments()
            for x in values[bounds[k]..<bounds[k + 1]] { part.add(x) }
            merged.merge(part)
        }
        merged.merge(RunningMoments())
        #expect(merged.count == whole.count)
        #expect(Self.relative(merged.mean, whole.mean) < 1e-12)
        #expect(Self.relative(merged.sampleVariance, whole.sampleVariance!) < 1e-12)
        #expect(Self.relative(merged.skewness, whole.skewness!) < 1e-12)
        #expect(Self.relative(merged.excessKurtosis, whole.excessKurtosis!) < 1e-12)
        #expect(merged.minimum == whole.minimum && merged.maximum == whole.maximum)
    }

    /// The block update equals the one-by-one update, at lengths around the 4-lane and 1024-value chunk
    /// boundaries. Gaussian data with mean 10, σ 3: mean and M2 to 1e-12 relative (measured ≤ 1e-14); skewness
    /// and kurtosis are near 0 for Gaussian data, so they are compared absolutely to 1e-12; min and max exactly.
    @Test(arguments: [1, 3, 4, 5, 1023, 1024, 1025, 4097, 10_000])
    func blockAddEqualsScalarAdd(length: Int) {
        var generator = SplitMix(seed: UInt64(length))
        let values = (0..<length).map { _ in 10 + 3 * generator.gaussian() }
        var scalar = RunningMoments()
        for x in values { scalar.add(x) }
        var block = RunningMoments()
        values.withUnsafeBufferPointer { block.add($0) }
        #expect(block.count == scalar.count)
        #expect(Self.relative(block.mean, scalar.mean) < 1e-12)
        #expect(abs(block.m2 - scalar.m2) <= 1e-12 * scalar.m2)
        if length > 1 {
            #expect(abs(block.skewness! - scalar.skewness!) < 1e-12)
            #expect(abs(block.excessKurtosis! - scalar.excessKurtosis!) < 1e-12)
        }
        #expect(block.minimum == scalar.minimum && block.maximum == scalar.maximum)
        // Arrays route `add(contentsOf:)` and `init(_:)` to the block path: identical state, tolerance 0.
        #expect(RunningMoments(values) == block)
    }

    /// The state round-trips through JSON unchanged (tolerance 0: Double text encoding is exact).
    @Test func codableRoundTrip() throws {
        let moments = RunningMoments(Self.gammaVector(count: 100))
        let decoded = try JSONDecoder().decode(RunningMoments.self, from: JSONEncoder().encode(moments))
        #expect(decoded == moments)
    }
}
