// The simulator's side of a real wire: a loopback TCP listener or a pty pair, so the SCPI driver and its links
// are tested through the kernel exactly as on a bench. The socket and pty calls are in SCPIServerSyscalls.swift; the
// line framing is SensorIO's own (`LineFramedDescriptor`), shared with the links under test.
import Foundation
import SensorDrivers
import SensorIO
import Synchronization

/// A simulated pressure controller that speaks a `SCPICommandSet` dialect on a loopback socket or a pty, driving a
/// `SimulatedPressureController` on the simulated bench.
///
/// It answers the dialect's identity, error, measure and stable queries, takes its unit, control and setpoint
/// commands, and, like a SCPI instrument, queues `-113,"Undefined header"` for anything else and does not reply
/// to an unknown query. Setpoints outside the controller's range queue `-222,"Data out of range"`. When the
/// dialect has control commands, a setpoint takes effect only once they have all arrived, as on a controller whose
/// output is off. Replies end in CR LF; commands may end in LF or CR LF.
///
/// One client at a time is served, on a thread of the server's own; `stop()` ends it. Faults for tests:
/// `setFault(_:)` (stop answering, or answer garbage) and `dropConnection()`.
///
/// On the pty, the server keeps the slave open while no client has it, so that the master does not hang up, in
/// raw mode so nothing is echoed. A client that opens the slave and closes it without sending a line leaves its
/// `TIOCEXCL` in place, and the next non-root open fails with EBUSY.
public final class SimulatedSCPIServer: Sendable {
    /// Where the server listens.
    public enum Endpoint: Sendable, Equatable {
        /// A TCP listener on 127.0.0.1 with an ephemeral port (`port`).
        case tcpLoopback
        /// A pty pair; clients open the slave (`devicePath`) as a serial port.
        case pseudoTerminal
    }

    /// A misbehaviour to simulate.
    public enum Fault: Sendable, Equatable {
        /// Reads every line and does nothing: no reply, no action (a hung instrument).
        case silent
        /// Answers every query with `reply`, as sent; commands still act.
        case malformedReplies(String)
    }

    /// A system call failed while the server was being set up.
    public struct StartError: Error, Sendable, Equatable, CustomStringConvertible {
        public var operation: String
        public var errno: Int32
        public var description: String { "simulated SCPI server: \(operation): \(InstrumentSyscalls.errorText(errno))" }
    }

    public let endpoint: Endpoint
    /// The listening port on 127.0.0.1 (`.tcpLoopback`), else nil.
    public let port: UInt16?
    /// The pty slave, e.g. `/dev/pts/3` (`.pseudoTerminal`), else nil.
    public let devicePath: String?
    /// The rig-file link that reaches this server, e.g. `scpi-tcp://127.0.0.1:40213` (on a pty the baud rate is
    /// only stored, never used).
    public let link: String

    private let control: ServerControl
    private let finished = DispatchSemaphore(value: 0)

    /// How long `stop()` waits for the serving thread, s; the thread looks at its stop flag every
    /// `ServingLoop.slice`, so only a simulator bug can exhaust this.
    static let stopTimeout = 10.0

    /// Opens the endpoint and starts serving.
    ///
    /// - Parameters:
    ///   - controller: The simulated controller the commands drive and the queries read.
    ///   - commands: The dialect to speak.
    ///   - endpoint: A loopback socket or a pty.
    ///   - powerOnUnit: The unit spoken until the dialect's unit command arrives; the dialect's unit when nil.
    ///     A different one shows whether a driver selects its unit before reading.
    /// - Throws: `StartError` when the socket or pty cannot be set up.
    public init(controller: SimulatedPressureController, commands: SCPICommandSet, endpoint: Endpoint,
                powerOnUnit: PressureUnit? = nil) throws(StartError) {
        let wire: ServingLoop.Wire
        switch endpoint {
        case .tcpLoopback:
            let (listener, port) = try SCPIServerSyscalls.listenOnLoopback()
            wire = .tcp(listener: listener)
            self.port = port
            self.devicePath = nil
            self.link = "scpi-tcp://127.0.0.1:\(port)"
        case .pseudoTerminal:
            let (master, hold, path) = try SCPIServerSyscalls.openPseudoTerminal()
            wire = .pty(master: master, hold: hold, slavePath: path)
            self.port = nil
            self.devicePath = path
            self.link = "scpi-serial://\(path)?baud=115200"
        }
        self.endpoint = endpoint
        let control = ServerControl()
        self.control = control
        let finished = self.finished
        let unit = powerOnUnit ?? commands.unit
        let thread = Thread {
            ServingLoop(wire: wire, controller: controller, commands: commands, unit: unit, control: control).run()
            finished.signal()
        }
        thread.name = "simulated SCPI server"
        thread.start()
    }

    deinit { stop() }

    /// From `time` seconds on the rig's clock, the next `lines` lines get no reply and no action: a controller that
    /// hung and answers again once the technician has seen to it (`sensorquald --simulate-faults`, a `reference:` entry).
    public func silence(lines: Int, from time: Double) {
        control.state.withLock { $0.scheduledSilence = (time, lines) }
    }

    /// Sets or clears (nil) a fault; it applies from the next line the server reads.
    public func setFault(_ fault: Fault?) {
        control.state.withLock { $0.fault = fault }
    }

    /// Closes the client's connection (TCP) or hangs up the pty for good (an unplugged adapter), before the next
    /// line is answered: a query sent after this call gets no reply, only the hang-up.
    public func dropConnection() {
        control.state.withLock { $0.dropRequested = true }
    }

    /// The lines received so far, trimmed, oldest first (the last `ServerControl.logLimit`).
    public var receivedLines: [String] {
        control.state.withLock { $0.received }
    }

    /// Stops serving, closes every descriptor and joins the serving thread. Calling it again does nothing.
    public func stop() {
        let first = control.state.withLock { state in
            defer { state.stopRequested = true }
            return !state.stopRequested
        }
        guard first else { return }
        let joined = finished.wait(timeout: .now() + Self.stopTimeout) == .success
        precondition(joined, "the simulated SCPI server's thread did not stop within \(Self.stopTimeout) s")
    }
}

/// What the test thread and the serving thread share.
private final class ServerControl: Sendable {
    struct State {
        var fault: SimulatedSCPIServer.Fault?
        /// Lines to swallow from a rig time on (`silence(lines:from:)`).
        var scheduledSilence: (from: Double, lines: Int)?
        var dropRequested = false
        var stopRequested = false
        var received: [String] = []
    }

    /// The most lines `receivedLines` keeps.
    static let logLimit = 1000

    let state = Mutex(State())

    func record(_ line: String) {
        state.withLock { state in
            if state.received.count == Self.logLimit { state.received.removeFirst() }
            state.received.append(line)
        }
    }
}

/// The serving thread's loop and the instrument's state; confined to that thread.
private final class ServingLoop {
    enum Wire {
        case tcp(listener: Int32)
        case pty(master: Int32, hold: Int32, slavePath: String)
    }

    /// How long one wait lasts before the loop looks at its stop and drop flags again, ns.
    static let slice: Int64 = 20_000_000
    /// How long a reply may wait for the client to take it, ns.
    static let replyTimeout: Int64 = 1_000_000_000
    /// SCPI error queues hold at least two entries; ten is common. When full, the newest entry becomes
    /// `-350,"Queue overflow"` (SCPI-99 Vol. 2 §21.8.1).
    static let errorQueueLength = 10

    let controller: SimulatedPressureController
    let commands: SCPICommandSet
    let control: ServerControl

    private var listener: Int32 = -1
    private var client: LineFramedDescriptor?
    private var slavePath: String?
    /// The server's own descriptor of the pty slave while no client holds it; -1 otherwise.
    private var hold: Int32 = -1

    // The simulated instrument.
    private var unit: PressureUnit
    private var errors: [String] = []
    private var controlCommandsSeen: Set<Int> = []
    private var pendingSetpoint: Double?

    init(wire: Wire, controller: SimulatedPressureController, commands: SCPICommandSet, unit: PressureUnit,
         control: ServerControl) {
        self.controller = controller
        self.commands = commands
        self.unit = unit
        self.control = control
        switch wire {
        case .tcp(let listener):
            self.listener = listener
        case .pty(let master, let hold, let slavePath):
            self.client = LineFramedDescriptor(descriptor: master, kind: .terminal, name: "simulated SCPI pty master",
                                               terminator: .carriageReturnLineFeed)
            self.hold = hold
            self.slavePath = slavePath
        }
    }

    private var isControlling: Bool { controlCommandsSeen.count == commands.controlCommands.count }

    func run() {
        while !control.state.withLock({ $0.stopRequested }) {
            if takeDropRequest() { continue }
            if let client {
                serve(client)
            } else if listener >= 0 {
                accept()
            } else {
                // Hung up for good: wait to be stopped.
                SCPIServerSyscalls.sleep(milliseconds: Int32(Self.slice / 1_000_000))
            }
        }
        client?.close()
        if listener >= 0 { InstrumentSyscalls.close(listener) }
        if hold >= 0 { InstrumentSyscalls.close(hold) }
    }

    /// Acts on `dropConnection()`; true when there was a request.
    private func takeDropRequest() -> Bool {
        let requested = control.state.withLock { state in
            defer { state.dropRequested = false }
            return state.dropRequested
        }
        guard requested else { return false }
        client?.close()
        client = nil
        if slavePath != nil {           // the pty is gone with its master
            slavePath = nil
            if hold >= 0 { InstrumentSyscalls.close(hold) }
            hold = -1
        }
        return true
    }

    private func accept() {
        guard let fd = SCPIServerSyscalls.accept(listener, waitingMilliseconds: Int32(Self.slice / 1_000_000)) else {
            return      // nobody came, or the client gave up already; wait for the next
        }
        client = LineFramedDescriptor(descriptor: fd, kind: .socket, name: "simulated SCPI connection",
                                      terminator: .carriageReturnLineFeed)
    }

    private func serve(_ channel: LineFramedDescriptor) {
        let line: String
        do throws(InstrumentLinkError) {
            line = try channel.readLine(deadline: MonotonicClock().now() + Self.slice)
        } catch {
            switch error.cause {
            case .timedOut, .lineTooLong: return
            default: clientLeft()
            }
            return
        }
        if hold >= 0 {                  // a client has the pty slave now; its close must reach the master
            InstrumentSyscalls.close(hold)
            hold = -1
        }
        if takeDropRequest() { return }
        let text = line.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        control.record(text)
        let now = controller.rigTime
        let swallowed = control.state.withLock { state in
            guard let silence = state.scheduledSilence, now >= silence.from, silence.lines > 0 else { return false }
            state.scheduledSilence = silence.lines > 1 ? (silence.from, silence.lines - 1) : nil
            return true
        }
        let fault = control.state.withLock { $0.fault }
        guard !swallowed, fault != .silent, let reply = respond(to: text) else { return }
        var sent = reply
        if case .malformedReplies(let garbage) = fault { sent = garbage }
        do throws(InstrumentLinkError) {
            try channel.send(line: sent, deadline: MonotonicClock().now() + Self.replyTimeout)
        } catch {
            clientLeft()
        }
    }

    /// The TCP client closed: wait for the next. The pty client closed the slave: hold it again, or, if that
    /// fails, give up the pty (a master without a slave would report the hang-up on every poll).
    private func clientLeft() {
        if listener >= 0 {
            client?.close()
            client = nil
            return
        }
        guard let slavePath, hold < 0 else { return }
        do throws(SimulatedSCPIServer.StartError) {
            hold = try SCPIServerSyscalls.holdSlave(slavePath)
        } catch {
            client?.close()
            client = nil
            self.slavePath = nil
        }
    }

    // MARK: The instrument

    /// The reply to `text`, or nil for a command or an unknown query (which queues -113).
    private func respond(to text: String) -> String? {
        func matches(_ command: String?) -> Bool {
            command.map { text.caseInsensitiveCompare($0.trimmingCharacters(in: .whitespaces)) == .orderedSame } ?? false
        }
        if matches(commands.identityQuery) { return decorated(controller.identity, answering: commands.identityQuery) }
        if let query = commands.errorQuery, matches(query) {
            let entry = errors.isEmpty ? "0,\"No error\"" : errors.removeFirst()
            return decorated(entry, answering: query)
        }
        if matches(commands.measureQuery) {
            let reading = reading(controller.readingOrNaN())
            return decorated(fields(reading, at: commands.measureField, filler: reading), answering: commands.measureQuery)
        }
        if matches(commands.stableQuery) {
            return decorated(stableReply(), answering: commands.stableQuery)
        }
        if matches(commands.unitCommand) {
            unit = commands.unit
            return nil
        }
        if let index = commands.controlCommands.firstIndex(where: matches) {
            controlCommandsSeen.insert(index)
            if isControlling, let pending = pendingSetpoint {
                pendingSetpoint = nil
                apply(pending)
            }
            return nil
        }
        if let value = setpoint(in: text) {
            guard let value else {
                queue("-104,\"Data type error\"")
                return nil
            }
            let pascal = value * unit.pascals
            guard controller.range.contains(pascal) else {
                queue("-222,\"Data out of range\"")
                return nil
            }
            if isControlling { apply(pascal) } else { pendingSetpoint = pascal }
            return nil
        }
        queue("-113,\"Undefined header\"")
        return nil
    }

    private func apply(_ pascal: Double) {
        do throws(InstrumentError) {
            try controller.setPoint(pascal)
        } catch {
            queue("-222,\"Data out of range\"")
        }
    }

    /// The number in a setpoint command: nil when `text` is not one, .some(nil) when its value is not a number.
    private func setpoint(in text: String) -> Double?? {
        let parts = commands.setpointTemplate.components(separatedBy: "{value}")
        let prefix = parts[0], suffix = parts[1]
        guard text.count > prefix.count + suffix.count,
              text.uppercased().hasPrefix(prefix.uppercased()), text.uppercased().hasSuffix(suffix.uppercased()) else {
            return nil
        }
        let number = text.dropFirst(prefix.count).dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
        guard let value = Double(number), value.isFinite else { return .some(nil) }
        return value
    }

    private func stableReply() -> String {
        let stable = (try? controller.isStable()) ?? false
        let reading = reading(controller.readingOrNaN())
        switch commands.stableReply {
        case .flag(let field, let stableValues, let unstableValues):
            let value = stable ? stableValues[0] : (unstableValues.first ?? "0")
            return fields(value, at: field, filler: reading)
        case .statusBits(let field, let mask):
            return fields(String(stable ? mask : 0), at: field, filler: reading)
        }
    }

    /// A reading in the current unit as SCPI <NR3> with an explicit sign, e.g. `+1.0132500E+05`.
    private func reading(_ pascal: Double) -> String {
        String(format: "%+.7E", pascal / unit.pascals)
    }

    /// `value` as comma-separated field `index`, earlier fields holding `filler`.
    private func fields(_ value: String, at index: Int, filler: String) -> String {
        (Array(repeating: filler, count: index) + [value]).joined(separator: ", ")
    }

    /// The dialect's decorations: the echoed header, the error flag (or the space that stands for none).
    private func decorated(_ payload: String, answering query: String) -> String {
        var reply = payload
        if commands.echoesHeader {
            var header = query.trimmingCharacters(in: .whitespaces)
            if header.hasSuffix("?") { header.removeLast() }
            reply = header + " " + reply
        }
        if let flag = commands.errorFlag { reply = (errors.isEmpty ? " " : String(flag)) + reply }
        return reply
    }

    private func queue(_ error: String) {
        if errors.count < Self.errorQueueLength {
            errors.append(error)
        } else {
            errors[errors.count - 1] = "-350,\"Queue overflow\""
        }
    }
}

extension SimulatedPressureController {
    /// A reading; the simulated controller never fails to read.
    fileprivate func readingOrNaN() -> Double { (try? measure()) ?? .nan }
}
