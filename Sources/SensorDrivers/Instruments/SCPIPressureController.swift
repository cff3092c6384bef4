import SensorIO

/// A reference pressure controller (Mensor CPC, Druck PACE, Fluke 6270A) driven in its ASCII command dialect over
/// an `InstrumentLink`: TCP or a serial port, the same code on both.
///
/// At open it reads the identity (`*IDN?`), empties the instrument's error queue of errors from before us, and
/// selects the dialect's unit. After every command it reads the error queue, so a refused setpoint is an error
/// here and not a silent no-op. Every exchange has a deadline of `timeout`; after a timed-out query, input that
/// arrives late is dropped before the next one, so a late reply never answers the wrong query.
///
/// Not thread-safe: the run's acquisition thread owns it. It owns the link and closes it at deinit.
public final class SCPIPressureController: PressureReference {
    /// The `*IDN?` reply, e.g. `GE Druck,PACE5000 User Interface,3128394,02.00.07`.
    public private(set) var identity: String
    public let commands: SCPICommandSet
    /// The setpoints accepted, Pa absolute: the rig file's range for this reference. Others are refused before
    /// anything is sent.
    public let range: ClosedRange<Double>?
    /// The longest wait for one exchange (command or query and its reply), s.
    public let timeout: Double

    private let link: any InstrumentLink
    private let clock = MonotonicClock()
    /// Whether the control commands went out (they follow the first setpoint).
    private var controlling = false
    /// Set when a query timed out: its reply may still come and must not be read as the next one's.
    private var lateReplyPossible = false
    /// Before the stale error queue is emptied at open, an error flag on a reply is not ours.
    private var opened = false

    /// How many stale errors the open reads from the queue at most (SCPI queues hold 10 to 30).
    static let staleErrorLimit = 32

    /// Opens the session: identity, stale errors, unit.
    ///
    /// - Parameters:
    ///   - link: A connected link; the controller owns it from now on.
    ///   - commands: The dialect. Its `problems` must be empty (a rig loader checks them at load).
    ///   - range: Setpoints outside it are refused with `.outOfRange` before anything is sent; nil accepts any.
    ///   - timeout: The longest wait for one exchange, s.
    /// - Throws: `InstrumentError` naming the link and the command: `.timedOut`, `.disconnected`,
    ///   `.malformedReply` (an empty identity), `.refused` when the unit command is refused.
    public init(link: any InstrumentLink, commands: SCPICommandSet, range: ClosedRange<Double>? = nil,
                timeout: Double = 5) throws(InstrumentError) {
        precondition(commands.problems.isEmpty,
                     "\(link.name): unusable command set: \(commands.problems.joined(separator: "; "))")
        precondition(timeout > 0, "an instrument timeout must be positive")
        self.link = link
        self.commands = commands
        self.range = range
        self.timeout = timeout
        self.identity = ""

        let reply = try ask(commands.identityQuery)
        guard !reply.payload.isEmpty else { throw malformed(reply.raw, commands.identityQuery) }
        identity = String(reply.payload)
        var stale = 0
        while stale < Self.staleErrorLimit, try nextError() != nil { stale += 1 }
        opened = true
        if let unitCommand = commands.unitCommand { try command(unitCommand) }
    }

    deinit { link.close() }

    /// Commands the controller to `pascal` (absolute); the first setpoint also starts control.
    ///
    /// - Throws: `.outOfRange` for a setpoint outside `range` or not finite, with nothing sent; `.refused` with
    ///   the instrument's error text when its error queue reports one after the command.
    public func setPoint(_ pascal: Double) throws(InstrumentError) {
        guard pascal.isFinite, range?.contains(pascal) ?? true else {
            let line = pascal.isFinite ? commands.setpointCommand(pascal: pascal) : commands.setpointTemplate
            throw InstrumentError(.outOfRange, instrument: link.name, command: line)
        }
        try command(commands.setpointCommand(pascal: pascal))
        if !controlling {
            for line in commands.controlCommands { try command(line) }
            controlling = true
        }
    }

    /// Whether the controller reports the pressure stable (in limits, ready) at its setpoint.
    ///
    /// - Throws: `.malformedReply` with the reply when it is neither stable nor unstable in the dialect's terms.
    public func isStable() throws(InstrumentError) -> Bool {
        let reply = try ask(commands.stableQuery)
        guard let stable = commands.stability(inPayload: reply.payload) else {
            throw malformed(reply.raw, commands.stableQuery)
        }
        return stable
    }

    /// One reading of the reference sensor, converted to Pa from the unit the reply names, else the dialect's.
    ///
    /// - Throws: `.malformedReply` with the reply when it holds no finite reading.
    public func measure() throws(InstrumentError) -> Double {
        let reply = try ask(commands.measureQuery)
        guard let pressure = commands.pressure(inPayload: reply.payload) else {
            throw malformed(reply.raw, commands.measureQuery)
        }
        return pressure
    }

    // MARK: Exchanges

    /// Sends a command, then reads the error queue: an error there is the command's refusal.
    private func command(_ line: String) throws(InstrumentError) {
        _ = try exchange(line, expectingReply: false)
        if let error = try nextError() {
            throw InstrumentError(.refused(error), instrument: link.name, command: line)
        }
    }

    /// Sends a query and returns its reply, raw and without the dialect's decorations. A reply flagged as "error
    /// queued" (once the session is open) is the query's refusal, with the queue's entry as the reason.
    private func ask(_ query: String) throws(InstrumentError) -> (payload: Substring, raw: String) {
        let raw = try exchange(query, expectingReply: true) ?? ""
        let (payload, flagged) = commands.payload(of: raw, to: query)
        if flagged && opened && query != commands.errorQuery {
            let reason = try nextError() ?? "the instrument flagged an error in its reply \(raw.debugDescription)"
            throw InstrumentError(.refused(reason), instrument: link.name, command: query)
        }
        return (payload, raw)
    }

    /// The oldest entry of the error queue, or nil when it is empty or the dialect has no error query.
    private func nextError() throws(InstrumentError) -> String? {
        guard let query = commands.errorQuery else { return nil }
        let reply = try ask(query)
        guard let isError = commands.reportsError(inPayload: reply.payload) else { throw malformed(reply.raw, query) }
        return isError ? String(reply.payload) : nil
    }

    /// One line out and, for a query, one line back, both before the same deadline.
    private func exchange(_ line: String, expectingReply: Bool) throws(InstrumentError) -> String? {
        do throws(InstrumentLinkError) {
            if lateReplyPossible {
                try link.discardPendingInput()
                lateReplyPossible = false
            }
            let deadline = clock.now() + Int64(timeout * 1e9)
            try link.send(line: line, deadline: deadline)
            return expectingReply ? try link.readLine(deadline: deadline) : nil
        } catch {
            if error.cause == .timedOut && expectingReply { lateReplyPossible = true }
            throw InstrumentError(Self.cause(of: error), instrument: link.name, command: line)
        }
    }

    /// What a link failure means for the instrument: a link that failed with an errno is unusable, like one that
    /// hung up; a line too long to be a reply is a malformed reply.
    private static func cause(of error: InstrumentLinkError) -> InstrumentError.Cause {
        switch error.cause {
        case .timedOut: .timedOut
        case .lineTooLong(let limit): .malformedReply("a reply longer than \(limit) bytes")
        case .disconnected, .io, .invalidAddress: .disconnected
        }
    }

    private func malformed(_ reply: String, _ query: String) -> InstrumentError {
        InstrumentError(.malformedReply(reply), instrument: link.name, command: query)
    }
}
