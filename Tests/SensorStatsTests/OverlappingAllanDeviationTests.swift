import Testing
@testable import SensorStats

/// Known answers from statistics.md §8 (allantools' NBS14 tests, from Riley / NIST SP1065 p. 107).
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

    /// T2: NBS14 1000-point series from the Lehmer generator (n0 = 1234567890 is the first reading), τ = 1, 10, 100:
    /// OADEV 2.922319e-01, 9.159953e-02, 3.241343e-02 (7 digits published: tolerance 5e-7 relative).
    @Test func nbs14ThousandPoint() throws {
        var n: UInt64 = 1_234_567_890
        var values: [Double] = []
        for _ in 0..<1000 {
            values.append(Double(n) / 2_147_483_647)
            n = 16807 * n % 2_147_483_647
        }
        #expect(Int(values[1] * 2_147_483_647 + 0.5) == 395_529_916)
        var adev = OverlappingAllanDeviation(tau0: 1, factors: [1, 10, 100])
        adev.add(contentsOf: values)
        let expected: [Int: Double] = [1: 2.922319e-01, 10: 9.159953e-02, 100: 3.241343e-02]
        for (m, value) in expected {
            let found = try #require(adev.deviation(factor: m))
            #expect(abs(found / value - 1) < 5e-7, "m = \(m): \(found) vs \(value)")
        }
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
