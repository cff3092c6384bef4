import Foundation
import SensorIO
import Testing
@testable import Qualification

/// The acoustic parts of the rig file, the catalog and the plans: what loads, and what a technician is told when a
/// file is wrong.
@Suite struct AcousticConfigurationTests {
    static let rig = """
        rig: mic-bench
        chamber_ambient_dba: 10
        audio:
          - id: tdm
            pcm: hw:1,0
            format: S32_LE
            rate_hz: 48000
            channels: 4
            full_scale_v_peak: 2.0
        microphones:
          - {id: M1, chip: im73a135, audio: tdm, channel: 0}
          - {id: M2, chip: inmp441, audio: tdm, channel: 1}
        references:
          - id: ref
            kind: reference-microphone
            link: audio:tdm/3
            model: GRAS 46BE
            sensitivity_dbv: -48.7
            certificate: {id: C-9, expanded_uncertainty_db: 0.2, coverage_factor: 2, due: 2099-01-01}
          - id: spk
            kind: sound-source
            link: alsa:plughw:2,0
            model: coupler driver
            full_scale_db_spl: 145
        """

    @Test func microphoneRigLoads() throws {
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: Self.rig, name: "rig.yaml", catalog: catalog)
        #expect(rig.slots.isEmpty && rig.buses.isEmpty)
        #expect(rig.microphones.map(\.id) == ["M1", "M2"])
        #expect(rig.audioInterfaces.first?.format == PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 4))
        #expect(rig.audioInterfaces.first?.fullScaleVoltsPeak == 2.0)
        #expect(rig.chamberAmbientDBA == 10)
        let reference = try #require(rig.reference(kind: "reference-microphone"))
        #expect(reference.audioChannel?.interface == "tdm" && reference.audioChannel?.channel == 3)
        #expect(reference.certificate?.unit == "dB" && reference.certificate?.expandedUncertainty == 0.2)
        #expect(rig.reference(kind: "sound-source")?.certificate == nil)
        #expect(rig.slotIDs(sensorClass: "acoustic", catalog: catalog) == ["M1", "M2"])
    }

    /// Each broken rig file names its line and says what is wrong.
    @Test(arguments: [
        ("channel: 1}", "channel: 0}", 12, "already used"),
        ("channels: 4", "channels: 2", 16, "channel 3"),
        ("chip: inmp441", "chip: bmp390", 12, "is a pressure sensor"),
        ("format: S32_LE", "format: S20_LE", 6, "format must be one of"),
        ("    sensitivity_dbv: -48.7\n", "", 14, "sensitivity_dbv"),
        ("expanded_uncertainty_db", "expanded_uncertainty_pa", 19, "expanded_uncertainty_db"),
        ("link: alsa:plughw:2,0", "link: manual", 22, "hand-held calibrator (link manual) states its certificate"),
        ("\n    full_scale_db_spl: 145", "", 20, "full_scale_db_spl"),
        ("    full_scale_v_peak: 2.0\n", "", 15, "full_scale_v_peak"),
        ("link: alsa:plughw:2,0", "link: sim:driver\n    certificate: {id: X, expanded_uncertainty_db: 0.1, coverage_factor: 2, due: 2099-01-01}",
         23, "only a hand-held calibrator"),
    ] as [(String, String, Int, String)])
    func brokenRigFilesSayWhere(_ find: String, _ replace: String, _ line: Int, _ reason: String) throws {
        let text = Self.rig.replacingOccurrences(of: find, with: replace)
        do {
            _ = try Rig.parse(text: text, name: "rig.yaml", catalog: try Repository.catalog())
            Issue.record("accepted a rig file with \(replace)")
        } catch let error as ConfigurationError {
            #expect(error.file == "rig.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }

    @Test func shippedMicrophonePlansLoad() throws {
        let full = try Plan.load(path: Repository.root + "/plans/mic-full.yaml")
        #expect(full.sensorClass == "acoustic" && full.acquisition == nil)
        #expect(full.acoustic == Plan.AcousticStimulus(toneHz: 1000, settle: 0.5))
        #expect(full.measuredMetrics == ["snr", "aop"])
        guard case .overload(let sweep) = full.steps[3] else { Issue.record("fourth step is not the overload sweep"); return }
        #expect(sweep.levels.count == 31 && sweep.levels.first == 110 && sweep.levels.last == 140)
        // 2.5 + 2 × 2.5 + 10.5 + 31 × 1.5 s
        #expect(abs(full.plannedDuration - 64.5) < 1e-9)
        #expect(try Plan.load(path: Repository.root + "/plans/mic-sensitivity.yaml").measuredMetrics.isEmpty)
        #expect(try Plan.load(path: Repository.root + "/plans/mic-noise.yaml").measuredMetrics == ["snr"])
        #expect(try Plan.load(path: Repository.root + "/plans/mic-aop.yaml").measuredMetrics == ["aop"])
        let catalog = try Repository.catalog()
        #expect(catalog.chip("im73a135")?.microphoneOutput == .analog)
        #expect(catalog.chip("inmp441")?.microphoneOutput == .digital)
    }

    @Test(arguments: [
        ("duration_s: 10}", "duration_s: 1}", 8, "at least 3.0 s"),
        ("step_db: 1", "step_db: 0", 9, "rises"),
        ("stop_above_thd_percent: 20", "stop_above_thd_percent: 5", 9, "past 10 %"),
        ("spl_db: [94, 105]", "spl_db: [94, 175]", 7, "outside 40–160"),
        ("- noise: {duration_s: 10}", "- {noise: {duration_s: 10}, sensitivity: {duration_s: 2}}", 8, "exactly one of"),
    ] as [(String, String, Int, String)])
    func brokenMicrophonePlansSayWhere(_ find: String, _ replace: String, _ line: Int, _ reason: String) throws {
        let text = try String(contentsOfFile: Repository.root + "/plans/mic-full.yaml", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: "\n")
            .replacingOccurrences(of: find, with: replace)
        do {
            _ = try Plan.parse(text: text, name: "mic.yaml")
            Issue.record("accepted a plan with \(replace)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }
}
