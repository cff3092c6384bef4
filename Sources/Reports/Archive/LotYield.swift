/// The yield of one lot, per sensor class and figure: each unit counted once, by its latest judged result in the
/// lot, so a unit retested after a rework counts with its retest. `sensorqual yield --lot L` and `archive.yield`.
public struct LotYield: Codable, Sendable, Equatable {
    public var lot: String
    /// Runs of the lot in the archive (any state).
    public var runs: Int
    /// Distinct units in those runs.
    public var units: Int
    /// By sensor class, then metric.
    public var figures: [FigureYield]

    public init(lot: String, runs: Int, units: Int, figures: [FigureYield]) {
        self.lot = lot
        self.runs = runs
        self.units = units
        self.figures = figures
    }

    public struct FigureYield: Codable, Sendable, Equatable {
        public var sensorClass: String
        public var metric: String
        /// The figure's unit of measurement (`Pa`).
        public var unit: String
        /// Units with a judged result for this figure; the four counts add up to it.
        public var judged: Int
        public var pass: Int
        public var conditionalPass: Int
        public var conditionalFail: Int
        public var fail: Int
        /// pass / judged: only proven conformance counts as a pass (ILAC-G8 guarded acceptance).
        public var passRate: Double
        /// The pass rate's 95 % Wilson score interval.
        public var interval: WilsonInterval?

        enum CodingKeys: String, CodingKey {
            case sensorClass = "sensor_class", metric, unit, judged, pass, conditionalPass = "conditional_pass"
            case conditionalFail = "conditional_fail", fail, passRate = "pass_rate", interval
        }

        public init(sensorClass: String, metric: String, unit: String, pass: Int, conditionalPass: Int, conditionalFail: Int, fail: Int) {
            self.sensorClass = sensorClass
            self.metric = metric
            self.unit = unit
            self.pass = pass
            self.conditionalPass = conditionalPass
            self.conditionalFail = conditionalFail
            self.fail = fail
            judged = pass + conditionalPass + conditionalFail + fail
            passRate = judged > 0 ? Double(pass) / Double(judged) : 0
            interval = WilsonInterval(successes: pass, trials: judged)
        }
    }
}
