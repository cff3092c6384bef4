import Foundation
import Testing
@testable import SensorStats

/// Exact integer sums of ADC codes (statistics.md §1.4, practical rule).
@Suite struct IntegerCodeMomentsTests {
    /// `|value − expected| ≤ ulps · ulp(expected)`.
    static func within(_ value: Double?, _ expected: Double, ulps: Double) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= ulps * expected.ulp
    }

    /// Fisher–Yates with `SplitMix`.
    static func shuffled(_ codes: [Int32], seed: UInt64) -> [Int32] {
        var result = codes
        var generator = SplitMix(seed: seed)
        for i in stride(from: result.count - 1, to: 0, by: -1) {
            result.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        return result
    }

    /// Known answers for the 12 345 bell codes of `CodeHistogramTests` (python `fractions` on the same codes):
    /// mean −15 240 848 884/12 345 = −1234576.6613203727 and sample variance (nΣx² − (Σx)²)/(n(n−1)) =
    /// 1333823.0519264806 (correctly rounded; numpy's two-pass np.var(ddof=1) gives 1333823.0519264808). The
    /// mean is correctly rounded while |Σ| ≤ 2^53, so tolerance 0; the variance readout is documented as within a
    /// few ulp, so tolerance 2 ulp.
    @Test func knownAnswers() {
        let moments = IntegerCodeMoments(CodeHistogramTests.codes)
        #expect(moments.count == 12_345 && moments.sum == -15_240_848_884)
        #expect(moments.exactMean! == (-15_240_848_884, 12_345))
        #expect(moments.mean == -1234576.6613203727)
        #expect(Self.within(moments.sampleVariance, 1333823.0519264806, ulps: 2))
    }

    /// Order independence: a shuffled order, added one code at a time, gives the identical state and
    /// bit-identical readouts (tolerance 0 — the point of exact sums).
    /// Wide values (nanoseconds, beyond an Int32 code) keep exact sums, Σ² in Int128: python `fractions` on
    /// [3e9, −3e9, 7, 123 456 789 012, −5] gives Σ = 123 456 789 014, Σ² = 15 259 578 753 153 483 936 218 and the
    /// sample variance 3.052815750606005e21 (correctly rounded; tolerance 2 ulp, as above).
    @Test func wideValuesKeepExactSums() {
        var moments = IntegerCodeMoments()
        for value: Int64 in [3_000_000_000, -3_000_000_000, 7, 123_456_789_012, -5] { moments.add(wide: value) }
        #expect(moments.count == 5 && moments.sum == 123_456_789_014)
        #expect(moments.sumOfSquares == 15_259_578_753_153_483_936_218)
        #expect(Self.within(moments.mean, 24_691_357_802.8, ulps: 0))
        #expect(Self.within(moments.sampleVariance, 3.052815750606005e21, ulps: 2))
    }

    @Test func shuffledOrderIsBitIdentical() {
        let codes = CodeHistogramTests.codes + [Int32.max, Int32.min, 8_388_607]
        let inOrder = IntegerCodeMoments(codes)
        var shuffledOneByOne = IntegerCodeMoments()
        for code in Self.shuffled(codes, seed: 99) { shuffledOneByOne.add(code) }
        #expect(shuffledOneByOne == inOrder)
        #expect(shuffledOneByOne.sampleVariance!.bitPattern == inOrder.sampleVariance!.bitPattern)
        #expect(shuffledOneByOne.mean!.bitPattern == inOrder.mean!.bitPattern)
    }

    /// 24-bit codes at both rails, half each: mean −1/2 and population variance (2^24 − 1)²/4 =
    /// 70368735789056.25, both representable; tolerance 0 for the mean (exact fraction), 2 ulp for the variance.
    @Test func codesAtBothRails() {
        let rails = CodeHistogram.twosComplementRails(bits: 24)
        let codes = (0..<200_000).map { $0 % 2 == 0 ? rails.lowerBound : rails.upperBound }
        let moments = IntegerCodeMoments(codes)
        #expect(moments.mean == -0.5)
        #expect(Self.within(moments.populationVariance, 70_368_735_789_056.25, ulps: 2))
    }

    /// Codes alternating 8 388 607 and 8 388 606 (the top of a 24-bit converter), 10^6 of them: mean 8388606.5 and
    /// population variance 0.25, both exact, so tolerance 0. Naive Double Σx, Σx² gives −2.2421875 here.
    @Test func smallNoiseNearTheRailIsExact() {
        let codes = (0..<1_000_000).map { Int32($0 % 2 == 0 ? 8_388_607 : 8_388_606) }
        let moments = IntegerCodeMoments(codes)
        #expect(moments.mean == 8_388_606.5)
        #expect(moments.populationVariance == 0.25)
        var sum = 0.0, sumOfSquares = 0.0
        for code in codes { sum += Double(code); sumOfSquares += Double(code) * Double(code) }
        let naive = sumOfSquares / 1e6 - (sum / 1e6) * (sum / 1e6)
        #expect(naive != 0.25)
    }

    /// The cancellation-prone readout: 10^6 − 1 ones and one zero, M2 = (n − 1)/n exactly; tolerance 1 ulp of
    /// the correctly rounded value (the readout adds two non-negative terms).
    @Test func centredSumWithoutCancellation() {
        var codes = [Int32](repeating: 1, count: 1_000_000)
        codes[123] = 0
        let moments = IntegerCodeMoments(codes)
        #expect(Self.within(moments.centeredSumOfSquares, 999_999.0 / 1_000_000.0, ulps: 1))
    }

    /// Full-scale 32-bit codes take the Int128 path: block and one-by-one states are identical (tolerance 0), and
    /// the variance matches nΣx² − (Σx)² evaluated in UInt128 arithmetic to 2 ulp.
    @Test func fullScaleCodesUseTheWideSums() {
        var generator = SplitMix(seed: 32)
        let codes = (0..<5000).map { _ in Int32(truncatingIfNeeded: generator.next()) }
        var oneByOne = IntegerCodeMoments()
        for code in codes { oneByOne.add(code) }
        let block = IntegerCodeMoments(codes)
        #expect(block == oneByOne)
        #expect(block.sumOfSquares > Int128(Int64.max))
        let n = Int128(codes.count)
        let numerator = n * block.sumOfSquares - Int128(block.sum) * Int128(block.sum)
        let expected = Double(numerator) / Double(n) / Double(n)
        // Two roundings in the reference itself, two in the readout: 4 ulp.
        #expect(Self.within(block.populationVariance, expected, ulps: 4))
    }

    /// Block add equals one-by-one add at lengths around the 1024-code chunk (tolerance 0: integer sums).
    @Test(arguments: [0, 1, 1023, 1024, 1025, 5000])
    func blockAddEqualsScalarAdd(length: Int) {
        let codes = SplitMix.bellCodes(seed: UInt64(length), count: length, centre: -8_000_000)
        var oneByOne = IntegerCodeMoments()
        for code in codes { oneByOne.add(code) }
        var block = IntegerCodeMoments()
        codes.withUnsafeBufferPointer { block.add($0) }
        #expect(block == oneByOne)
    }

    /// Merging parts equals one pass, bit for bit (tolerance 0), whatever the split.
    @Test func mergeEqualsOnePass() throws {
        let codes = CodeHistogramTests.codes
        var merged = IntegerCodeMoments()
        for range in [0..<1, 1..<5000, 5000..<5000, 5000..<12_345] {
            merged.merge(IntegerCodeMoments(codes[range]))
        }
        #expect(merged == IntegerCodeMoments(codes))
        let decoded = try JSONDecoder().decode(IntegerCodeMoments.self, from: JSONEncoder().encode(merged))
        #expect(decoded == merged)
        #expect(IntegerCodeMoments().mean == nil && IntegerCodeMoments([7]).sampleVariance == nil)
    }
}
