import Foundation
import Qualification
import SensorMetrics

/// The qualification report of one run: the canonical `report.json` (schema documented in
/// docs/report-schema.md). Every figure carries its unit, expanded uncertainty, coverage factor, the limit,
/// the decision rule, the verdict and the conditions it holds under.
public struct QualificationReport: Sendable, Codable, Equatable {
    /// Bumped on any change a reader must know about; docs/report-schema.md says what each version changed.
    public static let currentSchemaVersion = 5

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
        /// A rig plan's class plans (schema 4); absent for a run of one class plan.
        public var parts: [PartSection]? = nil
    }

    public struct VerdictSummary: Sendable, Codable, Equatable {
        /// Worst DUT verdict; nil when no DUT was judged.
        public var overall: Verdict?
        /// Every DUT measured and judged, and the run done.
        public var complete: Bool
        public var counts: [String: Int]
    }

    /// A run's part as the report states it: a rig plan's run has one per class plan.
    public struct PartSection: Sendable, Codable, Equatable {
        public var plan: String
        public var description: String
        public var sensorClass: String
        public var slots: [String]
        public var state: RunState
        public var plannedSeconds: Double
        public var runSeconds: Double
        /// How this part kept time: "simulated", "monotonic" or "audio samples".
        public var clock: String
        public var error: String?
    }

    /// The report of a run of one class plan.
    public init(outcome: RunOutcome, request: RunRequest, rig: Rig, software: Software, started: Date, finished: Date) {
        self.init(outcome: outcome, parts: [RunPartResult(part: RunPart(request: request, rig: rig), outcome: outcome)],
                  rigPlan: nil, rig: rig, software: software, started: started, finished: finished)
    }

    /// The report of a run: `outcome` is the run as a whole (for a rig plan, `RunOutcome.combining` of its parts),
    /// `parts` what each class plan did.
    public init(outcome: RunOutcome, parts: [RunPartResult], rigPlan: RigPlan?, rig: Rig, software: Software,
                started: Date, finished: Date) {
        self.software = software
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // An acoustic run keeps time by its capture's sample count; the others by the rig clock.
        func clock(_ part: RunPartResult) -> String {
            part.part.request.plan.sensorClass == "acoustic" ? "audio samples" : part.outcome.simulated ? "simulated" : "monotonic"
        }
        let clocks = parts.map(clock).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        precondition(!parts.isEmpty, "a run has at least one part")
        let first = parts[0].part.request
        run = RunHeader(id: outcome.id, state: outcome.state, lot: first.lot, operator: first.operatorName,
                        startTime: iso.string(from: started), endTime: iso.string(from: finished),
                        clock: clocks.joined(separator: ", "), runSeconds: outcome.runSeconds, error: outcome.error)
        // The instruments each part's class uses, each with what it answered as: the controller's *IDN?, the sound
        // source's identity, the coil's current source, the mixer.
        var references: [ReferenceInstrument] = []
        for part in parts {
            for reference in RunPart.references(for: part.part.request.plan, rig: rig) where !references.contains(where: { $0.configuration.id == reference.id }) {
                let identity = switch reference.kind {
                case "pressure-controller", "sound-source", "field-source", "gas-mixer": part.outcome.referenceIdentity
                default: part.outcome.state == .done ? reference.link : nil
                }
                references.append(ReferenceInstrument(configuration: reference, identity: identity))
            }
        }
        self.rig = RigSection(name: rig.name, description: rig.description, simulated: outcome.simulated, buses: rig.buses,
                              references: rig.references.compactMap { reference in references.first { $0.configuration.id == reference.id } })
        if let rigPlan {
            plan = PlanSection(name: rigPlan.name, description: rigPlan.description,
                               plannedSeconds: RunPart.plannedSeconds(parts.map(\.part)), steps: outcome.steps,
                               parts: parts.map { part in
                                   let request = part.part.request
                                   return PartSection(plan: request.plan.name, description: request.plan.description,
                                                      sensorClass: request.plan.sensorClass, slots: request.slots, state: part.outcome.state,
                                                      plannedSeconds: request.plan.plannedDuration, runSeconds: part.outcome.runSeconds,
                                                      clock: clock(part), error: part.outcome.error)
                               })
        } else {
            plan = PlanSection(name: first.plan.name, description: first.plan.description,
                               plannedSeconds: first.plan.plannedDuration, steps: outcome.steps)
        }
        spec = first.spec
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

    /// The canonical JSON text, the same bytes `encoder()` writes (`CanonicalJSONEncoder`, a few times faster).
    public func jsonData() throws -> Data {
        try CanonicalJSONEncoder.encode(self) ?? Self.encoder().encode(self)
    }

    public static func read(from path: String) throws -> QualificationReport {
        try decoder().decode(QualificationReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
