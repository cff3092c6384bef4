/// What applies a known field at the magnetometer DUTs (sensors.md §8.5 items 1 and 4): a coil set driven by a
/// current source, or a technician who sets a coil by hand and reads a reference fluxgate. The run engine asks for a
/// field, waits for it, and takes `appliedField()` as the reference value of the point, with its uncertainty.
/// Implementations block the calling thread and bound every wait, as `PressureReference` does (DESIGN.md §3).
public protocol FieldSource: AnyObject {
    /// Make, model, serial as the instrument reports them (`*IDN?`), or the manual reference's description.
    var identity: String { get }
    /// Whether a person sets the field and types the reading: the run then waits for them, with the rig's
    /// operator timeout.
    var waitsForOperator: Bool { get }
    /// Blocks in real time until the operator has answered or `seconds` have passed.
    func awaitOperator(upTo seconds: Double)
    /// Requests `field` (µT per coil axis x, y, z) at the DUTs; a driven coil sets I = B/k per axis.
    func apply(_ field: FieldVector) throws(InstrumentError)
    /// The field applied now as the reference knows it: measured current × coil constant per axis (driven), or the
    /// technician's entry; with its standard uncertainty per axis (coil-constant certificate ⊕ current reading).
    func appliedField() throws(InstrumentError) -> AppliedField
    /// Zero current / output off at the end of a run.
    func off() throws(InstrumentError)
}

extension FieldSource {
    public var waitsForOperator: Bool { false }
    public func awaitOperator(upTo seconds: Double) {}
}

/// A reference field value: what the DUTs' readings are compared with at one point.
public struct AppliedField: Sendable, Equatable {
    /// µT per coil axis.
    public var field: FieldVector
    /// Standard uncertainty (k = 1) per axis, µT.
    public var standardUncertainty: FieldVector

    public init(field: FieldVector, standardUncertainty: FieldVector) {
        self.field = field
        self.standardUncertainty = standardUncertainty
    }
}
