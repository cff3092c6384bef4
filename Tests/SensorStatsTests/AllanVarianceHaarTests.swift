import Foundation
import Testing
@testable import SensorStats

/// Haar (disjoint-pair, non-overlapping) Allan variance, statistics.md §2.3 scheme C and §2.6.
@Suite struct AllanVarianceHaarTests {
    /// By hand on T1's first four readings [892, 809, 823, 798]: AVAR(1) = ½·((809 − 892)² + (798 − 823)²)/2 = 1878.5,
    /// AVAR(2) = ½·((823 + 798)/2 − (892 + 809)/2)² = 800. Integer data: exact.
    @Test func handComputed() {
        var haar = AllanVarianceHaar(tau0: 1)
        haar.add(contentsOf: [892, 809, 823, 798])
        #expect(haar.variance(factor: 1) == 1878.5)
        #expect(haar.variance(factor: 2) == 800)
        #expect(haar.points.map(\.terms) == [2, 1])
        #expect(haar.variance(factor: 3) == nil && haar.variance(factor: 4) == nil)
    }

    /// T9 / §2.6: for N = 2^K readings, Σ_{k<K} AVAR_Haar(2^k) = 2·var_pop(y). Seeded Gaussian readings on an offset
    /// of 1000, K = 12 (the N = 4096 of §2.6) and K = 15. Tolerance 1e-12 relative: a rounding identity, both sides
    /// summing ~N terms (§2.6 found agreement to all printed digits).
    @Test(arguments: [12, 15])
    func sumOfOctavesIsTwiceThePopulationVariance(exponent: Int) throws {
        var generator = SplitMix(seed: UInt64(exponent))
        let readings = (0..<(1 << exponent)).map { _ in 1000 + generator.gaussian() + 0.3 * generator.signed() }
        var haar = AllanVarianceHaar(tau0: 0.5)
        haar.add(contentsOf: readings)
        let points = haar.points
        #expect(points.count == exponent)
        let total = points.map(\.variance).reduce(0, +)
        let mean = readings.reduce(0, +) / Double(readings.count)
        let variance = readings.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(readings.count)
        #expect(abs(total / (2 * variance) - 1) < 1e-12)
        #expect(points.last?.terms == 1 && points.last?.tau == 0.5 * Double(1 << (exponent - 1)))
    }

    /// A gap drops the incomplete blocks: [1, 2, 3] | [10, 20] gives the pairs (1, 2) and (10, 20) only, so
    /// AVAR(1) = ½·(1² + 10²)/2 = 25.25, and no level-1 pair.
    @Test func gapDropsIncompleteBlocks() {
        var haar = AllanVarianceHaar(tau0: 1)
        haar.add(contentsOf: [1, 2, 3])
        haar.markGap()
        haar.add(contentsOf: [10, 20])
        #expect(haar.variance(factor: 1) == 25.25)
        #expect(haar.variance(factor: 2) == nil)
        #expect(haar.gapCount == 1 && haar.readingCount == 5)
    }
}
