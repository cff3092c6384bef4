import SensorDrivers

/// The coil's current source driven in process (`sim:coil`), for tests and the simulated rig: the same arithmetic as
/// `CoilCurrentSource` (I = B/k with the certified constant; reference = measured I × k, with u(k) ⊕ u(I)) without a
/// socket between them.
public final class SimulatedCoilFieldSource: FieldSource, Sendable {
    public let identity: String
    public let source: SimulatedCurrentSource
    public let coil: HelmholtzCoil
    public let accuracy: CurrentAccuracy

    public init(source: SimulatedCurrentSource, coil: HelmholtzCoil, accuracy: CurrentAccuracy) {
        self.identity = source.identity
        self.source = source
        self.coil = coil
        self.accuracy = accuracy
    }

    public func apply(_ field: FieldVector) throws(InstrumentError) {
        let currents = coil.currents(for: field)
        for (axis, amperes) in currents.enumerated() where !(amperes.isFinite && abs(amperes) <= coil.maximumCurrent) {
            throw InstrumentError(.refused("axis \(["x", "y", "z"][axis]) needs \(amperes) A, above the coil's maximum current "
                                           + "\(coil.maximumCurrent) A"), instrument: "sim:coil", command: "apply")
        }
        for (axis, amperes) in currents.enumerated() where !source.accepts(amperes) {
            throw InstrumentError(.refused("-222,\"Data out of range\": \(amperes) A on axis \(["x", "y", "z"][axis])"),
                                  instrument: "sim:coil", command: "apply")
        }
        for (axis, amperes) in currents.enumerated() {
            source.setCurrent(axis: axis, amperes: amperes)
            source.setOutput(axis: axis, on: true)
        }
    }

    public func appliedField() throws(InstrumentError) -> AppliedField {
        let currents = (0..<3).map(source.measuredCurrent(axis:))
        return AppliedField(field: coil.field(for: currents),
                            standardUncertainty: coil.fieldUncertainty(
                                currents: currents, currentUncertainty: currents.map(accuracy.standardUncertainty(at:))))
    }

    public func off() throws(InstrumentError) {
        for axis in 0..<3 {
            source.setCurrent(axis: axis, amperes: 0)
            source.setOutput(axis: axis, on: false)
        }
    }
}
