import Dispatch
import Logging
import Reports

/// Writes to the run archive in the order the scheduler asks, on a serial queue of its own: an SQLite commit waits for
/// the disk, which the Swift concurrency pool must not (DESIGN.md §3). State changes are sent and forgotten; a run's
/// final record is awaited, so that a client told the run ended finds it in the archive. A failed write is logged,
/// never fatal: the run and its files go on (docs/archive.md).
final class ArchiveRecorder: Sendable {
    let archive: RunArchive
    private let queue = DispatchQueue(label: "sq-archive")
    private let logger: Logger

    init(archive: RunArchive, logger: Logger) {
        self.archive = archive
        self.logger = logger
    }

    /// Queues a write; `what` names it in the log line if it fails.
    func record(_ what: String, _ write: @escaping @Sendable (RunArchive) throws -> Void) {
        let archive = archive
        let logger = logger
        queue.async {
            do { try write(archive) } catch { logger.error("run archive: \(what) not recorded: \(error)") }
        }
    }

    /// Queues a write after every earlier one and waits for it.
    func recordAndWait(_ what: String, _ write: @escaping @Sendable (RunArchive) throws -> Void) async {
        let archive = archive
        let logger = logger
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                do { try write(archive) } catch { logger.error("run archive: \(what) not recorded: \(error)") }
                continuation.resume()
            }
        }
    }
}
