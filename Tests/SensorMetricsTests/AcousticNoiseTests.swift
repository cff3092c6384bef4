import Foundation
import SensorStats
import Testing
@testable import SensorMetrics

/// Seeded test signals for the acoustic tests: the shared SplitMix64 and Box–Muller generator (`Gaussian`), so every
/// run draws the same noise.
struct AcousticSignal {
    private var random: Gaussian
    init(seed: UInt64) { random = Gaussian(seed: seed) }

    /// A standard normal deviate.
    mutating func gaussian() -> Double { random.next() }

    /// `count` samples of white Gaussian noise of standard deviation `sigma` plus `offset`.
    mutating func noise(sigma: Double, offset: Double = 0, count: Int) -> [Double] {
        (0..<count).map { _ in offset + sigma * gaussian() }
    }

    /// `count` samples of a·sin(2π·f·n/fs) + offset.
    static func tone(amplitude: Double, frequency: Double, offset: Double = 0, sampleRate: Double = 48_000,
                     count: Int) -> [Double] {
        (0..<count).map { offset + amplitude * sin(2 * Double.pi * frequency * Double($0) / sampleRate) }
    }

    /// The TV-3 noise: σ chosen so that the A-weighted 20 Hz–20 kHz noise is −91.00 dBFS(A) (§6).
    static let tv3Sigma = 2.765072e-5
    /// The TV-3 and TV-2 tone amplitude, −26.00 dBFS.
    static let minus26dBFS = 0.050118723
}

/// A-weighted noise and SNR from Welch PSDs (reference/acoustic.md §1.8, §5.5; TV-3).
@Suite struct AcousticNoiseTests {
    static func welch(_ samples: [Double], window: SpectralWindow.Kind = .hann, sampleRate: Double = 48_000,
                      segmentLength: Int = 16_384) -> WelchPSD {
        var psd = WelchPSD(sampleRate: sampleRate, segmentLength: segmentLength, window: window)
        psd.add(contentsOf: samples)
        return psd
    }

    /// TV-3 end to end, by the method of §6 (Welch, Hann, nperseg 16384, 50 % overlap, constant detrend, density;
    /// 20 Hz–20 kHz, W(f) on the noise only): signal −26.000 dBFS, noise −91.000 dBFS(A), SNR 65.000 dB, each
    /// ±0.05 dB (the noise is a seeded draw: 480 000 samples give its level to about ±0.01 dB). As a −26 dBFS
    /// mic: EIN 29 dB SPL(A), full scale at 120 dB SPL.
    @Test func tv3EndToEndSNR() throws {
        let count = 480_000
        let toneCapture = AcousticSignal.tone(amplitude: AcousticSignal.minus26dBFS, frequency: 1000, offset: 0.0123, count: count)
        var random = AcousticSignal(seed: 3)
        let noiseCapture = random.noise(sigma: AcousticSignal.tv3Sigma, offset: 0.0123, count: count)

        let signal = try #require(WeightedNoise(psd: Self.welch(toneCapture))).unweightedDBFS
        let noise = try #require(WeightedNoise(psd: Self.welch(noiseCapture)))
        #expect(abs(signal - -26.000) <= 0.05, "signal \(signal) dBFS")
        #expect(abs(noise.aWeightedDBFS - -91.000) <= 0.05, "noise \(noise.aWeightedDBFS) dBFS(A)")
        #expect(abs(signal - noise.aWeightedDBFS - 65.000) <= 0.05)
        #expect(abs(noise.signalToNoiseRatio(sensitivityDBFS: -26) - 65.000) <= 0.05)
        #expect(noise.band == 20...20_000 && !noise.isBandLimited && noise.window == .hann)
        #expect(noise.segmentCount == (count - 16_384) / 8_192 + 1)
        // The unweighted 20 Hz–20 kHz level of this white noise: σ²·(19 980/24 000), i.e. −88.96 dBFS (the
        // reference's −88.16 is the full band to fs/2).
        #expect(abs(noise.unweightedDBFS - SoundLevel.dBFS(meanSquare: AcousticSignal.tv3Sigma * AcousticSignal.tv3Sigma * 19_980 / 24_000)) <= 0.05)
        let ein = SoundLevel.equivalentInputNoise(snrDB: noise.signalToNoiseRatio(sensitivityDBFS: -26))
        #expect(abs(ein - 29) <= 0.05)
        // The tone read as a main-lobe sum from a Blackman-Harris PSD gives the same signal level (1000 Hz is
        // not on a bin of 16384 points: scalloping cancels in the sum).
        let distortion = try HarmonicDistortion(psd: Self.welch(toneCapture, window: .blackmanHarris), nominalFrequency: 1000)
        #expect(abs(distortion.fundamentalDBFS - -26.000) <= 0.001)
    }

    /// §1.8: white noise A-weighted over 20 Hz–20 kHz reads 2.048 dB below the same noise unweighted (TV-10),
    /// within 0.02 dB for 10 s of seeded noise.
    @Test func whiteNoiseWeightingLoss() throws {
        var random = AcousticSignal(seed: 10)
        let noise = try #require(WeightedNoise(psd: Self.welch(random.noise(sigma: 1e-3, count: 480_000))))
        #expect(abs(noise.aWeightedDBFS - noise.unweightedDBFS - -2.048) <= 0.02)
    }

    /// §5.5: at fs = 16 kHz the band stops at fs/2 = 8 kHz and is flagged; white noise of the same σ then reads
    /// higher (less of it is weighted away) — the flattering SNR the flag guards against.
    @Test func bandLimitedBelowFortyKilohertz() throws {
        var random = AcousticSignal(seed: 16)
        let samples = random.noise(sigma: 1e-3, count: 160_000)
        let noise = try #require(WeightedNoise(psd: Self.welch(samples, sampleRate: 16_000, segmentLength: 8_192)))
        #expect(noise.isBandLimited)
        #expect(noise.band == 20...8_000)
        // σ² over 8 kHz of fs/2 weighted by W: the A-weighted 20 Hz–8 kHz bandwidth over fs/2.
        let expected = SoundLevel.dBFS(meanSquare: 1e-6 * AcousticWeightingTests.weightedBandwidth(from: 20, to: 8_000) / 8_000)
        #expect(abs(noise.aWeightedDBFS - expected) <= 0.05)
        let full = try #require(WeightedNoise(psd: Self.welch(samples, sampleRate: 48_000)))
        #expect(!full.isBandLimited)
    }

    /// No whole segment, no figure: nil rather than a number from nothing.
    @Test func nilBeforeTheFirstSegment() {
        #expect(WeightedNoise(psd: Self.welch(Array(repeating: 0.1, count: 16_383))) == nil)
    }

    /// A tone inside a noise capture: with its main lobes (and its harmonics') replaced by the band's median, the
    /// Blackman-Harris PSD still reads the TV-3 noise, −91.00 dBFS(A) ±0.05 dB, beside a −26 dBFS tone whose own
    /// leakage floor is about −118 dBFS(A). The Hann PSD cannot: its sidelobes leak the tone far above the noise
    /// (about −75 dBFS(A) outside ±4 bins).
    @Test func noiseBesideATone() throws {
        let count = 480_000
        var random = AcousticSignal(seed: 33)
        let tone = AcousticSignal.tone(amplitude: AcousticSignal.minus26dBFS, frequency: 1000, count: count)
        let noise = random.noise(sigma: AcousticSignal.tv3Sigma, offset: 0.0123, count: count)
        let capture = zip(tone, noise).map { $0 + $1 }
        let blackmanHarris = Self.welch(capture, window: .blackmanHarris)
        let distortion = try HarmonicDistortion(psd: blackmanHarris, nominalFrequency: 1000)
        let residual = try #require(WeightedNoise(psd: blackmanHarris, excludingTonesAt: distortion.toneFrequencies))
        #expect(abs(residual.aWeightedDBFS - -91.000) <= 0.05, "residual \(residual.aWeightedDBFS) dBFS(A)")
        #expect(residual.replacedBins == 6 * 17)
        let hann = try #require(WeightedNoise(psd: Self.welch(capture), excludingTonesAt: distortion.toneFrequencies))
        #expect(hann.aWeightedDBFS > -81)
    }
}
