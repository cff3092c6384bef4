import Foundation
import SensorDrivers
import SensorIO
import SensorSim
import Testing
@testable import Qualification

/// The microphone run engine in-process, on a chamber of the test's own through the real ALSA capture path: what
/// a narrow, coarse capture and a noisy chamber do to the figures (acoustic.md §2, §5.5, §5.7).
@Suite struct MicrophoneRunEngineTests {
    /// A rig connector with nothing but the test's chamber as its sound source; the capture is ALSA's.
    struct ChamberConnector: RigConnector {
        let chamber: AcousticChamber
        var clock: any RigClock { MonotonicClock() }
        var isSimulated: Bool { true }
        func openBus(_ bus: Rig.Bus) throws -> any I2CTransport { throw CocoaError(.featureUnsupported) }
        func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference { throw CocoaError(.featureUnsupported) }
        func openDataReadyLine(_ line: Rig.GPIOLineReference) throws -> any DataReadyLine { throw CocoaError(.featureUnsupported) }
        func openPowerLine(_ line: Rig.GPIOLineReference) throws -> any PowerSwitch { throw CocoaError(.featureUnsupported) }
        func openSoundSource(_ reference: Rig.Reference) throws -> any SoundSource { SimulatedSoundSource(chamber: chamber) }
    }

    /// An I2S microphone captured as 16-bit at 16 kHz (a PDM voice set-up) in a chamber only 3 dB quieter than the
    /// microphone: the SNR covers 20 Hz–8 kHz and is reported as `snr-band-limited`, never judged, so the part gets
    /// no verdict; the 16-bit floor and the ambient margin are warned about.
    @Test func narrowCoarseCaptureIsFlaggedNotJudged() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sensorqual-mic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let chamber = try AcousticChamber(sampleRate: 16_000, slots: [.dut(.inmp441, seed: 5), .reference(.referenceQuarterInch, seed: 6)],
                                          seed: 7, ambientLevel: 30)
        let format = PCMStreamFormat(sample: .s16, sampleRate: 16_000, channels: 2)
        let feed = try ChamberFeed(chamber: chamber, format: format, folder: folder)
        defer { feed.stop() }
        try feed.alsaConfiguration(pcmName: "voice").write(toFile: folder + "/asound.conf", atomically: true, encoding: .utf8)
        feed.start()
        let rig = try Rig.parse(text: """
            rig: voice-bench
            chamber_ambient_dba: 30
            audio:
              - {id: pdm, pcm: voice, alsa_config: \(folder)/asound.conf, format: S16_LE, rate_hz: 16000, channels: 2, full_scale_v_peak: 5.0}
            microphones:
              - {id: V1, chip: inmp441, audio: pdm, channel: 0}
            references:
              - id: ref
                kind: reference-microphone
                link: audio:pdm/1
                model: 1/4-inch
                sensitivity_dbv: \(try #require(chamber.referenceCertificate))
                certificate: {id: C, expanded_uncertainty_db: 0.2, coverage_factor: 2, due: 2099-01-01}
              - {id: src, kind: sound-source, link: sim:sound-source, model: driver}
            """, name: "voice.yaml", catalog: try Repository.catalog())
        let plan = try Plan.load(path: Repository.root + "/plans/mic-noise.yaml")
        let spec = try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml")
        let request = RunRequest(id: "v", plan: plan, spec: spec, slots: ["V1"], lot: nil, serials: [:], operatorName: nil)
        let outcome = MicrophoneRunEngine(request: request, rig: rig, catalog: try Repository.catalog(),
                                          connector: ChamberConnector(chamber: chamber), cancellation: RunCancellation(),
                                          events: { _ in }).run()
        #expect(outcome.state == .done, "\(outcome.error ?? "")")
        let dut = try #require(outcome.duts.first)
        let m = try #require(dut.acoustic)
        #expect(m.noise?.isBandLimited == true && m.noise?.bandHighHz == 8000)
        #expect(dut.figures.contains { $0.metric == "snr-band-limited" && $0.verdict == nil })
        #expect(!dut.figures.contains { $0.metric == "snr" })
        #expect(dut.verdict == nil)   // the spec's SNR limit was not judged: no verdict, never a silent pass
        #expect(m.warnings.contains { $0.hasPrefix("16-bit capture") })
        #expect(m.warnings.contains { $0.hasPrefix("fs = 16000 Hz < 40 kHz") })
        // EIN 33 dB SPL(A) over 30 dB SPL(A) of ambient: about 3 dB of margin, which adds about 1.8 dB.
        let margin = try #require(m.noise?.ambientMarginDB)
        #expect(margin < 10 && m.warnings.contains { $0.contains("ambient is only") }, "\(margin) dB, \(m)")
        #expect(abs(try #require(m.noise?.ambientErrorDB) - 10 * log10(1 + pow(10, -margin / 10))) < 1e-9)
        // The sensitivity still holds: the unit's own, through the reference microphone, to ±0.1 dB at 16 bits.
        let unit = try #require(chamber.microphones[0])
        #expect(abs(try #require(m.sensitivity).dBFS.value - unit.sensitivity) < 0.1)
    }
}
