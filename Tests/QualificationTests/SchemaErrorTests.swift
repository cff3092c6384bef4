import Foundation
import Testing
@testable import Qualification

/// Each file type's schema, one broken thing at a time: a small valid file (taken from the shipped rig in README.md,
/// plans/, specs/ and Devices/), one edit, and the file, line and reason the loader must report. Cases cover an
/// unknown key, a wrong unit (or a unit typed into a number), an out-of-range value, a reference to something
/// missing, and YAML syntax, for the rig, the class plans, the rig plan, the spec profile and a catalog chip file.
@Suite struct SchemaErrorTests {
    /// One edit of a base file and what the loader must say about it.
    struct Break: Sendable, CustomTestStringConvertible {
        var from: String
        var to: String
        var line: Int?
        var fragment: String
        var base: PlanBase = .pressure
        /// Rig plans: the error is found when the parts are loaded, not when the file is parsed.
        var atLoad = false

        init(_ from: String, _ to: String, _ line: Int?, _ fragment: String, base: PlanBase = .pressure, atLoad: Bool = false) {
            self.from = from
            self.to = to
            self.line = line
            self.fragment = fragment
            self.base = base
            self.atLoad = atLoad
        }

        /// `from` that replaces the whole file.
        static let wholeFile = "<whole file>"

        var testDescription: String {
            "\(from.prefix(40)) → \(to.prefix(60))".replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\t", with: "⇥")
        }

        func apply(to text: String) throws -> String {
            if from == Self.wholeFile { return to }
            let parts = text.components(separatedBy: from)
            try #require(parts.count == 2, "'\(from)' must occur exactly once in the base")
            return parts.joined(separator: to)
        }
    }

    enum PlanBase: Sendable { case pressure, acoustic, magnetic, gas }

    static func expect(_ error: ConfigurationError?, file: String, _ edit: Break, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error else {
            Issue.record("accepted: \(edit.testDescription)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.file == file, sourceLocation: sourceLocation)
        #expect(error.line == edit.line, "\(error)", sourceLocation: sourceLocation)
        #expect(error.reason.contains(edit.fragment), "\(error)", sourceLocation: sourceLocation)
    }

    // MARK: - Rig

    /// README.md's rig, cut down: a user-space mux, a pressure controller, a reference microphone, a manual gas
    /// line, GPIO lines, a fluxgate, an audio interface and a microphone.
    static let rig = """
        rig: bench
        buses:
          - id: b1
            device: /dev/i2c-1
            muxes:
              - {id: m0, chip: tca9548a, address: 0x70}
        references:
          - id: pc1
            kind: pressure-controller
            link: scpi-tcp://192.0.2.20:5025
            scpi: {dialect: mensor-cpc6000, timeout_s: 5}
            model: Mensor CPC6050
            range_pa: [2000, 120000]
            certificate: {id: CAL-1, expanded_uncertainty_pa: 8, coverage_factor: 2, due: 2099-05-31}
            head_height_m: 0.12
          - id: refmic
            kind: reference-microphone
            link: audio:tdm/7
            model: GRAS 46BE
            sensitivity_dbv: -48.93
            certificate: {id: CAL-2, expanded_uncertainty_db: 0.2, coverage_factor: 2, due: 2099-03-31}
          - id: mix-co2
            kind: gas-mixer
            link: manual
            model: 10 000 ppm CO2 in air
            mixer: {gas: co2, cylinder_ppm: 10000, total_flow_l_per_min: 1, chamber_volume_l: 0.1}
            certificate: {id: CYL-1, expanded_uncertainty_percent: 1, coverage_factor: 2, due: 2099-06-30}
        slots:
          - {id: S1, bus: b1, mux: {id: m0, channel: 0}, address: 0x76, chip: bmp390,
             data_ready: {chip: gpiochip0, line: 17}, power: {chip: gpiochip0, line: 22}}
          - {id: S2, bus: b1, address: 0x77, chip: dps310}
          - {id: B5, bus: b1, address: 0x40, chip: fluxgate-ads122c04,
             fluxgate: {volts_per_ut: [0.04, 0.04, 0.04], zero_v: [0, 0, 0], inputs: [0, 1, 2], gain: 1}}
        audio:
          - {id: tdm, pcm: "hw:CARD=Rig,DEV=0", format: S32_LE, rate_hz: 48000, channels: 8, full_scale_v_peak: 2.0}
        microphones:
          - {id: M1, chip: im73a135, audio: tdm, channel: 0}
        chamber_ambient_dba: 12
        """

    static let rigBreaks: [Break] = [
        // Unknown keys.
        Break("address: 0x77, chip: dps310}", "address: 0x77, adress: 0x77, chip: dps310}", 31, "slots[1].adress: unknown key 'adress'"),
        Break("{id: m0, chip: tca9548a, address: 0x70}", "{id: m0, chip: tca9548a, address: 0x70, channels: 8}", 6,
              "buses[0].muxes[0].channels: unknown key 'channels'"),
        Break("chamber_ambient_dba: 12", "chamber_ambient_db: 12", 38, "chamber_ambient_db: unknown key 'chamber_ambient_db'"),
        // Wrong units.
        Break("expanded_uncertainty_pa: 8", "expanded_uncertainty_ut: 8", 14, "reference pc1: an acoustic certificate states "
              + "expanded_uncertainty_db, a pressure reference's expanded_uncertainty_pa (not µT)"),
        Break("expanded_uncertainty_db: 0.2", "expanded_uncertainty_pa: 0.2", 21,
              "reference refmic: an acoustic certificate states expanded_uncertainty_db"),
        Break("expanded_uncertainty_pa: 8,", "expanded_uncertainty_pa: 8, expanded_uncertainty_db: 0.1,", 14,
              "a certificate states one expanded uncertainty (expanded_uncertainty_pa, _db, _percent or _ut), not Pa and dB"),
        Break("expanded_uncertainty_percent: 1", "expanded_uncertainty_pa: 100", 22,
              "gas mixer mix-co2: the cylinder's certificate states expanded_uncertainty_percent"),
        Break("range_pa: [2000, 120000]", "range_pa: [20 hPa, 1200 hPa]", 13, "references[0].range_pa"),
        Break("head_height_m: 0.12", "head_height_m: 12 cm", 15, "references[0].head_height_m"),
        // Out of range.
        Break("mux: {id: m0, channel: 0}", "mux: {id: m0, channel: 8}", 29, "slot S1: mux channel 8 is not 0–7"),
        Break("address: 0x77, chip: dps310", "address: 0x80, chip: dps310", 31, "128 is not a 7-bit I2C address"),
        Break("{id: m0, chip: tca9548a, address: 0x70}", "{id: m0, chip: tca9548a, address: 0x20}", 6,
              "mux m0: a tca9548a answers at 0x70–0x77, not 0x20"),
        Break("gain: 1}", "gain: 3}", 33, "slot B5: gain is 1, 2 or 4 on single-ended inputs, not 3"),
        Break("channels: 8,", "channels: 17,", 35, "audio tdm: channels must be 1–16, not 17"),
        Break("rate_hz: 48000", "rate_hz: 4000", 35, "audio tdm: rate_hz 4000 is outside 8000–384000 Hz"),
        Break("audio: tdm, channel: 0}", "audio: tdm, channel: 8}", 37, "microphone M1: channel 8 is not in 0–7 of tdm"),
        Break("range_pa: [2000, 120000]", "range_pa: [120000, 2000]", 13, "reference pc1: range_pa is [low, high] in Pa with 0 ≤ low < high"),
        Break("coverage_factor: 2, due: 2099-05-31", "coverage_factor: 0, due: 2099-05-31", 14,
              "reference pc1: certificate uncertainty and coverage factor must be positive"),
        Break("due: 2099-05-31", "due: end of May", 14, "reference pc1: certificate due date 'end of May' is not YYYY-MM-DD"),
        Break("cylinder_ppm: 10000", "cylinder_ppm: -1", 26,
              "gas mixer mix-co2: cylinder_ppm, total_flow_l_per_min and chamber_volume_l must be positive"),
        Break("data_ready: {chip: gpiochip0, line: 17}", "data_ready: {chip: gpio0, line: 17}", 30,
              "slot S1: data_ready chip 'gpio0' is not gpiochipN, /dev/gpiochipN or sim:NAME"),
        Break("data_ready: {chip: gpiochip0, line: 17}", "data_ready: {chip: gpiochip0, line: -1}", 30, "slots[0].data_ready.line"),
        Break("chip: tca9548a", "chip: pca9545", 6, "mux m0: chip 'pca9545' is not one of tca9548a, pca9548, pca9548a"),
        // References to something missing, and duplicates.
        Break("{id: S2, bus: b1,", "{id: S2, bus: b2,", 31, "slot S2 names bus 'b2', which the rig does not have"),
        Break("mux: {id: m0, channel: 0}", "mux: {id: m1, channel: 0}", 29, "slot S1 names mux 'm1', which bus b1 does not have"),
        Break("chip: dps310}", "chip: dps311}", 31, "slot S2: chip 'dps311' is not in the catalog"),
        Break("audio: tdm, channel: 0}", "audio: i2s, channel: 0}", 37, "microphone M1 names audio interface 'i2s', which the rig does not have"),
        Break("link: audio:tdm/7", "link: audio:usb/7", 18, "reference refmic names audio interface 'usb', which the rig does not have"),
        Break("{id: S2,", "{id: S1,", 31, "slot id 'S1' is used twice"),
        Break("{id: M1,", "{id: B5,", 37, "slot id 'B5' is used twice"),
        Break("  - id: refmic", "  - id: pc1", 16, "reference id 'pc1' is used twice"),
        Break("      - {id: m0, chip: tca9548a, address: 0x70}",
              "      - {id: m0, chip: tca9548a, address: 0x70}\n      - {id: m0, chip: tca9548a, address: 0x71}", 7,
              "bus b1: mux id 'm0' is used twice"),
        Break("kind: pressure-controller", "kind: pressure-contoller", 9, "reference pc1: kind 'pressure-contoller' is not one of "
              + "pressure-controller, reference-microphone, sound-source, field-source, gas-mixer"),
        Break("slots:\n", """
              - id: mix-co2b
                kind: gas-mixer
                link: manual
                model: 5000 ppm CO2 in air
                mixer: {gas: co2, cylinder_ppm: 5000, total_flow_l_per_min: 1, chamber_volume_l: 0.1}
                certificate: {id: CYL-2, expanded_uncertainty_percent: 1, coverage_factor: 2, due: 2099-06-30}
            slots:

            """, 32, "gas mixer mix-co2b: gas co2 already has mixer mix-co2"),
        Break("power: {chip: gpiochip0, line: 22}", "power: {chip: gpiochip0, line: 17}", 30,
              "slot S1: GPIO gpiochip0:17 is already used by another slot"),
        // YAML syntax.
        Break("chip: dps310}", "chip: dps310", 32, "not valid YAML"),
        Break("    device: /dev/i2c-1", "\tdevice: /dev/i2c-1", 4, "not valid YAML"),
        Break(Break.wholeFile, "", 1, "the file is empty"),
    ]

    @Test(arguments: rigBreaks) func rigSchema(_ edit: Break) throws {
        let catalog = try Repository.catalog()
        let text = try edit.apply(to: Self.rig)
        var caught: ConfigurationError?
        do { _ = try Rig.parse(text: text, name: "bench.yaml", catalog: catalog) } catch { caught = error }
        Self.expect(caught, file: "bench.yaml", edit)
    }

    // MARK: - Class plans

    /// plans/pressure-basic.yaml, mic-full.yaml, mag-full.yaml (two chips) and gas-steps.yaml, without comments.
    static let pressurePlan = """
        plan: pressure-basic
        class: pressure
        description: Warm-up, 10 min noise record at 101.325 kPa, 5-point sweep 30–110 kPa up and down
        acquisition:
          odr_hz: 25
          oversampling: 16
          iir: 0
          chips:
            lps22hh: {oversampling: 1}
            ms5611: {oversampling: 4096}
        steps:
          - warmup: {duration_s: 300}
          - noise: {duration_s: 600, setpoint_pa: 101325}
          - sweep:
              setpoints_pa: [30000, 50000, 70000, 90000, 110000]
              directions: up-down
              settle_timeout_s: 180
              settle_hold_s: 20
              dwell_s: 60
              reference_interval_s: 1
        """
    static let acousticPlan = """
        plan: mic-full
        class: acoustic
        stimulus: {tone_hz: 1000, settle_s: 0.5}
        steps:
          - sensitivity: {spl_db: 94, duration_s: 2}
          - distortion: {spl_db: [94, 105], duration_s: 2}
          - noise: {duration_s: 10}
          - overload: {from_db_spl: 110, to_db_spl: 140, step_db: 1, duration_s: 1, stop_above_thd_percent: 20}
        """
    static let magneticPlan = """
        plan: mag-full
        class: magnetic
        acquisition:
          odr_hz: 100
          chips:
            rm3100: {resolution: 200}
            lis3mdl: {odr_hz: 80, resolution: 3}
        steps:
          - warmup: {duration_s: 10}
          - noise: {duration_s: 200, band_hz: [0.1, 10], segment_s: 20}
          - field_steps: {axes: [x, y, z], levels_ut: [-40, -20, 0, 20, 40], settle_s: 1, dwell_s: 5}
        """
    static let gasPlan = """
        plan: gas-steps
        class: gas
        gas: co2
        baseline_ppm: 400
        acquisition:
          interval_s: 5
          asc: false
          ambient_pressure_pa: 101325
        steps:
          - warmup: {duration_s: 300}
          - blank: {duration_s: 150}
          - exposures: {levels_ppm: [800, 1000, 2000, 5000], exposure_s: 600, recovery_s: 600, final_window_s: 60}
          - repeats: {level_ppm: 1000, count: 5, exposure_s: 600, recovery_s: 600, final_window_s: 60}
        """

    static func planText(_ base: PlanBase) -> String {
        switch base {
        case .pressure: pressurePlan
        case .acoustic: acousticPlan
        case .magnetic: magneticPlan
        case .gas: gasPlan
        }
    }

    static let planBreaks: [Break] = [
        // Pressure: unknown keys.
        Break("  odr_hz: 25", "  odr: 25", 5, "acquisition.odr: unknown key 'odr'"),
        Break("{oversampling: 4096}", "{oversampling: 4096, osr: 2}", 10, "acquisition.chips.ms5611.osr: unknown key 'osr'"),
        Break("  - sweep:", "  - sweeps:", 14, "steps[2].sweeps: unknown key 'sweeps'"),
        // Pressure: units typed into numbers.
        Break("setpoint_pa: 101325", "setpoint_pa: 101 kPa", 13, "steps[1].noise.setpoint_pa"),
        Break("[30000, 50000, 70000, 90000, 110000]", "[30 kPa, 50 kPa, 70 kPa]", 15, "steps[2].sweep.setpoints_pa"),
        Break("warmup: {duration_s: 300}", "warmup: {duration_s: 5 min}", 12, "steps[0].warmup.duration_s"),
        // Pressure: out of range.
        Break("odr_hz: 25", "odr_hz: 0", 5, "odr_hz must be in (0, 1000] Hz, not 0.0"),
        Break("warmup: {duration_s: 300}", "warmup: {duration_s: -1}", 12, "warm-up duration must not be negative"),
        Break("{oversampling: 4096}", "{oversampling: 0}", 10, "oversampling must be ≥ 1"),
        Break("iir: 0", "iir: -1", 7, "iir must not be negative"),
        Break("setpoint_pa: 101325", "setpoint_pa: -5", 13, "setpoint_pa is an absolute pressure, Pa, above 0: not -5.0"),
        Break("[30000, 50000", "[0, 50000", 15, "setpoints_pa are absolute pressures, Pa, above 0: not 0.0"),
        Break("settle_hold_s: 20", "settle_hold_s: -20", 18, "settle_hold_s must not be negative, not -20.0"),
        Break("directions: up-down", "directions: down", 16, "directions must be 'up' or 'up-down'"),
        Break("{duration_s: 600, setpoint_pa", "{duration_s: 10, setpoint_pa", 13, "a noise record needs ≥ 1000 readings"),
        Break("[30000, 50000, 70000, 90000, 110000]", "[30000]", 15, "a sweep needs at least two distinct setpoints"),
        // Pressure: what another class reads, and a class that does not exist.
        Break("class: pressure", "class: presure", 2, "class 'presure' is not one of pressure, acoustic, magnetic, gas"),
        Break("  iir: 0", "  iir: 0\n  resolution: 200", 8,
              "acquisition.resolution is not a pressure setting: a pressure acquisition has odr_hz, oversampling, iir, low_noise"),
        Break("{oversampling: 1}", "{interval_s: 1}", 9, "acquisition.chips.lps22hh.interval_s is not a pressure setting"),
        Break("steps:\n", "stimulus: {tone_hz: 1000}\nsteps:\n", 11, "stimulus: a pressure plan has no stimulus section"),
        Break("- warmup: {duration_s: 300}", "- {warmup: {duration_s: 300}, blank: {duration_s: 10}}", 12,
              "steps[0].blank: a pressure step is exactly one of warmup, noise, noise_by_mode or sweep"),
        Break("setpoint_pa: 101325}", "setpoint_pa: 101325, band_hz: [0.1, 10]}", 13, "band_hz and segment_s belong to a magnetic noise record"),
        Break("  oversampling: 16\n", "", 5, "acquisition.oversampling is missing"),
        Break("[30000, 50000, 70000, 90000, 110000]", "[30000, 50000", 16, "not valid YAML"),

        // Acoustic.
        Break("settle_s: 0.5}", "settle: 0.5}", 3, "stimulus.settle: unknown key 'settle'", base: .acoustic),
        Break("{spl_db: 94, duration_s: 2}", "{spl_db: 94 dB, duration_s: 2}", 5, "steps[0].sensitivity.spl_db", base: .acoustic),
        Break("tone_hz: 1000", "tone_hz: 1 kHz", 3, "stimulus.tone_hz", base: .acoustic),
        Break("tone_hz: 1000", "tone_hz: 50000", 3, "tone_hz must be in 20–10 000 Hz, not 50000.0", base: .acoustic),
        Break("spl_db: [94, 105]", "spl_db: [94, 200]", 6, "200.0 dB SPL is outside 40–160 dB SPL", base: .acoustic),
        Break("stop_above_thd_percent: 20", "stop_above_thd_percent: 5", 8, "stop_above_thd_percent > 10", base: .acoustic),
        Break("from_db_spl: 110, to_db_spl: 140", "from_db_spl: 140, to_db_spl: 110", 8, "an overload sweep rises", base: .acoustic),
        Break("noise: {duration_s: 10}", "noise: {duration_s: 1}", 7, "a noise record needs at least 3.0 s, not 1.0", base: .acoustic),
        Break("settle_s: 0.5", "settle_s: -0.5", 3, "settle_s must not be negative", base: .acoustic),
        Break("steps:\n", "acquisition: {odr_hz: 48000}\nsteps:\n", 4,
              "acquisition: an acoustic plan has no acquisition section (it has plan, class, description, steps, stimulus)", base: .acoustic),
        Break("- noise: {duration_s: 10}", "- {noise: {duration_s: 10}, blank: {duration_s: 10}}", 7,
              "steps[2].blank: an acoustic step is exactly one of sensitivity, distortion, noise or overload", base: .acoustic),
        Break("noise: {duration_s: 10}", "noise: {duration_s: 10, band_hz: [20, 20000]}", 7,
              "band_hz and segment_s belong to a magnetic noise record", base: .acoustic),
        Break("noise: {duration_s: 10}", "noise: {duration_s: 10, setpoint_pa: 101325}", 7, "an acoustic noise step has no setpoint",
              base: .acoustic),

        // Magnetic.
        Break("{resolution: 200}", "{resolution: 200, cycle_count: 200}", 6, "acquisition.chips.rm3100.cycle_count: unknown key 'cycle_count'",
              base: .magnetic),
        Break("levels_ut: [-40, -20, 0, 20, 40]", "levels_ut: [-40 uT, 40 uT]", 11, "steps[2].field_steps.levels_ut", base: .magnetic),
        Break("band_hz: [0.1, 10]", "band_hz: [10, 0.1]", 10, "band_hz is [low, high] in Hz with 0 < low < high", base: .magnetic),
        Break("band_hz: [0.1, 10]", "band_hz: [0.1, 100]", 10, "must be below half the slowest chip's rate", base: .magnetic),
        Break("axes: [x, y, z]", "axes: [x, w]", 11, "axes are distinct names among x, y, z, not 'w'", base: .magnetic),
        Break("{resolution: 200}", "{resolution: -1}", 6, "resolution is a datasheet setting number, 0 or more, not -1", base: .magnetic),
        Break("odr_hz: 80", "odr_hz: 2000", 7, "odr_hz must be in (0, 1000] Hz, not 2000.0", base: .magnetic),
        Break("{duration_s: 200, band_hz", "{duration_s: 50, band_hz", 10, "a field noise record needs ≥ 100 s", base: .magnetic),
        Break("settle_s: 1, dwell_s: 5", "settle_s: 1, dwell_s: 0", 11, "dwell_s must be positive", base: .magnetic),
        Break("  odr_hz: 100", "  odr_hz: 100\n  oversampling: 16", 5, "acquisition.oversampling is not a magnetic setting", base: .magnetic),
        Break("- warmup: {duration_s: 10}", "- {warmup: {duration_s: 10}, noise_by_mode: {duration_s: 10}}", 9,
              "steps[0].noise_by_mode: a magnetic step is exactly one of warmup, noise or field_steps", base: .magnetic),

        // Gas.
        Break("  asc: false", "  asc: false\n  abc: true", 8, "acquisition.abc: unknown key 'abc'", base: .gas),
        Break("ambient_pressure_pa: 101325", "ambient_pressure_pa: 1013 hPa", 8, "acquisition.ambient_pressure_pa", base: .gas),
        Break("ambient_pressure_pa: 101325", "ambient_pressure_pa: 1013", 8, "ambient_pressure_pa 1013.0 is outside 30–120 kPa", base: .gas),
        Break("  asc: false", "  asc: false\n  humidity_percent: 120", 8, "humidity_percent must be 0–100", base: .gas),
        Break("baseline_ppm: 400", "baseline_ppm: -1", 4, "baseline_ppm must not be negative", base: .gas),
        Break("count: 5", "count: 3", 13, "repeatability needs count ≥ 5 exposures", base: .gas),
        Break("interval_s: 5", "interval_s: 0", 6, "interval_s must be in (0, 3600] s", base: .gas),
        Break("[800, 1000, 2000, 5000]", "[400, 1000, 2000, 5000]", 12,
              "levels_ppm are distinct positive concentrations other than the baseline", base: .gas),
        Break("final_window_s: 60}\n  - repeats", "final_window_s: 400}\n  - repeats", 12, "at least twice final_window_s", base: .gas),
        Break("- blank: {duration_s: 150}", "- blank: {duration_s: 0}", 11, "a blank needs a positive duration_s", base: .gas),
        Break("gas: co2\n", "", 1, "a gas plan names its gas", base: .gas),
        Break("gas: co2\n", "gas: co2\nstimulus: {tone_hz: 1000}\n", 4, "stimulus: a gas plan has no stimulus section", base: .gas),
        Break("  asc: false", "  asc: false\n  odr_hz: 1", 8, "acquisition.odr_hz is not a gas setting: a gas acquisition has "
              + "interval_s, asc, ambient_pressure_pa, temperature_c, humidity_percent", base: .gas),
        Break("- warmup: {duration_s: 300}", "- warmup: {duration_s: 300", 11, "not valid YAML", base: .gas),
    ]

    @Test(arguments: planBreaks) func planSchema(_ edit: Break) throws {
        let text = try edit.apply(to: Self.planText(edit.base))
        var caught: ConfigurationError?
        do { _ = try PlanFile.parse(text: text, name: "plan.yaml") } catch { caught = error }
        Self.expect(caught, file: "plan.yaml", edit)
    }

    // MARK: - Rig plans

    /// plans/rig-full.yaml with its parts one per line.
    static let rigPlan = """
        plan: rig-full
        class: rig
        description: Every slot of the rig in one run
        parts:
          - pressure-full
          - mic-full
          - mag-full
          - gas-steps
          - gas-lod
        """

    /// The repository's plans folder; `rig-other` stands for another rig plan.
    static func planPath(_ name: String) -> String? {
        if name == "rig-other" { return Repository.root + "/plans/rig-full.yaml" }
        let path = Repository.root + "/plans/" + name + ".yaml"
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static let rigPlanBreaks: [Break] = [
        Break("description:", "owner: lab 3\ndescription:", 3, "owner: unknown key 'owner'"),
        Break("parts:\n  - pressure-full\n  - mic-full\n  - mag-full\n  - gas-steps\n  - gas-lod", "parts: pressure-full", 4, "parts"),
        Break("parts:\n  - pressure-full\n  - mic-full\n  - mag-full\n  - gas-steps\n  - gas-lod", "parts: []", 4,
              "a rig plan names at least one part"),
        Break("  - gas-lod", "  - gas lod", 9, "part 'gas lod' is not a plan name (letters, digits, - and _)"),
        Break("  - gas-lod", "  - rig-full", 9, "a rig plan cannot name itself as a part"),
        Break("  - gas-lod", "  - mic-full", 9, "part 'mic-full' is named twice (also parts[1])"),
        Break("  - gas-lod", "  - gas-fast", 9, "parts[4]: no plan 'gas-fast' in the plan folders", atLoad: true),
        Break("  - gas-lod", "  - rig-other", 9, "parts[4]: 'rig-other' is itself a rig plan; parts are class plans", atLoad: true),
        Break("plan: rig-full\n", "", 1, "plan: required key is missing"),
        Break("  - gas-lod", "  - [gas-lod", 10, "not valid YAML"),
    ]

    @Test(arguments: rigPlanBreaks) func rigPlanSchema(_ edit: Break) throws {
        let text = try edit.apply(to: Self.rigPlan)
        var caught: ConfigurationError?
        do {
            let file = try PlanFile.parse(text: text, name: "rig-full.yaml")
            guard case .rig(let rigPlan) = file else { Issue.record("not read as a rig plan"); return }
            #expect(edit.atLoad, "the file parsed; the error was expected at parse time")
            _ = try rigPlan.loadParts(planPath: Self.planPath)
        } catch {
            caught = error
        }
        Self.expect(caught, file: "rig-full.yaml", edit)
    }

    // MARK: - Spec profiles

    /// specs/miit-2020.yaml, cut down to one limit of each kind.
    static let spec = """
        profile: miit-2020
        title: MIIT 2018–2020 AI industry plan, smart sensor targets
        decision_rule: guarded-acceptance
        limits:
          - {class: pressure, metric: absolute-accuracy, comparator: "+-", value: 100, unit: Pa}
          - {class: pressure, metric: rms-noise, comparator: "<=", value: 0.6, unit: Pa}
          - {class: acoustic, metric: aop, comparator: ">=", value: 135, unit: dB SPL}
          - {class: magnetic, metric: resolution, comparator: "<=", value: 1, unit: pT}
          - {class: gas, metric: lod, conditions: "measured and reported"}
        """

    static let specBreaks: [Break] = [
        Break("comparator: \"<=\", value: 0.6", "comparater: \"<=\", value: 0.6", 6, "limits[1].comparater: unknown key 'comparater'"),
        Break("decision_rule:", "version: 2\ndecision_rule:", 3, "version: unknown key 'version'"),
        Break("value: 0.6, unit: Pa", "value: 0.6, unit: dB", 6, "rms-noise is computed in Pa: unit must be one of Pa, hPa, kPa, mbar, not 'dB'"),
        Break("value: 135, unit: dB SPL", "value: 135, unit: Pa", 7, "aop is computed in dB SPL: unit must be one of dB SPL, not 'Pa'"),
        Break("value: 1, unit: pT", "value: 1, unit: ppm", 8, "resolution is computed in pT: unit must be one of"),
        Break("value: 0.6, unit: Pa", "value: 0.6 Pa, unit: Pa", 6, "limits[1].value"),
        Break("value: 100, unit: Pa", "value: -100, unit: Pa", 5, "a +- limit is a half-width above 0, not -100.0"),
        Break("value: 0.6,", "value: .inf,", 6, "value must be a finite number, not inf"),
        Break("metric: rms-noise", "metric: noise", 6, "class pressure has no metric 'noise' (it has absolute-accuracy, rms-noise)"),
        Break("class: gas", "class: humidity", 9, "unknown sensor class 'humidity'"),
        Break("decision_rule: guarded-acceptance", "decision_rule: optimism", 3, "decision_rule must be one of"),
        Break("comparator: \"<=\", value: 0.6", "comparator: \"<\", value: 0.6", 6, "comparator must be <=, >= or +-, not '<'"),
        Break("metric: rms-noise", "metric: absolute-accuracy", 6, "pressure absolute-accuracy already has a limit (limits[0])"),
        Break("metric: lod, conditions", "metric: lod, value: 1, unit: ppm, conditions", 9,
              "value and unit need a comparator (<=, >= or +-); a limit without one is measured and reported"),
        Break(", value: 1, unit: pT}", "}", 8, "a limit with a comparator needs value and unit"),
        Break("unit: pT}", "unit: pT", 9, "not valid YAML"),
    ]

    @Test(arguments: specBreaks) func specSchema(_ edit: Break) throws {
        let text = try edit.apply(to: Self.spec)
        var caught: ConfigurationError?
        do { _ = try SpecProfile.parse(text: text, name: "spec.yaml") } catch { caught = error }
        Self.expect(caught, file: "spec.yaml", edit)
    }

    // MARK: - Catalog chip files

    /// Devices/bmp390.yaml without comments and with three of its figures.
    static let chip = """
        chip: bmp390
        vendor: Bosch Sensortec
        model: BMP390
        class: pressure
        driver: bmp390
        datasheet: BST-BMP390-DS002 rev 1.7 (March 2021)
        addresses: [0x76, 0x77]
        identification:
          register: 0x00
          values: [0x60, 0x50]
        modes:
          oversampling: [1, 2, 4, 8, 16, 32]
          odr_hz: [200, 100, 50, 25, 12.5, 6.25, 3.1, 1.5, 0.78]
          iir: [0, 1, 3, 7, 15, 31, 63, 127]
        figures:
          - {name: pressure-range, min: 30000, max: 125000, unit: Pa}
          - {name: absolute-accuracy, value: 50, unit: Pa, kind: typical}
          - {name: rms-noise, value: 0.02, unit: Pa, kind: typical}
        """

    static let chipBreaks: [Break] = [
        Break("datasheet:", "figure_notes: see datasheet\ndatasheet:", 6, "figure_notes: unknown key 'figure_notes'"),
        Break("kind: typical}\n  - {name: rms", "knid: typical}\n  - {name: rms", 17, "figures[1].knid: unknown key 'knid'"),
        Break("value: 50, unit: Pa", "value: 50 Pa, unit: Pa", 17, "figures[1].value"),
        Break("value: 0.02, unit: Pa,", "value: 0.02,", 18, "figures[2].unit: required key is missing"),
        Break("addresses: [0x76, 0x77]", "addresses: [0x76, 0x80]", 7, "128 is not 7-bit"),
        Break("addresses: [0x76, 0x77]", "addresses: [0x76, 0x03]", 7, "0x03 is a reserved I2C address: devices use 0x08–0x77"),
        Break("addresses: [0x76, 0x77]", "addresses: [0x76, 0x76]", 7, "address 0x76 is listed twice"),
        Break("register: 0x00", "register: 0x100", 9, "'0x100' is not a byte"),
        Break("oversampling: [1, 2,", "oversampling: [0, 2,", 12, "modes.oversampling are factors of 1 or more, not 0"),
        Break("odr_hz: [200,", "odr_hz: [0,", 13, "modes.odr_hz are rates in Hz above 0, not '0'"),
        Break("min: 30000, max: 125000", "min: 125000, max: 30000", 16, "figure pressure-range: min 125000.0 is above max 30000.0"),
        Break("kind: typical}\n  - {name: rms", "kind: nominal}\n  - {name: rms", 17,
              "figure absolute-accuracy: kind is typical, minimum or maximum, not 'nominal'"),
        Break("value: 0.02, ", "", 18, "figure rms-noise states value, min or max"),
        Break("driver: bmp390", "driver: bmp999", 5, "driver 'bmp999' is not a pressure driver ("),
        Break("class: pressure", "class: barometer", 4, "class 'barometer' is not one of pressure, acoustic, magnetic, gas"),
        Break("chip: bmp390", "chip: bmp388", 1, "chip 'bmp388' must live in bmp388.yaml"),
        Break("class: pressure", "class: gas", 1, "gas_signals: required key is missing"),
        Break("addresses: [0x76, 0x77]", "addresses: [0x76, 0x77", 8, "not valid YAML"),
    ]

    @Test(arguments: chipBreaks) func chipSchema(_ edit: Break) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/bmp390.yaml"
        try edit.apply(to: Self.chip).write(toFile: path, atomically: true, encoding: .utf8)
        var caught: ConfigurationError?
        do { _ = try ChipCatalog.chip(path: path) } catch { caught = error }
        Self.expect(caught, file: path, edit)
    }

    /// Every base loads as it is, so each case's error is its own edit's.
    @Test func basesLoad() throws {
        let catalog = try Repository.catalog()
        _ = try Rig.parse(text: Self.rig, name: "bench.yaml", catalog: catalog)
        for base in [PlanBase.pressure, .acoustic, .magnetic, .gas] { _ = try Plan.parse(text: Self.planText(base), name: "plan.yaml") }
        guard case .rig(let rigPlan) = try PlanFile.parse(text: Self.rigPlan, name: "rig-full.yaml") else {
            Issue.record("the rig plan base is not a rig plan")
            return
        }
        #expect(try rigPlan.loadParts(planPath: Self.planPath).count == 5)
        _ = try SpecProfile.parse(text: Self.spec, name: "spec.yaml")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("schema-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.chip.write(toFile: folder + "/bmp390.yaml", atomically: true, encoding: .utf8)
        #expect(try ChipCatalog.chip(path: folder + "/bmp390.yaml").addresses.count == 2)
    }
}
