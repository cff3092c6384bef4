import SensorIO

/// A SCPI current source driving a three-axis Helmholtz coil set, one channel per axis, over an `InstrumentLink`
/// (TCP or serial): the driven `FieldSource` (sensors.md §8.5 items 1 and 4).
///
/// A field request becomes I = B/k per axis with the coil's certified constant k. Currents above the coil's
/// maximum (or negative ones on a unipolar source) are refused before anything is sent. At open it reads the
/// identity and empties the error queue of errors from before us; after every command it reads the error queue, so
/// a refused setting is an error here, not a silent no-op (as `SCPIPressureController`). The outputs go on after the
/// first currents are set, so a channel never first drives a current left from an earlier session.
///
/// The reference value is the *measured* current × k per axis, with u(B)² = (I·u(k))² + (k·u(I))²: u(k) from the
/// coil's certificate, u(I) from the source's stated accuracy (`CurrentAccuracy`, a rectangular bound). The source's
/// current noise i_n × k adds field noise (sensors.md §8.5 item 4: 10 nA/√Hz at 100 µT/A is 1 pT/√Hz); it is the
/// noise figures' business, not this reference value's.
///
/// Not thread-safe: the run's acquisition thread owns it. It owns the link and closes it at deinit.
public final class CoilCurrentSource: FieldSource {
    public private(set) var identity: String
    public let commands: CoilCurrentCommands
    public let coil: HelmholtzCoil
    public let accuracy: CurrentAccuracy
    /// The longest wait for one exchange, s.
    public let timeout: Double

    private let link: any InstrumentLink
    private let clock = MonotonicClock()
    private var outputsOn = false
    private var lateReplyPossible = false

    static let staleErrorLimit = 32

    /// Opens the session: identity, stale errors, the dialect's setup commands per channel.
    ///
    /// - Parameters:
    ///   - link: A connected link; the source owns it from now on.
    ///   - commands: The dialect; its `problems` must be empty (a rig loader checks them at load).
    ///   - coil: The coil's calibration; its `problems` must be empty.
    ///   - accuracy: The source's current-reading accuracy.
    ///   - timeout: The longest wait for one exchange, s.
    /// - Throws: `InstrumentError` naming the link and the command.
    public init(link: any InstrumentLink, commands: CoilCurrentCommands, coil: HelmholtzCoil, accuracy: CurrentAccuracy,
                timeout: Double = 5) throws(InstrumentError) {
        precondition(commands.problems.isEmpty, "\(link.name): unusable command set: \(commands.problems.joined(separator: "; "))")
        precondition(coil.problems.isEmpty, "\(link.name): unusable coil calibration: \(coil.problems.joined(separator: "; "))")
        precondition(accuracy.problems.isEmpty, "\(link.name): \(accuracy.problems.joined(separator: "; "))")
        precondition(timeout > 0, "an instrument timeout must be positive")
        self.link = link
        self.commands = commands
        self.coil = coil
        self.accuracy = accuracy
        self.timeout = timeout
        self.identity = ""

        let reply = try ask(commands.identityQuery).trimmingWhitespace()
        guard !reply.isEmpty else { throw InstrumentError(.malformedReply(""), instrument: link.name, command: commands.identityQuery) }
        identity = String(reply)
        var stale = 0
        while stale < Self.staleErrorLimit, try nextError() != nil { stale += 1 }
        for template in commands.setupTemplates {
            for axis in 0..<3 { try command(commands.command(template, axis: axis)) }
        }
    }

    deinit { link.close() }

    /// Sets I = B/k on each axis, then (the first time) turns the outputs on.
    ///
    /// - Throws: `.refused` naming the limit, with nothing sent, for a current above the coil's maximum, a negative
    ///   current on a unipolar source or a field that is not finite; `.refused` with the instrument's error text
    ///   when its error queue reports one after a command.
    public func apply(_ field: FieldVector) throws(InstrumentError) {
        let currents = coil.currents(for: field)
        for (axis, amperes) in currents.enumerated() {
            let name = ["x", "y", "z"][axis]
            guard amperes.isFinite else {
                throw InstrumentError(.refused("the field \(field) µT is not finite on axis \(name)"), instrument: link.name,
                                      command: commands.setCurrentTemplate)
            }
            let line = commands.setCurrentCommand(axis: axis, amperes: amperes)
            guard abs(amperes) <= coil.maximumCurrent else {
                throw InstrumentError(.refused("axis \(name) needs \(SCPICommandSet.decimal(amperes)) A for "
                                               + "\(SCPICommandSet.decimal([field.x, field.y, field.z][axis])) µT, above the coil's "
                                               + "maximum current \(SCPICommandSet.decimal(coil.maximumCurrent)) A; nothing was sent"),
                                      instrument: link.name, command: line)
            }
            guard amperes >= 0 || commands.bipolar else {
                throw InstrumentError(.refused("axis \(name) needs \(SCPICommandSet.decimal(amperes)) A, and the "
                                               + "\(commands.dialect) source is unipolar; reverse the coil's leads or use a "
                                               + "bipolar source; nothing was sent"),
                                      instrument: link.name, command: line)
            }
        }
        for (axis, amperes) in currents.enumerated() {
            try command(commands.setCurrentCommand(axis: axis, amperes: amperes))
        }
        if !outputsOn {
            for axis in 0..<3 { try command(commands.command(commands.outputOnTemplate, axis: axis)) }
            outputsOn = true
        }
    }

    /// The measured current per axis, A.
    public func measuredCurrents() throws(InstrumentError) -> [Double] {
        var currents: [Double] = []
        for axis in 0..<3 {
            let query = commands.command(commands.measureCurrentTemplate, axis: axis)
            let reply = try ask(query)
            guard let amperes = commands.amperes(inReply: reply) else {
                throw InstrumentError(.malformedReply(reply), instrument: link.name, command: query)
            }
            currents.append(amperes)
        }
        return currents
    }

    /// The measured current × k per axis, with u(B)² = (I·u(k))² + (k·u(I))² (sensors.md §8.5 item 4).
    public func appliedField() throws(InstrumentError) -> AppliedField {
        let currents = try measuredCurrents()
        return AppliedField(field: coil.field(for: currents),
                            standardUncertainty: coil.fieldUncertainty(
                                currents: currents, currentUncertainty: currents.map(accuracy.standardUncertainty(at:))))
    }

    /// Zero current on every axis, then the outputs off.
    public func off() throws(InstrumentError) {
        for axis in 0..<3 { try command(commands.setCurrentCommand(axis: axis, amperes: 0)) }
        for axis in 0..<3 { try command(commands.command(commands.outputOffTemplate, axis: axis)) }
        outputsOn = false
    }

    // MARK: Exchanges

    /// Sends a command, then reads the error queue: an error there is the command's refusal.
    private func command(_ line: String) throws(InstrumentError) {
        _ = try exchange(line, expectingReply: false)
        if let error = try nextError() {
            throw InstrumentError(.refused(error), instrument: link.name, command: line)
        }
    }

    private func ask(_ query: String) throws(InstrumentError) -> String {
        try exchange(query, expectingReply: true) ?? ""
    }

    /// The oldest entry of the error queue, or nil when it is empty or the dialect has no error query.
    private func nextError() throws(InstrumentError) -> String? {
        guard let query = commands.errorQuery else { return nil }
        let reply = try ask(query)
        guard let isError = commands.reportsError(inReply: reply) else {
            throw InstrumentError(.malformedReply(reply), instrument: link.name, command: query)
        }
        return isError ? String(reply.trimmingWhitespace()) : nil
    }

    /// One line out and, for a query, one line back, both before the same deadline; a reply that may arrive after
    /// its query timed out is dropped before the next exchange.
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
            let cause: InstrumentError.Cause = switch error.cause {
            case .timedOut: .timedOut
            case .lineTooLong(let limit): .malformedReply("a reply longer than \(limit) bytes")
            case .disconnected, .io, .invalidAddress: .disconnected
            }
            throw InstrumentError(cause, instrument: link.name, command: line)
        }
    }
}
