import Foundation
import SensorStats
import Testing
@testable import SensorMetrics

/// The streaming per-channel analysis (reference/acoustic.md §1.8 "streaming form", §5.8).
@Suite struct AcousticChannelAnalysisTests {
    /// nperseg is the smallest power of two ≥ fs/3: 16 384 at 48 kHz (§1.8), also at 44.1 kHz; 8 192 at 16 kHz;
    /// 32 768 at 96 kHz.
    @Test func segmentLengthFollowsTheRate() {
        #expect(AcousticChannelAnalysis.segmentLength(sampleRate: 48_000) == 16_384)
        #expect(AcousticChannelAnalysis.segmentLength(sampleRate: 44_100) == 16_384)
        #expect(AcousticChannelAnalysis.segmentLength(sampleRate: 16_000) == 8_192)
        #expect(AcousticChannelAnalysis.segmentLength(sampleRate: 96_000) == 32_768)
        #expect(AcousticChannelAnalysis.segmentLength(sampleRate: 8_000) == 4_096)
    }

    /// TV-3 through the accumulator: a −26 dBFS tone with the TV-3 noise and DC in one 10 s capture, fed in
    /// uneven blocks, reads the tone at −26.000 dBFS (±0.001 dB) and the noise beside it at −91.00 dBFS(A)
    /// (±0.05 dB); the same capture fed in one block gives identical figures.
    @Test func toneAndNoiseInOneCapture() throws {
        let count = 480_000
        var random = AcousticSignal(seed: 34)
        let noise = random.noise(sigma: AcousticSignal.tv3Sigma, offset: 0.0123, count: count)
        let capture = zip(AcousticSignal.tone(amplitude: AcousticSignal.minus26dBFS, frequency: 1000, count: count), noise).map { $0 + $1 }
        var streamed = AcousticChannelAnalysis(sampleRate: 48_000, clipLevel: 1)
        var start = 0, block = 1
        while start < count {
            let end = min(count, start + block)
            streamed.add(capture[start..<end])
            start = end
            block = block * 3 % 10_007 + 1
        }
        var whole = AcousticChannelAnalysis(sampleRate: 48_000, clipLevel: 1)
        whole.add(capture)

        let distortion = try streamed.measureDistortion(nominalToneHz: 1000)
        #expect(abs(distortion.fundamentalDBFS - -26.000) <= 0.001)
        #expect(distortion.window == .blackmanHarris)
        let residual = try #require(streamed.residualNoise(besides: distortion))
        #expect(abs(residual.aWeightedDBFS - -91.000) <= 0.05)
        #expect(whole.distortion(nominalToneHz: 1000) == distortion)
        #expect(whole.residualNoise(besides: distortion) == residual)
        #expect(streamed.sampleCount == count && streamed.durationSeconds == 10 && streamed.clippedSamples == 0)
        #expect(abs(streamed.peakMagnitude - 0.0623) < 0.001)
        // The quiet-capture path on the noise alone.
        var quiet = AcousticChannelAnalysis(sampleRate: 48_000)
        quiet.add(noise.lazy.map { $0 })   // a non-contiguous sequence goes through the chunked path
        let floor = try #require(quiet.noise())
        #expect(abs(floor.aWeightedDBFS - -91.000) <= 0.05 && floor.window == .hann)
        #expect(quiet.distortion(nominalToneHz: 1000) == nil)
    }

    /// An analysis that keeps one spectrum gives that spectrum's figures bit for bit as one that keeps both, and
    /// none of the other's: a quiet record needs only the Hann PSD, a tone record only the Blackman-Harris one.
    @Test func oneSpectrumIsTheSameFigures() throws {
        let count = 96_000
        var random = AcousticSignal(seed: 35)
        let noise = random.noise(sigma: AcousticSignal.tv3Sigma, offset: 0, count: count)
        let capture = zip(AcousticSignal.tone(amplitude: AcousticSignal.minus26dBFS, frequency: 1000, count: count), noise).map { $0 + $1 }
        var both = AcousticChannelAnalysis(sampleRate: 48_000)
        var tone = AcousticChannelAnalysis(sampleRate: 48_000, spectra: .tone)
        var quiet = AcousticChannelAnalysis(sampleRate: 48_000, spectra: .noise)
        both.add(capture)
        tone.add(capture)
        quiet.add(capture)
        let distortion = try #require(both.distortion(nominalToneHz: 1000))
        #expect(tone.distortion(nominalToneHz: 1000) == distortion)
        #expect(tone.residualNoise(besides: distortion) == both.residualNoise(besides: distortion))
        #expect(tone.noise() == nil && tone.noisePSD == nil && tone.hasSegment)
        #expect(quiet.noise() == both.noise() && quiet.noise() != nil)
        #expect(quiet.tonePSD == nil && quiet.hasSegment && quiet.residualNoise(besides: distortion) == nil)
        #expect(throws: HarmonicDistortion.Failure.noSegment) { try quiet.measureDistortion(nominalToneHz: 1000) }
        #expect(quiet.segmentLength == 16_384 && tone.segmentLength == 16_384)
    }

    /// Clipping is counted at the format's clip level (one LSB below +1.0 for 16-bit): a sine driven 2 dB over
    /// full scale and saturated there has every sample beyond the level counted, and the peak is the clip level.
    @Test func countsClippedSamples() {
        let clipLevel = 32_767.0 / 32_768
        let samples = AcousticSignal.tone(amplitude: pow(10, 2.0 / 20), frequency: 1000, count: 48_000)
            .map { min(clipLevel, max(-1, $0)) }
        var analysis = AcousticChannelAnalysis(sampleRate: 48_000, clipLevel: clipLevel)
        analysis.add(samples)
        #expect(analysis.clippedSamples == samples.filter { abs($0) >= clipLevel }.count)
        #expect(analysis.clippedSamples > 10_000)
        #expect(analysis.peakMagnitude == 1)
    }

    /// The clip count and the peak are tallied in four lanes: whatever the blocks' sizes and wherever the peak falls
    /// among the lanes or the tail, they are a plain scan's; a NaN sample is neither clipped nor the peak.
    @Test func tallyLanesAgreeWithAPlainScan() {
        let clipLevel = 0.9
        for peakPosition in 0..<11 {
            var samples = (0..<11).map { index in index % 3 == 0 ? -0.95 : 0.1 * Double(index % 5) }
            samples[peakPosition] = peakPosition % 2 == 0 ? -0.99 : 0.99
            samples[(peakPosition + 5) % 11] = .nan
            for blockSize in [1, 3, 4, 5, 7, 11] {
                var analysis = AcousticChannelAnalysis(sampleRate: 48_000, clipLevel: clipLevel)
                var start = 0
                while start < samples.count {
                    let end = min(samples.count, start + blockSize)
                    samples[start..<end].withUnsafeBufferPointer { analysis.add($0) }
                    start = end
                }
                let finite = samples.filter { !$0.isNaN }
                #expect(analysis.clippedSamples == finite.filter { abs($0) >= clipLevel }.count, "block \(blockSize)")
                #expect(analysis.peakMagnitude == 0.99, "peak at \(peakPosition), block \(blockSize)")
            }
        }
    }

    /// Shorter than one segment: no figure at all.
    @Test func tooShortForASegment() {
        var analysis = AcousticChannelAnalysis(sampleRate: 48_000)
        analysis.add(AcousticSignal.tone(amplitude: 0.5, frequency: 1000, count: 16_383))
        #expect(!analysis.hasSegment && analysis.noise() == nil && analysis.distortion(nominalToneHz: 1000) == nil)
        #expect(throws: HarmonicDistortion.Failure.noSegment) { try analysis.measureDistortion(nominalToneHz: 1000) }
    }
}
