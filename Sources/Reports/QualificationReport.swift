import Foundation
import Qualification
import SensorMetrics

/// The qualification report of one run: the canonical `report.json` (schema documented in
/// docs/report-schema.md). Every figure carries its unit, expanded uncertainty, coverage factor, the limit,
/// the decision rule, the verdict and the conditions it holds under.
public struct QualificationReport: Sendable, Codable, Equatable {
    /// Bumped on any change a reader must know about; docs/report-schema.md says what each version changed.
    public static let currentSchemaVersion = 3

    public var schema = "sensorqual.report"
    public var schemaVersion = QualificationReport.currentSchemaVersion
    public var software: Software
    public var run: RunHeader
    public var rig: RigSection
    public var plan: PlanSection
    public var spec: SpecProfile
    public var duts: [DUTOutcome]
    public var verdict: VerdictSummary

    public struct Software: Sendable, Codable, Equatable {
        public var name: String
        public var version: String
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    public struct RunHeader: Sendable, Codable, Equatable {
        public var id: String
        public var state: RunState
        public var lot: String?
        public var `operator`: String?
        public var startTime: String
        public var endTime: String
        /// "simulated" on the simulated rig (durations are simulated seconds), "monotonic" on a real rig.
        public var clock: String
        public var runSeconds: Double
        public var error: String?
    }

    public struct RigSection: Sendable, Codable, Equatable {
        public var name: String
        public var description: String?
        public var simulated: Bool
        public var buses: [Rig.Bus]
        public var references: [ReferenceInstrument]
    }

    public struct ReferenceInstrument: Sendable, Codable, Equatable {
        public var configuration: Rig.Reference
        /// What the instrument said it is, when it was reached.
        public var identity: String?
    }

    public struct PlanSection: Sendable, Codable, Equatable {
        public var name: String
        public var description: String
        public var plannedSeconds: Double
        public var steps: [StepRecord]
    }

    public struct VerdictSummary: Sendable, Codable, Equatable {
        /// Worst DUT verdict; nil when no DUT was judged.
        public var overall: Verdict?
        /// Every DUT measured and judged, and the run done.
        public var complete: Bool
        public var counts: [String: Int]
    }

    public init(outcome: RunOutcome, request: RunRequest, rig: Rig, software: Software, started: Date, finished: Date) {
        self.software = software
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let acoustic = request.plan.sensorClass == "acoustic"
        // An acoustic run keeps time by its capture's sample count; a pressure run by the rig clock.
        let clock = acoustic ? "audio samples" : outcome.simulated ? "simulated" : "monotonic"
        run = RunHeader(id: outcome.id, state: outcome.state, lot: request.lot, operator: request.operatorName,
                        startTime: iso.string(from: started), endTime: iso.string(from: finished),
                        clock: clock, runSeconds: outcome.runSeconds, error: outcome.error)
        // The instruments this run's class uses, each with what it answered as: the controller's *IDN?, the sound
        // source's identity, the reference microphone's channel.
        let used: Set<String> = switch request.plan.sensorClass {
        case "acoustic": ["reference-microphone", "sound-source"]
        case "magnetic": ["field-source"]
        case "gas": ["gas-mixer"]
        default: ["pressure-controller"]
        }
        // A gas run uses the mixer of its gas only.
        let gas = request.plan.gas?.gas
        self.rig = RigSection(name: rig.name, description: rig.description, simulated: outcome.simulated, buses: rig.buses,
                              references: rig.references.filter { used.contains($0.kind) && (gas == nil || $0.mixer?.gas == gas) }.map {
                                  let identity = switch $0.kind {
                                  case "pressure-controller", "sound-source", "field-source", "gas-mixer": outcome.referenceIdentity
                                  default: outcome.state == .done ? $0.link : nil
                                  }
                                  return ReferenceInstrument(configuration: $0, identity: identity)
                              })
        plan = PlanSection(name: request.plan.name, description: request.plan.description,
                           plannedSeconds: request.plan.plannedDuration, steps: outcome.steps)
        spec = request.spec
        duts = outcome.duts
        var counts: [String: Int] = [:]
        for dut in outcome.duts { counts[dut.verdict?.rawValue ?? "not-judged", default: 0] += 1 }
        verdict = VerdictSummary(overall: outcome.verdict, complete: outcome.isComplete, counts: counts)
    }

    // MARK: JSON

    /// The canonical encoding: snake_case keys, sorted, pretty-printed.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // The same spelling as the control socket's JSON.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    public func jsonData() throws -> Data { try Self.encoder().encode(self) }

    public static func read(from path: String) throws -> QualificationReport {
        try decoder().decode(QualificationReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
