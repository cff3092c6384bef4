import Foundation
import SensorStats
import Testing
@testable import SensorMetrics

/// THD and THD+N from main-lobe sums (reference/acoustic.md §1.4; TV-5, TV-6).
@Suite struct AcousticDistortionTests {
    /// One Welch segment of exactly the signal's length (48 000 samples at 48 kHz: Δf = 1 Hz).
    static func oneSegment(_ samples: [Double], window: SpectralWindow.Kind) -> WelchPSD {
        var psd = WelchPSD(sampleRate: 48_000, segmentLength: samples.count, window: window)
        psd.add(contentsOf: samples)
        return psd
    }

    static func sum(_ parts: [Double]...) -> [Double] {
        (0..<parts[0].count).map { i in parts.reduce(0) { $0 + $1[i] } }
    }

    /// TV-5 coherent: fundamental 1.0 at 1 kHz with H2 = 0.1 and H3 = 0.05 over 48 000 samples: THD_F 11.1803 %
    /// (−19.03 dB) with Blackman-Harris ±4 bins and with Hann ±2 bins; the power-ratio form (THD²) is 1.2500 %.
    /// Tolerance 0.00005 % (half the reference's last digit).
    @Test func tv5Coherent() throws {
        let x = Self.sum(AcousticSignal.tone(amplitude: 1, frequency: 1000, count: 48_000),
                         AcousticSignal.tone(amplitude: 0.1, frequency: 2000, count: 48_000),
                         AcousticSignal.tone(amplitude: 0.05, frequency: 3000, count: 48_000))
        for window in [SpectralWindow.Kind.blackmanHarris, .hann] {
            let thd = try HarmonicDistortion(psd: Self.oneSegment(x, window: window), nominalFrequency: 1000)
            #expect(abs(thd.thdPercent - 11.1803) <= 0.00005, "\(window): \(thd.thdPercent) %")
            #expect(abs(thd.thdDB - -19.03) <= 0.005)
            #expect(abs(thd.thdPercent * thd.thdPercent / 100 - 1.2500) <= 0.00005)
            #expect(thd.harmonicCount == 5 && thd.harmonics.map(\.order) == [2, 3, 4, 5, 6])
            #expect(abs(thd.harmonics[0].percentOfFundamental - 10) < 1e-6)
            #expect(abs(thd.harmonics[1].percentOfFundamental - 5) < 1e-6)
            #expect(abs(thd.fundamentalFrequency - 1000) < 1e-6)
            #expect(abs(thd.fundamentalDBFS) < 1e-6)   // amplitude 1.0 is 0 dBFS
            #expect(thd.mainLobeHalfWidth == window.mainLobeHalfWidth && thd.window == window)
            // No noise: THD+N is the THD.
            #expect(abs(thd.thdPlusNoisePercent - thd.thdPercent) < 1e-6)
        }
    }

    /// TV-5 non-coherent: 1001.3 Hz with H2 = 1 % reads 0.9999 % with Hann ±2 bins and 1.0000 % with
    /// Blackman-Harris ±4 (and flat-top ±5). Tolerance 0.00005 %. The fundamental's frequency comes from the
    /// parabolic interpolation of log power: within 0.05 bin for Hann and Blackman-Harris; the flat-top's flat peak
    /// makes the parabola a poor fit there (0.2 bin).
    @Test func tv5NonCoherent() throws {
        let x = Self.sum(AcousticSignal.tone(amplitude: 1, frequency: 1001.3, count: 48_000),
                         AcousticSignal.tone(amplitude: 0.01, frequency: 2002.6, count: 48_000))
        for (window, expected, resolution) in [(SpectralWindow.Kind.hann, 0.9999, 0.05), (.blackmanHarris, 1.0000, 0.05),
                                               (.flatTop, 1.0000, 0.2)] {
            let thd = try HarmonicDistortion(psd: Self.oneSegment(x, window: window), nominalFrequency: 1000)
            #expect(abs(thd.thdPercent - expected) <= 0.00005, "\(window): \(thd.thdPercent) %")
            #expect(abs(thd.fundamentalFrequency - 1001.3) < resolution, "\(window): f0 \(thd.fundamentalFrequency) Hz")
        }
    }

    /// TV-6: a sine hard-clipped at ±1.0 FS, THD over H2–H6 (Blackman-Harris, 48 000 coherent samples):
    /// +0.5 / +1 / +2 / +3 / +6 dB over full scale → 1.907 / 4.433 / 9.238 / 13.296 / 23.258 %, ±0.005 %.
    @Test func tv6HardClip() throws {
        for (drive, expected) in [(0.5, 1.907), (1, 4.433), (2, 9.238), (3, 13.296), (6, 23.258)] {
            let thd = try HarmonicDistortion(psd: Self.oneSegment(Self.clippedSine(driveDB: drive), window: .blackmanHarris),
                                             nominalFrequency: 1000)
            #expect(abs(thd.thdPercent - expected) <= 0.005, "+\(drive) dB: \(thd.thdPercent) %")
        }
    }

    /// 48 000 samples of a 1 kHz sine `driveDB` over full scale, clipped at ±1.0.
    static func clippedSine(driveDB: Double) -> [Double] {
        AcousticSignal.tone(amplitude: pow(10, driveDB / 20), frequency: 1000, count: 48_000).map { min(1, max(-1, $0)) }
    }

    /// Harmonics stop below min(fs/2, 20 kHz): a 5 kHz tone at 48 kHz keeps H2 and H3 (15 kHz), not H4 (20 kHz);
    /// a 12 kHz tone keeps none and is refused.
    @Test func harmonicsStopAtTheBand() throws {
        let x = AcousticSignal.tone(amplitude: 0.5, frequency: 5000, count: 48_000)
        let thd = try HarmonicDistortion(psd: Self.oneSegment(x, window: .blackmanHarris), nominalFrequency: 5000)
        #expect(thd.harmonics.map(\.order) == [2, 3])
        let high = AcousticSignal.tone(amplitude: 0.5, frequency: 12_000, count: 48_000)
        #expect(throws: HarmonicDistortion.Failure.noHarmonicInBand(frequency: 12_000, bandLimit: 20_000)) {
            try HarmonicDistortion(psd: Self.oneSegment(high, window: .blackmanHarris), nominalFrequency: 12_000)
        }
    }

    /// No tone, no figure: white noise alone, a tone 20 % off the nominal frequency, an empty PSD, and a nominal
    /// frequency beyond the spectrum each throw a failure that says why.
    @Test func refusesWithoutATone() {
        var random = AcousticSignal(seed: 5)
        let noise = random.noise(sigma: 1e-4, count: 48_000)
        #expect(throws: HarmonicDistortion.Failure.noTone(nominalFrequency: 1000)) {
            try HarmonicDistortion(psd: Self.oneSegment(noise, window: .hann), nominalFrequency: 1000)
        }
        let offTone = Self.sum(noise, AcousticSignal.tone(amplitude: 0.1, frequency: 1200, count: 48_000))
        #expect(throws: HarmonicDistortion.Failure.noTone(nominalFrequency: 1000)) {
            try HarmonicDistortion(psd: Self.oneSegment(offTone, window: .blackmanHarris), nominalFrequency: 1000)
        }
        #expect(throws: HarmonicDistortion.Failure.noSegment) {
            try HarmonicDistortion(psd: WelchPSD(sampleRate: 48_000, segmentLength: 1024), nominalFrequency: 1000)
        }
        #expect(throws: HarmonicDistortion.Failure.outsideSpectrum(nominalFrequency: 40_000)) {
            try HarmonicDistortion(psd: Self.oneSegment(offTone, window: .hann), nominalFrequency: 40_000)
        }
        #expect(throws: HarmonicDistortion.Failure.outsideSpectrum(nominalFrequency: .infinity)) {
            try HarmonicDistortion(psd: Self.oneSegment(offTone, window: .hann), nominalFrequency: .infinity)
        }
        #expect(HarmonicDistortion.Failure.noTone(nominalFrequency: 1000).description.contains("1000.0 Hz"))
    }

    /// THD+N (F form, referenced to the fundamental) adds the noise in 20 Hz–20 kHz: a 1.0 tone with white noise
    /// σ = 0.01 (σ²·19 980/24 000 in band) and no harmonics reads 100·√(σ²·0.8325/0.5) % = 1.29 %, within 2 %.
    @Test func thdPlusNoiseIsReferencedToTheFundamental() throws {
        var random = AcousticSignal(seed: 7)
        let x = Self.sum(AcousticSignal.tone(amplitude: 1, frequency: 1000, count: 96_000), random.noise(sigma: 0.01, count: 96_000))
        var psd = WelchPSD(sampleRate: 48_000, segmentLength: 16_384, window: .blackmanHarris)
        psd.add(contentsOf: x)
        let thd = try HarmonicDistortion(psd: psd, nominalFrequency: 1000)
        let expected = 100 * (1e-4 * 19_980 / 24_000 / 0.5).squareRoot()
        #expect(abs(thd.thdPlusNoisePercent / expected - 1) < 0.02, "THD+N \(thd.thdPlusNoisePercent) %")
        #expect(thd.thdPercent < thd.thdPlusNoisePercent)
    }

    /// The noise floor's median by selection equals the sorted array's middle (the mean of the two middles for an
    /// even count), exactly, for every size from 1 to 64 and a PSD-sized 6 827, on random values, runs of ties,
    /// sorted and reversed input; `select` leaves no larger value before the k-th and no smaller after it.
    @Test func medianBySelectionIsTheSortedMiddle() {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func sortedMedian(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        }
        for count in Array(1...64) + [6_827, 6_828] {
            let random = (0..<count).map { _ in Double(next() >> 11) * 0x1p-53 }
            let ties = (0..<count).map { _ in Double(next() % 4) }
            for values in [random, ties, random.sorted(), random.sorted().reversed()] {
                #expect(HarmonicDistortion.median(values) == sortedMedian(values), "\(count) values")
                var work = values
                let k = Int(next() % UInt64(count))
                let kth = work.withUnsafeMutableBufferPointer { HarmonicDistortion.select(k, in: $0) }
                #expect(kth == values.sorted()[k])
                #expect(work[..<k].allSatisfy { $0 <= kth } && work[(k + 1)...].allSatisfy { $0 >= kth })
            }
        }
        #expect(HarmonicDistortion.median([]).isNaN)
    }
}
