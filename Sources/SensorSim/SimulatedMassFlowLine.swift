// The simulated gas mixer's wire: two MFCs answering by unit id on one loopback TCP socket, as Alicat units share an
// RS-485 line behind a serial-to-Ethernet server. The socket calls are SCPIServerSyscalls' (the one C-importing file
// of SensorSim); the line framing is SensorIO's `LineFramedDescriptor`, shared with the driver's link.
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
    private let finished = DispatchSemaphore(value: 0)

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
        let (listener, port) = try SCPIServerSyscalls.listenOnLoopback()
        self.port = port
        self.bench = bench
        link = "scpi-tcp://127.0.0.1:\(port)?eol=cr"
        func model(_ unit: Unit) -> SimulatedMassFlowController {
            SimulatedMassFlowController(unitID: unit.id, fullScale: unit.fullScale, unit: unit.unit, gasLabel: unit.gas,
                                        noise: noiseFractionOfFullScale * unit.fullScale)
        }
        let control = LineControl(span: model(span), zero: model(zero), random: SeededRandom(seed: seed))
        self.control = control
        let finished = self.finished
        let thread = Thread {
            LineServingLoop(listener: listener, bench: bench, cylinderGas: cylinderGas, cylinderPPM: cylinderPPM,
                            control: control).run()
            finished.signal()
        }
        thread.name = "simulated MFC line"
        thread.start()
    }

    deinit { stop() }

    /// Sets or clears (nil) a fault; it applies from the next line.
    public func setFault(_ fault: SimulatedSCPIServer.Fault?) {
        control.state.withLock { $0.fault = fault }
    }

    /// The lines received so far, oldest first (the last 1000).
    public var receivedLines: [String] { control.state.withLock { $0.received } }

    /// The true flow of unit `id` now, L/min; nil for an unknown id.
    public func trueFlow(unitID id: String) -> Double? {
        let t = Double(bench.clock.now()) * 1e-9
        return control.state.withLock { state in
            [state.span, state.zero].first { $0.unitID == id }.map { $0.flow(at: t) * $0.unit.litresPerMinute }
        }
    }

    /// Stops serving, closes the sockets and joins the thread. Calling it again does nothing.
    public func stop() {
        let first = control.state.withLock { state in
            defer { state.stopRequested = true }
            return !state.stopRequested
        }
        guard first else { return }
        let joined = finished.wait(timeout: .now() + SimulatedSCPIServer.stopTimeout) == .success
        precondition(joined, "the simulated MFC line's thread did not stop within \(SimulatedSCPIServer.stopTimeout) s")
    }
}

/// What the test thread and the serving thread share: the MFCs, the noise, the fault, the log.
private final class LineControl: Sendable {
    struct State {
        var span: SimulatedMassFlowController
        var zero: SimulatedMassFlowController
        var random: SeededRandom
        var fault: SimulatedSCPIServer.Fault?
        var stopRequested = false
        var received: [String] = []
    }

    let state: Mutex<State>

    init(span: SimulatedMassFlowController, zero: SimulatedMassFlowController, random: SeededRandom) {
        state = Mutex(State(span: span, zero: zero, random: random))
    }
}

/// The serving thread's loop; confined to that thread.
private final class LineServingLoop {
    /// How long one wait lasts before the loop looks at its stop flag again, ns.
    static let slice: Int64 = 20_000_000
    static let replyTimeout: Int64 = 1_000_000_000
    static let logLimit = 1000

    let listener: Int32
    let bench: SimulatedBench
    let cylinderGas: String
    let cylinderPPM: Double
    let control: LineControl
    private var client: LineFramedDescriptor?

    init(listener: Int32, bench: SimulatedBench, cylinderGas: String, cylinderPPM: Double, control: LineControl) {
        self.listener = listener
        self.bench = bench
        self.cylinderGas = cylinderGas
        self.cylinderPPM = cylinderPPM
        self.control = control
    }

    func run() {
        while !control.state.withLock({ $0.stopRequested }) {
            if let client {
                serve(client)
            } else if let fd = SCPIServerSyscalls.accept(listener, waitingMilliseconds: Int32(Self.slice / 1_000_000)) {
                client = LineFramedDescriptor(descriptor: fd, kind: .socket, name: "simulated MFC line connection",
                                              terminator: .carriageReturn)
            }
        }
        client?.close()
        InstrumentSyscalls.close(listener)
    }

    private func serve(_ channel: LineFramedDescriptor) {
        let line: String
        do throws(InstrumentLinkError) {
            line = try channel.readLine(deadline: MonotonicClock().now() + Self.slice)
        } catch {
            switch error.cause {
            case .timedOut, .lineTooLong: return
            default:
                client?.close()
                client = nil
                return
            }
        }
        let text = line.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return }
        let fault = control.state.withLock { state in
            if state.received.count == Self.logLimit { state.received.removeFirst() }
            state.received.append(text)
            return state.fault
        }
        guard fault != .silent, var reply = respond(to: text) else { return }
        if case .malformedReplies(let garbage) = fault { reply = garbage }
        do throws(InstrumentLinkError) {
            try channel.send(line: reply, deadline: MonotonicClock().now() + Self.replyTimeout)
        } catch {
            client?.close()
            client = nil
        }
    }

    /// The reply to `text`, or nil when it is addressed to no unit of this line.
    private func respond(to text: String) -> String? {
        let t = Double(bench.clock.now()) * 1e-9
        var mixture: [String: Double]?
        let reply: String? = control.state.withLock { state in
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
