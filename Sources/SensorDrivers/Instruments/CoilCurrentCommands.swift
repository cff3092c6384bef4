/// The commands one make of current source understands: a dialect, like `SCPICommandSet` for pressure controllers.
/// One instrument drives the three coil axes, one channel each (a triple-output supply in constant-current mode, or
/// a multi-channel precision source). Templates hold `{channel}` (the axis's channel name from `channels`) and
/// `{value}` (amperes, plain decimal); a rig file can override any member by name (`overriding(_:)`).
public struct CoilCurrentCommands: Sendable, Equatable {
    /// The dialect's name, e.g. `keysight-e36300`.
    public var dialect: String
    /// Asks for make, model, serial and firmware (IEEE 488.2 `*IDN?`).
    public var identityQuery: String
    /// Sets a channel's current; `{channel}` and `{value}` (A) are replaced.
    public var setCurrentTemplate: String
    /// Turns a channel's output on; `{channel}` is replaced.
    public var outputOnTemplate: String
    /// Turns a channel's output off; `{channel}` is replaced.
    public var outputOffTemplate: String
    /// Asks for a channel's measured current (A); `{channel}` is replaced.
    public var measureCurrentTemplate: String
    /// The comma-separated field of the measure reply that holds the reading (from 0).
    public var measureField: Int
    /// Pops the oldest entry of the error queue (`SYST:ERR?`: `0,"No error"` when empty); nil when the instrument
    /// has none. Checked after every command.
    public var errorQuery: String?
    /// The channel names of the x, y and z coils, as `{channel}` takes them.
    public var channels: [String]
    /// Sent once per channel at open, `{channel}` replaced (a voltage compliance limit, a remote mode).
    public var setupTemplates: [String]
    /// Whether the channels can drive negative current. A unipolar supply cannot reverse the field: a negative
    /// request is refused before anything is sent (reverse the coil's leads, or use a bipolar source).
    public var bipolar: Bool

    public init(dialect: String, identityQuery: String = "*IDN?", setCurrentTemplate: String, outputOnTemplate: String,
                outputOffTemplate: String, measureCurrentTemplate: String, measureField: Int = 0,
                errorQuery: String? = "SYST:ERR?", channels: [String], setupTemplates: [String] = [], bipolar: Bool) {
        self.dialect = dialect
        self.identityQuery = identityQuery
        self.setCurrentTemplate = setCurrentTemplate
        self.outputOnTemplate = outputOnTemplate
        self.outputOffTemplate = outputOffTemplate
        self.measureCurrentTemplate = measureCurrentTemplate
        self.measureField = measureField
        self.errorQuery = errorQuery
        self.channels = channels
        self.setupTemplates = setupTemplates
        self.bipolar = bipolar
    }

    // MARK: Presets

    /// Keysight E36300-series triple-output supply (E36311A/E36312A/E36313A) in constant-current operation: the
    /// default dialect. SCPI with IEEE 488.2 channel lists, `CURR <A>,(@<ch>)`, `OUTP ON|OFF,(@<ch>)`,
    /// `MEAS:CURR? (@<ch>)`, `SYST:ERR?`. Unverified: the programming guide was not at hand; these are the E36300
    /// forms as third-party control programs use them. The channels are unipolar; the voltage setting must be
    /// high enough for the coil's resistance at the largest current, so the output stays in CC mode.
    public static let keysightE36300 = CoilCurrentCommands(
        dialect: "keysight-e36300", setCurrentTemplate: "CURR {value},(@{channel})",
        outputOnTemplate: "OUTP ON,(@{channel})", outputOffTemplate: "OUTP OFF,(@{channel})",
        measureCurrentTemplate: "MEAS:CURR? (@{channel})", channels: ["1", "2", "3"], bipolar: false)

    /// The built-in dialects, by the name a rig file gives.
    public static let presets: [String: CoilCurrentCommands] = [keysightE36300.dialect: keysightE36300]

    static let channelPlaceholder = "{channel}"
    static let valuePlaceholder = "{value}"

    // MARK: Commands

    /// The set-current command for `axis` (0/1/2 = x/y/z) and `amperes`, nine significant digits.
    public func setCurrentCommand(axis: Int, amperes: Double) -> String {
        setCurrentTemplate.replacing(Self.channelPlaceholder, with: channels[axis])
            .replacing(Self.valuePlaceholder, with: SCPICommandSet.decimal(amperes))
    }

    /// `template` with `{channel}` of `axis`.
    public func command(_ template: String, axis: Int) -> String {
        template.replacing(Self.channelPlaceholder, with: channels[axis])
    }

    /// The current in a measure reply, A; nil when it is not a finite reading (SCPI's 9.9E37 included).
    func amperes(inReply reply: String) -> Double? {
        guard let field = SCPICommandSet.field(measureField, of: reply.trimmingWhitespace()),
              let (value, rest) = SCPICommandSet.leadingNumber(in: field), abs(value) < 9.9e37 else { return nil }
        let unit = rest.trimmingWhitespace().uppercased()
        return unit.isEmpty || unit == "A" ? value : nil
    }

    /// Whether an error-queue reply reports an error: the leading number is 0 for none (SCPI-99 Vol. 2 §21.8);
    /// nil when the reply is neither.
    func reportsError(inReply reply: String) -> Bool? {
        let code = reply.prefix { $0 != "," }.trimmingWhitespace()
        if let number = SCPICommandSet.integer(code) { return number != 0 }
        if reply.uppercased().contains("NO ERROR") { return false }
        return nil
    }

    // MARK: Checks

    /// What makes this command set unusable, empty when it is fine.
    public var problems: [String] {
        var found: [String] = []
        let lines = [identityQuery, setCurrentTemplate, outputOnTemplate, outputOffTemplate, measureCurrentTemplate]
            + setupTemplates + channels + [errorQuery].compactMap { $0 }
        for line in lines where line.contains(where: { $0 == "\n" || $0 == "\r" }) {
            found.append("command \(line.debugDescription) contains a line break")
        }
        if identityQuery.allSatisfy(\.isWhitespace) { found.append("the identity query is empty") }
        if channels.count != 3 || channels.contains(where: { $0.isEmpty }) {
            found.append("three channel names are needed, for the x, y and z coils: \(channels)")
        }
        func count(_ placeholder: String, in text: String) -> Int { text.components(separatedBy: placeholder).count - 1 }
        if count(Self.valuePlaceholder, in: setCurrentTemplate) != 1 || count(Self.channelPlaceholder, in: setCurrentTemplate) != 1 {
            found.append("the set-current command must contain {channel} and {value} once each: \(setCurrentTemplate.debugDescription)")
        }
        for (name, template) in [("output-on", outputOnTemplate), ("output-off", outputOffTemplate),
                                 ("measure", measureCurrentTemplate)]
        where count(Self.channelPlaceholder, in: template) != 1 {
            found.append("the \(name) command must contain {channel} once: \(template.debugDescription)")
        }
        if measureField < 0 { found.append("the measure field must be 0 or more") }
        return found
    }
}

// MARK: - Rig-file overrides

extension CoilCurrentCommands {
    /// The keys `overriding(_:)` accepts.
    public static let overrideKeys = ["identity", "set_current", "output_on", "output_off", "measure", "measure_field",
                                      "error", "channels", "setup", "bipolar"]

    /// This dialect with a rig file's `commands:` applied, by key: `identity`, `set_current` (with `{channel}` and
    /// `{value}`), `output_on`, `output_off`, `measure` (with `{channel}`); `measure_field` (from 0); `error` (empty
    /// for none); `channels` (three names separated by `,`, e.g. `CH1,CH2,CH3`); `setup` (templates separated by
    /// `;`); `bipolar` (`true`/`false`).
    ///
    /// - Throws: `SCPICommandSet.InvalidOverride` naming the key, for an unknown key, a value that does not parse,
    ///   or a result with `problems`.
    public func overriding(_ overrides: [String: String]) throws(SCPICommandSet.InvalidOverride) -> CoilCurrentCommands {
        var result = self
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            func invalid(_ reason: String) -> SCPICommandSet.InvalidOverride { .init(key: key, reason: reason) }
            switch key {
            case "identity": result.identityQuery = value
            case "set_current": result.setCurrentTemplate = value
            case "output_on": result.outputOnTemplate = value
            case "output_off": result.outputOffTemplate = value
            case "measure": result.measureCurrentTemplate = value
            case "measure_field":
                guard let field = Int(value), field >= 0 else { throw invalid("'\(value)' is not a field number") }
                result.measureField = field
            case "error": result.errorQuery = value.allSatisfy(\.isWhitespace) ? nil : value
            case "channels":
                result.channels = value.split(separator: ",").map { String($0.trimmingWhitespace()) }
            case "setup":
                result.setupTemplates = value.split(separator: ";").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
            case "bipolar":
                switch value.lowercased() {
                case "true", "yes": result.bipolar = true
                case "false", "no": result.bipolar = false
                default: throw invalid("'\(value)' is not true or false")
                }
            default:
                throw invalid("unknown key; the keys are \(Self.overrideKeys.joined(separator: ", "))")
            }
        }
        if let problem = result.problems.first { throw SCPICommandSet.InvalidOverride(key: "commands", reason: problem) }
        return result
    }
}
