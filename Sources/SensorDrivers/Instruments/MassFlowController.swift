import SensorIO

/// An MFC's accuracy as its data sheet states it: ±(percent of reading + percent of full scale).
public struct MassFlowAccuracy: Sendable, Equatable {
    public var percentOfReading: Double
    public var percentOfFullScale: Double

    public init(percentOfReading: Double, percentOfFullScale: Double) {
        self.percentOfReading = percentOfReading
        self.percentOfFullScale = percentOfFullScale
    }

    /// Alicat MC series, standard accuracy: ±(0.8 % of reading + 0.2 % of full scale) [from Alicat's data sheets;
    /// unverified here: use the calibration certificate's figure when there is one].
    public static let alicatStandard = MassFlowAccuracy(percentOfReading: 0.8, percentOfFullScale: 0.2)
}

/// One reading of an MFC's data frame, converted to L/min.
public struct MassFlowReading: Sendable, Equatable {
    /// The measured mass flow, L/min (at the MFC's standard conditions).
    public var litresPerMinute: Double
    /// The set point the MFC holds, L/min.
    public var setpointLitresPerMinute: Double
    /// The frame as received, for the record.
    public var reply: String
}

/// One mass-flow controller on a serial ASCII line (RS-232, or RS-485 shared with others by unit id), in a
/// `MassFlowCommandSet` dialect: set a flow, read the flow.
///
/// Every exchange has a deadline of `timeout`. Input nobody read is dropped before each command, so a reply that
/// came after its command timed out never answers the next one (on a shared line, too, since every unit's driver
/// does the same). A reply that is not a frame of this unit is a `.malformedReply` quoting it.
///
/// Not thread-safe: the run's acquisition thread owns it. It does not own the link (MFCs on one line share it):
/// whoever opened the link closes it.
public final class MassFlowController {
    /// The unit id on the line, e.g. `A`.
    public let unitID: String
    public let commands: MassFlowCommandSet
    /// The unit of the MFC's readings and set points.
    public let unit: FlowUnit
    /// Full scale, in `unit`.
    public let fullScale: Double
    public let accuracy: MassFlowAccuracy
    /// The longest wait for one exchange, s.
    public let timeout: Double

    private let link: any InstrumentLink
    private let clock = MonotonicClock()

    /// - Parameters:
    ///   - link: A connected link, shared with the line's other MFCs; its terminator must be the dialect's
    ///     (`commands.address(_:)`).
    ///   - unitID: The unit id on the line.
    ///   - fullScale: Full scale in `unit`.
    ///   - commands: The dialect.
    ///   - timeout: The longest wait for one exchange, s.
    /// - Throws: `.refused` naming the problem when the configuration is unusable (a rig file's mistake): an empty
    ///   unit id, a full scale or timeout that is not positive, accuracy figures that are negative, or a dialect
    ///   with `problems`.
    public init(link: any InstrumentLink, unitID: String, fullScale: Double, unit: FlowUnit,
                accuracy: MassFlowAccuracy = .alicatStandard, commands: MassFlowCommandSet = .alicat,
                timeout: Double = 1) throws(InstrumentError) {
        var problems = commands.problems
        if unitID.isEmpty || unitID.contains(where: \.isWhitespace) { problems.append("unit id '\(unitID)' is empty or has spaces") }
        if !(fullScale.isFinite && fullScale > 0) { problems.append("full scale \(fullScale) \(unit.rawValue) is not positive") }
        if !(accuracy.percentOfReading >= 0 && accuracy.percentOfFullScale >= 0) {
            problems.append("accuracy ±(\(accuracy.percentOfReading) % reading + \(accuracy.percentOfFullScale) % FS) is negative")
        }
        if !(timeout.isFinite && timeout > 0) { problems.append("timeout \(timeout) s is not positive") }
        guard problems.isEmpty else {
            throw InstrumentError(.refused("unusable MFC configuration: " + problems.joined(separator: "; ")),
                                  instrument: "\(link.name) unit \(unitID)", command: "configure")
        }
        self.link = link
        self.unitID = unitID
        self.fullScale = fullScale
        self.unit = unit
        self.accuracy = accuracy
        self.commands = commands
        self.timeout = timeout
    }

    /// The link and unit id, as errors name this MFC.
    public var name: String { "\(link.name) unit \(unitID)" }

    /// Full scale, L/min.
    public var fullScaleLitresPerMinute: Double { fullScale * unit.litresPerMinute }

    /// The data sheet's accuracy half-width at a flow, L/min: ±(% reading·Q + % FS·FS).
    public func accuracyLimit(atLitresPerMinute flow: Double) -> Double {
        (accuracy.percentOfReading * abs(flow) + accuracy.percentOfFullScale * fullScaleLitresPerMinute) / 100
    }

    /// The standard uncertainty of a flow reading, L/min: the accuracy limits taken as the bounds of a rectangular
    /// distribution, a/√3 (GUM §4.3.7), as for a specification with no stated coverage.
    public func standardUncertainty(atLitresPerMinute flow: Double) -> Double {
        accuracyLimit(atLitresPerMinute: flow) / 3.0.squareRoot()
    }

    /// Sets the flow, L/min, and returns the frame the MFC answers with.
    ///
    /// - Throws: `.outOfRange` for a flow below 0, above full scale or not finite, with nothing sent; `.refused`
    ///   when the MFC answers the refusal reply or its frame holds another set point; `.malformedReply` quoting a
    ///   reply that is not this unit's frame; `.timedOut`, `.disconnected`.
    @discardableResult
    public func set(litresPerMinute flow: Double) throws(InstrumentError) -> MassFlowReading {
        let value = flow / unit.litresPerMinute
        guard value.isFinite, value >= 0, value <= fullScale else {
            throw InstrumentError(.outOfRange, instrument: name,
                                  command: value.isFinite ? commands.setpoint(unitID: unitID, value: value) : commands.setpointTemplate)
        }
        let line = commands.setpoint(unitID: unitID, value: value)
        let reading = try ask(line)
        // The frame carries the set point now held: a different one means the command did not take (a ramp, a
        // set point source other than serial).
        let resolution = Swift.max(fullScale * 1e-3, 1.5 * Self.step(commands.setpointDecimals))
        guard abs(reading.setpointLitresPerMinute / unit.litresPerMinute - value) <= resolution else {
            throw InstrumentError(
                .refused("the MFC holds set point \(reading.setpointLitresPerMinute / unit.litresPerMinute) \(unit.rawValue), "
                         + "not \(value) (reply \(reading.reply.debugDescription))"), instrument: name, command: line)
        }
        return reading
    }

    /// Polls the MFC: measured flow and set point.
    ///
    /// - Throws: `.malformedReply` quoting a reply that is not this unit's frame; `.refused` when the frame flags
    ///   the flow as over range; `.timedOut`, `.disconnected`.
    public func read() throws(InstrumentError) -> MassFlowReading {
        try ask(commands.poll(unitID: unitID))
    }

    // MARK: Exchanges

    private static func step(_ decimals: Int) -> Double {
        var step = 1.0
        for _ in 0..<Swift.max(0, decimals) { step /= 10 }
        return step
    }

    /// One line out, one frame back, before one deadline.
    private func ask(_ line: String) throws(InstrumentError) -> MassFlowReading {
        let reply: String
        do throws(InstrumentLinkError) {
            try link.discardPendingInput()
            let deadline = clock.now() + Int64(timeout * 1e9)
            try link.send(line: line, deadline: deadline)
            reply = try link.readLine(deadline: deadline)
        } catch {
            throw InstrumentError(Self.cause(of: error), instrument: name, command: line)
        }
        let trimmed = reply.trimmingSpaces
        if trimmed == commands.refusalReply {
            throw InstrumentError(.refused("the MFC answered \(reply.debugDescription) (command not accepted)"),
                                  instrument: name, command: line)
        }
        guard let frame = commands.frame(in: trimmed), frame.unitID.map({ $0 == unitID }) ?? true else {
            throw InstrumentError(.malformedReply(reply), instrument: name, command: line)
        }
        guard frame.invalidFlowFlags.isEmpty else {
            throw InstrumentError(.refused("the MFC flags its flow reading \(frame.invalidFlowFlags.joined(separator: " ")) "
                                           + "(over range) in \(reply.debugDescription)"), instrument: name, command: line)
        }
        return MassFlowReading(litresPerMinute: frame.massFlow * unit.litresPerMinute,
                               setpointLitresPerMinute: frame.setpoint * unit.litresPerMinute, reply: reply)
    }

    private static func cause(of error: InstrumentLinkError) -> InstrumentError.Cause {
        switch error.cause {
        case .timedOut: .timedOut
        case .lineTooLong(let limit): .malformedReply("a reply longer than \(limit) bytes")
        default: .disconnected
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (no Foundation).
    fileprivate var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
