import Dispatch
import Foundation
import Logging
import Qualification
import Reports

/// Writes to the run archive in the order the scheduler asks, on a serial queue of its own: an SQLite commit waits for
/// the disk, which the Swift concurrency pool must not (DESIGN.md §3). State changes are sent and forgotten; a run's
/// final record is awaited, so that a client told the run ended finds it in the archive. A failed write is logged,
/// never fatal: the run and its files go on (docs/archive.md).
///
/// On a full disk SQLite rolls the write back (SQLITE_FULL) and the archive keeps every earlier commit. The recorder
/// keeps a 1 MiB reserve beside the archive (``StorageReserve``): the first write refused for lack of room removes it
/// and is tried once more, so the record of the run the full disk stopped (`failed`, `disk full: …`) still fits.
final class ArchiveRecorder: Sendable {
    let archive: RunArchive
    private let queue = DispatchQueue(label: "sq-archive")
    private let logger: Logger
    let reserve: StorageReserve

    init(archive: RunArchive, logger: Logger) {
        self.archive = archive
        self.logger = logger
        reserve = StorageReserve(path: archive.path + ".reserve", bytes: 1 << 20)
        let reserve = reserve
        queue.async {
            if let reason = reserve.hold() { logger.warning("run archive: no space reserve \(reserve.path) kept: \(reason)") }
        }
    }

    /// Queues a write; `what` names it in the log line if it fails.
    func record(_ what: String, _ write: @escaping @Sendable (RunArchive) throws -> Void) {
        queue.async { _ = self.perform(what, write) }
    }

    /// Queues a write after every earlier one and waits for it; returns why it failed (a full disk:
    /// `disk full: no space left on … writing the run archive … (SQLITE_FULL: …)`), nil when it was recorded.
    @discardableResult
    func recordAndWait(_ what: String, _ write: @escaping @Sendable (RunArchive) throws -> Void) async -> String? {
        await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            queue.async { continuation.resume(returning: self.perform(what, write)) }
        }
    }

    /// Gives the reserve's room back to the state folder (the scheduler, before it writes the partial report of a run a
    /// full disk stopped); true when there was one. Taken again once there is room.
    func releaseReserve() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            queue.async { continuation.resume(returning: self.reserve.release()) }
        }
    }

    /// Why a new run should not start, or nil: the reserve is not held (a full disk took it) and the file system holding
    /// `folder` (the runs folder) has less than twice its size free, so the run would fail at its first write. One
    /// `statvfs`, no write: callable from the scheduler's actor.
    /// `disk full: no space left on /var/lib/sensorqual (/dev/sda2): 1040384 bytes free, a run needs 2097152 (ENOSPC)`
    func spaceShortage(in folder: String) -> String? {
        if reserve.isHeld { return nil }
        var existing = folder
        while !existing.isEmpty, !FileManager.default.fileExists(atPath: existing) { existing = (existing as NSString).deletingLastPathComponent }
        let needed = 2 * Int64(reserve.bytes)
        guard let available = StorageFile.availableBytes(at: existing.isEmpty ? "/" : existing), available < needed else { return nil }
        return "disk full: no space left on \(StorageFile.noSpace(writing: existing).place): \(available) bytes free, a run needs \(needed) (ENOSPC)"
    }

    /// On the queue: the write, once more after releasing the reserve when the disk is full.
    private func perform(_ what: String, _ write: @Sendable (RunArchive) throws -> Void) -> String? {
        do {
            try write(archive)
            reserve.hold()
            return nil
        } catch let error as ArchiveError where error.isDiskFull && reserve.release() {
            logger.warning("run archive: \(error); released the space reserve \(reserve.path) (\(reserve.bytes) bytes) to record \(what)")
            do {
                try write(archive)
                return nil
            } catch {
                logger.error("run archive: \(what) not recorded: \(error)")
                return "\(error)"
            }
        } catch {
            logger.error("run archive: \(what) not recorded: \(error)")
            return "\(error)"
        }
    }
}
