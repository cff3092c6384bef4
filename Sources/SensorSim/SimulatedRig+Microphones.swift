import Foundation
import SensorDrivers
import SensorIO

/// The simulated rig's acoustic side: a chamber with four microphones and a 1/4-inch reference microphone on one
/// five-channel S32_LE 48 kHz capture stream (the analog parts behind a 5 V-peak ADC, the I2S parts as digital words
/// in the same TDM frame), a chamber driver as the sound source, and the chamber's PCM fed to the daemon through
/// ALSA's `file` plugin so the capture runs the real libasound path.
///
/// Like the pressure units, the microphones are a deliberate lot against miit-2020 (SNR ≥ 70 dB, AOP ≥ 135 dB SPL):
/// an IM73A135-class unit comfortably over both, one whose overload point sits on the limit, and two INMP441-class
/// I2S parts (61 dB SNR, digitally limited at 120 dB SPL) that fail both.
extension SimulatedRig {
    /// One microphone of the lot and the channel it is captured on.
    public struct MicrophoneUnit: Sendable {
        public var slot: String
        /// Catalog chip name.
        public var chip: String
        public var channel: Int
        public var model: MicrophoneModel
    }

    public static let audioInterface = "chamber"
    /// The ADC's 0 dBFS sine on the analog channels, V peak (`MicrophoneModel.im73a135`).
    public static let adcFullScaleVolts = 5.0
    /// The reference microphone's channel: the stream's last.
    public var referenceChannel: Int { audioFormat.channels - 1 }
    /// The chamber's ambient noise, dB SPL(A): 13 dB under an IM73A135's EIN (§2: +0.2 dB on its noise).
    public static let chamberAmbient = 8.0
    public static let soundSourceIdentity = "SensorQual,SIM-DRIVER,SIM0002,1.0 (simulated chamber driver)"

    static var microphoneLot: [MicrophoneUnit] {
        var good = MicrophoneModel.im73a135
        good.acousticOverloadPoint = 136.5
        var marginal = MicrophoneModel.im73a135
        marginal.acousticOverloadPoint = 135.1
        marginal.signalToNoiseRatio = 72.4
        return [
            MicrophoneUnit(slot: "M1", chip: "im73a135", channel: 0, model: good),
            MicrophoneUnit(slot: "M2", chip: "im73a135", channel: 1, model: marginal),
            MicrophoneUnit(slot: "M3", chip: "inmp441", channel: 2, model: .inmp441),
            MicrophoneUnit(slot: "M4", chip: "inmp441", channel: 3, model: .inmp441),
        ]
    }

    static func chamber(microphones: [MicrophoneUnit], format: PCMStreamFormat, seed: UInt64) -> AcousticChamber {
        var slots = [AcousticChamber.Slot](repeating: .unused, count: format.channels)
        for (index, unit) in microphones.enumerated() {
            slots[unit.channel] = .dut(unit.model, seed: seed &* 7919 &+ UInt64(index) &+ 1)
        }
        slots[format.channels - 1] = .reference(.referenceQuarterInch, seed: seed &* 7919 &+ 99)
        // The parameters are fixed and valid: a failure here is a programming error, not input.
        do {
            return try AcousticChamber(sampleRate: Double(format.sampleRate), slots: slots, seed: seed,
                                       ambientLevel: chamberAmbient)
        } catch {
            preconditionFailure("the simulated chamber's fixed set-up is invalid: \(error)")
        }
    }

    /// The rig file's audio part: the chamber stream (through `alsaConfig`, the chamber feed's ALSA configuration),
    /// the microphones, the reference microphone with its certificate, and the sound source.
    func audioRigFile(alsaConfig: String, due: String, soundSourceLink: String) -> (references: String, sections: String) {
        let reference = chamber.referenceCertificate ?? MicrophoneModel.referenceQuarterInch.sensitivity
        let references = """
          - id: refmic
            kind: reference-microphone
            link: audio:\(Self.audioInterface)/\(referenceChannel)
            model: Simulated 1/4-inch free-field measurement microphone
            sensitivity_dbv: \(String(format: "%.3f", reference))
            certificate: {id: SIM-CAL-2026-0002, expanded_uncertainty_db: 0.2, coverage_factor: 2, due: \(due)}

        """ + (soundSourceLink == "manual" ? """
          - id: calibrator
            kind: sound-source
            link: manual
            model: Simulated class-1 acoustic calibrator, 94 dB SPL at 1 kHz
            certificate: {id: SIM-CAL-2026-0003, expanded_uncertainty_db: 0.2, coverage_factor: 2, due: \(due)}
            operator_timeout_s: 600

        """ : """
          - id: driver
            kind: sound-source
            link: \(soundSourceLink)
            model: Simulated chamber driver

        """)
        var sections = """
        chamber_ambient_dba: \(Self.chamberAmbient)
        audio:
          - id: \(Self.audioInterface)
            pcm: chamber
            alsa_config: \(alsaConfig)
            format: \(audioFormat.sample.rawValue)
            rate_hz: \(audioFormat.sampleRate)
            channels: \(audioFormat.channels)
            full_scale_v_peak: \(Self.adcFullScaleVolts)
        microphones:

        """
        for unit in microphones {
            sections += "  - {id: \(unit.slot), chip: \(unit.chip), audio: \(Self.audioInterface), channel: \(unit.channel)}\n"
        }
        return (references, sections)
    }
}

extension SimulatedRig {
    /// A hand-held calibrator on the simulated rig: when the run asks for it on a microphone, the chamber plays the
    /// calibrator's tone at its true level (its certificate's; the chamber driver's gain error taken out), and
    /// stops when the run asks for quiet.
    public func calibrator(model: String) -> AcousticCalibrator {
        let chamber = self.chamber
        return AcousticCalibrator(model: model) { spl in
            if let spl {
                try? chamber.setTone(frequency: 1000, spl: spl - chamber.sourceGainError)
            } else {
                chamber.silence()
            }
        }
    }
}

/// The simulated chamber's driver as the rig's sound source: commands go straight to the chamber, which applies
/// them from the next frame it renders (with its gain error: the reference microphone measures the truth).
public final class SimulatedSoundSource: SoundSource {
    let chamber: AcousticChamber
    public var identity: String { SimulatedRig.soundSourceIdentity }

    public init(chamber: AcousticChamber) { self.chamber = chamber }

    public func play(frequency: Double, spl: Double) throws {
        do throws(AcousticChamber.SetupError) { try chamber.setTone(frequency: frequency, spl: spl) } catch {
            throw InstrumentError(.refused(error.description), instrument: identity, command: "play")
        }
    }

    public func silence() throws { chamber.silence() }
    public func close() { chamber.silence() }
}
