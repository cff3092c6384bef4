import SensorDrivers

/// A simulated CPC6050-class pressure controller on the bench manifold: it commands the chamber, reports
/// stable once the pressure has stayed within its stability band for its hold time, and reads the manifold
/// with its own small bias (inside its certificate) and noise.
public final class SimulatedPressureController: PressureReference, Sendable {
    public let identity: String
    /// Control range, Pa absolute.
    public let range: ClosedRange<Double>
    /// |p − setpoint| below which the controller calls the pressure stable, Pa.
    public let stabilityBand: Double
    private let bench: SimulatedBench

    init(identity: String, range: ClosedRange<Double>, stabilityBand: Double, bench: SimulatedBench) {
        self.identity = identity
        self.range = range
        self.stabilityBand = stabilityBand
        self.bench = bench
    }

    public func setPoint(_ pascal: Double) throws(InstrumentError) {
        guard range.contains(pascal) else {
            throw InstrumentError(.outOfRange, instrument: identity, command: "SOUR:PRES \(pascal)")
        }
        bench.command(setpoint: pascal)
    }

    public func isStable() throws(InstrumentError) -> Bool {
        abs(bench.truePressure() - bench.setpoint()) <= stabilityBand
    }

    public func measure() throws(InstrumentError) -> Double {
        bench.referenceReading()
    }

    /// Seconds on the rig's clock: when a scheduled silence of its SCPI server begins.
    var rigTime: Double { Double(bench.clock.now()) * 1e-9 }
}
