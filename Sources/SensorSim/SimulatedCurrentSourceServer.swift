// The simulated current source's side of a real wire: a loopback TCP listener (SCPIServerSyscalls.swift) framed by
// SensorIO's own `LineFramedDescriptor`, so `CoilCurrentSource` is tested through the kernel as on a bench.
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
    private let control: Control
    private let finished = DispatchSemaphore(value: 0)

    final class Control: Sendable {
        struct State {
            var stopRequested = false
            var received: [String] = []
            var injected: [String] = []
        }
        let state = Mutex(State())
    }

    /// Opens the listener and starts serving.
    ///
    /// - Throws: `SimulatedSCPIServer.StartError` when the socket cannot be set up.
    public init(source: SimulatedCurrentSource, commands: CoilCurrentCommands) throws(SimulatedSCPIServer.StartError) {
        let (listener, port) = try SCPIServerSyscalls.listenOnLoopback()
        self.port = port
        self.link = "scpi-tcp://127.0.0.1:\(port)"
        let control = Control()
        self.control = control
        let finished = self.finished
        let thread = Thread {
            CurrentSourceLoop(listener: listener, source: source, commands: commands, control: control).run()
            finished.signal()
        }
        thread.name = "simulated current source"
        thread.start()
    }

    deinit { stop() }

    /// The lines received so far, trimmed, oldest first.
    public var receivedLines: [String] { control.state.withLock { $0.received } }

    /// Puts an entry in the instrument's error queue, as if it had found a fault of its own (`-300,"Device-specific
    /// error"`); it is reported by the next error query.
    public func injectError(_ entry: String) {
        control.state.withLock { $0.injected.append(entry) }
    }

    /// Stops serving and joins the serving thread. Calling it again does nothing.
    public func stop() {
        let first = control.state.withLock { state in
            defer { state.stopRequested = true }
            return !state.stopRequested
        }
        guard first else { return }
        let joined = finished.wait(timeout: .now() + SimulatedSCPIServer.stopTimeout) == .success
        precondition(joined, "the simulated current source's thread did not stop within \(SimulatedSCPIServer.stopTimeout) s")
    }
}

/// The serving thread's state: the listener, the client, the instrument's error queue.
private final class CurrentSourceLoop {
    let listener: Int32
    let source: SimulatedCurrentSource
    let commands: CoilCurrentCommands
    let control: SimulatedCurrentSourceServer.Control
    var client: LineFramedDescriptor?
    var errors: [String] = []

    /// How long one wait lasts before the stop flag is looked at again, ns.
    static let slice: Int64 = 20_000_000

    init(listener: Int32, source: SimulatedCurrentSource, commands: CoilCurrentCommands,
         control: SimulatedCurrentSourceServer.Control) {
        self.listener = listener
        self.source = source
        self.commands = commands
        self.control = control
    }

    func run() {
        while !control.state.withLock({ $0.stopRequested }) {
            if let client {
                serve(client)
            } else if let fd = SCPIServerSyscalls.accept(listener, waitingMilliseconds: Int32(Self.slice / 1_000_000)) {
                client = LineFramedDescriptor(descriptor: fd, kind: .socket, name: "simulated current source connection",
                                              terminator: .carriageReturnLineFeed)
            }
        }
        client?.close()
        InstrumentSyscalls.close(listener)
    }

    private func serve(_ channel: LineFramedDescriptor) {
        let line: String
        do throws(InstrumentLinkError) {
            line = try channel.readLine(deadline: MonotonicClock().now() + Self.slice)
        } catch {
            if error.cause != .timedOut && error.cause != .lineTooLong(limit: LineFramedDescriptor.maximumLineLength) {
                channel.close()
                client = nil
            }
            return
        }
        let text = line.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        let injected = control.state.withLock { state in
            state.received.append(text)
            defer { state.injected = [] }
            return state.injected
        }
        errors += injected
        guard let reply = respond(to: text) else { return }
        do throws(InstrumentLinkError) {
            try channel.send(line: reply, deadline: MonotonicClock().now() + 1_000_000_000)
        } catch {
            channel.close()
            client = nil
        }
    }

    /// The reply to `text`, or nil for a command or an unknown query.
    private func respond(to text: String) -> String? {
        if Self.matches(commands.identityQuery, text) != nil { return source.identity }
        if let query = commands.errorQuery, Self.matches(query, text) != nil {
            return errors.isEmpty ? "0,\"No error\"" : errors.removeFirst()
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
        if errors.count < 10 { errors.append(error) } else { errors[9] = "-350,\"Queue overflow\"" }
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
