import Foundation
import Testing
@testable import SensorStats

/// The octave cascade that runs scheme A for power-of-two factors chunk by chunk (`OctaveCascade`,
/// statistics.md §2.3): it must agree with the sample-by-sample ring, stay independent of how readings arrive, and
/// include staged readings in every readout without changing state.
@Suite struct OverlappingAllanDeviationCascadeTests {
    /// Octaves to 2¹² with a budget that makes 2⁰…2⁸ exact (cascade) and 2⁹…2¹² decimated.
    static func octaves() -> OverlappingAllanDeviation {
        OverlappingAllanDeviation(tau0: 1, factors: OverlappingAllanDeviation.octaves(upTo: 1 << 12), memoryBudget: 600)
    }

    /// The same octaves plus m = 3, which is not a power of two: the sample-by-sample ring does scheme A.
    static func ring() -> OverlappingAllanDeviation {
        OverlappingAllanDeviation(
            tau0: 1, factors: OverlappingAllanDeviation.octaves(upTo: 1 << 12) + [3], memoryBudget: 600)
    }

    @Test func octaveFactorsTakeTheCascade() {
        #expect(Self.octaves().cascade != nil)
        #expect(Self.ring().cascade == nil)
        // Memory: the same nominal capacity as the ring, 2·256 + 1 values plus the decimated levels.
        #expect(Self.octaves().phaseCapacity == 513 + 4 * 65)
    }

    /// Same terms, deviations to 1e-13 relative: only the rounding of the differences and the order of the sums
    /// differ. Across chunk boundaries, with a gap, and for a series far from its first reading.
    @Test func cascadeMatchesTheRing() throws {
        var generator = SplitMix(seed: 17)
        let first = (0..<9_000).map { _ in 50 + generator.gaussian() }
        let second = (0..<7_123).map { i in -3e4 + 0.01 * Double(i) + generator.gaussian() }
        var cascade = Self.octaves(), ring = Self.ring()
        cascade.add(contentsOf: first)
        ring.add(contentsOf: first)
        cascade.markGap()
        ring.markGap()
        cascade.add(contentsOf: second)
        ring.add(contentsOf: second)
        let expected = ring.points.filter { $0.factor != 3 }
        let points = cascade.points
        #expect(points.count == expected.count && points.count == 13)
        for (point, reference) in zip(points, expected) {
            #expect(point.factor == reference.factor && point.terms == reference.terms
                    && point.stride == reference.stride, "m = \(point.factor)")
            #expect(abs(point.deviation / reference.deviation - 1) < 1e-13, "m = \(point.factor)")
        }
    }

    /// Integer codes: every D_m is an exact integer, so the cascade and the exact `Int64` ring agree to the
    /// rounding of the sums of squares.
    @Test func codesMatchTheRing() throws {
        var generator = SplitMix(seed: 8)
        let codes: [Int32] = (0..<20_000).map { _ in Int32(8_000_000 + (500 * generator.gaussian()).rounded()) }
        var cascade = Self.octaves(), ring = Self.ring()
        cascade.add(codes: codes)
        ring.add(codes: codes)
        for m in OverlappingAllanDeviation.octaves(upTo: 1 << 12) {
            let reference = try #require(ring.deviation(factor: m))
            #expect(abs(try #require(cascade.deviation(factor: m)) / reference - 1) < 1e-13, "m = \(m)")
        }
    }

    /// Single adds, one block and blocks of awkward sizes stage the same chunks on the same grid: identical results,
    /// bit for bit, also when read out in the middle of a chunk.
    @Test func arrivalDoesNotMatter() {
        let readings = AllanTestData.whitePlusRandomWalk(count: 3 * OctaveCascade.chunkCapacity + 1_234)
        var single = Self.octaves(), whole = Self.octaves(), pieces = Self.octaves()
        for y in readings { single.add(y) }
        whole.add(contentsOf: readings)
        readings.withUnsafeBufferPointer { buffer in
            var start = 0, size = 1
            while start < buffer.count {
                let end = min(start + size, buffer.count)
                pieces.add(UnsafeBufferPointer(rebasing: buffer[start..<end]))
                start = end
                size = size * 7 % 3001 + 1
            }
        }
        #expect(single.readingCount == readings.count)
        #expect(single.points == whole.points)
        #expect(single.points == pieces.points)
        #expect(single.deviation(factor: 64) == whole.deviation(factor: 64))
    }

    /// A readout includes the staged partial chunk and leaves the state alone: reading out every few hundred
    /// readings changes nothing at the end, and each readout equals the one of an estimator fed the same prefix.
    @Test func readoutIncludesStagedReadingsWithoutMutating() {
        let readings = AllanTestData.whitePlusRandomWalk(count: 5_000)
        var watched = Self.octaves(), quiet = Self.octaves()
        var start = 0
        while start < readings.count {
            let end = min(start + 333, readings.count)
            watched.add(contentsOf: readings[start..<end])
            quiet.add(contentsOf: readings[start..<end])
            var prefix = Self.octaves()
            prefix.add(contentsOf: readings[0..<end])
            #expect(watched.points == prefix.points, "after \(end)")
            start = end
        }
        #expect(watched.points == quiet.points)
        // Below a full chunk nothing has been processed, yet the curve is there.
        var short = Self.octaves()
        short.add(contentsOf: readings[0..<100])
        #expect(short.points.map(\.factor) == [1, 2, 4, 8, 16, 32])
        #expect(short.points.first?.terms == 99)
    }
}
