import Foundation
import Testing
@testable import SensorMetrics

/// Known answers from numpy 2.4 / scipy 1.17 (Python port of `Gaussian` as in MagneticNoiseTests; the
/// first blank is checked bit for bit below).
@Suite struct GasFiguresTests {
    /// Blanks 400 + 5·g ppm (30, seed 0x6A5); levels 400…5000 ppm, response 1.02·c + 3 + (2, −3, 1, 4, −2).
    /// numpy: s = np.std(ddof=1) = 5.179696741312354; scipy.stats.linregress slope 1.019547289504037, stderr
    /// 0.0008540810796752573; LOD = 3s/b = 15.24116672557299, LOQ = 50.803889085243306;
    /// u/LOD = √(1/(2·29) + (u_b/b)²) = 0.13130910502327167.
    @Test func linearLimitOfDetection() throws {
        var random = Gaussian(seed: 0x6A5)
        let blanks = (0..<30).map { _ in 400 + 5 * random.next() }
        #expect(blanks[0] == 0x1.8e8c943b9774ep+8)
        let levels = zip([400.0, 800, 1000, 2000, 5000], [2.0, -3, 1, 4, -2]).map {
            GasLimitOfDetection.Level(concentration: $0, meanResponse: 1.02 * $0 + 3 + $1)
        }
        let lod = try GasLimitOfDetection.evaluate(blanks: blanks, levels: levels, unit: "ppm")
        #expect(abs(lod.blankStandardDeviation / 5.179696741312354 - 1) < 1e-12)
        #expect(abs(lod.slope.value / 1.019547289504037 - 1) < 1e-9)
        #expect(abs(lod.slope.standardUncertainty / 0.0008540810796752573 - 1) < 1e-6)
        #expect(abs(lod.limitOfDetection.value / 15.24116672557299 - 1) < 1e-9)
        #expect(abs(lod.limitOfQuantification.value / 50.803889085243306 - 1) < 1e-9)
        #expect(abs(lod.limitOfDetection.standardUncertainty / (15.24116672557299 * 0.13130910502327167) - 1) < 1e-6)
        #expect(lod.limitOfDetection.unit == "ppm" && lod.blankDegreesOfFreedom == 29)
    }

    /// MOx: response 30 000 + (870/ln 2)·ln c ticks (+ 3, −5, 2, 4, −4) at 0.5…10 ppm, blanks 31 000 + 10·g (25, seed
    /// 0x106). scipy: b = 1254.546351564622 per ln-unit (869.5852664687836 per doubling), s = 10.351741400812518,
    /// r = 3s/b = 0.024754146519741317, LOD above 0.5 ppm = 0.5·(e^r − 1) = 0.01253153710909316, LOQ 0.04300684196296001.
    @Test func logarithmicLimitOfDetection() throws {
        var random = Gaussian(seed: 0x106)
        let blanks = (0..<25).map { _ in 31_000 + 10 * random.next() }
        let levels = zip([0.5, 1, 2, 5, 10], [3.0, -5, 2, 4, -4]).map {
            GasLimitOfDetection.Level(concentration: $0, meanResponse: 30_000 + 870 / log(2) * log($0) + $1)
        }
        let lod = try GasLimitOfDetection.evaluate(blanks: blanks, levels: levels, response: .logarithmic, unit: "ppm")
        #expect(abs(lod.slope.value / 1254.546351564622 - 1) < 1e-9)
        #expect(abs(try #require(lod.slopePerDoubling) / 869.5852664687836 - 1) < 1e-9)
        #expect(abs(try #require(lod.relativeResolution) / 0.024754146519741317 - 1) < 1e-9)
        #expect(lod.lowestLevel == 0.5)
        #expect(abs(lod.limitOfDetection.value / 0.01253153710909316 - 1) < 1e-9)
        #expect(abs(lod.limitOfQuantification.value / 0.04300684196296001 - 1) < 1e-9)
    }

    @Test func limitOfDetectionRefusals() {
        let levels = [1.0, 2, 3].map { GasLimitOfDetection.Level(concentration: $0, meanResponse: 2 * $0) }
        #expect(throws: GasLimitOfDetection.Failure.tooFewBlanks(19)) {
            try GasLimitOfDetection.evaluate(blanks: Array(repeating: 0.1, count: 19), levels: levels, unit: "ppm")
        }
        let failure = GasLimitOfDetection.Failure.tooFewBlanks(19)
        #expect(failure.description.contains("at least 20"))
        let blanks = (0..<20).map { Double($0 % 3) }
        #expect(throws: GasLimitOfDetection.Failure.tooFewLevels(2)) {
            try GasLimitOfDetection.evaluate(blanks: blanks, levels: Array(levels.prefix(2)), unit: "ppm")
        }
        let zero = [GasLimitOfDetection.Level(concentration: 0, meanResponse: 1)] + levels
        #expect(throws: GasLimitOfDetection.Failure.invalidLevel(index: 0)) {
            try GasLimitOfDetection.evaluate(blanks: blanks, levels: zero, response: .logarithmic, unit: "ppm")
        }
    }

    /// SCD41 envelope ±(40 ppm + 5 % of reading) (§8.7). Errors +12, −30, +55, −90, +310 ppm at 400…5000 ppm:
    /// envelopes at the readings 60.6, 78.5, 92.75, 135.5, 305.5 → ratios 0.198, 0.382, 0.593, 0.664, 1.015; worst
    /// |e| 310 at 5000.
    @Test func accuracyAgainstTheEnvelope() throws {
        let errors = [12.0, -30, 55, -90, 310]
        let levels = zip([400.0, 800, 1000, 2000, 5000], errors).map {
            GasAccuracy.Level(certified: $0, certifiedStandardUncertainty: 0.01 * $0, dutMean: $0 + $1, dutStandardError: 3)
        }
        let accuracy = try #require(GasAccuracy.evaluate(levels: levels, envelope: .init(offset: 40, fractionOfReading: 0.05), unit: "ppm"))
        #expect(accuracy.worstError.value == 310 && accuracy.worstErrorLevel == 5000)
        #expect(abs(accuracy.worstError.standardUncertainty - (9 + 2500.0).squareRoot()) < 1e-12)
        let worstRatio = try #require(accuracy.worstEnvelopeRatio)
        let expectedWorst: Double = 310 / (40 + 0.05 * 5310)
        #expect(abs(worstRatio - expectedWorst) < 1e-12)
        #expect(accuracy.worstEnvelopeLevel == 5000)
        let ratios = accuracy.points.compactMap(\.envelopeRatio)
        let expectedRatios: [Double] = [12 / 60.6, 30 / 78.5, 55 / 92.75, 90 / 135.5, 310 / 305.5]
        for (ratio, expected) in zip(ratios, expectedRatios) {
            #expect(abs(ratio - expected) < 1e-12)
        }
        #expect(GasAccuracy.evaluate(levels: [], unit: "ppm") == nil)
    }

    /// numpy std(ddof=1) = 3.548896542119347 of six plateau means; scipy.stats.chi2 95 % interval
    /// [2.2152496207801287, 8.704073303112592]; 0.43804524280428064 % of the mean 810.1666666666666.
    @Test func repeatability() throws {
        let r = try GasRepeatability.evaluate(plateauMeans: [812.3, 805.1, 809.8, 815.2, 807.6, 811.0])
        #expect(abs(r.standardDeviation / 3.548896542119347 - 1) < 1e-12)
        #expect(abs(r.interval[0] / 2.2152496207801287 - 1) < 1e-9 && abs(r.interval[1] / 8.704073303112592 - 1) < 1e-9)
        #expect(abs(try #require(r.relativePercent) / 0.43804524280428064 - 1) < 1e-12)
        #expect(abs(r.mean - 810.1666666666666) < 1e-9)
        #expect(throws: GasRepeatability.Failure.tooFewExposures(4)) {
            try GasRepeatability.evaluate(plateauMeans: [1, 2, 3, 4])
        }
    }

    /// 200 readings every 300 s, 400 + 0.5 ppm/h + 2·g (seed 0xD21F). scipy.stats.linregress on hours: slope
    /// 0.5116597815849263, stderr 0.027407546485091774; t_0.975(198) = 1.9720174778363146 gives
    /// [0.4576116208917141, 0.5657079422781386].
    @Test func driftSlope() throws {
        var random = Gaussian(seed: 0xD21F)
        var drift = GasDrift()
        for i in 0..<200 {
            let t = 1000 + 300 * Double(i)
            drift.add(time: t, value: 400 + 0.5 * (t - 1000) / 3600 + 2 * random.next())
        }
        let result = try #require(drift.result(unit: "ppm"))
        #expect(abs(result.slopePerHour.value / 0.5116597815849263 - 1) < 1e-9)
        #expect(abs(result.slopePerHour.standardUncertainty / 0.027407546485091774 - 1) < 1e-9)
        #expect(abs(result.interval[0] / 0.4576116208917141 - 1) < 1e-9 && abs(result.interval[1] / 0.5657079422781386 - 1) < 1e-9)
        #expect(abs(result.spanHours - 199 * 300 / 3600.0) < 1e-12 && result.count == 200)
        #expect(result.slopePerHour.unit == "ppm/h" && abs(result.slopePerDay - 24 * result.slopePerHour.value) < 1e-12)
        #expect(GasDrift().result(unit: "ppm") == nil)
    }
}
