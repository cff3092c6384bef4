import Foundation
import Qualification

/// A run as the archive holds it: what was asked, every state it went through, and, once finished, each DUT with
/// its figures and the files left in the run folder. The result of `archive.runs` (docs/protocol.md §8.11).
public struct ArchivedRun: Codable, Sendable, Equatable {
    public var id: String
    public var plan: String
    public var spec: String
    /// The plan's sensor class (one today; a list so a mixed plan needs no new column).
    public var sensorClasses: [String]
    public var lot: String?
    public var `operator`: String?
    public var rig: String
    public var simulated: Bool
    public var state: String
    /// The plan step the run is in or was last in.
    public var step: String?
    public var startedUTC: String
    public var finishedUTC: String?
    public var verdict: String?
    public var complete: Bool?
    public var error: String?
    public var reportPath: String?
    public var htmlPath: String?
    public var softwareVersion: String
    public var duts: [DUT]
    public var artifacts: [ArchivedArtifact]
    /// Every state the run entered, oldest first.
    public var states: [StateChange]

    enum CodingKeys: String, CodingKey {
        case id, plan, spec, sensorClasses = "sensor_classes", lot, `operator`, rig, simulated, state, step
        case startedUTC = "started_utc", finishedUTC = "finished_utc", verdict, complete, error, reportPath = "report_path"
        case htmlPath = "html_path", softwareVersion = "software_version", duts, artifacts, states
    }

    /// One slot of the run.
    public struct DUT: Codable, Sendable, Equatable {
        public var slot: String
        /// The serial written on the part; nil when none was given.
        public var serial: String?
        /// The key the unit is archived under: its serial, or `<run-id>/<slot>` for a part without one.
        public var unit: String
        public var sensorClass: String
        public var chip: String?
        public var model: String?
        public var verdict: String?
        public var lost: String?
        public var missing: [String]
        public var figures: [ArchivedFigure]

        enum CodingKeys: String, CodingKey {
            case slot, serial, unit, sensorClass = "sensor_class", chip, model, verdict, lost, missing, figures
        }
    }

    public struct StateChange: Codable, Sendable, Equatable {
        public var state: String
        public var step: String?
        public var atUTC: String
        enum CodingKeys: String, CodingKey { case state, step, atUTC = "at_utc" }
    }

    /// What the scheduler knows when it queues a run: the archive's first row for it.
    public struct Start: Sendable, Equatable {
        public var id: String
        public var plan: String
        public var spec: String
        public var sensorClasses: [String]
        public var lot: String?
        public var operatorName: String?
        public var rig: String
        public var simulated: Bool
        public var slots: [Slot]
        public var started: Date
        public var softwareVersion: String

        public struct Slot: Sendable, Equatable {
            public var slot: String
            public var serial: String?
            public var chip: String?
            public var model: String?
            /// The slot's class where a run holds several (a rig plan's); nil: the run's first.
            public var sensorClass: String?
            public init(slot: String, serial: String?, chip: String? = nil, model: String? = nil, sensorClass: String? = nil) {
                self.slot = slot
                self.serial = serial
                self.chip = chip
                self.model = model
                self.sensorClass = sensorClass
            }
        }

        public init(id: String, plan: String, spec: String, sensorClasses: [String], lot: String?, operatorName: String?,
                    rig: String, simulated: Bool, slots: [Slot], started: Date, softwareVersion: String) {
            self.id = id
            self.plan = plan
            self.spec = spec
            self.sensorClasses = sensorClasses
            self.lot = lot
            self.operatorName = operatorName
            self.rig = rig
            self.simulated = simulated
            self.slots = slots
            self.started = started
            self.softwareVersion = softwareVersion
        }

        /// The start of `request` on `rig`: slots in request order with their serials and the rig file's chip names.
        public init(request: RunRequest, rig: Rig, simulated: Bool, started: Date, softwareVersion: String) {
            self.init(id: request.id, plan: request.plan.name, spec: request.spec.name, sensorClasses: [request.plan.sensorClass],
                      lot: request.lot, operatorName: request.operatorName, rig: rig.name, simulated: simulated,
                      slots: request.slots.map { id in
                          let chip = rig.slot(id)?.chip ?? rig.microphones.first { $0.id == id }?.chip
                          return Slot(slot: id, serial: request.serials[id].flatMap { $0.isEmpty ? nil : $0 }, chip: chip)
                      },
                      started: started, softwareVersion: softwareVersion)
        }
    }
}

/// `archive.runs` result.
public struct ArchivedRunList: Codable, Sendable, Equatable {
    public var runs: [ArchivedRun]
    public init(runs: [ArchivedRun]) { self.runs = runs }
}
