import Testing
@testable import SensorStats

extension SplitMix {
    /// A bell-shaped code around `centre`: the sum of four uniform integers in −1000…1000 (σ ≈ 1155 LSB), from
    /// integer arithmetic only, so the python port of `SplitMix` reproduces it bit for bit:
    /// `centre + sum(g.next() % 2001 - 1000 for _ in range(4))`.
    mutating func bellCode(around centre: Int32) -> Int32 {
        var offset: Int32 = 0
        for _ in 0..<4 { offset += Int32(next() % 2001) - 1000 }
        return centre + offset
    }

    /// `count` bell-shaped codes from `SplitMix(seed: seed)`.
    static func bellCodes(seed: UInt64, count: Int, centre: Int32) -> [Int32] {
        var generator = SplitMix(seed: seed)
        return (0..<count).map { _ in generator.bellCode(around: centre) }
    }
}

/// The exact code histogram (statistics.md §5).
@Suite struct CodeHistogramTests {
    static let rails24 = CodeHistogram.twosComplementRails(bits: 24)
    static let centre: Int32 = -1_234_567
    /// 12 345 codes around −1 234 567 (24-bit range): min −1 238 182, max −1 230 985, Σ −15 240 848 884.
    static let codes = SplitMix.bellCodes(seed: 5, count: 12_345, centre: centre)

    /// `np.percentile(np.array(codes, dtype=np.int64), p)` (numpy 2.4.6, default method 'linear') on the same
    /// codes from the python port of `SplitMix`.
    static let numpyPercentiles: [(p: Double, value: Double)] = [
        (0, -1238182.0), (0.1, -1237817.56), (1, -1237181.56), (2.5, -1236809.0), (10, -1236091.6),
        (25, -1235385.0), (33.3, -1235085.0), (50, -1234578.0), (66.7, -1234057.552), (75, -1233772.0),
        (90, -1233047.0), (97.5, -1232339.6), (99, -1232013.84), (99.9, -1231403.8159999999), (100, -1230985.0),
    ]

    @Test func railsOfTwosComplementConverters() {
        #expect(Self.rails24 == -8_388_608...8_388_607)
        #expect(CodeHistogram.twosComplementRails(bits: 32) == Int32.min...Int32.max)
        #expect(CodeHistogram.twosComplementRails(bits: 16) == -32_768...32_767)
    }

    /// All codes inside the window: every percentile equals numpy's. Tolerance 0 (bit-identical): the order
    /// statistics are the same integers and the interpolation repeats numpy's `_lerp` operation for operation.
    @Test func percentilesMatchNumpy() {
        var histogram = CodeHistogram(rails: Self.rails24)
        histogram.add(contentsOf: Self.codes)
        #expect(histogram.count == 12_345)
        #expect(histogram.underflowCount == 0 && histogram.overflowCount == 0)
        for (p, expected) in Self.numpyPercentiles {
            #expect(histogram.percentile(p) == expected, "p = \(p)")
        }
        #expect(histogram.minimum == -1_238_182 && histogram.maximum == -1_230_985)
        #expect(histogram.peakToPeak == 7197)
        // Mean from the bins: Σ/n with an exact integer Σ = −15 240 848 884, so correctly rounded (tolerance 0).
        #expect(histogram.mean == -15_240_848_884.0 / 12_345)
        #expect(histogram.mean == IntegerCodeMoments(Self.codes).mean)
    }

    /// A ±2000 LSB window around −1 234 567 leaves 507 codes below and 489 above (counted in python). Ranks inside
    /// the bins still give numpy's value exactly (tolerance 0, as above); p = 0 and 100 give the exact min and max;
    /// ranks in an under/overflow counter give nil, as python's rank check predicts for 0.1, 1, 2.5, 97.5, 99, 99.9.
    @Test func outliersOnlyHideTheirOwnRanks() {
        var histogram = CodeHistogram(halfWidth: 2000, rails: Self.rails24, centre: Self.centre)
        Self.codes.withUnsafeBufferPointer { histogram.add($0) }
        #expect(histogram.underflowCount == 507 && histogram.overflowCount == 489)
        #expect(histogram.count == 12_345)
        let hidden: Set<Double> = [0.1, 1, 2.5, 97.5, 99, 99.9]
        for (p, expected) in Self.numpyPercentiles {
            #expect(histogram.percentile(p) == (hidden.contains(p) ? nil : expected), "p = \(p)")
        }
        #expect(histogram.mean == nil)
        #expect(histogram.peakToPeak == 7197)
    }

    @Test func centreIsTheFirstCode() {
        var histogram = CodeHistogram(halfWidth: 3, rails: Self.rails24)
        #expect(histogram.centre == nil && histogram.window == nil && histogram.percentile(50) == nil)
        histogram.add(contentsOf: [100, 97, 103, 96, 104, 100] as [Int32])
        #expect(histogram.centre == 100 && histogram.window == 97...103)
        #expect(histogram.count(ofCode: 100) == 2 && histogram.count(ofCode: 97) == 1)
        #expect(histogram.count(ofCode: 96) == nil)
        #expect(histogram.underflowCount == 1 && histogram.overflowCount == 1)
        // Sorted: 96 97 100 100 103 104; numpy: np.percentile(..., 50) = 100.0, 0 → 96.0, 100 → 104.0.
        #expect(histogram.percentile(50) == 100 && histogram.percentile(0) == 96 && histogram.percentile(100) == 104)
        // h = 5·0.1 = 0.5 needs ranks 0 (the minimum) and 1 (97, in the bins): 96 + 1·0.5 as numpy (exact).
        #expect(histogram.percentile(10) == 96.5)
        // h = 5·0.9 = 4.5 needs rank 4 (103) and rank 5 (the maximum 104): 103.5.
        #expect(histogram.percentile(90) == 103.5)
    }

    /// Clipping counts samples equal to the rails exactly (integer counts, tolerance 0). Hand-made case: two codes
    /// at −2^23, one at 2^23 − 1; both rails lie far outside a ±32 768 window around 0.
    @Test func clippingAtTheRails() {
        var histogram = CodeHistogram(rails: Self.rails24, centre: 0)
        histogram.add(contentsOf: [-8_388_608, -8_388_608, 0, 5, 8_388_607, -8_388_607] as [Int32])
        #expect(histogram.lowRailCount == 2 && histogram.highRailCount == 1 && histogram.clippedCount == 3)
        #expect(histogram.underflowCount == 3 && histogram.overflowCount == 1)
        #expect(histogram.minimum == -8_388_608 && histogram.maximum == 8_388_607)
        #expect(histogram.peakToPeak == 16_777_215)
    }

    /// A signal riding near the positive rail and clamped by the converter: the clip count equals a direct count
    /// of the codes at the rail (an independent oracle; integers, tolerance 0).
    @Test func clippingOfASaturatedSignal() {
        let top = Self.rails24.upperBound
        let codes = SplitMix.bellCodes(seed: 11, count: 20_000, centre: top - 1500).map { Swift.min($0, top) }
        var histogram = CodeHistogram(rails: Self.rails24)
        histogram.add(contentsOf: codes)
        let atRail = codes.filter { $0 == top }.count
        #expect(atRail > 1000)
        #expect(histogram.highRailCount == atRail && histogram.lowRailCount == 0)
        #expect(histogram.maximum == top)
    }

    /// Histograms of three parts with a common centre merge into exactly the one-pass histogram (==, tolerance
    /// 0: counts are integers).
    @Test func mergeWithCommonCentreEqualsOnePass() throws {
        var whole = CodeHistogram(rails: Self.rails24, centre: Self.centre)
        whole.add(contentsOf: Self.codes)
        var merged = CodeHistogram(rails: Self.rails24, centre: Self.centre)
        for range in [0..<4000, 4000..<4001, 4001..<12_345] {
            var part = CodeHistogram(rails: Self.rails24, centre: Self.centre)
            part.add(contentsOf: Self.codes[range])
            try merged.merge(part)
        }
        try merged.merge(CodeHistogram(rails: Self.rails24))
        #expect(merged == whole)
    }

    /// Parts centred on their own first codes re-centre into the receiving window; every count and percentile is
    /// the one-pass value (tolerance 0).
    @Test func mergeReCentres() throws {
        var merged = CodeHistogram(rails: Self.rails24)
        for range in [0..<6000, 6000..<12_345] {
            var part = CodeHistogram(rails: Self.rails24)
            part.add(contentsOf: Self.codes[range])
            try merged.merge(part)
        }
        #expect(merged.centre == Self.codes[0])
        #expect(merged.count == 12_345 && merged.underflowCount == 0 && merged.overflowCount == 0)
        for (p, expected) in Self.numpyPercentiles {
            #expect(merged.percentile(p) == expected, "p = \(p)")
        }
    }

    /// Codes known only as "below the other window" could belong inside this one: the merge refuses and leaves
    /// the receiver unchanged. Different rails are refused too.
    @Test func mergeRefusesWhatItCannotPlace() {
        var receiver = CodeHistogram(halfWidth: 10, rails: Self.rails24, centre: 0)
        receiver.add(contentsOf: [0, 1, 2] as [Int32])
        var other = CodeHistogram(halfWidth: 10, rails: Self.rails24, centre: 5)
        other.add(contentsOf: [5, -20] as [Int32])
        let before = receiver
        do {
            try receiver.merge(other)
            Issue.record("merge should have thrown")
        } catch {
            #expect(error == .windowNotCovered)
        }
        #expect(receiver == before)

        var narrowRails = CodeHistogram(rails: CodeHistogram.twosComplementRails(bits: 16))
        narrowRails.add(1)
        do {
            try receiver.merge(narrowRails)
            Issue.record("merge should have thrown")
        } catch {
            #expect(error == .railsDiffer)
        }
        // Overflow only, and the other window ends above this one: the overflow carries over exactly.
        var wide = CodeHistogram(halfWidth: 100, rails: Self.rails24, centre: 0)
        wide.add(contentsOf: [50, 500] as [Int32])
        #expect(throws: Never.self) { try receiver.merge(wide) }
        #expect(receiver.overflowCount == 2 && receiver.count == 5 && receiver.maximum == 500)
    }
}
