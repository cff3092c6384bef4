import Foundation
import SensorStats

/// The streaming analysis of one microphone channel: everything the acoustic figures need from a capture, in
/// memory bounded by one Welch segment, whatever the capture's length (reference/acoustic.md §1.8 "streaming form").
///
/// Samples (normalized to ±1.0 FS) feed two Welch PSDs of the same segment length, 50 % overlap and per-segment
/// mean removal: a Hann one for noise (§1.8) and a 4-term Blackman-Harris one for tones, whose −92 dB sidelobes keep
/// leakage below a 0.01 % THD floor (§1.4). Clipped samples, the peak magnitude and the sample count are counted
/// beside them (§5.8). A record that needs only one of the two (a quiet record: noise; a tone record: the tone)
/// computes only that one (`Spectra`): each costs as much as all the rest of the analysis.
public struct AcousticChannelAnalysis: Sendable {
    /// Which of the two PSDs an analysis keeps.
    public struct Spectra: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The Hann PSD: `noise()`.
        public static let noise = Spectra(rawValue: 1)
        /// The Blackman-Harris PSD: `distortion(nominalToneHz:)`, `residualNoise(besides:)`.
        public static let tone = Spectra(rawValue: 2)
        public static let both: Spectra = [.noise, .tone]
    }

    /// The sample rate, hertz.
    public let sampleRate: Double
    /// The magnitude at or beyond which a sample counts as clipped, in full-scale units: one LSB below full scale
    /// for integer formats (`PCMSampleFormat.clipLevel`), 1.0 for float (§5.8).
    public let clipLevel: Double
    /// The Hann PSD that noise is integrated from (§1.8); nil when not kept.
    public private(set) var noisePSD: WelchPSD?
    /// The Blackman-Harris PSD that tones and harmonics are read from (§1.4); nil when not kept.
    public private(set) var tonePSD: WelchPSD?
    /// The Welch segment length L: a capture needs at least this many samples for any figure.
    public let segmentLength: Int
    /// Samples at or beyond `clipLevel` in magnitude.
    public private(set) var clippedSamples = 0
    /// Samples added.
    public private(set) var sampleCount = 0
    /// The largest magnitude seen, full-scale units.
    public private(set) var peakMagnitude = 0.0

    /// The Welch segment length for a sample rate: the smallest power of two ≥ fs/3, i.e. 16 384 at 48 kHz
    /// (Δf ≈ 2.9 Hz, §1.8), 8 192 at 16 kHz, 32 768 at 96 kHz, so the resolution stays about 3 Hz.
    public static func segmentLength(sampleRate: Double) -> Int {
        var length = 2
        while Double(length) < sampleRate / 3, length < 1 << 30 { length *= 2 }
        return length
    }

    /// An empty analysis.
    ///
    /// - Parameters:
    ///   - sampleRate: fs in hertz, finite and positive (check it when it comes from a file).
    ///   - clipLevel: the clip threshold in full-scale units, e.g. `PCMSampleFormat.clipLevel`.
    ///   - spectra: the PSDs to keep; both by default.
    public init(sampleRate: Double, clipLevel: Double = 1.0, spectra: Spectra = .both) {
        self.sampleRate = sampleRate
        self.clipLevel = clipLevel
        let length = Self.segmentLength(sampleRate: sampleRate)
        segmentLength = length
        noisePSD = spectra.contains(.noise) ? WelchPSD(sampleRate: sampleRate, segmentLength: length, window: .hann) : nil
        tonePSD = spectra.contains(.tone) ? WelchPSD(sampleRate: sampleRate, segmentLength: length, window: .blackmanHarris) : nil
    }

    /// The capture's duration so far, seconds.
    public var durationSeconds: Double { Double(sampleCount) / sampleRate }
    /// Whether at least one whole segment has been analysed, so that figures exist.
    public var hasSegment: Bool { (noisePSD ?? tonePSD)?.segmentCount ?? 0 > 0 }

    /// Adds a block of samples, in order.
    public mutating func add(_ block: UnsafeBufferPointer<Double>) {
        // Local tallies, counted and compared without branches, in four lanes (samples 0, 4, 8… in the first): one
        // running maximum waited on the one before, four cycles a sample. A NaN never becomes the peak.
        var clipped = (0, 0, 0, 0)
        var peak = (peakMagnitude, peakMagnitude, peakMagnitude, peakMagnitude)
        let level = clipLevel
        func tally(_ sample: Double, _ clipped: inout Int, _ peak: inout Double) {
            let magnitude = abs(sample)
            clipped &+= magnitude >= level ? 1 : 0
            peak = magnitude > peak ? magnitude : peak
        }
        var index = 0
        while index + 4 <= block.count {
            tally(block[index], &clipped.0, &peak.0)
            tally(block[index + 1], &clipped.1, &peak.1)
            tally(block[index + 2], &clipped.2, &peak.2)
            tally(block[index + 3], &clipped.3, &peak.3)
            index += 4
        }
        while index < block.count {
            tally(block[index], &clipped.0, &peak.0)
            index += 1
        }
        clippedSamples += clipped.0 + clipped.1 + clipped.2 + clipped.3
        peakMagnitude = max(peak.0, peak.1, peak.2, peak.3)
        sampleCount += block.count
        noisePSD?.add(block)
        tonePSD?.add(block)
    }

    /// Adds samples in order; the same result whatever the blocks' sizes.
    public mutating func add(_ samples: some Sequence<Double>) {
        let done: Void? = samples.withContiguousStorageIfAvailable { add($0) }
        guard done == nil else { return }
        var chunk: [Double] = []
        chunk.reserveCapacity(4096)
        for sample in samples {
            chunk.append(sample)
            if chunk.count == 4096 {
                chunk.withUnsafeBufferPointer { add($0) }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        chunk.withUnsafeBufferPointer { add($0) }
    }

    /// The A-weighted noise of the capture taken as a quiet one (§1.8, §2 "Noise / SNR"); nil before a whole segment.
    public func noise() -> WeightedNoise? {
        noisePSD.flatMap { WeightedNoise(psd: $0) }
    }

    /// The A-weighted noise beside a tone: the Blackman-Harris PSD with the main lobes of the fundamental and
    /// harmonics of `distortion` replaced by the band's median density (`WeightedNoise.init(psd:excludingTonesAt:)`).
    /// Its floor is the tone's own leakage, about 90 dB below it; a quiet capture is the spec method.
    public func residualNoise(besides distortion: HarmonicDistortion) -> WeightedNoise? {
        tonePSD.flatMap { WeightedNoise(psd: $0, excludingTonesAt: distortion.toneFrequencies) }
    }

    /// The distortion of the tone near `nominalToneHz`, from the Blackman-Harris PSD; throws why there is none.
    /// An analysis that keeps no tone spectrum has no segment of it: `.noSegment`.
    public func measureDistortion(nominalToneHz: Double) throws(HarmonicDistortion.Failure) -> HarmonicDistortion {
        guard let tonePSD else { throw .noSegment }
        return try HarmonicDistortion(psd: tonePSD, nominalFrequency: nominalToneHz)
    }

    /// The distortion of the tone near `nominalToneHz`; nil before a whole segment or when no tone stands out there
    /// (`measureDistortion(nominalToneHz:)` says which).
    public func distortion(nominalToneHz: Double) -> HarmonicDistortion? {
        try? measureDistortion(nominalToneHz: nominalToneHz)
    }
}
