import Foundation
import Synchronization

/// The simulated acoustic test chamber: a source, a small coupler whose pressure every microphone in it sees, and
/// the microphones' PCM, interleaved, one channel per slot (reference/acoustic.md §2).
///
/// **Clock.** The chamber's time is its sample index: frame n is at n / fs, counted from the first frame rendered,
/// whatever the wall clock does. A source command applies from the next frame rendered (`framesRendered`); the same
/// seeds and the same commands at the same frame indices give the same samples, however `render(frames:)` cuts the
/// stream (the noise is addressed by index, `IndexedGaussianNoise`, and the transfer has no memory).
///
/// **Source.** Off, or a sine at any frequency below Nyquist and a commanded SPL. Like a real driver it is not
/// exact: its level is off by `sourceGainError` dB (the commanded level is not the true one; the reference
/// microphone tells the truth) and it adds its own second harmonic, `sourceDistortion` of the fundamental (§2: well
/// below the 10 % criterion). The tone's phase runs on through level, frequency and on/off changes: a level step is a
/// step of the envelope only, so the daemon needs no settling for the source; it should still drop its usual
/// settling time (§5.12), as on a real rig.
///
/// **Ambient noise.** White Gaussian pressure noise at `ambientLevel` dB SPL(A) (20 Hz–20 kHz), the same in every
/// channel (one sound field). Real rooms are pink-ish, with more energy low down; A-weighting discounts most of
/// that, and white noise has an exact A-weighted level (TV-10), so a test can predict the noise floor:
/// EIN ⊕ ambient, 10·log10(10^(EIN/10) + 10^(ambient/10)) dB SPL(A) (§2 table: 13 dB under the IM73A135's EIN it
/// adds 0.21 dB).
///
/// Thread-safe: the run engine sets the source on its thread while a `ChamberFeed` renders on another.
public final class AcousticChamber: Sendable {
    /// What one channel of the chamber's PCM carries.
    public enum Slot: Sendable, Hashable {
        /// A microphone under test, its unit drawn from the seed.
        case dut(MicrophoneModel, seed: UInt64)
        /// The reference microphone whose certificate (its unit's sensitivity) gives the true SPL.
        case reference(MicrophoneModel, seed: UInt64)
        /// An empty slot (a TDM slot with no microphone): digital silence.
        case unused
    }

    /// What the source is commanded to play.
    public enum Source: Sendable, Hashable {
        case off
        /// A sine of `frequency` Hz at a commanded `spl` dB SPL (the true level differs by `sourceGainError`).
        case tone(frequency: Double, spl: Double)
    }

    /// A chamber set up or commanded with values it cannot take.
    public struct SetupError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The highest SPL a source can be asked for: 194 dB SPL is a sine whose trough reaches vacuum at 1 atm.
    public static let maximumSPL = 194.0

    /// Frames per second, Hz.
    public let sampleRate: Double
    public let slots: [Slot]
    /// The microphone of each channel; nil for an unused slot.
    public let microphones: [SimulatedMicrophone?]
    /// True level minus commanded level, dB.
    public let sourceGainError: Double
    /// The source's second harmonic relative to its fundamental (amplitude ratio): its THD.
    public let sourceDistortion: Double
    /// The chamber's ambient noise, dB SPL(A).
    public let ambientLevel: Double
    public let seed: UInt64

    /// Frames the tone is rotated on from one exact phase. Each frame is one rotation from its block's phase, not an
    /// accumulation, so it is off by a few roundings (~1e-16 of the amplitude), far below a 24-bit code (6e-8).
    static let toneBlock = 64

    private let ambientNoise: IndexedGaussianNoise
    private let ambientDeviation: Double
    private let state = Mutex(State())

    /// The source and the clock; guarded by `state`.
    private struct State {
        var source = Source.off
        /// The frame at which the current tone segment began, and the tone's phase there, in cycles (0..<1).
        var segmentStart = 0
        var phaseAtStart = 0.0
        /// The tone's frequency, Hz (kept while off, so the phase runs on) and its true peak pressure, Pa (0: off).
        var frequency = 1000.0
        var amplitude = 0.0
        var framesRendered = 0
        /// cos and sin of the tone's phase advance over k frames, k = 0..<`toneBlock`, and the frequency and rate they
        /// are for: the tone is rotated on from one exact phase per block (`render(frames:eachChannel:)`).
        var advance: [(cos: Double, sin: Double)] = []
        var advanceFor: (frequency: Double, sampleRate: Double)?

        /// The phase at frame n of the current segment, cycles in 0..<1.
        func phase(at frame: Int, sampleRate: Double) -> Double {
            let cycles = phaseAtStart + Double(frame - segmentStart) * frequency / sampleRate
            return cycles - cycles.rounded(.down)
        }

        /// `advance` for the current frequency, computed when it changed.
        mutating func prepareAdvance(sampleRate: Double) {
            if let prepared = advanceFor, prepared == (frequency, sampleRate) { return }
            advance = (0..<AcousticChamber.toneBlock).map { k in
                let cycles = Double(k) * frequency / sampleRate
                let angle = 2 * Double.pi * (cycles - cycles.rounded(.down))
                return (Foundation.cos(angle), Foundation.sin(angle))
            }
            advanceFor = (frequency, sampleRate)
        }
    }

    /// Sets up a chamber.
    ///
    /// - Parameters:
    ///   - sampleRate: fs in Hz; at least 40 kHz for the 20 Hz–20 kHz noise figures to hold (`MicrophoneModel`).
    ///   - slots: one per channel, in channel order.
    ///   - seed: the chamber's own randomness (ambient noise); each microphone has its own seed in its slot.
    ///   - sourceGainError: true minus commanded level, dB.
    ///   - sourceDistortion: the source's H2 over its fundamental (0.0005 = 0.05 % THD).
    ///   - ambientLevel: ambient noise, dB SPL(A).
    /// - Throws: `SetupError` for a sample rate that is not finite and positive, no slot, or non-finite levels.
    public init(sampleRate: Double = 48_000, slots: [Slot], seed: UInt64, sourceGainError: Double = 0.4,
                sourceDistortion: Double = 0.0005, ambientLevel: Double = 8) throws(SetupError) {
        guard sampleRate.isFinite, sampleRate > 0 else {
            throw SetupError(description: "acoustic chamber: the sample rate must be finite and positive, not \(sampleRate) Hz")
        }
        guard !slots.isEmpty else { throw SetupError(description: "acoustic chamber: no channel slots") }
        guard sourceGainError.isFinite, sourceDistortion.isFinite, sourceDistortion >= 0, ambientLevel.isFinite else {
            throw SetupError(description: "acoustic chamber: the source gain error (\(sourceGainError) dB), source "
                + "distortion (\(sourceDistortion)) and ambient level (\(ambientLevel) dB SPL(A)) must be finite, "
                + "the distortion not negative")
        }
        self.sampleRate = sampleRate
        self.slots = slots
        self.seed = seed
        self.sourceGainError = sourceGainError
        self.sourceDistortion = sourceDistortion
        self.ambientLevel = ambientLevel
        microphones = slots.map { slot in
            switch slot {
            case .dut(let model, let seed), .reference(let model, let seed): SimulatedMicrophone(model: model, seed: seed)
            case .unused: nil
            }
        }
        ambientNoise = IndexedGaussianNoise(seed: seed, stream: 0xA4B1_E27)
        ambientDeviation = MicrophoneModel.whiteNoiseDeviation(aWeightedLevel: ambientLevel, sampleRate: sampleRate)
    }

    /// Interleaved channels per frame.
    public var channelCount: Int { slots.count }

    /// The channel of the first reference microphone, if any.
    public var referenceChannel: Int? {
        slots.firstIndex { if case .reference = $0 { true } else { false } }
    }

    /// The reference microphone's certificate sensitivity (dBV or dBFS at 94 dB SPL), if there is one.
    public var referenceCertificate: Double? {
        referenceChannel.flatMap { microphones[$0]?.sensitivity }
    }

    /// The true SPL the source produces when commanded `spl`: spl + `sourceGainError`.
    public func trueSPL(commanded spl: Double) -> Double { spl + sourceGainError }

    /// The source as last commanded.
    public var source: Source { state.withLock { $0.source } }

    /// Frames rendered so far: the chamber's clock, and the frame from which a new command applies.
    public var framesRendered: Int { state.withLock { $0.framesRendered } }

    /// Plays a sine of `frequency` Hz at a commanded `spl` dB SPL from the next frame on, its phase continuing.
    ///
    /// - Throws: `SetupError` when the frequency is not in 0 < f < fs/2 or the level is not finite or above
    ///   `maximumSPL`; the source then keeps what it was doing.
    public func setTone(frequency: Double, spl: Double) throws(SetupError) {
        guard frequency.isFinite, frequency > 0, frequency < sampleRate / 2 else {
            throw SetupError(description: "acoustic chamber: a tone of \(frequency) Hz is outside 0 < f < fs/2 = "
                + "\(sampleRate / 2) Hz")
        }
        guard spl.isFinite, spl <= Self.maximumSPL else {
            throw SetupError(description: "acoustic chamber: a level of \(spl) dB SPL is not finite or above "
                + "\(Self.maximumSPL) dB SPL")
        }
        let amplitude = MicrophoneModel.peakPressure(spl: trueSPL(commanded: spl))
        command(.tone(frequency: frequency, spl: spl), frequency: frequency, amplitude: amplitude)
    }

    /// Turns the source off from the next frame on (its phase keeps running for the next tone).
    public func silence() {
        command(.off, frequency: nil, amplitude: 0)
    }

    private func command(_ source: Source, frequency: Double?, amplitude: Double) {
        state.withLock { state in
            let now = state.framesRendered
            state.phaseAtStart = state.phase(at: now, sampleRate: sampleRate)
            state.segmentStart = now
            if let frequency { state.frequency = frequency }
            state.amplitude = amplitude
            state.source = source
        }
    }

    /// Renders the next `frames` frames: `frames × channelCount` words, interleaved (frame-major), each in ±1.0
    /// full scale; unused slots are 0. An empty array for `frames` ≤ 0.
    public func render(frames: Int) -> [Double] {
        guard frames > 0 else { return [] }
        var output = [Double](repeating: 0, count: frames * slots.count)
        output.withUnsafeMutableBufferPointer { render(into: $0) }
        return output
    }

    /// Renders the next `output.count / channelCount` frames into `output`, as `render(frames:)` returns them.
    /// `output.count` must be a whole number of frames.
    public func render(into output: UnsafeMutableBufferPointer<Double>) {
        let channels = slots.count
        precondition(output.count % channels == 0, "\(output.count) words are not whole \(channels)-channel frames")
        let frames = output.count / channels
        render(frames: frames) { channel, words in
            for i in 0..<frames { output[i * channels + channel] = words[i] }
        }
    }

    /// Renders the next `frames` frames channel by channel: `body` gets every channel's `frames` words in channel
    /// order (0 for an unused slot), the same words `render(frames:)` interleaves, valid during the call only. The
    /// feed's form: it encodes each channel straight into its place in the interleaved bytes, and the words are
    /// computed in one contiguous run per channel, not scattered into frames. `body` runs with the chamber's lock
    /// held: a command waits for it.
    public func render(frames: Int, eachChannel body: (_ channel: Int, _ words: UnsafeBufferPointer<Double>) -> Void) {
        guard frames > 0 else { return }
        state.withLock { state in
            let start = state.framesRendered
            // The pressure in the coupler: the tone (fundamental + the source's H2) and the ambient noise.
            withUnsafeTemporaryAllocation(of: Double.self, capacity: frames) { pressure in
                if state.amplitude > 0 {
                    let amplitude = state.amplitude
                    let second = amplitude * sourceDistortion
                    state.prepareAdvance(sampleRate: sampleRate)
                    let block = Self.toneBlock
                    var i = 0
                    while i < frames {
                        // The exact phase at the start of the frame's block of the segment (blocks counted from the
                        // segment's start, not from the render's: the same bits whatever the chunking), then the
                        // block's frames by rotation: a sine and a cosine per block instead of per frame.
                        let first = (start + i - state.segmentStart) % block
                        let angle = 2 * Double.pi * state.phase(at: start + i - first, sampleRate: sampleRate)
                        let sine = Foundation.sin(angle)
                        let cosine = Foundation.cos(angle)
                        let end = min(block, first + frames - i)
                        for k in first..<end {
                            let step = state.advance[k]
                            let s = sine * step.cos + cosine * step.sin
                            let c = cosine * step.cos - sine * step.sin
                            pressure[i] = amplitude * s + second * 2 * s * c
                            i += 1
                        }
                    }
                } else {
                    pressure.initialize(repeating: 0)
                }
                ambientNoise.add(deviation: ambientDeviation, from: start, to: pressure)
                withUnsafeTemporaryAllocation(of: Double.self, capacity: frames) { words in
                    for (channel, microphone) in microphones.enumerated() {
                        if let microphone {
                            // The self-noise first, then each word from it and the pressure, in place.
                            microphone.selfNoise.fill(deviation: microphone.model.selfNoiseDeviation(sampleRate: sampleRate),
                                                      from: start, into: words)
                            for i in 0..<frames {
                                words[i] = microphone.word(pressure: pressure[i], noise: words[i])
                            }
                        } else {
                            words.initialize(repeating: 0)
                        }
                        body(channel, UnsafeBufferPointer(words))
                    }
                }
            }
            state.framesRendered += frames
        }
    }
}
