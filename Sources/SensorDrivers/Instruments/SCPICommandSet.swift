/// The pressure units a controller can be told to speak, with their exact factors to the pascal.
public enum PressureUnit: String, Sendable, CaseIterable, Equatable {
    case pascal = "Pa"
    case hectopascal = "hPa"
    case kilopascal = "kPa"
    case millibar = "mbar"
    case bar = "bar"
    /// Pound-force per square inch: 0.45359237 kg × 9.80665 m/s² / (0.0254 m)² = 6894.757293168361… Pa, exact by
    /// the definitions of the pound, standard gravity and the inch.
    case psi = "psi"

    /// Pascals in one of this unit.
    public var pascals: Double {
        switch self {
        case .pascal: 1
        case .hectopascal, .millibar: 100
        case .kilopascal: 1000
        case .bar: 100_000
        case .psi: 6894.757293168361
        }
    }

    /// The unit named by a suffix an instrument puts after a reading ("PA", "hPa", "MBAR", "psia"),
    /// case-insensitive; nil for anything else. Gauge psi ("psig") is refused: the references are absolute.
    public init?(symbol: some StringProtocol) {
        switch symbol.uppercased() {
        case "PA": self = .pascal
        case "HPA": self = .hectopascal
        case "KPA": self = .kilopascal
        case "MBAR": self = .millibar
        case "BAR": self = .bar
        case "PSI", "PSIA": self = .psi
        default: return nil
        }
    }
}

/// How to read the reply to the stable query.
public enum StableReply: Sendable, Equatable {
    /// Comma-separated field `field` (from 0) is one of `stable` or one of `unstable`, compared case-insensitively
    /// ("1"/"0", "YES"/"NO"). An empty `unstable` takes any other value as not stable.
    case flag(field: Int, stable: [String], unstable: [String])
    /// Field `field` is an integer status register; stable when every bit of `mask` is set.
    case statusBits(field: Int, mask: Int)
}

/// The commands one make of pressure controller understands, and how it answers: a dialect. The presets hold what
/// we know of three controllers; a rig file can override any member (`overriding(_:)`), and the memberwise
/// initializer builds a dialect from scratch.
///
/// Commands are sent as written; `{value}` in `setpointTemplate` becomes the setpoint in `unit`.
public struct SCPICommandSet: Sendable, Equatable {
    /// The dialect's name, e.g. `druck-pace`.
    public var dialect: String
    /// Asks for make, model, serial and firmware (IEEE 488.2 `*IDN?`).
    public var identityQuery: String
    /// Sets the control point; `{value}` is replaced by the setpoint in `unit`.
    public var setpointTemplate: String
    /// Asks for the reference reading.
    public var measureQuery: String
    /// The comma-separated field of the measure reply that holds the reading (from 0).
    public var measureField: Int
    /// Asks whether the pressure is stable at the setpoint.
    public var stableQuery: String
    public var stableReply: StableReply
    /// Selects `unit` at open; nil when the instrument is known to speak `unit` already.
    public var unitCommand: String?
    /// The unit of setpoints and of readings that carry no unit suffix.
    public var unit: PressureUnit
    /// Pops the oldest entry of the error queue (SCPI `SYST:ERR?`: `0,"No error"` when empty); nil when the
    /// instrument has none. Checked after every command.
    public var errorQuery: String?
    /// Sent once, in order, after the first setpoint: what makes the controller start controlling (output on,
    /// control mode). After the setpoint, so it does not first chase a setpoint left from an earlier session.
    public var controlCommands: [String]
    /// Replies begin with the query's header (`:SENS:PRES 1013.25` to `:SENS:PRES?`).
    public var echoesHeader: Bool
    /// The character a reply begins with while the error queue holds an error (Mensor's `E`; otherwise a space).
    public var errorFlag: Character?

    public init(dialect: String, identityQuery: String = "*IDN?", setpointTemplate: String, measureQuery: String,
                measureField: Int = 0, stableQuery: String, stableReply: StableReply, unitCommand: String?,
                unit: PressureUnit, errorQuery: String? = "SYST:ERR?", controlCommands: [String] = [],
                echoesHeader: Bool = false, errorFlag: Character? = nil) {
        self.dialect = dialect
        self.identityQuery = identityQuery
        self.setpointTemplate = setpointTemplate
        self.measureQuery = measureQuery
        self.measureField = measureField
        self.stableQuery = stableQuery
        self.stableReply = stableReply
        self.unitCommand = unitCommand
        self.unit = unit
        self.errorQuery = errorQuery
        self.controlCommands = controlCommands
        self.echoesHeader = echoesHeader
        self.errorFlag = errorFlag
    }

    // MARK: Presets

    /// Mensor CPC6000 in its native Mensor command set (the CPC6050 keeps it as its default).
    ///
    /// Sources: pymensor (github.com/stevenlowery011/pymensor, `pymensor/gpib.py`, written for and tested on a
    /// CPC6000): `*IDN?`, `Setpt <value>`, `Stable?` → `YES`/`NO`, `A?` for channel A, `Units <code>` with code 23 =
    /// Pa (22 kPa, 15 mbar, 14 bar, 1 psi), `Mode control`. CPC6050 Operating Instructions §7.7: every reply begins
    /// with a space, or with `E` while the error queue holds an error, and ends in CR LF; `A?` answers
    /// `<sp>+n.nnnnnE+nn` in the current units. Unverified: the form of the `Error?` reply (read as "0" or
    /// "NO ERROR" for an empty queue), and that `A?` reads the active sensor when channel B is fitted.
    public static let mensorCPC6000 = SCPICommandSet(
        dialect: "mensor-cpc6000", setpointTemplate: "Setpt {value}", measureQuery: "A?",
        stableQuery: "Stable?", stableReply: .flag(field: 0, stable: ["YES"], unstable: ["NO"]),
        unitCommand: "Units 23", unit: .pascal, errorQuery: "Error?", controlCommands: ["Mode control"],
        errorFlag: "E")

    /// Druck (GE, Baker Hughes) PACE5000/PACE6000 in SCPI.
    ///
    /// Sources: PACE Series SCPI Remote Communications Manual K0472 rev. A, whose examples show replies echoing
    /// the header (`RX> :SOUR:PRES:INL:TIME 2`); ESRF bliss `controllers/temperature/pace.py` (port 5025,
    /// `:SOUR:PRES <v>`, `:SENS:PRES?` answered as `<header> <value>`, `:UNIT:PRES` with PA, HPA, KPA, MBAR, BAR…,
    /// `SYST:ERR?` answered `…,"No error"`). Unverified against the manual (seen only in third-party drivers'
    /// captured replies): `:SENS:PRES:INL?` answers `:SENS:PRES:INL <pressure>, <1 in limits | 0>`, and
    /// `:OUTP:STAT ON` starts control.
    public static let druckPACE = SCPICommandSet(
        dialect: "druck-pace", setpointTemplate: ":SOUR:PRES {value}", measureQuery: ":SENS:PRES?",
        stableQuery: ":SENS:PRES:INL?", stableReply: .flag(field: 1, stable: ["1"], unstable: ["0"]),
        unitCommand: ":UNIT:PRES PA", unit: .pascal, errorQuery: ":SYST:ERR?", controlCommands: [":OUTP:STAT ON"],
        echoesHeader: true)

    /// Fluke 6270A (and 2271A) in SCPI.
    ///
    /// Unverified: the Fluke programmer's manual was not at hand. The commands are those of third-party control
    /// programs for these controllers: `SOURce:PRESsure:LEVel:IMMediate:AMPLitude <v>`, `MEASure:PRESsure?`,
    /// `UNIT:PRESsure PA`, `SYSTem:ERRor?`, `OUTPut:STATe ON` and `OUTPut:PRESsure:MODE CONTrol`, and
    /// `STATus:OPERation:CONDition?` polled until it reads 16, taken here as bit 4 = ready (stable).
    public static let fluke6270A = SCPICommandSet(
        dialect: "fluke-6270a", setpointTemplate: "SOUR:PRES:LEV:IMM:AMPL {value}", measureQuery: "MEAS:PRES?",
        stableQuery: "STAT:OPER:COND?", stableReply: .statusBits(field: 0, mask: 16),
        unitCommand: "UNIT:PRES PA", unit: .pascal, errorQuery: "SYST:ERR?",
        controlCommands: ["OUTP:STAT ON", "OUTP:PRES:MODE CONT"])

    /// The built-in dialects, by the name a rig file gives (`scpi: {dialect: druck-pace}`).
    public static let presets: [String: SCPICommandSet] = Dictionary(
        uniqueKeysWithValues: [mensorCPC6000, druckPACE, fluke6270A].map { ($0.dialect, $0) })

    // MARK: Checks

    /// What makes this command set unusable, empty when it is fine. A rig loader reports these at load; the
    /// driver refuses a command set that has any.
    public var problems: [String] {
        var found: [String] = []
        let lines = [identityQuery, setpointTemplate, measureQuery, stableQuery] + controlCommands
            + [unitCommand, errorQuery].compactMap { $0 }
        for line in lines where line.contains(where: { $0 == "\n" || $0 == "\r" }) {
            found.append("command \(line.debugDescription) contains a line break")
        }
        for (name, query) in [("identity", identityQuery), ("measure", measureQuery), ("stable", stableQuery)]
        where query.allSatisfy(\.isWhitespace) {
            found.append("the \(name) query is empty")
        }
        if setpointTemplate.occurrences(of: Self.valuePlaceholder) != 1 {
            found.append("the setpoint command must contain \(Self.valuePlaceholder) once: \(setpointTemplate.debugDescription)")
        }
        if measureField < 0 { found.append("the measure field must be 0 or more") }
        switch stableReply {
        case .flag(let field, let stable, _):
            if field < 0 { found.append("the stable field must be 0 or more") }
            if stable.isEmpty { found.append("the stable reply needs at least one value meaning stable") }
        case .statusBits(let field, let mask):
            if field < 0 { found.append("the stable field must be 0 or more") }
            if mask <= 0 { found.append("the stable bit mask must be positive") }
        }
        return found
    }

    static let valuePlaceholder = "{value}"
}

extension String {
    /// How many times `separator` occurs, without overlaps.
    fileprivate func occurrences(of separator: String) -> Int {
        var count = 0
        var rest = self[...]
        while let range = rest.firstRange(of: separator) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}

// MARK: - Rig-file overrides

extension SCPICommandSet {
    /// A rig file's override that cannot be applied.
    public struct InvalidOverride: Error, Sendable, Equatable, CustomStringConvertible {
        public var key: String
        public var reason: String
        public var description: String { "scpi command '\(key)': \(reason)" }
    }

    /// The keys `overriding(_:)` accepts.
    public static let overrideKeys = ["identity", "setpoint", "measure", "measure_field", "stable", "stable_reply",
                                      "unit", "units", "error", "control", "echo_header", "error_flag"]

    /// This dialect with a rig file's `commands:` applied, by key:
    ///
    /// - `identity`, `setpoint` (with `{value}`), `measure`, `stable`: the commands;
    /// - `measure_field`: the reply field with the reading, from 0;
    /// - `stable_reply`: `[field N] equals A|B` (stable when A, not when B; `equals YES|NO`) or
    ///   `[field N] bits M` (stable when all bits of M are set; `bits 16`, `bits 0x10`);
    /// - `unit`: the unit command, empty for none; `units`: the unit it selects (Pa, hPa, kPa, mbar, bar, psi);
    /// - `error`: the error query, empty for none; `control`: commands that start control, separated by `;`;
    /// - `echo_header`: `true`/`false`; `error_flag`: one character, empty for none.
    ///
    /// - Throws: `InvalidOverride` naming the key, for an unknown key, a value that does not parse, or a result
    ///   with `problems`.
    public func overriding(_ overrides: [String: String]) throws(InvalidOverride) -> SCPICommandSet {
        var result = self
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            func invalid(_ reason: String) -> InvalidOverride { InvalidOverride(key: key, reason: reason) }
            let optional: String? = value.allSatisfy(\.isWhitespace) ? nil : value
            switch key {
            case "identity": result.identityQuery = value
            case "setpoint": result.setpointTemplate = value
            case "measure": result.measureQuery = value
            case "stable": result.stableQuery = value
            case "measure_field":
                guard let field = Int(value), field >= 0 else { throw invalid("'\(value)' is not a field number") }
                result.measureField = field
            case "stable_reply":
                guard let reply = StableReply(rule: value) else {
                    throw invalid("'\(value)' is not '[field N] equals A|B' or '[field N] bits M'")
                }
                result.stableReply = reply
            case "unit": result.unitCommand = optional
            case "units":
                guard let unit = PressureUnit.allCases.first(where: { $0.rawValue.lowercased() == value.lowercased() }) else {
                    throw invalid("'\(value)' is not one of " + PressureUnit.allCases.map(\.rawValue).joined(separator: ", "))
                }
                result.unit = unit
            case "error": result.errorQuery = optional
            case "control":
                result.controlCommands = value.split(separator: ";").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
            case "echo_header":
                guard let flag = Bool(value.lowercased()) else { throw invalid("'\(value)' is not true or false") }
                result.echoesHeader = flag
            case "error_flag":
                guard value.count <= 1 else { throw invalid("'\(value)' is not a single character") }
                result.errorFlag = value.first
            default:
                throw invalid("unknown; the keys are " + Self.overrideKeys.joined(separator: ", "))
            }
        }
        if let problem = result.problems.first { throw InvalidOverride(key: "commands", reason: problem) }
        return result
    }
}

extension StableReply {
    /// Parses `[field N] equals A|B` or `[field N] bits M` (M decimal or 0x hex).
    init?(rule: String) {
        var words = rule.split(whereSeparator: \.isWhitespace).map(String.init)
        var field = 0
        if words.first?.lowercased() == "field" {
            guard words.count >= 2, let number = Int(words[1]), number >= 0 else { return nil }
            field = number
            words.removeFirst(2)
        }
        guard words.count == 2 else { return nil }
        switch words[0].lowercased() {
        case "equals":
            let values = words[1].split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(values.count), !values[0].isEmpty else { return nil }
            self = .flag(field: field, stable: [values[0]], unstable: values.count == 2 ? [values[1]] : [])
        case "bits":
            let text = words[1].lowercased()
            let mask = text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
            guard let mask, mask > 0 else { return nil }
            self = .statusBits(field: field, mask: mask)
        default:
            return nil
        }
    }
}

// MARK: - Writing commands, reading replies

extension SCPICommandSet {
    /// The setpoint command for `pascal`, the value in `unit` with nine significant digits.
    public func setpointCommand(pascal: Double) -> String {
        setpointTemplate.replacing(Self.valuePlaceholder, with: Self.decimal(pascal / unit.pascals))
    }

    /// What a reply says once the dialect's decorations are off: the error flag, white space, an echoed header.
    func payload(of reply: String, to query: String) -> (text: Substring, errorFlagged: Bool) {
        var text = reply[...]
        var flagged = false
        if let errorFlag, text.first == errorFlag {
            flagged = true
            text = text.dropFirst()
        }
        text = text.trimmingWhitespace()
        if echoesHeader {
            var header = query.trimmingWhitespace()
            if header.hasSuffix("?") { header = header.dropLast() }
            for candidate in [header, header.hasPrefix(":") ? header.dropFirst() : header]
            where text.uppercased().hasPrefix(candidate.uppercased() + " ") {
                text = text.dropFirst(candidate.count).trimmingWhitespace()
                break
            }
        }
        return (text, flagged)
    }

    /// The reading in a measure reply's payload, in Pa; nil when it is not a reading. A unit after the number
    /// ("101325 PA", "1013.25hPa") is honoured; without one the reading is in `unit`. SCPI's not-a-number
    /// (9.91E37) and infinities (±9.9E37) (SCPI-99 Vol. 1 §7.2.1.5) are no reading.
    func pressure(inPayload payload: Substring) -> Double? {
        guard let field = Self.field(measureField, of: payload),
              let (value, rest) = Self.leadingNumber(in: field), abs(value) < 9.9e37 else { return nil }
        let suffix = rest.trimmingWhitespace()
        guard let unit = suffix.isEmpty ? unit : PressureUnit(symbol: suffix) else { return nil }
        return value * unit.pascals
    }

    /// The stable flag in a stable reply's payload; nil when the reply is neither stable nor unstable.
    func stability(inPayload payload: Substring) -> Bool? {
        switch stableReply {
        case .flag(let field, let stable, let unstable):
            guard let text = Self.field(field, of: payload)?.uppercased(), !text.isEmpty else { return nil }
            if stable.contains(where: { $0.uppercased() == text }) { return true }
            if unstable.isEmpty || unstable.contains(where: { $0.uppercased() == text }) { return false }
            return nil
        case .statusBits(let field, let mask):
            guard let register = Self.field(field, of: payload).flatMap(Self.integer) else { return nil }
            return register & mask == mask
        }
    }

    /// Whether an error-queue reply's payload reports an error: the leading error number is 0 for none
    /// (SCPI-99 Vol. 2 §21.8, `0,"No error"`), or the text says "no error"; nil when it is neither.
    func reportsError(inPayload payload: Substring) -> Bool? {
        let code = payload.prefix { $0 != "," }.trimmingWhitespace()
        if let number = Self.integer(code) { return number != 0 }
        if payload.uppercased().contains("NO ERROR") { return false }
        return nil
    }

    // MARK: Numbers

    /// Comma-separated field `index`, trimmed; nil past the last field.
    static func field(_ index: Int, of payload: Substring) -> Substring? {
        let fields = payload.split(separator: ",", omittingEmptySubsequences: false)
        return index < fields.count ? fields[index].trimmingWhitespace() : nil
    }

    /// A decimal number at the start of `text` (IEEE 488.2 <NRf>: sign, digits, point, exponent) and what follows
    /// it. Stricter than `Double(_:)`, which would also take "nan", "inf" and hexadecimal.
    static func leadingNumber(in text: Substring) -> (Double, Substring)? {
        var index = text.startIndex
        func skip(_ accept: (Character) -> Bool) -> Int {
            var count = 0
            while index < text.endIndex, accept(text[index]) { index = text.index(after: index); count += 1 }
            return count
        }
        if index < text.endIndex, text[index] == "+" || text[index] == "-" { index = text.index(after: index) }
        var digits = skip(\.isASCIIDigit)
        if index < text.endIndex, text[index] == "." {
            index = text.index(after: index)
            digits += skip(\.isASCIIDigit)
        }
        guard digits > 0 else { return nil }
        let mantissaEnd = index
        if index < text.endIndex, text[index] == "e" || text[index] == "E" {
            index = text.index(after: index)
            if index < text.endIndex, text[index] == "+" || text[index] == "-" { index = text.index(after: index) }
            if skip(\.isASCIIDigit) == 0 { index = mantissaEnd }     // "5E" or "5 EXT": no exponent after all
        }
        guard let value = Double(text[text.startIndex..<index]), value.isFinite else { return nil }
        return (value, text[index...])
    }

    /// An integer register value: decimal (a trailing ".0" allowed), or IEEE 488.2 non-decimal #H, #Q, #B.
    static func integer(_ text: Substring) -> Int? {
        let upper = text.uppercased()
        for (prefix, radix) in [("#H", 16), ("#Q", 8), ("#B", 2)] where upper.hasPrefix(prefix) {
            return Int(upper.dropFirst(2), radix: radix)
        }
        guard let (value, rest) = leadingNumber(in: text), rest.isEmpty, value == value.rounded(),
              abs(value) < 1e15 else { return nil }
        return Int(value)
    }

    /// `value` in plain decimal with at most nine significant digits (<NR2>), built from an integer so that no
    /// binary-to-decimal printing artefact reaches the instrument: 14.6959487755 psi is sent as 14.6959488.
    static func decimal(_ value: Double) -> String {
        precondition(value.isFinite, "a setpoint must be finite")
        if value == 0 { return "0" }
        var scaled = abs(value)
        var exponent = 0
        while scaled >= 1e9 { scaled /= 10; exponent += 1 }
        while scaled < 1e8 { scaled *= 10; exponent -= 1 }
        var digits = Int(scaled.rounded())
        if digits == 1_000_000_000 { digits /= 10; exponent += 1 }
        var text = String(digits)
        if exponent >= 0 {
            text += String(repeating: "0", count: exponent)
        } else {
            let point = text.count + exponent
            text = point > 0
                ? String(text.prefix(point)) + "." + text.dropFirst(point)
                : "0." + String(repeating: "0", count: -point) + text
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return (value < 0 ? "-" : "") + text
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isWholeNumber }
}

extension StringProtocol {
    /// Without leading and trailing white space.
    func trimmingWhitespace() -> Substring {
        let text = Substring(self)
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return text[text.endIndex...] }
        return text[first...last]
    }
}
