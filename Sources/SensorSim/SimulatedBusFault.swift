import Qualification
import SensorIO

/// A fault of one device on the simulated adapter, as a real bus shows it (reference/daemon.md §5.4): from `from` to
/// `to` (seconds on the simulated clock) every transfer to `address` (behind mux channel `channel`, or on the bus
/// itself) fails the way `kind` says. The device keeps its registers: the fault is on the wires.
public struct SimulatedBusFault: Sendable, Equatable {
    public typealias Kind = FaultScheduleFile.Fault

    public var channel: Int?
    public var address: I2CAddress
    public var kind: Kind
    public var from: Double
    public var to: Double

    public init(channel: Int?, address: I2CAddress, kind: Kind, from: Double, to: Double) {
        self.channel = channel
        self.address = address
        self.kind = kind
        self.from = from
        self.to = to
    }

    func isActive(at time: Double) -> Bool { time >= from && time < to }

    /// How the adapter reports a transfer during the fault: the errno a Linux adapter returns.
    func error(bus: String) -> I2CError {
        switch kind {
        case .absent, .silent:      // the schedule gives `silent` to references only; on a bus it would be absence
            I2CError(.noAcknowledge, bus: bus, address: address, operation: "transfer", errno: 6 /* ENXIO: address not acknowledged */)
        case .nack:
            I2CError(.noAcknowledge, bus: bus, address: address, operation: "transfer", errno: 121 /* EREMOTEIO: NACK */)
        case .timeout:
            I2CError(.timedOut, bus: bus, address: address, operation: "transfer", errno: 110 /* ETIMEDOUT */)
        }
    }
}
