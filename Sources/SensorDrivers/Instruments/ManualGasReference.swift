import Dispatch
import Synchronization

/// The technician as the gas reference: at each point the run asks for a gas and concentration, the technician
/// connects a certified cylinder (or zero air) to the chamber and types its certified concentration
/// (`submit(ppm:)`); that value is the reference for the point, like `ManualPressureReference`.
public final class ManualGasReference: GasReference, Sendable {
    public let identity: String
    /// The cylinders' certificate standard uncertainty as a fraction of the concentration, used when an entry
    /// states none (1 % at k = 1 is typical of gravimetric mixtures at ppm level).
    public let relativeUncertainty: Double
    /// The flow the technician sets on the cylinder's regulator and flow meter, L/min.
    public let totalFlowLitresPerMinute: Double

    /// An entry further than this from the requested concentration is refused as a likely typing or unit mistake,
    /// or the wrong cylinder: max(10 % of the request, 5 ppm).
    static func tolerance(at ppm: Double) -> Double { Swift.max(0.10 * ppm, 5) }

    private struct Request {
        var gas: String
        var ppm: Double
    }
    private struct State {
        var request: Request?
        var submitted: (ppm: Double, standardUncertainty: Double)?
    }
    private let state = Mutex(State())
    /// Signalled by each accepted entry.
    private let answered = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - model: What the technician uses, e.g. "certified cylinders, rotameter 1 L/min".
    public init(model: String, relativeUncertainty: Double = 0.01, totalFlowLitresPerMinute: Double = 1) {
        identity = "manual gas reference (\(model), connected by the technician)"
        self.relativeUncertainty = relativeUncertainty
        self.totalFlowLitresPerMinute = totalFlowLitresPerMinute
    }

    public var waitsForOperator: Bool { true }

    public func awaitOperator(upTo seconds: Double) {
        _ = answered.wait(timeout: .now() + seconds)
    }

    /// The gas and concentration the run waits for; nil when it is not waiting.
    public var pendingRequest: (gas: String, ppm: Double)? {
        state.withLock { state in
            guard let request = state.request, state.submitted == nil else { return nil }
            return (request.gas, request.ppm)
        }
    }

    /// Asks for `ppm` of `gas` (0: zero air); answered by `submit(ppm:)`.
    ///
    /// - Throws: `.refused` for a concentration that is not a number ≥ 0.
    public func deliver(gas: String, ppm: Double) throws(InstrumentError) {
        guard ppm.isFinite, ppm >= 0 else {
            throw InstrumentError(.refused("a concentration must be a number ≥ 0 ppm"), instrument: identity,
                                  command: "deliver \(ppm) ppm \(gas)")
        }
        state.withLock { $0 = State(request: Request(gas: gas, ppm: ppm), submitted: nil) }
        while answered.wait(timeout: .now()) == .success {}     // forget answers to earlier points
    }

    /// The certified concentration typed in; stable once it has been.
    ///
    /// - Throws: `.refused` when nothing has been requested or nothing submitted yet.
    public func delivered() throws(InstrumentError) -> DeliveredGas {
        let result: Result<DeliveredGas, InstrumentError> = state.withLock { state in
            guard let request = state.request else {
                return .failure(InstrumentError(.refused("no gas has been requested"), instrument: identity,
                                                command: "delivered"))
            }
            guard let submitted = state.submitted else {
                return .failure(InstrumentError(
                    .refused("no certified concentration has been submitted for \(request.ppm) ppm \(request.gas)"),
                    instrument: identity, command: "delivered"))
            }
            return .success(DeliveredGas(gas: request.gas, ppm: submitted.ppm,
                                         standardUncertainty: submitted.standardUncertainty,
                                         totalFlowLitresPerMinute: totalFlowLitresPerMinute, stable: true))
        }
        return try result.get()
    }

    /// The run is over: nothing is requested any more.
    public func off() throws(InstrumentError) {
        state.withLock { $0 = State() }
    }

    /// The certified concentration of the cylinder the technician connected, ppm, with the certificate's
    /// standard uncertainty when the technician types it (else `relativeUncertainty` of the value); returns the
    /// request it answers.
    ///
    /// - Throws: `.refused` naming both values when the entry is further than max(10 %, 5 ppm) from the request, or
    ///   when no run is waiting.
    @discardableResult
    public func submit(ppm: Double, standardUncertainty: Double? = nil) throws(InstrumentError) -> (gas: String, ppm: Double) {
        let result: Result<Request, InstrumentError> = state.withLock { state in
            guard let request = state.request, state.submitted == nil else {
                return .failure(InstrumentError(.refused("no run is waiting for a gas concentration"), instrument: identity,
                                                command: "submit"))
            }
            guard ppm.isFinite, ppm >= 0, abs(ppm - request.ppm) <= Self.tolerance(at: request.ppm) else {
                return .failure(InstrumentError(
                    .refused("\(ppm) ppm is too far from the requested \(request.ppm) ppm \(request.gas) (more than "
                             + "\(Self.tolerance(at: request.ppm)) ppm); check the cylinder and the unit"),
                    instrument: identity, command: "submit"))
            }
            if let standardUncertainty, !(standardUncertainty.isFinite && standardUncertainty >= 0) {
                return .failure(InstrumentError(.refused("uncertainty \(standardUncertainty) ppm is not a number ≥ 0"),
                                                instrument: identity, command: "submit"))
            }
            state.submitted = (ppm, standardUncertainty ?? relativeUncertainty * ppm)
            return .success(request)
        }
        let request = try result.get()
        answered.signal()
        return (request.gas, request.ppm)
    }
}
