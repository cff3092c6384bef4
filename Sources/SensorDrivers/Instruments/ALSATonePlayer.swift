import Foundation
import SensorIO
import Synchronization

/// A sound source the rig drives itself: a loudspeaker or coupler driver behind an ALSA playback device
/// (`alsa:plughw:2,0` in the rig file), playing a continuous sine on a thread of its own.
///
/// The level is set open-loop from the chain's gain, `fullScaleSPL` (the SPL at the microphones for a 0 dBFS
/// sine, measured once when the rig is set up); the run then levels it on the reference microphone, so drift of
/// the amplifier or the coupler does not reach the figures (reference/acoustic.md §2).
public final class ALSATonePlayer: SoundSource, @unchecked Sendable {
    public let identity: String
    /// The SPL at the microphones for a 0 dBFS sine, dB SPL.
    public let fullScaleSPL: Double
    private let playback: PCMPlayback
    private let format: PCMStreamFormat
    /// What the playback thread plays: amplitude in full-scale units (0: silence) and frequency.
    private let tone = Mutex((amplitude: 0.0, frequency: 1000.0, stop: false))
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    /// Frames per write: about 21 ms at 48 kHz, so a level change reaches the speaker within a few periods.
    static let blockFrames = 1024

    public init(device: String, configurationFile: String? = nil, format: PCMStreamFormat, fullScaleSPL: Double) throws {
        playback = try PCMPlayback(device: device, configurationFile: configurationFile, format: format)
        self.format = format
        self.fullScaleSPL = fullScaleSPL
        identity = "ALSA playback \(device) (\(format)), 0 dBFS = \(fullScaleSPL) dB SPL"
        let thread = Thread { [unowned self] in self.playLoop() }
        thread.name = "tone \(device)"
        self.thread = thread
        thread.start()
    }

    public func play(frequency: Double, spl: Double) throws {
        let amplitude = pow(10, (spl - fullScaleSPL) / 20)
        guard amplitude < 1 else {
            throw InstrumentError(.refused(String(format: "%.1f dB SPL is %.1f dB over the source's full scale (%.1f dB SPL)",
                                                  spl, 20 * log10(amplitude), fullScaleSPL)),
                                  instrument: identity, command: "play")
        }
        tone.withLock { $0.amplitude = amplitude; $0.frequency = frequency }
    }

    public func silence() throws { tone.withLock { $0.amplitude = 0 } }

    public func close() {
        let running = tone.withLock { state -> Bool in
            defer { state.stop = true }
            return !state.stop
        }
        if running { finished.wait() }
        playback.close()
    }

    /// Writes the sine block after block, phase-continuous across level changes (a step in phase would click).
    private func playLoop() {
        defer { finished.signal() }
        var phase = 0.0
        var block = [Double](repeating: 0, count: Self.blockFrames * format.channels)
        let rate = Double(format.sampleRate)
        while true {
            let (amplitude, frequency, stop) = tone.withLock { ($0.amplitude, $0.frequency, $0.stop) }
            if stop { return }
            let increment = 2 * Double.pi * frequency / rate
            for frame in 0..<Self.blockFrames {
                let sample = amplitude * sin(phase)
                for channel in 0..<format.channels { block[frame * format.channels + channel] = sample }
                phase += increment
                if phase > 2 * Double.pi { phase -= 2 * Double.pi }
            }
            do { try playback.write(block, timeout: 2) } catch {
                // A device fault ends the tone; the reference microphone will then hear no tone and fail the level.
                return
            }
        }
    }
}
