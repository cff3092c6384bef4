/// A reference pressure controller (Mensor CPC, Druck PACE, Fluke 6270A class) as the run engine uses it:
/// set a point, wait for stable, read the reference. Implementations block the calling thread and must
/// bound every wait (DESIGN.md §3); the SCPI driver and the simulated controller both implement it.
public protocol PressureReference: AnyObject {
    /// Make, model, serial as the instrument reports them (`*IDN?`).
    var identity: String { get }
    /// Commands the controller to `pascal` (absolute).
    func setPoint(_ pascal: Double) throws(InstrumentError)
    /// Whether the controller reports the pressure stable at its setpoint.
    func isStable() throws(InstrumentError) -> Bool
    /// One reading of the reference sensor, Pa absolute.
    func measure() throws(InstrumentError) -> Double
    /// Whether a person sets the pressure and reads the reference (the manual reference): the run then
    /// waits for them, with the rig's operator timeout.
    var waitsForOperator: Bool { get }
    func awaitOperator(upTo seconds: Double)
}

extension PressureReference {
    public var waitsForOperator: Bool { false }
    /// Blocks in real time until the operator has answered or `seconds` have passed; for a run on a virtual
    /// clock, whose time must not race ahead while a person types.
    public func awaitOperator(upTo seconds: Double) {}
}

/// A reference instrument failed to answer or refused a command.
public struct InstrumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Cause: Sendable, Equatable {
        case timedOut
        case refused(String)
        case disconnected
        case outOfRange
        case malformedReply(String)
    }
    public var cause: Cause
    public var instrument: String
    public var command: String

    public init(_ cause: Cause, instrument: String, command: String) {
        self.cause = cause
        self.instrument = instrument
        self.command = command
    }

    public var description: String { "\(instrument): \(command): \(cause)" }
}
