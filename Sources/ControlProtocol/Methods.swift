/// The methods and notifications of the control socket, and their params and results
/// (docs/protocol.md is the document; this file is its code).
public enum Method {
    public static let systemVersion = "system.version"
    public static let rigDescribe = "rig.describe"
    public static let devicesList = "devices.list"
    public static let runsStart = "runs.start"
    public static let runsStatus = "runs.status"
    public static let runsList = "runs.list"
    public static let runsCancel = "runs.cancel"
    public static let reportsGet = "reports.get"
    public static let referenceSubmit = "reference.submit"
    /// The technician has checked the reference instrument that stopped answering: the paused run goes on
    /// (`RunReference` → `RunStatus`).
    public static let referenceResume = "reference.resume"
    public static let watch = "watch"
    public static let unwatch = "unwatch"
    /// The run archive (every run of every daemon, from `<state dir>/archive.sqlite`): runs by lot, date and
    /// verdict; one unit's history; a lot's yield. Results are the Reports module's `ArchivedRunList`,
    /// `UnitHistory` and `LotYield` (docs/protocol.md §8.11–8.13).
    public static let archiveRuns = "archive.runs"
    public static let archiveUnit = "archive.unit"
    public static let archiveYield = "archive.yield"
}

/// Notifications the daemon sends without being asked.
public enum NotificationMethod {
    /// On connect: `HelloParams`.
    public static let hello = "hello"
    /// A run changed state: `RunEventParams`.
    public static let runState = "run.state"
    /// A run entered a plan step: `RunEventParams`.
    public static let runStep = "run.step"
    /// Run clock progress: `RunEventParams`.
    public static let runProgress = "run.progress"
    /// A DUT was lost: `RunEventParams`.
    public static let runDevice = "run.device"
    /// A run ended and its report is written: `RunStatus`.
    public static let runFinished = "run.finished"
    /// The run waits for a manual reference reading (`reference_pa` set), or has got it (absent).
    public static let runReference = "run.reference"
    /// Notifications were dropped for this connection: `{"dropped": N}`.
    public static let overflow = "overflow"
}

public struct HelloParams: Codable, Sendable, Equatable {
    public var server: String
    public var version: String
    public var `protocol`: ProtocolVersion
    public var rig: String
    public var simulated: Bool
    public init(server: String, version: String, protocol: ProtocolVersion, rig: String, simulated: Bool) {
        self.server = server
        self.version = version
        self.protocol = `protocol`
        self.rig = rig
        self.simulated = simulated
    }
}

public struct VersionResult: Codable, Sendable, Equatable {
    public var server: String
    public var version: String
    public var `protocol`: ProtocolVersion
    public init(server: String, version: String, protocol: ProtocolVersion) {
        self.server = server
        self.version = version
        self.protocol = `protocol`
    }
}

/// `rig.describe`: the rig as loaded.
public struct RigDescription: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    public var simulated: Bool
    public var source: String
    public var slots: [SlotInfo]
    public var references: [ReferenceInfo]

    public init(name: String, description: String?, simulated: Bool, source: String, slots: [SlotInfo], references: [ReferenceInfo]) {
        self.name = name
        self.description = description
        self.simulated = simulated
        self.source = source
        self.slots = slots
        self.references = references
    }

    public struct SlotInfo: Codable, Sendable, Equatable {
        public var slot: String
        public var bus: String
        public var muxChannel: Int?
        public var address: String
        public var chip: String
        public var model: String
        enum CodingKeys: String, CodingKey { case slot, bus, muxChannel = "mux_channel", address, chip, model }
        public init(slot: String, bus: String, muxChannel: Int?, address: String, chip: String, model: String) {
            self.slot = slot
            self.bus = bus
            self.muxChannel = muxChannel
            self.address = address
            self.chip = chip
            self.model = model
        }
    }

    public struct ReferenceInfo: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var model: String
        public var link: String
        /// The calibration certificate; nil for an instrument whose output is measured by another (a sound source).
        public var certificate: String?
        /// Certificate expanded uncertainty, in `unit` (Pa, or dB for a microphone), and its coverage factor.
        public var expandedUncertainty: Double?
        public var unit: String?
        public var coverageFactor: Double?
        public var due: String?
        enum CodingKeys: String, CodingKey {
            case id, kind, model, link, certificate, expandedUncertainty = "expanded_uncertainty", unit
            case coverageFactor = "coverage_factor", due
        }
        public init(id: String, kind: String, model: String, link: String, certificate: String?,
                    expandedUncertainty: Double?, unit: String?, coverageFactor: Double?, due: String?) {
            self.id = id
            self.kind = kind
            self.model = model
            self.link = link
            self.certificate = certificate
            self.expandedUncertainty = expandedUncertainty
            self.unit = unit
            self.coverageFactor = coverageFactor
            self.due = due
        }
    }
}

/// `devices.list`: each slot with what the daemon last saw there.
public struct DeviceInfo: Codable, Sendable, Equatable {
    /// ready: answered its probe; absent: nothing acknowledged; wrong-chip: another chip answered;
    /// error: another failure; busy: in a run; wired: a microphone on an audio channel (not probed).
    public var state: String
    public var slot: String
    public var chip: String
    public var model: String
    public var bus: String
    public var muxChannel: Int?
    public var address: String
    public var chipID: String?
    public var detail: String?
    enum CodingKeys: String, CodingKey {
        case state, slot, chip, model, bus, muxChannel = "mux_channel", address, chipID = "chip_id", detail
    }
    public init(state: String, slot: String, chip: String, model: String, bus: String, muxChannel: Int?, address: String,
                chipID: String?, detail: String?) {
        self.state = state
        self.slot = slot
        self.chip = chip
        self.model = model
        self.bus = bus
        self.muxChannel = muxChannel
        self.address = address
        self.chipID = chipID
        self.detail = detail
    }
}

/// `devices.list` result.
public struct DeviceList: Codable, Sendable, Equatable {
    public var devices: [DeviceInfo]
    public init(devices: [DeviceInfo]) { self.devices = devices }
}

/// `runs.start` params.
public struct RunStartParams: Codable, Sendable, Equatable {
    public var plan: String
    /// Spec profile; the daemon's default (`miit-2020`) when absent.
    public var spec: String?
    /// Slot ids; every slot of the rig when absent.
    public var slots: [String]?
    public var lot: String?
    /// Serial numbers by slot id.
    public var serials: [String: String]?
    public var `operator`: String?
    public init(plan: String, spec: String? = nil, slots: [String]? = nil, lot: String? = nil,
                serials: [String: String]? = nil, operator: String? = nil) {
        self.plan = plan
        self.spec = spec
        self.slots = slots
        self.lot = lot
        self.serials = serials
        self.operator = `operator`
    }
}

/// Params naming a run; the newest run when `run` is absent.
public struct RunReference: Codable, Sendable, Equatable {
    public var run: String?
    public init(run: String? = nil) { self.run = run }
}

/// A run as the daemon sees it now.
public struct RunStatus: Codable, Sendable, Equatable {
    public var id: String
    public var plan: String
    public var spec: String
    public var state: String
    public var simulated: Bool
    public var step: StepInfo?
    /// Run-clock seconds elapsed and planned (simulated seconds on the simulated rig).
    public var elapsedS: Double
    public var plannedS: Double
    public var startedUTC: String
    public var finishedUTC: String?
    public var duts: [DUTStatus]
    /// Worst DUT verdict once the run is analysed.
    public var verdict: String?
    /// Every DUT measured and judged.
    public var complete: Bool?
    public var reportPath: String?
    public var error: String?
    /// The setpoint at which the run waits for a technician's reference reading, Pa.
    public var awaitingReferencePa: Double?
    /// What the run waits for the technician to do with the hand-held calibrator.
    public var awaitingCalibrator: String?
    /// What else the run waits for the technician to do (set a field, connect a gas) and how to answer.
    public var awaitingOperator: String?

    enum CodingKeys: String, CodingKey {
        case id, plan, spec, state, simulated, step, elapsedS = "elapsed_s", plannedS = "planned_s"
        case startedUTC = "started_utc", finishedUTC = "finished_utc", duts, verdict, complete
        case reportPath = "report_path", error, awaitingReferencePa = "awaiting_reference_pa"
        case awaitingCalibrator = "awaiting_calibrator", awaitingOperator = "awaiting_operator"
    }

    public init(id: String, plan: String, spec: String, state: String, simulated: Bool, step: StepInfo?, elapsedS: Double,
                plannedS: Double, startedUTC: String, finishedUTC: String?, duts: [DUTStatus], verdict: String?,
                complete: Bool?, reportPath: String?, error: String?) {
        self.id = id
        self.plan = plan
        self.spec = spec
        self.state = state
        self.simulated = simulated
        self.step = step
        self.elapsedS = elapsedS
        self.plannedS = plannedS
        self.startedUTC = startedUTC
        self.finishedUTC = finishedUTC
        self.duts = duts
        self.verdict = verdict
        self.complete = complete
        self.reportPath = reportPath
        self.error = error
    }

    public var isFinished: Bool { ["done", "failed", "cancelled", "interrupted"].contains(state) }

    public struct StepInfo: Codable, Sendable, Equatable {
        public var index: Int
        public var count: Int
        public var name: String
        public init(index: Int, count: Int, name: String) {
            self.index = index
            self.count = count
            self.name = name
        }
    }

    public struct DUTStatus: Codable, Sendable, Equatable {
        public var slot: String
        public var serial: String?
        public var verdict: String?
        public var lost: String?
        /// Headline figures once analysed: metric → "value ± U unit".
        public var figures: [FigureSummary]?
        public init(slot: String, serial: String?, verdict: String?, lost: String?, figures: [FigureSummary]?) {
            self.slot = slot
            self.serial = serial
            self.verdict = verdict
            self.lost = lost
            self.figures = figures
        }
    }

    public struct FigureSummary: Codable, Sendable, Equatable {
        public var metric: String
        public var value: Double
        public var expandedUncertainty: Double
        public var unit: String
        public var limit: String?
        public var verdict: String?
        enum CodingKeys: String, CodingKey {
            case metric, value, expandedUncertainty = "expanded_uncertainty", unit, limit, verdict
        }
        public init(metric: String, value: Double, expandedUncertainty: Double, unit: String, limit: String?, verdict: String?) {
            self.metric = metric
            self.value = value
            self.expandedUncertainty = expandedUncertainty
            self.unit = unit
            self.limit = limit
            self.verdict = verdict
        }
    }
}

public struct RunList: Codable, Sendable, Equatable {
    public var runs: [RunStatus]
    public init(runs: [RunStatus]) { self.runs = runs }
}

/// `watch` params: one run, or every run when `run` is absent.
public struct WatchParams: Codable, Sendable, Equatable {
    public var run: String?
    public init(run: String? = nil) { self.run = run }
}

/// Params of `run.state`, `run.step`, `run.progress` and `run.device` notifications.
public struct RunEventParams: Codable, Sendable, Equatable {
    public var run: String
    public var state: String?
    public var step: RunStatus.StepInfo?
    public var elapsedS: Double?
    public var plannedS: Double?
    public var slot: String?
    public var detail: String?
    /// `run.reference`: the setpoint awaiting a reading, Pa.
    public var referencePa: Double?
    /// `run.reference` for a hand-held calibrator: the level to fit on `slot`, dB SPL (absent for "remove it").
    public var calibratorSPL: Double?
    enum CodingKeys: String, CodingKey {
        case run, state, step, elapsedS = "elapsed_s", plannedS = "planned_s", slot, detail, referencePa = "reference_pa"
        case calibratorSPL = "calibrator_db_spl"
    }
    public init(run: String, state: String? = nil, step: RunStatus.StepInfo? = nil, elapsedS: Double? = nil,
                plannedS: Double? = nil, slot: String? = nil, detail: String? = nil, referencePa: Double? = nil,
                calibratorSPL: Double? = nil) {
        self.referencePa = referencePa
        self.calibratorSPL = calibratorSPL
        self.run = run
        self.state = state
        self.step = step
        self.elapsedS = elapsedS
        self.plannedS = plannedS
        self.slot = slot
        self.detail = detail
    }
}

/// `reference.submit` params: the reference instrument's reading for the point the run waits at.
public struct ReferenceSubmitParams: Codable, Sendable, Equatable {
    /// A manual pressure reference's reading, Pa.
    public var valuePa: Double?
    /// A hand-held calibrator's level, dB SPL, for the microphone it was asked on.
    public var levelDBSPL: Double?
    /// The calibrator is removed and the chamber quiet.
    public var quiet: Bool?
    /// A reference magnetometer's reading at the field the run asked for, µT: x, y, z in the coil frame.
    public var fieldUT: [Double]?
    /// The certified concentration of the mixture the technician connected, ppm (0: zero air).
    public var ppm: Double?
    public var run: String?
    enum CodingKeys: String, CodingKey {
        case valuePa = "value_pa", levelDBSPL = "level_db_spl", quiet, fieldUT = "field_ut", ppm, run
    }
    public init(valuePa: Double? = nil, levelDBSPL: Double? = nil, quiet: Bool? = nil, fieldUT: [Double]? = nil, ppm: Double? = nil,
                run: String? = nil) {
        self.valuePa = valuePa
        self.levelDBSPL = levelDBSPL
        self.quiet = quiet
        self.fieldUT = fieldUT
        self.ppm = ppm
        self.run = run
    }
}

/// `reference.submit` result: which point (or microphone) the reading was taken for.
public struct ReferenceSubmitResult: Codable, Sendable, Equatable {
    public var run: String
    public var setpointPa: Double?
    public var valuePa: Double?
    /// The calibrator's answer: the microphone it was on (absent for quiet) and its level.
    public var slot: String?
    public var levelDBSPL: Double?
    /// A field entry: the field the run asked for and the reading recorded, µT.
    public var requestedFieldUT: [Double]?
    public var fieldUT: [Double]?
    /// A gas entry: the gas and concentration asked for and the certified concentration recorded, ppm.
    public var gas: String?
    public var requestedPPM: Double?
    public var ppm: Double?
    enum CodingKeys: String, CodingKey {
        case run, setpointPa = "setpoint_pa", valuePa = "value_pa", slot, levelDBSPL = "level_db_spl"
        case requestedFieldUT = "requested_field_ut", fieldUT = "field_ut", gas, requestedPPM = "requested_ppm", ppm
    }
    public init(run: String, setpointPa: Double? = nil, valuePa: Double? = nil, slot: String? = nil, levelDBSPL: Double? = nil,
                requestedFieldUT: [Double]? = nil, fieldUT: [Double]? = nil, gas: String? = nil, requestedPPM: Double? = nil,
                ppm: Double? = nil) {
        self.run = run
        self.setpointPa = setpointPa
        self.valuePa = valuePa
        self.slot = slot
        self.levelDBSPL = levelDBSPL
        self.requestedFieldUT = requestedFieldUT
        self.fieldUT = fieldUT
        self.gas = gas
        self.requestedPPM = requestedPPM
        self.ppm = ppm
    }
}

/// `reports.get` result: the report file's path and its content.
public struct ReportResult: Codable, Sendable, Equatable {
    public var run: String
    public var path: String
    public var report: JSONValue
    public init(run: String, path: String, report: JSONValue) {
        self.run = run
        self.path = path
        self.report = report
    }
}

/// `archive.runs` params: every filter optional.
public struct ArchiveRunsParams: Codable, Sendable, Equatable {
    public var lot: String?
    /// Runs started at or after this ISO 8601 date (`2026-11-26`, midnight UTC) or date-time.
    public var since: String?
    /// `pass`, `conditional-pass`, `conditional-fail`, `fail`, or `none` (no verdict).
    public var verdict: String?
    /// At most this many runs, newest first: 1 to 1000, default 50.
    public var limit: Int?

    public static let defaultLimit = 50
    public static let maximumLimit = 1000

    public init(lot: String? = nil, since: String? = nil, verdict: String? = nil, limit: Int? = nil) {
        self.lot = lot
        self.since = since
        self.verdict = verdict
        self.limit = limit
    }
}

/// `archive.unit` params: the unit's serial (or `<run-id>/<slot>` for a part archived without one).
public struct ArchiveUnitParams: Codable, Sendable, Equatable {
    public var serial: String
    public init(serial: String) { self.serial = serial }
}

/// `archive.yield` params.
public struct ArchiveYieldParams: Codable, Sendable, Equatable {
    public var lot: String
    public init(lot: String) { self.lot = lot }
}
