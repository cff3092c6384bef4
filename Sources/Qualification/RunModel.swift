import SensorDrivers
import SensorIO
import SensorMetrics

/// Where a run is in its life (DESIGN.md §1).
public enum RunState: String, Sendable, Codable, CaseIterable {
    case queued, probing, warming, measuring
    /// The run waits for the technician: a manual reading, the calibrator, a field to set, a cylinder to connect.
    case waitingForOperator = "waiting-for-operator"
    case analysing, done, failed, cancelled, interrupted

    public var isFinal: Bool { [.done, .failed, .cancelled, .interrupted].contains(self) }
}

/// What a technician asks for when starting a run.
public struct RunRequest: Sendable {
    public var id: String
    public var plan: Plan
    public var spec: SpecProfile
    /// Slot ids, in rig order.
    public var slots: [String]
    public var lot: String?
    /// Serial numbers by slot id, as written on the parts.
    public var serials: [String: String]
    public var operatorName: String?

    public init(id: String, plan: Plan, spec: SpecProfile, slots: [String], lot: String?, serials: [String: String],
                operatorName: String?) {
        self.id = id
        self.plan = plan
        self.spec = spec
        self.slots = slots
        self.lot = lot
        self.serials = serials
        self.operatorName = operatorName
    }
}

/// Something that happened in a run, for watchers.
public enum RunEvent: Sendable {
    case state(RunState)
    case step(index: Int, count: Int, name: String)
    /// Run-clock seconds elapsed against the plan's duration.
    case progress(elapsed: Double, planned: Double)
    case dutLost(slot: String, reason: String)
    /// A lost DUT answered a re-probe as the same unit, was configured again and is read again; `outage` is the
    /// outage it ended (its `returnSummary` is the text for watchers).
    case dutReturned(slot: String, outage: DUTOutage)
    /// The run waits for a technician to set the pressure and submit the reference reading (`setpoint`), or
    /// has got it (nil).
    case referenceRequest(setpoint: Double?)
    /// The run waits for a technician to fit (or remove) the hand-held calibrator, or has got the answer (nil).
    case calibratorRequest(AcousticCalibrator.Request?)
    /// The run waits for a technician to set the coil to a field (µT) and submit the reference magnetometer's
    /// reading, or has got it (nil).
    case fieldRequest(FieldVector?)
    /// The run waits for a technician to connect a certified mixture of `ppm` of a gas (0: zero air) and submit its
    /// certified concentration, or has got it (nil).
    case gasRequest(GasRequest?)
    /// The run paused because a reference instrument stopped answering, and asks the technician to check it and
    /// resume; or has been resumed (nil).
    case referenceSilent(ReferenceSilence?)

    /// true for a request to the technician, false for its answer, nil for any other event: the run is in the
    /// `waitingForOperator` state between the two.
    public var operatorWait: Bool? {
        switch self {
        case .referenceRequest(let setpoint): setpoint != nil
        case .calibratorRequest(let request): request != nil
        case .fieldRequest(let field): field != nil
        case .gasRequest(let request): request != nil
        case .referenceSilent(let silence): silence != nil
        case .state, .step, .progress, .dutLost, .dutReturned: nil
        }
    }
}

/// A reference instrument that stopped answering mid-run: which, why, and what the technician is asked to do.
public struct ReferenceSilence: Sendable, Equatable {
    /// The rig file's reference id, e.g. `pc1`.
    public var reference: String
    public var model: String
    public var link: String
    /// The failed exchange: the link, the command and the cause.
    public var error: String

    /// What the technician reads in `sensorqual watch` and `systemctl status`.
    public var prompt: String {
        "reference \(reference) (\(model), \(link)) is not answering (\(error)); check its power, cable and remote mode, "
            + "then: sensorqual reference resume (or sensorqual cancel)"
    }
}

/// A gas the technician is asked to connect: `ppm` of `gas` (0: zero air).
public struct GasRequest: Sendable, Equatable {
    public var gas: String
    public var ppm: Double
}

/// Counters that say whether the data can be trusted (DESIGN.md §3: overflow is never silent).
public struct DataIntegrity: Sendable, Codable, Equatable {
    /// Conversions read and kept or discarded by plan (warm-up, settling).
    public var samples = 0
    /// STATUS polls that found no new conversion yet and were retried.
    public var notReadyPolls = 0
    /// Conversions never read: the chip overwrote them or never signalled ready.
    public var missedSamples = 0
    /// Transfers that failed (each is logged with its errno).
    public var busErrors = 0
    /// How late after its deadline each read started, µs.
    public var latenessMeanMicroseconds = 0.0
    public var latenessMaxMicroseconds = 0.0
    /// Scheduled reads that started more than one conversion period late: the bus thread fell behind.
    public var overruns = 0
    /// Standard deviation of the interval between consecutive readings about the nominal period, µs
    /// (data-ready edge timestamps where the line is wired, else the read times).
    public var intervalJitterMicroseconds = 0.0
    /// Where the DUT's readings come from: `data-ready line gpiochip0:17` or `status polling`.
    public var dataReadySource: String?
    /// Audio: capture overruns (ALSA xruns) on the DUT's interface; each lost a stretch of samples.
    public var xruns = 0
    /// Audio: samples at or beyond digital full scale (acoustic.md §5.8), over the whole run.
    public var clippedSamples = 0

    public init() {}

    public var isClean: Bool { missedSamples == 0 && busErrors == 0 }
}

/// A figure with its uncertainty, the limit it was checked against, the rule and the verdict.
public struct QualifiedFigure: Sendable, Codable, Equatable {
    public var metric: String
    public var value: UncertainValue
    public var limit: SpecLimit?
    public var rule: DecisionRule?
    /// nil for figures that are reported, not judged.
    public var verdict: Verdict?
    /// The conditions the figure holds under.
    public var conditions: String
}

extension QualifiedFigure {
    /// A figure of `sensorClass` judged against `limit` (the spec's for it, or nil: reported, not judged) under the
    /// limit's decision rule (its own, else the profile's).
    init(_ metric: String, _ value: UncertainValue, sensorClass: String, limit: SpecLimit?, spec: SpecProfile, conditions: String) {
        let rule = spec.decisionRule(sensorClass: sensorClass, metric: metric)
        self.init(metric: metric, value: value, limit: limit, rule: limit.map { _ in rule },
                  verdict: limit?.verdict(for: value.value, expandedUncertainty: value.expandedUncertainty, rule: rule),
                  conditions: conditions)
    }
}

/// Measurement conditions of one DUT, stated beside every figure (sensors.md §8.2).
public struct PressureConditions: Sendable, Codable, Equatable {
    public var outputDataRateHz: Double
    public var pressureOversampling: Int
    public var temperatureOversampling: Int
    public var iirCoefficient: Int
    /// Chip-specific mode notes (`low-noise mode`, `P_SHIFT on`).
    public var notes: String?
    /// Mean chip temperature during the noise record, °C.
    public var temperatureC: Double?
    /// Largest quantization step seen, Pa.
    public var resolutionPa: Double?
}

extension PressureConditions {
    init(_ mode: PressureMode) {
        self.init(outputDataRateHz: mode.outputDataRate, pressureOversampling: mode.pressureOversampling,
                  temperatureOversampling: mode.temperatureOversampling, iirCoefficient: mode.iirCoefficient,
                  notes: mode.notes.isEmpty ? nil : mode.notes)
    }

    /// "ODR 25 Hz, OSR ×16 (T ×2), IIR 0, low-noise mode"
    var summary: String {
        String(format: "ODR %g Hz, OSR ×%d (T ×%d), IIR %d", outputDataRateHz, pressureOversampling,
               temperatureOversampling, iirCoefficient) + (notes.map { ", " + $0 } ?? "")
    }
}

/// The noise record of one oversampling mode (the `noise_by_mode` step).
public struct ModeNoise: Sendable, Codable, Equatable {
    /// The mode as the chip was put in it; nil when the chip refused it.
    public var conditions: PressureConditions?
    public var noise: PressureNoise.Result?
    /// Why the mode was not measured.
    public var skipped: String?
}

/// The result for one slot.
public struct DUTOutcome: Sendable, Codable, Equatable {
    public var slot: String
    public var chip: String
    public var model: String
    public var bus: String
    /// The user-space-switched mux the slot sits behind, and its channel.
    public var mux: String?
    public var muxChannel: Int?
    /// The I2C address; nil for a microphone, which sits on `bus` (its audio interface) at `audioChannel`.
    public var address: I2CAddress?
    public var audioChannel: Int?
    public var serial: String?
    /// The chip's id register as read at probe, "0x60".
    public var idRegisterValue: String?
    /// The NVM calibration bytes as hex: with the serial, what identifies the unit.
    public var calibrationBytes: String?
    public var conditions: PressureConditions?
    /// Set when the slot is lost (at the end of the run: it ended lost): why, with the errno where there was one.
    public var lost: String?
    /// Every stretch of the run during which the DUT did not answer, in order; the last is open when the DUT ended
    /// lost. nil when it always answered (schema 5).
    public var outages: [DUTOutage]? = nil
    public var noise: PressureNoise.Result?
    /// Noise at each oversampling mode, when the plan asked for it.
    public var noiseByMode: [ModeNoise]?
    public var accuracy: PressureAccuracy.Result?
    /// A microphone's sensitivity, noise, distortion and overload records.
    public var acoustic: MicrophoneMeasurements?
    /// A magnetometer's noise record and field steps.
    public var magnetic: MagneticMeasurements? = nil
    /// A gas sensor's blank, exposures and figures.
    public var gas: GasMeasurements? = nil
    /// What the plan asked for that this DUT did not deliver (lost mid-run, run cancelled), and why.
    public var missing: [String] = []
    public var figures: [QualifiedFigure]
    /// The worst verdict of the judged figures; nil when the DUT was not measured.
    public var verdict: Verdict?
    public var integrity: DataIntegrity
    /// Every reading of the run, as `raw/<slot>.sqraw` relative to the run folder (docs/raw-capture.md); a
    /// microphone's recordings as the folder `audio/<slot>` of WAV files.
    public var rawCapture: String?
    /// The same readings as CSV, `raw/<slot>.csv` (schema 4).
    public var csvCapture: String? = nil
}

/// One plan step as it was carried out.
public struct StepRecord: Sendable, Codable, Equatable {
    public var name: String
    public var plannedSeconds: Double
    public var actualSeconds: Double
    public var detail: String
}

/// Everything a run produced, from which the report is written.
public struct RunOutcome: Sendable, Codable, Equatable {
    public var id: String
    public var state: RunState
    public var planName: String
    public var specName: String
    public var simulated: Bool
    /// Seconds on the run clock from start to end (simulated seconds on the simulated rig).
    public var runSeconds: Double
    public var steps: [StepRecord]
    public var duts: [DUTOutcome]
    public var referenceIdentity: String?
    public var error: String?

    /// The worst DUT verdict; nil if no DUT was judged.
    public var verdict: Verdict? { Verdict.combined(duts.compactMap(\.verdict)) }
    /// Whether every DUT was measured and judged, or fully measured where the spec only asks for figures to be
    /// reported (miit-2020's gas sensors).
    public var isComplete: Bool {
        state == .done && duts.allSatisfy { dut in
            dut.verdict != nil || (dut.lost == nil && dut.missing.isEmpty && !dut.figures.isEmpty && dut.figures.allSatisfy { $0.limit == nil })
        }
    }
}
