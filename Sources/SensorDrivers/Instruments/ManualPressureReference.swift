import Dispatch
import Synchronization

/// The technician as the reference: at each point the run asks for the pressure to be set by hand (a hand
/// pump, a dead-weight tester) and waits until the reference instrument's reading is submitted
/// (`sensorqual reference submit 90012.4 Pa`); that reading is the reference value for the point.
public final class ManualPressureReference: PressureReference, Sendable {
    public let identity: String
    /// A submission further than this from the requested point is refused as a likely typing or unit
    /// mistake: max(5 % of the setpoint, 1 kPa).
    static func tolerance(at setpoint: Double) -> Double { Swift.max(0.05 * setpoint, 1000) }

    private struct State {
        var setpoint: Double?
        var submitted: Double?
    }
    private let state = Mutex(State())
    /// Signalled by each accepted submission.
    private let answered = DispatchSemaphore(value: 0)

    public init(model: String) {
        identity = "manual reference (\(model), read by the technician)"
    }

    public var waitsForOperator: Bool { true }

    public func awaitOperator(upTo seconds: Double) {
        _ = answered.wait(timeout: .now() + seconds)
    }

    /// The point the run waits for, Pa; nil when it is not waiting.
    public var pendingSetpoint: Double? {
        state.withLock { $0.submitted == nil ? $0.setpoint : nil }
    }

    public func setPoint(_ pascal: Double) throws(InstrumentError) {
        state.withLock { $0 = State(setpoint: pascal, submitted: nil) }
        while answered.wait(timeout: .now()) == .success {}     // forget answers to earlier points
    }

    public func isStable() throws(InstrumentError) -> Bool {
        state.withLock { $0.submitted != nil }
    }

    public func measure() throws(InstrumentError) -> Double {
        guard let value = state.withLock({ $0.submitted }) else {
            throw InstrumentError(.refused("no reference reading has been submitted for this point"), instrument: identity,
                                  command: "measure")
        }
        return value
    }

    /// A reference reading typed in by the technician; returns the setpoint it answers.
    public func submit(_ pascal: Double) throws(InstrumentError) -> Double {
        let result: Result<Double, InstrumentError> = state.withLock { state in
            guard let setpoint = state.setpoint, state.submitted == nil else {
                return .failure(InstrumentError(.refused("no run is waiting for a reference reading"), instrument: identity,
                                                command: "submit"))
            }
            guard pascal.isFinite, abs(pascal - setpoint) <= Self.tolerance(at: setpoint) else {
                return .failure(InstrumentError(
                    .refused("\(pascal) Pa is \(Int((abs(pascal - setpoint)).rounded())) Pa away from the requested \(Int(setpoint)) Pa; "
                             + "check the value and its unit"), instrument: identity, command: "submit"))
            }
            state.submitted = pascal
            return .success(setpoint)
        }
        let setpoint = try result.get()
        answered.signal()
        return setpoint
    }
}
