// The simulated current source's side of a real wire (`LoopbackLineServer`), so `CoilCurrentSource` is tested through
// the kernel as on a bench.
import Foundation
import SensorDrivers
import SensorIO
import Synchronization

/// A `SimulatedCurrentSource` speaking a `CoilCurrentCommands` dialect on 127.0.0.1.
///
/// It answers the identity, error and measure queries and takes the set-current, output and setup commands; like
/// a SCPI instrument it queues `-113,"Undefined header"` for anything else (and does not reply to an unknown
/// query), `-222,"Data out of range"` for a current outside the source's range and `-104,"Data type error"` for a
/// value that is not a number. Replies end in CR LF. One client at a time, on a thread of the server's own;
/// `stop()` ends it.
public final class SimulatedCurrentSourceServer: Sendable {
    public let port: UInt16
    /// The rig-file link that reaches this server, e.g. `scpi-tcp://127.0.0.1:40213`.
    public let link: String
    private let server: LoopbackLineServer
    private let instrument: CurrentSourceInstrument

    /// Opens the listener and starts serving.
    ///
    /// - Throws: `SimulatedSCPIServer.StartError` when the socket cannot be set up.
    public init(source: SimulatedCurrentSource, commands: CoilCurrentCommands) throws(SimulatedSCPIServer.StartError) {
        let instrument = CurrentSourceInstrument(source: source, commands: commands)
        server = try LoopbackLineServer(name: "simulated current source", terminator: .carriageReturnLineFeed) { line in
            instrument.respond(to: line)
        }
        self.instrument = instrument
        port = server.port
        link = "scpi-tcp://127.0.0.1:\(server.port)"
    }

    /// The lines received so far, trimmed, oldest first.
    public var receivedLines: [String] { server.receivedLines }

    /// Puts an entry in the instrument's error queue, as if it had found a fault of its own (`-300,"Device-specific
    /// error"`); it is reported by the next error query.
    public func injectError(_ entry: String) {
        instrument.errors.withLock { $0.append(entry) }
    }

    /// Stops serving and joins the serving thread. Calling it again does nothing.
    public func stop() {
        server.stop()
    }
}

/// The instrument behind the wire: its SCPI replies and its error queue (shared with the test thread, which may
/// inject an entry).
private final class CurrentSourceInstrument: Sendable {
    let source: SimulatedCurrentSource
    let commands: CoilCurrentCommands
    let errors = Mutex<[String]>([])

    init(source: SimulatedCurrentSource, commands: CoilCurrentCommands) {
        self.source = source
        self.commands = commands
    }

    /// The reply to `text`, or nil for a command or an unknown query.
    func respond(to text: String) -> String? {
        if Self.matches(commands.identityQuery, text) != nil { return source.identity }
        if let query = commands.errorQuery, Self.matches(query, text) != nil {
            return errors.withLock { $0.isEmpty ? "0,\"No error\"" : $0.removeFirst() }
        }
        if let fields = Self.matches(commands.measureCurrentTemplate, text), let axis = axis(fields) {
            let reading = String(format: "%+.7E", source.measuredCurrent(axis: axis))
            return (Array(repeating: reading, count: commands.measureField) + [reading]).joined(separator: ",")
        }
        if let fields = Self.matches(commands.setCurrentTemplate, text), let axis = axis(fields) {
            guard let value = fields["value"].flatMap(Double.init), value.isFinite else {
                queue("-104,\"Data type error\"")
                return nil
            }
            if !source.setCurrent(axis: axis, amperes: value) { queue("-222,\"Data out of range\"") }
            return nil
        }
        if let fields = Self.matches(commands.outputOnTemplate, text), let axis = axis(fields) {
            source.setOutput(axis: axis, on: true)
            return nil
        }
        if let fields = Self.matches(commands.outputOffTemplate, text), let axis = axis(fields) {
            source.setOutput(axis: axis, on: false)
            return nil
        }
        if commands.setupTemplates.contains(where: { Self.matches($0, text).flatMap(axis) != nil }) { return nil }
        queue("-113,\"Undefined header\"")
        return nil
    }

    /// The axis whose channel name `fields` holds.
    private func axis(_ fields: [String: String]) -> Int? {
        guard let channel = fields["channel"] else { return nil }
        return commands.channels.firstIndex { $0.caseInsensitiveCompare(channel) == .orderedSame }
    }

    private func queue(_ error: String) {
        errors.withLock { errors in
            if errors.count < 10 { errors.append(error) } else { errors[9] = "-350,\"Queue overflow\"" }
        }
    }

    /// The placeholders' values when `text` has the form of `template` (literal parts compared case-insensitively,
    /// white space around placeholders ignored); nil when it does not.
    static func matches(_ template: String, _ text: String) -> [String: String]? {
        var parts: [(literal: String, placeholder: String?)] = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            parts.append((String(rest[..<open]), String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        parts.append((String(rest), nil))
        var remaining = text[...]
        var values: [String: String] = [:]
        for (index, part) in parts.enumerated() {
            let literal = part.literal.trimmingCharacters(in: .whitespaces).uppercased()
            remaining = remaining.drop { $0 == " " }
            guard remaining.uppercased().hasPrefix(literal) else { return nil }
            remaining = remaining.dropFirst(literal.count)
            guard let name = part.placeholder else { return remaining.allSatisfy { $0 == " " } ? values : nil }
            let next = parts[index + 1].literal.trimmingCharacters(in: .whitespaces).uppercased()
            let end: Substring.Index
            if next.isEmpty {
                end = index + 1 == parts.count - 1 ? remaining.endIndex
                    : remaining.firstIndex(where: { $0 == " " }) ?? remaining.endIndex
            } else {
                guard let range = remaining.uppercased().range(of: next) else { return nil }
                end = remaining.index(remaining.startIndex, offsetBy: remaining.uppercased().distance(
                    from: remaining.uppercased().startIndex, to: range.lowerBound))
            }
            values[name] = remaining[..<end].trimmingCharacters(in: .whitespaces)
            remaining = remaining[end...]
        }
        return values
    }
}
