import SensorIO

/// A fault schedule for the simulated rig (`sensorquald --simulate --simulate-faults FILE`): which device stops
/// answering, how, and when, so that the daemon's handling of lost devices (DESIGN.md §5) can be shown and tested
/// end to end. It is parsed here, beside the other YAML loaders, so that its errors carry file and line like theirs;
/// the simulator (`SimulatedRig.injectFaults`) resolves the slots and applies it.
///
/// The file is a list; each entry names a slot, or a bus, mux channel and address, and one fault; or a reference
/// instrument that stops answering for a number of lines from a time on (it answers again once the technician has
/// seen to it, as a hung controller does after a power cycle):
///
/// ```yaml
/// - {slot: S3, fault: absent, from_s: 100, to_s: 160}
/// - {bus: bus1, mux_channel: 0, address: 0x77, fault: nack, from_s: 20, to_s: 20.05}
/// - {reference: pc1, fault: silent, from_s: 300, lines: 1}
/// ```
public struct FaultScheduleFile: Sendable {
    /// What the device does while the fault lasts (reference/daemon.md §5.4).
    public enum Fault: String, Sendable, CaseIterable {
        /// It is there but does not acknowledge: EREMOTEIO, as i2c-designware and i2c-bcm2835 report a NACK.
        case nack
        /// The transfer hangs until the adapter gives up: ETIMEDOUT after the adapter's timeout.
        case timeout
        /// Nothing at the address (a pulled connector): ENXIO on every transfer, no data-ready edges.
        case absent
        /// A reference instrument reads the lines it is sent and neither acts nor answers.
        case silent
    }

    public struct Entry: Sendable {
        /// A reference instrument's id (with `fault: silent` and `lines`), instead of a slot or an address.
        public var reference: String?
        /// The lines a silent reference swallows.
        public var lines: Int?
        public var slot: String?
        public var bus: String?
        public var muxChannel: Int?
        public var address: I2CAddress?
        public var fault: Fault
        /// Seconds on the simulated rig's clock: the first run of a fresh daemon starts at 0.
        public var fromS: Double
        public var toS: Double
        /// Where the entry is in the file, for errors found when it is applied (an unknown slot).
        public var line: Int?
    }

    public let file: String
    public let entries: [Entry]

    /// Reads and checks `path`: every entry names a slot or a bus and address, a known fault, and a time span.
    public static func load(path: String) throws(ConfigurationError) -> FaultScheduleFile {
        try parse(YAMLFile(path: path))
    }

    /// Parses schedule text; `name` is what errors call the file.
    public static func parse(text: String, name: String) throws(ConfigurationError) -> FaultScheduleFile {
        try parse(YAMLFile(name: name, text: text))
    }

    static func parse(_ file: YAMLFile) throws(ConfigurationError) -> FaultScheduleFile {
        let raw = try file.decode([RawEntry].self)
        var entries: [Entry] = []
        for (index, entry) in raw.enumerated() {
            let at = [PathKey(index)]
            guard let fault = Fault(rawValue: entry.fault) else {
                throw file.error(at: at + [PathKey("fault")], "fault '\(entry.fault)' is not one of "
                                 + Fault.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard entry.fromS.isFinite, entry.fromS >= 0 else {
                throw file.error(at: at + [PathKey("from_s")], "from_s \(entry.fromS) is not a time ≥ 0 s")
            }
            if let reference = entry.reference {
                guard entry.slot == nil, entry.bus == nil, entry.address == nil, entry.muxChannel == nil, entry.toS == nil else {
                    throw file.error(at: at, "a reference entry names the reference, fault: silent, from_s and lines only")
                }
                guard fault == .silent else {
                    throw file.error(at: at + [PathKey("fault")], "a reference's fault is silent, not \(fault.rawValue)")
                }
                guard let lines = entry.lines, lines >= 1 else {
                    throw file.error(at: at + [PathKey("lines")], "a silent reference needs lines: how many lines it swallows (≥ 1)")
                }
                entries.append(Entry(reference: reference, lines: lines, fault: fault, fromS: entry.fromS, toS: .infinity,
                                     line: file.line(at: at)))
                continue
            }
            guard fault != .silent, entry.lines == nil else {
                throw file.error(at: at + [PathKey("fault")], "silent and lines go with a reference, not with a device")
            }
            switch (entry.slot, entry.bus, entry.address) {
            case (_?, nil, nil):
                guard entry.muxChannel == nil else {
                    throw file.error(at: at + [PathKey("mux_channel")], "mux_channel goes with bus and address, not with slot")
                }
            case (nil, _?, _?):
                if let channel = entry.muxChannel, !(0...7).contains(channel) {
                    throw file.error(at: at + [PathKey("mux_channel")], "mux_channel \(channel) is not 0–7")
                }
            default:
                throw file.error(at: at, "an entry names either a slot, or a bus and an address")
            }
            guard let toS = entry.toS else { throw file.error(at: at, "to_s: required key is missing (when the device's fault ends)") }
            guard toS.isFinite, toS > entry.fromS else {
                throw file.error(at: at + [PathKey("to_s")], "to_s \(toS) is not after from_s \(entry.fromS)")
            }
            entries.append(Entry(slot: entry.slot, bus: entry.bus, muxChannel: entry.muxChannel, address: entry.address,
                                 fault: fault, fromS: entry.fromS, toS: toS, line: file.line(at: at)))
        }
        return FaultScheduleFile(file: file.name, entries: entries)
    }

    private struct RawEntry: Decodable {
        var reference: String?
        var lines: Int?
        var slot: String?
        var bus: String?
        var muxChannel: Int?
        var address: I2CAddress?
        var fault: String
        var fromS: Double
        var toS: Double?

        enum CodingKeys: String, CodingKey {
            case reference, lines, slot, bus, muxChannel = "mux_channel", address, fault, fromS = "from_s", toS = "to_s"
        }
    }
}
