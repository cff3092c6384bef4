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
