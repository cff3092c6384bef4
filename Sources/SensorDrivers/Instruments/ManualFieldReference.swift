import Dispatch
import Synchronization

/// The technician as the field reference: at each point the run asks for a field, the technician sets the coil by
/// hand and types what a reference fluxgate reads per axis (`submit`); that entry is the reference value of the
/// point, with the standard uncertainty the lab states for the reference fluxgate. Like `ManualPressureReference`.
public final class ManualFieldReference: FieldSource, Sendable {
    public let identity: String
    /// Standard uncertainty per axis of an entered reading, µT (the reference fluxgate's certificate and the
    /// digits the technician types).
    public let referenceUncertainty: FieldVector

    /// An entry further than this from the request is refused as a likely typing, sign or unit mistake:
    /// max(10 % of |request|, 1 µT).
    static func tolerance(for request: FieldVector) -> Double { Swift.max(0.1 * request.magnitude, 1) }

    private struct State {
        var request: FieldVector?
        var submitted: FieldVector?
    }
    private let state = Mutex(State())
    /// Signalled by each accepted entry.
    private let answered = DispatchSemaphore(value: 0)

    public init(model: String, referenceUncertainty: FieldVector) {
        identity = "manual field reference (\(model), read by the technician)"
        self.referenceUncertainty = referenceUncertainty
    }

    public var waitsForOperator: Bool { true }

    public func awaitOperator(upTo seconds: Double) {
        _ = answered.wait(timeout: .now() + seconds)
    }

    /// The field the run waits for, µT; nil when it is not waiting.
    public var pendingRequest: FieldVector? {
        state.withLock { $0.submitted == nil ? $0.request : nil }
    }

    /// Records the request; the technician sets it by hand.
    public func apply(_ field: FieldVector) throws(InstrumentError) {
        state.withLock { $0 = State(request: field, submitted: nil) }
        while answered.wait(timeout: .now()) == .success {}     // forget answers to earlier points
    }

    public func appliedField() throws(InstrumentError) -> AppliedField {
        guard let field = state.withLock({ $0.submitted }) else {
            throw InstrumentError(.refused("no reference field reading has been submitted for this point"),
                                  instrument: identity, command: "applied field")
        }
        return AppliedField(field: field, standardUncertainty: referenceUncertainty)
    }

    /// The technician switches the coil off; nothing waits any more.
    public func off() throws(InstrumentError) {
        state.withLock { $0 = State() }
    }

    /// A reference reading typed in by the technician, µT per axis; returns the request it answers.
    ///
    /// - Throws: `.refused` when no run is waiting, or when the entry is further than max(10 % of |request|, 1 µT)
    ///   from the request, naming both.
    public func submit(_ field: FieldVector) throws(InstrumentError) -> FieldVector {
        let result: Result<FieldVector, InstrumentError> = state.withLock { state in
            guard let request = state.request, state.submitted == nil else {
                return .failure(InstrumentError(.refused("no run is waiting for a reference field reading"),
                                                instrument: identity, command: "submit"))
            }
            let distance = FieldVector(x: field.x - request.x, y: field.y - request.y, z: field.z - request.z).magnitude
            let allowed = Self.tolerance(for: request)
            guard distance.isFinite, distance <= allowed else {
                return .failure(InstrumentError(
                    .refused("the entry \(Self.text(field)) µT is \(Self.number(distance)) µT away from the requested "
                             + "\(Self.text(request)) µT (at most \(Self.number(allowed)) µT is accepted); "
                             + "check the values, their signs and their unit"),
                    instrument: identity, command: "submit"))
            }
            state.submitted = field
            return .success(request)
        }
        let request = try result.get()
        answered.signal()
        return request
    }

    private static func text(_ field: FieldVector) -> String {
        "(\(number(field.x)), \(number(field.y)), \(number(field.z)))"
    }

    private static func number(_ value: Double) -> String {
        value.isFinite ? SCPICommandSet.decimal((value * 1000).rounded() / 1000) : "\(value)"
    }
}
