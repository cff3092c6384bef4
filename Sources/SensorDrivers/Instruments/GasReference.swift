/// What delivers a known gas concentration to the gas DUTs' chamber: a mixer of mass-flow controllers (dynamic
/// dilution of a certified cylinder, ISO 6145; reference/sensors.md §8.7), or a technician switching certified
/// cylinders by hand. Implementations block the calling thread and bound every wait, like `PressureReference`.
public protocol GasReference: AnyObject {
    /// Make, model and serial, or how the reference is made (e.g. the mixer's MFCs and cylinder).
    var identity: String { get }
    /// Whether a person connects the gas and confirms it (the manual reference): the run then waits for them,
    /// with the rig's operator timeout.
    var waitsForOperator: Bool { get }
    /// Blocks in real time until the operator has answered or `seconds` have passed.
    func awaitOperator(upTo seconds: Double)
    /// Delivers `ppm` of `gas` in zero air (0 = zero air) at the configured total flow.
    func deliver(gas: String, ppm: Double) throws(InstrumentError)
    /// What is being delivered now as the reference knows it: the concentration from the measured flows and the
    /// cylinder's certified concentration, with its standard uncertainty (cylinder certificate ⊕ MFC accuracy,
    /// GUM propagation through C = C_cyl·Q_span/(Q_span + Q_zero)), and the total flow (L/min).
    func delivered() throws(InstrumentError) -> DeliveredGas
    /// Flows to zero / valves closed at the end of a run.
    func off() throws(InstrumentError)
}

extension GasReference {
    public var waitsForOperator: Bool { false }
    public func awaitOperator(upTo seconds: Double) {}
}

/// The gas at the chamber inlet as the reference states it: the value a gas DUT's reading is compared with.
public struct DeliveredGas: Sendable, Equatable {
    /// The gas's name as the rig names it (`co2`, `ethanol` …).
    public var gas: String
    /// Its concentration in zero air, ppm (µmol/mol).
    public var ppm: Double
    /// Standard uncertainty (k = 1) of `ppm`, ppm.
    public var standardUncertainty: Double
    /// Total flow into the chamber, L/min: with the chamber volume it sets the flush time constant τ = V/Q.
    public var totalFlowLitresPerMinute: Double
    /// Whether the flows have settled at their set points (the mixer) or the technician has confirmed the gas.
    public var stable: Bool

    public init(gas: String, ppm: Double, standardUncertainty: Double, totalFlowLitresPerMinute: Double, stable: Bool) {
        self.gas = gas
        self.ppm = ppm
        self.standardUncertainty = standardUncertainty
        self.totalFlowLitresPerMinute = totalFlowLitresPerMinute
        self.stable = stable
    }
}
