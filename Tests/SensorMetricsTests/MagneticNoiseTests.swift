import Foundation
import Testing
@testable import SensorMetrics

/// |a − b| ≤ tolerance·|b|.
private func isClose(_ a: Double, _ b: Double, relative tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * abs(b)
}

/// A steady field plus white Gaussian noise of one-sided density `densityPT` pT/√Hz on each axis: σ = a·√(fs/2)
/// (statistics.md §3.4). g from `Gaussian(seed:)` (PressureNoiseTests.swift: SplitMix64 + Box–Muller), drawn x, y, z
/// per reading. The Python port behind the known answers below (SplitMix64
/// with `& (2**64 − 1)`, uniform = ((z >> 11) + 0.5)/2**53, g = math.sqrt(−2·math.log(u1))·math.cos(2·math.pi·u2))
/// gives the same first readings to the bit (checked below).
private func whiteRecord(seed: UInt64, readings: Int, densityPT: Double, mean: (Double, Double, Double),
                         rate: Double = 100) -> [(x: Double, y: Double, z: Double)] {
    var random = Gaussian(seed: seed)
    let sigma = densityPT * (rate / 2).squareRoot() * 1e-6   // µT
    return (0..<readings).map { _ in
        let x = mean.0 + sigma * random.next()
        let y = mean.1 + sigma * random.next()
        let z = mean.2 + sigma * random.next()
        return (x, y, z)
    }
}

@Suite struct MagneticNoiseTests {
    /// The acceptance test: 5 nT/√Hz at 100 Hz for 300 s (σ = 35.4 nT, an MMC5983MA-class part), 10 s Hann
    /// segments, band 1–10 Hz. Known answers: numpy 2.4 / scipy 1.17 on the same readings in pT,
    /// `scipy.signal.welch(x, fs=100, nperseg=1000)` (K = 59), floor = √mean(P[10…100]), ν from the same exact formula
    /// in numpy (`band_nu`), interval `scipy.stats.chi2.ppf(0.975/0.025, ν)`. Tolerance 1e-9 relative: FFTW and
    /// pocketfft differ only by rounding (≤ 1e-14 in statistics.md §3.3).
    @Test func recoversWhiteNoiseDensity() throws {
        let record = whiteRecord(seed: 0x6A61, readings: 30_000, densityPT: 5_000, mean: (20, -5, 42))
        #expect(record[0].x == 0x1.40bed1a0edfd7p+4 && record[0].y == -0x1.40e68697b8e6dp+2
                && record[0].z == 0x1.503dce182ba88p+5)
        var noise = try MagneticNoise(outputDataRate: 100, segmentSeconds: 10, band: 1...10)
        for field in record { noise.add(field) }
        let result = try #require(noise.result)
        #expect(result.welchSegments == 59 && result.binWidth == 0.1 && result.sampleCount == 30_000)

        // scipy: floor (pT/√Hz), ν, band RMS (pT), detrended std (np.polyfit, ddof 2), Parseval ratio, ASD at 1 and 10 Hz.
        let scipy: [(floor: Double, rms: Double, detrended: Double, parseval: Double, at1: Double, at10: Double)] = [
            (5093.483890690607, 15270.832626162957, 35321.385130811046, 0.9988442081401647, 5352.2757758717835,
             4918.136326718839),
            (4957.382570446782, 14876.388319749945, 35117.187248068425, 1.0018944355170945, 4653.047898086482,
             4997.447892866438),
            (5011.680577786971, 15047.036761314903, 35280.39951019742, 1.0012836410377441, 5055.857990615386,
             4877.080193978665),
        ]
        for (axis, expected) in zip(result.axes, scipy) {
            let interval = axis.noiseFloorIntervalPTPerRootHz
            // The acceptance criterion: the 95 % interval contains the true density.
            #expect(interval[0] <= 5_000 && 5_000 <= interval[1], "axis \(axis.axis): \(interval)")
            #expect(isClose(axis.noiseFloorPTPerRootHz, expected.floor, relative: 1e-9))
            #expect(axis.noiseFloorBins == 91)
            #expect(isClose(axis.noiseFloorDegreesOfFreedom, 5123.765912803065, relative: 1e-9))
            // Width from ν: hi/lo = √(χ²_0.975(ν)/χ²_0.025(ν)), scipy 5324.060708521762 / 4927.259622503097.
            #expect(isClose(interval[1] / interval[0], (5324.060708521762 / 4927.259622503097).squareRoot(),
                            relative: 1e-9))
            #expect(isClose(axis.resolution.rms.value, expected.rms, relative: 1e-9))
            #expect(isClose(axis.resolution.degreesOfFreedom, 5082.006909741685, relative: 1e-9))
            #expect(isClose(axis.resolution.bandwidth, 9, relative: 1e-12))
            // RMS in 1–10 Hz ≈ a·√9 = 15 000 pT, within 3 standard uncertainties.
            #expect(abs(axis.resolution.rms.value - 15_000) <= 3 * axis.resolution.rms.standardUncertainty)
            #expect(isClose(axis.detrendedRMSPT, expected.detrended, relative: 1e-9))
            #expect(isClose(axis.parsevalRatio, expected.parseval, relative: 1e-9))
            #expect(abs(axis.parsevalRatio - 1) < 0.01)
            #expect(isClose(try #require(axis.asdAt1HzPTPerRootHz), expected.at1, relative: 1e-9))
            #expect(isClose(try #require(axis.asdAt10HzPTPerRootHz), expected.at10, relative: 1e-9))
            // White noise: the Allan curve still falls at the longest τ (≤ 30 s), so no 1 pT and no real floor.
            #expect(axis.tauToOnePicotesla == nil)
            #expect(axis.biasInstabilityIsUpperBound)
            #expect(try #require(axis.allanDeviationPT.last).tau <= 30)
        }
        #expect(abs(result.axes[0].meanMicrotesla - 20.00012732989415) < 1e-12)
        #expect(result.axes[0].resolution.statement() == "1.5 × 10⁴ pT RMS in 1–10 Hz: 1.5 × 10⁴ × the 1 pT limit")
        #expect(isClose(result.axes[0].resolution.factorOverLimit(1), 15270.832626162957, relative: 1e-9))
    }

    /// The PSD itself equals scipy.signal.welch bin by bin (x axis of the record above, pT²/Hz).
    @Test func spectrumEqualsScipy() throws {
        var noise = try MagneticNoise(outputDataRate: 100, segmentSeconds: 10, band: 1...10)
        for field in whiteRecord(seed: 0x6A61, readings: 30_000, densityPT: 5_000, mean: (20, -5, 42)) {
            noise.add(field)
        }
        let spectrum = try #require(noise.spectrum(axis: 0))
        #expect(spectrum.frequencies.count == 501)
        for (bin, expected) in [(10, 28486099.240760963), (57, 27063934.203986533), (100, 29278541.173476182)] {
            #expect(isClose(spectrum.density[bin], expected, relative: 1e-9), "bin \(bin)")
        }
        #expect(noise.spectrum(axis: 3) == nil)
    }

    /// The white-noise extrapolation is τ = (a/1 pT)²/2 of the measured floor a, exactly, and its interval maps the
    /// floor's interval the same way.
    @Test func extrapolatedTauIsTheWhiteNoiseFormula() throws {
        var noise = try MagneticNoise(outputDataRate: 100, segmentSeconds: 10, band: 1...10)
        for field in whiteRecord(seed: 0x6A61, readings: 30_000, densityPT: 5_000, mean: (20, -5, 42)) {
            noise.add(field)
        }
        for axis in try #require(noise.result).axes {
            let a = axis.noiseFloorPTPerRootHz
            let extrapolation = axis.extrapolatedTauToOnePicotesla
            #expect(extrapolation.tau == a * a / 2)
            #expect(extrapolation.tauInterval == axis.noiseFloorIntervalPTPerRootHz.map { $0 * $0 / 2 })
            #expect(extrapolation.basis.contains("extrapolation"))
            // At 5 nT/√Hz: about 1.25 × 10⁷ s (sensors.md §8.5 item 3 gives 8 × 10⁶ s for 4 nT/√Hz).
            #expect(abs(extrapolation.tau / 1.25e7 - 1) < 0.1)
        }
    }

    /// A fluxgate-like 3 pT/√Hz record (sensors.md §4, §8.6) reaches 1 pT near τ = a²/2 = 4.5 s: 4.5 s lies inside
    /// the interval of the crossing. numpy octave OADEV of the same readings (mean removed) crosses 1 pT at
    /// τ = 4.096192253741575, 5.866631915340421, 3.612024286417704 s (x, y, z; log-log interpolation between
    /// 2.56 and 5.12 s). Tolerance 1e-6 relative: the Swift phase references the first reading, numpy the mean.
    @Test func fluxgateReachesOnePicotesla() throws {
        let record = whiteRecord(seed: 0x3F1, readings: 30_000, densityPT: 3, mean: (10, 0, -30))
        #expect(record[0].x == 0x1.40002eeea8453p+3)
        var noise = try MagneticNoise(outputDataRate: 100, segmentSeconds: 10, band: 1...10)
        for field in record { noise.add(field) }
        let result = try #require(noise.result)
        for (axis, numpy) in zip(result.axes, [4.096192253741575, 5.866631915340421, 3.612024286417704]) {
            let crossing = try #require(axis.tauToOnePicotesla)
            #expect(isClose(crossing.tau, numpy, relative: 1e-6), "axis \(axis.axis): \(crossing.tau)")
            let low = try #require(crossing.tauLow), high = try #require(crossing.tauHigh)
            #expect(low <= 4.5 && 4.5 <= high, "axis \(axis.axis): [\(low), \(high)]")
            let extrapolated = axis.extrapolatedTauToOnePicotesla.tauInterval
            #expect(extrapolated[0] <= 4.5 && 4.5 <= extrapolated[1])
            #expect(axis.resolution.factorOverLimit(1) > 1)
            // Another limit, read off the same curve: 2 pT comes before 1 pT.
            #expect(try #require(axis.tauReaching(limitPT: 2)).tau < crossing.tau)
        }
    }

    /// A jump in the field across a marked dropout enters neither the spectrum nor the Allan deviation.
    @Test func markedGapKeepsTheFloor() throws {
        let record = whiteRecord(seed: 0x6A62, readings: 20_000, densityPT: 5_000, mean: (20, -5, 42))
        var noise = try MagneticNoise(outputDataRate: 100, segmentSeconds: 10, band: 1...10)
        for (i, field) in record.enumerated() {
            if i == 10_250 { noise.markGap(missedReadings: 37) }
            noise.add(i < 10_250 ? field : (field.x + 3, field.y, field.z))
        }
        let result = try #require(noise.result)
        #expect(result.gapCount == 1 && noise.gapCount == 1)
        // ⌊(10 250 − 500)/500⌋ + ⌊(9 750 − 500)/500⌋ = 19 + 18 segments, none straddling the gap; 200.37 s.
        #expect(result.welchSegments == 37)
        #expect(abs(result.duration - 200.37) < 1e-9)
        let x = result.axes[0]
        #expect(x.noiseFloorIntervalPTPerRootHz[0] <= 5_000 && 5_000 <= x.noiseFloorIntervalPTPerRootHz[1])
        // σ_A at τ0 is σ/√1 = 35.4 nT, untouched by the 3 µT jump.
        let first = try #require(x.allanDeviationPT.first)
        #expect(abs(first.deviation / (5_000 * 50.0.squareRoot()) - 1) < 0.03)
    }

    /// Readings wait in a block of 256 before the estimators take them: every figure must still count each one,
    /// whether the figures are read mid-block or a gap arrives mid-block, and reading them must change nothing.
    /// 1 000 readings (3 whole blocks and 232 more), a gap after reading 300 across which z jumps by 3 µT, 2 s
    /// segments at 100 Hz.
    @Test func readingsWaitingForABlockCountInEveryFigure() throws {
        let record = whiteRecord(seed: 0x6A63, readings: 1_000, densityPT: 5_000, mean: (20, -5, 42))
        func feed(readingFiguresAlongTheWay: Bool) throws -> MagneticNoise {
            var noise = try MagneticNoise(outputDataRate: 100, segmentSeconds: 2, band: 1...10)
            for (i, field) in record.enumerated() {
                if i == 300 { noise.markGap(missedReadings: 5) }
                noise.add(i < 300 ? field : (field.x, field.y, field.z + 3))
                if readingFiguresAlongTheWay, (250..<350).contains(i) || i % 97 == 0 {
                    _ = noise.result
                    _ = noise.spectrum(axis: 1)
                }
            }
            return noise
        }
        let straight = try #require(try feed(readingFiguresAlongTheWay: false).result)
        let looked = try #require(try feed(readingFiguresAlongTheWay: true).result)
        #expect(straight == looked)
        // σ_A at τ0 on z is σ = 35.4 nT (5 %: about 2 000 EDF), untouched by the 3 µT jump across the gap.
        let z = try #require(straight.axes[2].allanDeviationPT.first)
        #expect(abs(z.deviation / (5_000 * 50.0.squareRoot()) - 1) < 0.05)
        // The mean of all 1 000 x readings, summed here.
        let mean = record.reduce(0) { $0 + $1.x } / 1_000
        #expect(isClose(straight.axes[0].meanMicrotesla, mean, relative: 1e-12))
        // Welch: (300 − 200)/100 + 1 = 2 segments before the gap, (700 − 200)/100 + 1 = 6 after it.
        #expect(straight.welchSegments == 8)
        // Allan at τ0: N − 2 second differences of N + 1 phase points in each run: 299 + 699.
        #expect(try #require(straight.axes[2].allanDeviationPT.first).terms == 998)
        #expect(abs(straight.duration - 10.05) < 1e-12)
    }

    @Test func refusesAnImpossibleSetup() {
        #expect(throws: MagneticNoise.Failure.invalidOutputDataRate(0)) {
            try MagneticNoise(outputDataRate: 0, segmentSeconds: 10, band: 1...10)
        }
        #expect(throws: MagneticNoise.Failure.segmentTooShort(seconds: 0.05, outputDataRate: 100)) {
            try MagneticNoise(outputDataRate: 100, segmentSeconds: 0.05, band: 1...10)
        }
        #expect(throws: MagneticNoise.Failure.self) {
            try MagneticNoise(outputDataRate: 100, segmentSeconds: 10, band: 60...80)
        }
        let failure = MagneticNoise.Failure.bandOutsideSpectrum(low: 60, high: 80, binWidth: 0.1, nyquist: 50)
        #expect(failure.description.contains("60.0–80.0 Hz"))
    }

    /// Too short for a figure: nil, not a crash.
    @Test func shortRecordHasNoResult() throws {
        var noise = try MagneticNoise(outputDataRate: 100, segmentSeconds: 10, band: 1...10)
        for field in whiteRecord(seed: 1, readings: 500, densityPT: 5_000, mean: (0, 0, 0)) { noise.add(field) }
        #expect(noise.result == nil)
    }
}
