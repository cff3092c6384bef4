import Foundation
import Testing
@testable import SensorMetrics

@Suite struct PressureNoiseTests {
    /// White noise σ = 0.3 Pa at 25 Hz for 600 s: the two-sample deviation finds σ within its own U (k = 2)
    /// widened to 3U (a seeded draw could sit just outside 2U 5 % of the time; this seed is fixed).
    @Test func findsWhiteNoise() throws {
        var random = Gaussian(seed: 11)
        var noise = PressureNoise(outputDataRate: 25, averagingTimes: [60])
        for _ in 0..<15_000 { noise.add(101_325 + 0.3 * random.next()) }
        let result = try #require(noise.result)
        #expect(abs(result.rms.value - 0.3) <= 3 * result.rms.expandedUncertainty)
        #expect(result.rms.unit == "Pa")
        #expect(abs(result.detrendedStandardDeviation - 0.3) < 0.01)
        // Noise density of white noise: σ/√(ODR/2).
        #expect(abs(result.noiseDensity - result.rms.value / (12.5).squareRoot()) < 1e-12)
        // The Allan deviation at the dwell time τ = 60 s is σ/√(τ·r) for white noise (within 35 %: only
        // ~15 000 − 3 000 correlated terms; its EDF is about 7).
        let at60 = try #require(noise.allanDeviation(at: 60))
        #expect(abs(at60 / (0.3 / (60 * 25.0).squareRoot()) - 1) < 0.35)
    }

    /// A slow drift of the enclosure (here 2 Pa over the record) inflates the plain standard deviation but not
    /// the two-sample estimator (sensors.md §8.2).
    @Test func ignoresSlowDrift() throws {
        var random = Gaussian(seed: 12)
        var noise = PressureNoise(outputDataRate: 25)
        for i in 0..<15_000 { noise.add(101_325 + 2.0 * Double(i) / 15_000 + 0.3 * random.next()) }
        let result = try #require(noise.result)
        #expect(abs(result.rms.value - 0.3) <= 3 * result.rms.expandedUncertainty)
        #expect(abs(result.detrendedStandardDeviation - 0.3) < 0.01)
    }

    /// Known answer from numpy 2.4.6 / scipy 1.17.1 on a fixed series: y_i = 101 325 + 0.5·(u_i − 0.5) + 0.001·i Pa,
    /// u_i the NBS14 Lehmer sequence (statistics.md §8 T2, 2 000 values from n0 = 1234567890), ODR 25 Hz:
    /// √(½·mean(diff(y)²)) = 0.14489332591085416, residual std of `np.polyfit(t, y, 1)` with ddof = 2
    /// = 0.14469234346353252, mean 101325.99846107952. Tolerance 1e-9 relative: only summation order differs.
    @Test func numpyKnownAnswer() throws {
        var n: UInt64 = 1_234_567_890
        var noise = PressureNoise(outputDataRate: 25)
        for i in 0..<2000 {
            noise.add(101_325 + 0.5 * (Double(n) / 2_147_483_647 - 0.5) + 0.001 * Double(i))
            n = 16807 * n % 2_147_483_647
        }
        let result = try #require(noise.result)
        #expect(abs(result.rms.value / 0.14489332591085416 - 1) < 1e-9)
        #expect(abs(result.detrendedStandardDeviation / 0.14469234346353252 - 1) < 1e-9)
        #expect(abs(result.meanPressure - 101325.99846107952) < 1e-9)
    }

    /// EDF for white noise at m = 1 (SP1065 Table 5): ν = (3(N−1)/2 − 2(N−2)/N)·4/9 with N phase points.
    @Test func degreesOfFreedom() throws {
        var noise = PressureNoise(outputDataRate: 10)
        for i in 0..<1000 { noise.add(Double(i % 7)) }
        let result = try #require(noise.result)
        let n = 1001.0
        #expect(abs(result.equivalentDegreesOfFreedom - (3 * (n - 1) / 2 - 2 * (n - 2) / n) * 4 / 9) < 1e-9)
        var short = PressureNoise(outputDataRate: 10)
        for _ in 0..<99 { short.add(1) }
        #expect(short.result == nil)
    }
}

/// Seeded standard normal deviates for tests.
struct Gaussian {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    private mutating func bits() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    private mutating func uniform() -> Double { (Double(bits() >> 11) + 0.5) / 9_007_199_254_740_992.0 }
    mutating func next() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
}

@Suite struct NoiseGapTests {
    /// A 50 Pa jump across a dropout (the enclosure vented while readings were missed) leaves the two-sample
    /// noise untouched once the gap is marked: within 3U of the white noise, and the gap counted.
    @Test func dropoutDoesNotEnterTheNoise() throws {
        var random = Gaussian(seed: 21)
        var marked = PressureNoise(outputDataRate: 25), unmarked = PressureNoise(outputDataRate: 25)
        for i in 0..<10_000 {
            let p = (i < 5_000 ? 101_325.0 : 101_375.0) + 0.3 * random.next()
            if i == 5_000 { marked.markGap(missedReadings: 40) }
            marked.add(p)
            unmarked.add(p)
        }
        let result = try #require(marked.result)
        #expect(abs(result.rms.value - 0.3) <= 3 * result.rms.expandedUncertainty)
        #expect(marked.gapCount == 1)
        // Without the mark, the jump's one difference of 50 Pa dominates: σ² grows by 50²/(2·9999).
        #expect(try #require(unmarked.result).rms.value > 0.45)
    }

    /// Readings wait in a block of 256 before the estimators take them (`ReadingBatch`): every figure must still
    /// count each one, whether read mid-block or with a gap arriving mid-block, and reading them must change
    /// nothing. 1 000 readings (3 whole blocks and 232 more), a gap after reading 300 across which the pressure
    /// jumps by 50 Pa: a gap placed anywhere else would put the jump into a two-sample difference.
    @Test func readingsWaitingForABlockCountInEveryFigure() throws {
        var random = Gaussian(seed: 23)
        let values = (0..<1_000).map { ($0 < 300 ? 101_325 : 101_375) + 0.3 * random.next() }
        func feed(readingFiguresAlongTheWay: Bool) -> PressureNoise {
            var noise = PressureNoise(outputDataRate: 25, averagingTimes: [2])
            for (i, value) in values.enumerated() {
                if i == 300 { noise.markGap(missedReadings: 3) }
                noise.add(value)
                if readingFiguresAlongTheWay, (250..<350).contains(i) || i % 97 == 0 {
                    _ = noise.result
                    _ = noise.allanDeviation(at: 2)
                }
            }
            return noise
        }
        let straight = feed(readingFiguresAlongTheWay: false), looked = feed(readingFiguresAlongTheWay: true)
        let result = try #require(straight.result)
        #expect(result == looked.result)
        #expect(straight.allanDeviation(at: 2) == looked.allanDeviation(at: 2))
        #expect(result.sampleCount == 1_000 && straight.gapCount == 1)
        #expect(abs(result.meanPressure - values.reduce(0, +) / 1_000) < 1e-9)
        #expect(abs(result.rms.value - 0.3) <= 3 * result.rms.expandedUncertainty)
        // Allan at τ0: N − 2 second differences of N + 1 phase points in each run: 299 + 699.
        #expect(try #require(result.allanDeviation.first).terms == 998)
    }

    /// The offline analysis restarts its Allan differences at a gap and reports it (same data, same check).
    @Test func seriesAnalysisCountsGaps() throws {
        var random = Gaussian(seed: 22)
        let values = (0..<10_000).map { (($0 < 5_000) ? 0.0 : 50.0) + 0.3 * random.next() }
        let analysis = SeriesAnalysis.analyze(values, sampleRate: 25, gapsBefore: [5_000])
        #expect(analysis.gaps == 1)
        let first = try #require(analysis.adev.first)
        #expect(first.m == 1 && first.n == 9_998)
        #expect(abs(first.adev - 0.3) < 0.3 * 0.05)   // ~6 700 EDF: 1.2 % relative σ; 5 % is > 4σ
    }
}
