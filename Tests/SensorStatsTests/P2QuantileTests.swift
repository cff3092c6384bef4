import Testing
@testable import SensorStats

@Suite struct P2QuantileTests {
    /// statistics.md §5 / T11: the paper's 20 observations at p = 0.5 give the estimate 4.2462394088036435 with
    /// final marker positions [1, 6, 10, 16, 20] (as asserted by vks/average). Tolerance 1e-12: same arithmetic.
    @Test func paperExample() throws {
        var p2 = P2Quantile(probability: 0.5)
        for x in [0.02, 0.5, 0.74, 3.39, 0.83, 22.37, 10.15, 15.43, 38.62, 15.92, 34.60, 10.28, 1.47, 0.40, 0.05,
                  11.39, 0.27, 0.42, 0.09, 11.37] { p2.add(x) }
        #expect(abs(try #require(p2.estimate) - 4.2462394088036435) < 1e-12)
        #expect(p2.markerPositions == [1, 6, 10, 16, 20])
    }

    /// On 100 000 seeded normal values the running median lands within 0.02σ of the true median 0
    /// (the sample median's own standard error is 1.25σ/√n ≈ 0.004σ; P² adds its bias).
    @Test func medianOfNormalData() throws {
        var generator = SplitMix(seed: 5)
        var p2 = P2Quantile(probability: 0.5)
        for _ in 0..<100_000 { p2.add(generator.gaussian()) }
        #expect(abs(try #require(p2.estimate)) < 0.02)
        #expect(P2Quantile(probability: 0.9).estimate == nil)
    }
}
