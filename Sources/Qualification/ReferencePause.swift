import SensorDrivers
import SensorIO

/// What a run does when its reference instrument stops answering (DESIGN.md §5; issue 8): it pauses, asks the
/// technician to check the instrument (`ReferenceSilence.prompt`), and once they resume measures the interrupted
/// point again from its start, on a fresh connection. The pause lasts at most the reference's operator timeout (rig
/// file `operator_timeout_s`), then the run fails saying so: every wait has a deadline. Readings taken around an outage are not paired with a
/// reference that was not answering; a cancel during the pause ends the run as cancelled, with its partial report.
///
/// Only silence pauses: a timeout, a closed link, a connection refused. An instrument that answers with an error or
/// garbage fails the run as before, since asking a person to resume would not change its answer.
struct ReferencePause {
    let reference: Rig.Reference
    let cancellation: RunCancellation
    let emit: RunEngine.EventSink

    /// Runs `point`; while it ends in the reference's silence, pauses for the technician, calls `reconnect` and runs
    /// it again.
    func attending<T>(reconnect: () throws -> Void, _ point: () throws -> T) throws -> T {
        var needsReconnect = false
        while true {
            do {
                if needsReconnect { try reconnect() }
                return try point()
            } catch {
                // A cancelled run stops its waits: what timed out then is not the instrument's silence.
                if cancellation.isCancelled { throw RunCancelled() }
                guard let silence = Self.silence(error) else { throw error }
                let end = cancellation.awaitResume(within: reference.operatorTimeout) {
                    emit(.referenceSilent(ReferenceSilence(reference: reference.id, model: reference.model, link: reference.link,
                                                           error: silence)))
                }
                emit(.referenceSilent(nil))
                switch end {
                case .resumed: needsReconnect = true
                case .cancelled: throw RunCancelled()
                case .timedOut:
                    throw RunFailure(description: "reference \(reference.id) (\(reference.model)) stopped answering (\(silence)) and the run "
                                     + "was not resumed within its operator timeout of \(Int(reference.operatorTimeout)) s")
                }
            }
        }
    }

    /// The description of an error that means the instrument is not answering, else nil.
    static func silence(_ error: any Error) -> String? {
        if let error = error as? InstrumentError {
            switch error.cause {
            case .timedOut, .disconnected: return error.description
            default: return nil
            }
        }
        if let error = error as? InstrumentLinkError {
            switch error.cause {
            case .timedOut, .disconnected, .io: return error.description
            default: return nil
            }
        }
        return nil
    }
}
