import SensorIO

/// The engineering unit an MFC reads and takes set points in (fixed at purchase): standard cubic centimetres or
/// standard litres per minute (the MFC's own standard conditions).
public enum FlowUnit: String, Sendable, CaseIterable, Equatable {
    case sccm
    case slpm

    /// Litres per minute in one of this unit.
    public var litresPerMinute: Double {
        switch self {
        case .sccm: 0.001
        case .slpm: 1
        }
    }
}

/// The ASCII dialect of a make of mass-flow controller on a serial (often RS-485 multidrop) line: how to poll one
/// unit, how to give it a set point, and where the numbers are in its data frame. The preset follows Alicat; a rig
/// file can change any member.
///
/// `{id}` in a template becomes the unit id, `{value}` the set point in the MFC's unit with `setpointDecimals`.
public struct MassFlowCommandSet: Sendable, Equatable {
    /// The dialect's name, e.g. `alicat`.
    public var dialect: String
    /// Asks one unit for a data frame.
    public var pollTemplate: String
    /// Sets the flow set point; the unit answers with a data frame.
    public var setpointTemplate: String
    /// The white-space-separated field of the frame (from 0) that holds the unit id, checked against the id polled
    /// (on a multidrop line a frame from another unit must not be taken); nil when the frame has none.
    public var unitIDField: Int?
    /// The field that holds the mass flow, in the MFC's unit.
    public var massFlowField: Int
    /// The field that holds the set point, in the MFC's unit.
    public var setpointField: Int
    /// Decimals of the set point sent.
    public var setpointDecimals: Int
    /// What ends a line on this dialect's wire, both ways; `address(_:)` puts it on a rig file's link.
    public var terminator: LineTerminator
    /// The whole reply with which the unit refuses a command it does not know or cannot do.
    public var refusalReply: String
    /// Status words after the fields that mean the mass-flow reading is not valid (over range).
    public var invalidFlowFlags: [String]

    public init(dialect: String, pollTemplate: String, setpointTemplate: String, unitIDField: Int?, massFlowField: Int,
                setpointField: Int, setpointDecimals: Int = 3, terminator: LineTerminator = .carriageReturn,
                refusalReply: String = "?", invalidFlowFlags: [String] = []) {
        self.dialect = dialect
        self.pollTemplate = pollTemplate
        self.setpointTemplate = setpointTemplate
        self.unitIDField = unitIDField
        self.massFlowField = massFlowField
        self.setpointField = setpointField
        self.setpointDecimals = setpointDecimals
        self.terminator = terminator
        self.refusalReply = refusalReply
        self.invalidFlowFlags = invalidFlowFlags
    }

    /// Alicat's ASCII serial protocol (unit ids A–Z on one RS-232/RS-485 line, lines ended by CR).
    ///
    /// Sources: numat/alicat (`alicat/driver.py`: poll `{unit}`, frame split on white space as unit id, pressure,
    /// temperature, volumetric flow, mass flow, set point, gas, with optional totalizer and trailing status words
    /// MOV/VOV/POV/TOV and LCK; set point `{unit}S{value:.2f}`, whose reply's field 5 is the set point now held;
    /// `?` for a command refused; `alicat/util.py`: `eol = b'\r'`). Alicat's Serial Communications Primer (rev. 2,
    /// 2023) is the manufacturer's document, not read here. `MOV` is the mass flow over range.
    public static let alicat = MassFlowCommandSet(
        dialect: "alicat", pollTemplate: "{id}", setpointTemplate: "{id}S{value}", unitIDField: 0, massFlowField: 4,
        setpointField: 5, setpointDecimals: 3, terminator: .carriageReturn, refusalReply: "?",
        invalidFlowFlags: ["MOV"])

    /// What is wrong with this dialect, one sentence each; empty when it is usable.
    public var problems: [String] {
        var found: [String] = []
        if !pollTemplate.contains("{id}") { found.append("the poll template '\(pollTemplate)' has no {id}") }
        if !setpointTemplate.contains("{id}") || !setpointTemplate.contains("{value}") {
            found.append("the set point template '\(setpointTemplate)' needs {id} and {value}")
        }
        if massFlowField < 0 || setpointField < 0 || (unitIDField ?? 0) < 0 { found.append("a field index is negative") }
        if massFlowField == setpointField { found.append("mass flow and set point are both field \(massFlowField)") }
        if !(0...6).contains(setpointDecimals) { found.append("set point decimals \(setpointDecimals) is not 0…6") }
        return found
    }

    /// The poll line for unit `id`.
    public func poll(unitID id: String) -> String { pollTemplate.replacing("{id}", with: id) }

    /// The set point line for unit `id`, `value` in the MFC's unit.
    public func setpoint(unitID id: String, value: Double) -> String {
        let digits = Swift.max(0, Swift.min(6, setpointDecimals))
        return setpointTemplate.replacing("{id}", with: id)
            .replacing("{value}", with: Self.fixed(value, decimals: digits))
    }

    /// `link` with this dialect's terminator, for an MFC line whose rig file gave the host or port only.
    public func address(_ link: InstrumentAddress) -> InstrumentAddress {
        switch link {
        case .tcp(let host, let port, _): .tcp(host: host, port: port, terminator: terminator)
        case .serial(let path, let baudRate, _): .serial(path: path, baudRate: baudRate, terminator: terminator)
        }
    }

    /// One data frame, read.
    public struct Frame: Sendable, Equatable {
        public var unitID: String?
        /// In the MFC's unit.
        public var massFlow: Double
        /// In the MFC's unit.
        public var setpoint: Double
        /// The status words of `invalidFlowFlags` the frame carries.
        public var invalidFlowFlags: [String]
    }

    /// The frame in `reply`, or nil when a field is missing or not a finite number.
    public func frame(in reply: String) -> Frame? {
        let fields = reply.split(whereSeparator: { $0 == " " || $0 == "\t" })
        func number(_ index: Int) -> Double? {
            guard index < fields.count, let value = Double(fields[index]), value.isFinite else { return nil }
            return value
        }
        guard let massFlow = number(massFlowField), let setpoint = number(setpointField) else { return nil }
        var unitID: String?
        if let field = unitIDField {
            guard field < fields.count else { return nil }
            unitID = String(fields[field])
        }
        let flags = invalidFlowFlags.filter { flag in fields.contains { $0.uppercased() == flag.uppercased() } }
        return Frame(unitID: unitID, massFlow: massFlow, setpoint: setpoint, invalidFlowFlags: flags)
    }

    /// `value` with exactly `decimals` decimals, without Foundation's locale-dependent formatting.
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded()
        guard scaled.isFinite, scaled < 9e15 else { return String(value) }
        let count = Int64(scaled)
        var text = (value < 0 && count > 0 ? "-" : "") + String(count / scale)
        if decimals > 0 {
            let digits = String(count % scale)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }
}
