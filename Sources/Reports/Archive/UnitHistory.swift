/// Every run one unit took part in, oldest first: what `sensorqual dut SERIAL` prints and `archive.unit` returns.
public struct UnitHistory: Codable, Sendable, Equatable {
    /// The unit's key: its serial, or `<run-id>/<slot>` for a part that had none.
    public var serial: String
    /// From the unit's newest run.
    public var chip: String?
    public var model: String?
    public var sensorClass: String?
    public var runs: [Entry]

    enum CodingKeys: String, CodingKey { case serial, chip, model, sensorClass = "sensor_class", runs }

    public init(serial: String, chip: String?, model: String?, sensorClass: String?, runs: [Entry]) {
        self.serial = serial
        self.chip = chip
        self.model = model
        self.sensorClass = sensorClass
        self.runs = runs
    }

    /// The unit in one run.
    public struct Entry: Codable, Sendable, Equatable {
        public var run: String
        public var startedUTC: String
        public var finishedUTC: String?
        public var plan: String
        public var spec: String
        public var lot: String?
        /// The run's state (a DUT of a run still going has no verdict yet).
        public var state: String
        public var slot: String
        public var verdict: String?
        public var lost: String?
        public var missing: [String]
        public var figures: [ArchivedFigure]

        enum CodingKeys: String, CodingKey {
            case run, startedUTC = "started_utc", finishedUTC = "finished_utc", plan, spec, lot, state, slot, verdict, lost
            case missing, figures
        }
    }
}
