// The simulated gas mixer's wire: two MFCs answering by unit id on one loopback TCP socket (`LoopbackLineServer`), as
// Alicat units share an RS-485 line behind a serial-to-Ethernet server.
import Foundation
import SensorDrivers
import SensorIO
import Synchronization

/// A span-gas MFC and a zero-air MFC of a dilution mixer on the simulated bench, speaking the Alicat ASCII dialect
/// (`MassFlowCommandSet.alicat`, CR-terminated) on a loopback socket.
///
/// A poll `{id}` answers a data frame; `{id}S{value}` sets a flow (clamped to 0…full scale) and answers a frame;
/// other lines to a known unit answer `?`; lines to another unit id get no answer (another drop's business). Every
/// set point delivers the mixture C = C_cyl·Q_span/(Q_span + Q_zero) to the bench's gas chamber, from the settled
/// set points: the MFCs' 0.5 s lag is much shorter than the chamber's flush time constant (6 s), which
/// `GasChamber` models. The cylinder holds exactly its certified concentration.
///
/// One client at a time, on a thread of the line's own; `stop()` ends it. Faults: `setFault(_:)`.
public final class SimulatedMassFlowLine: Sendable {
    /// One MFC on the line.
    public struct Unit: Sendable {
        public var id: String
        /// In `unit`.
        public var fullScale: Double
        public var unit: FlowUnit
        /// The calibration gas its frame names.
        public var gas: String

        public init(id: String, fullScale: Double, unit: FlowUnit, gas: String) {
            self.id = id
            self.fullScale = fullScale
            self.unit = unit
            self.gas = gas
        }
    }

    /// The listening port on 127.0.0.1.
    public let port: UInt16
    /// The rig-file link that reaches the line, CR-terminated: `scpi-tcp://127.0.0.1:<port>?eol=cr`.
    public let link: String

    private let bench: SimulatedBench
    private let control: LineControl
    private let server: LoopbackLineServer

    /// - Parameters:
    ///   - bench: The bench whose gas chamber the mixture flushes.
    ///   - cylinderGas, cylinderPPM: What the span cylinder holds.
    ///   - span: The span MFC (unit id A by default).
    ///   - zero: The zero-air MFC (unit id B by default).
    ///   - noiseFractionOfFullScale: Reading noise σ of each MFC, as a fraction of its full scale.
    ///   - seed: The noise's seed.
    /// - Throws: `SimulatedSCPIServer.StartError` when the socket cannot be set up.
    public init(bench: SimulatedBench, cylinderGas: String, cylinderPPM: Double,
                span: Unit = Unit(id: "A", fullScale: 500, unit: .sccm, gas: "N2"),
                zero: Unit = Unit(id: "B", fullScale: 2, unit: .slpm, gas: "Air"),
                noiseFractionOfFullScale: Double = 2e-4, seed: UInt64 = 1) throws(SimulatedSCPIServer.StartError) {
        self.bench = bench
        func model(_ unit: Unit) -> SimulatedMassFlowController {
            SimulatedMassFlowController(unitID: unit.id, fullScale: unit.fullScale, unit: unit.unit, gasLabel: unit.gas,
                                        noise: noiseFractionOfFullScale * unit.fullScale)
        }
        let control = LineControl(span: model(span), zero: model(zero), random: SeededRandom(seed: seed), bench: bench,
                                  cylinderGas: cylinderGas, cylinderPPM: cylinderPPM)
        self.control = control
        server = try LoopbackLineServer(name: "simulated MFC line", terminator: .carriageReturn) { line in
            // A fault applies from the next line: silent reads and does nothing; malformed answers garbage.
            switch control.state.withLock({ $0.fault }) {
            case .silent?: return nil
            case .malformedReplies(let garbage)?: return control.respond(to: line).map { _ in garbage }
            case nil: return control.respond(to: line)
            }
        }
        port = server.port
        link = "scpi-tcp://127.0.0.1:\(server.port)?eol=cr"
    }

    /// Sets or clears (nil) a fault; it applies from the next line.
    public func setFault(_ fault: SimulatedSCPIServer.Fault?) {
        control.state.withLock { $0.fault = fault }
    }

    /// The lines received so far, oldest first (the last 1000).
    public var receivedLines: [String] { server.receivedLines }

    /// The true flow of unit `id` now, L/min; nil for an unknown id.
    public func trueFlow(unitID id: String) -> Double? {
        let t = Double(bench.clock.now()) * 1e-9
        return control.state.withLock { state in
            [state.span, state.zero].first { $0.unitID == id }.map { $0.flow(at: t) * $0.unit.litresPerMinute }
        }
    }

    /// Stops serving, closes the sockets and joins the thread. Calling it again does nothing.
    public func stop() {
        server.stop()
    }
}

/// What the test thread and the serving thread share: the MFCs, the noise, the fault; and the replies.
private final class LineControl: Sendable {
    struct State {
        var span: SimulatedMassFlowController
        var zero: SimulatedMassFlowController
        var random: SeededRandom
        var fault: SimulatedSCPIServer.Fault?
    }

    let state: Mutex<State>
    let bench: SimulatedBench
    let cylinderGas: String
    let cylinderPPM: Double

    init(span: SimulatedMassFlowController, zero: SimulatedMassFlowController, random: SeededRandom, bench: SimulatedBench,
         cylinderGas: String, cylinderPPM: Double) {
        state = Mutex(State(span: span, zero: zero, random: random))
        self.bench = bench
        self.cylinderGas = cylinderGas
        self.cylinderPPM = cylinderPPM
    }

    /// The reply to `text`, or nil when it is addressed to no unit of this line.
    func respond(to text: String) -> String? {
        let t = Double(bench.clock.now()) * 1e-9
        var mixture: [String: Double]?
        let reply: String? = state.withLock { state in
            let isSpan: Bool
            if text.hasPrefix(state.span.unitID) {
                isSpan = true
            } else if text.hasPrefix(state.zero.unitID) {
                isSpan = false
            } else {
                return nil
            }
            var unit = isSpan ? state.span : state.zero
            let rest = text.dropFirst(unit.unitID.count)
            if rest.isEmpty {
                // a poll
            } else if rest.first == "S", let value = Double(rest.dropFirst()), value.isFinite {
                unit.command(setpoint: value, at: t)
                if isSpan { state.span = unit } else { state.zero = unit }
                let spanFlow = state.span.setpoint * state.span.unit.litresPerMinute
                let zeroFlow = state.zero.setpoint * state.zero.unit.litresPerMinute
                if spanFlow + zeroFlow > 0 {
                    mixture = [cylinderGas: cylinderPPM * spanFlow / (spanFlow + zeroFlow)]
                }
            } else {
                return "?"
            }
            let reading = unit.flow(at: t) + unit.noise * state.random.gaussian()
            return unit.frame(reading: reading)
        }
        // No flow at all leaves the chamber as it is (nothing flushes it).
        if let mixture { bench.deliver(mixture: mixture) }
        return reply
    }
}
