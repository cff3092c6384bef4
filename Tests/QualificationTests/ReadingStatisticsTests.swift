import Testing
@testable import Qualification

/// The running figures of `sensorqual read`, against the textbook overlapping Allan deviation computed here in full
/// (statistics.md §2.1: σ²(τ) = Σ (x[i+2m] − 2x[i+m] + x[i])² / (2 τ² (N − 2m)), x the phase, N phase points).
@Suite struct ReadingStatisticsTests {
    @Test(arguments: [(50.0, 50, 1.0), (6.25, 6, 0.96), (12.5, 13, 1.04), (0.5, 1, 2.0)])
    func tauIsTheWholeNumberOfIntervalsNearestOneSecond(rate: Double, factor: Int, tau: Double) {
        let statistics = ReadingStatistics(rate: rate)
        #expect(statistics.factor == factor)
        #expect(abs(statistics.tau - tau) < 1e-12)
    }

    @Test func matchesTheDefinition() throws {
        // A seeded random walk plus white noise, 300 readings at 25 Hz (m = 25).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        var walk = 0.0
        let readings = (0..<300).map { _ in
            walk += 0.01 * uniform()
            return 1000 + walk + 0.1 * uniform()
        }
        var statistics = ReadingStatistics(rate: 25)
        #expect(statistics.allanDeviation == nil)
        for value in readings { statistics.add(value) }

        let m = 25, tau0 = 1.0 / 25
        var phase = [0.0]
        for value in readings { phase.append(phase.last! + value * tau0) }
        let n = phase.count
        var sum = 0.0
        for i in 0..<(n - 2 * m) {
            let difference = phase[i + 2 * m] - 2 * phase[i + m] + phase[i]
            sum += difference * difference
        }
        let tau = Double(m) * tau0
        let expected = (sum / (2 * tau * tau * Double(n - 2 * m))).squareRoot()
        let adev = try #require(statistics.allanDeviation)
        #expect(abs(adev - expected) / expected < 1e-9)

        let mean = readings.reduce(0, +) / Double(readings.count)
        let variance = readings.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(readings.count - 1)
        #expect(abs(try #require(statistics.mean) - mean) < 1e-9)
        #expect(abs(try #require(statistics.standardDeviation) - variance.squareRoot()) < 1e-9)
    }
}
