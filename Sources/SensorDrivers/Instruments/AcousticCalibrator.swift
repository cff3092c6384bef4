import Dispatch
import Synchronization

/// A hand-held acoustic calibrator or pistonphone as the sound source: the technician fits it on one microphone at
/// a time, switches it on, and submits the level its certificate states (`sensorqual reference submit 94.02 dB`);
/// before a noise record, the technician removes it and confirms the chamber is quiet (`sensorqual reference
/// quiet`). The submitted level is the true SPL of the record, with the calibrator's certificate uncertainty
/// (reference/acoustic.md §2: sensitivity is the response to a known 1 kHz, 94 dB SPL tone).
///
/// A calibrator plays one level on one microphone: the run engine uses it for sensitivity and noise records, and
/// refuses plans that need other levels (distortion, overload) with it.
public final class AcousticCalibrator: SoundSource, Sendable {
    /// What the run waits for from the technician.
    public struct Request: Sendable, Equatable {
        /// The microphone the calibrator goes on; nil when the request is to remove it (a quiet record follows).
        public var slot: String?
        /// The level to set, dB SPL; nil for the quiet request.
        public var spl: Double?

        public init(slot: String?, spl: Double?) {
            self.slot = slot
            self.spl = spl
        }

        /// The instruction, in the technician's words.
        public var prompt: String {
            guard let slot, let spl else {
                return "remove the calibrator and close the chamber, then `sensorqual reference quiet`"
            }
            return "fit the calibrator on \(slot) at \(spl) dB SPL, switch it on, then `sensorqual reference submit <level> dB`"
        }
    }

    /// A submitted level further than this from the requested one is refused as a likely typing mistake, dB.
    public static let tolerance = 3.0

    public let identity: String
    /// Called when the engine asks for a tone or for silence: lets a simulated chamber play what the fitted
    /// calibrator would; nil on a real rig, where the calibrator plays by itself.
    private let stimulus: (@Sendable (_ spl: Double?) -> Void)?
    private struct State {
        var request: Request?
        var answered = false
        var level: Double?
    }
    private let state = Mutex(State())
    /// Signalled by each accepted submission.
    private let answers = DispatchSemaphore(value: 0)

    public init(model: String, stimulus: (@Sendable (_ spl: Double?) -> Void)? = nil) {
        identity = "acoustic calibrator (\(model), fitted by the technician)"
        self.stimulus = stimulus
    }

    public var waitsForOperator: Bool { true }

    /// The request the run waits on; nil when it is not waiting.
    public var pending: Request? { state.withLock { $0.answered ? nil : $0.request } }

    /// Asks the technician for `request`; a previous answer is forgotten.
    public func ask(_ request: Request) {
        state.withLock { $0 = State(request: request) }
        while answers.wait(timeout: .now()) == .success {}
    }

    /// Waits up to `seconds` for the answer; the submitted level (nil for a quiet confirmation), or nil when no
    /// answer came in time (`pending` is then still set).
    public func awaitAnswer(upTo seconds: Double) -> (answered: Bool, level: Double?) {
        _ = answers.wait(timeout: .now() + seconds)
        return state.withLock { ($0.answered, $0.level) }
    }

    /// The technician's answer: the calibrator's level in dB SPL for a tone request, nil for a quiet one. Returns
    /// the request it answers.
    public func submit(level: Double?) throws(InstrumentError) -> Request {
        let result: Result<Request, InstrumentError> = state.withLock { state in
            guard let request = state.request, !state.answered else {
                return .failure(InstrumentError(.refused("no run is waiting for the calibrator"), instrument: identity, command: "submit"))
            }
            switch (request.spl, level) {
            case (let asked?, let level?):
                guard level.isFinite, abs(level - asked) <= Self.tolerance else {
                    return .failure(InstrumentError(.refused("\(level) dB SPL is not within \(Self.tolerance) dB of the requested \(asked) dB SPL; "
                                                             + "check the calibrator's setting and the value"), instrument: identity, command: "submit"))
                }
            case (nil, nil):
                break
            case (_?, nil):
                return .failure(InstrumentError(.refused("the run waits for the calibrator's level on \(request.slot ?? "-"), not for quiet"),
                                                instrument: identity, command: "submit"))
            case (nil, _?):
                return .failure(InstrumentError(.refused("the run waits for the calibrator to be removed (`reference quiet`), not for a level"),
                                                instrument: identity, command: "submit"))
            }
            state.answered = true
            state.level = level
            return .success(request)
        }
        let request = try result.get()
        answers.signal()
        return request
    }

    public func play(frequency: Double, spl: Double) throws { stimulus?(spl) }
    public func silence() throws { stimulus?(nil) }
    public func close() {}
}
