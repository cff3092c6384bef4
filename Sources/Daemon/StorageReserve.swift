import Foundation
import Qualification
import Synchronization

/// Room kept on the state folder's file system for the run archive's last words: a file of zeros (`archive.sqlite.reserve`)
/// that is removed when the disk is full, so that the record of the run the full disk stopped — `failed`, and why —
/// still fits (docs/archive.md §5 "Disk full"). Taken again once there is room for it twice over, so that keeping it
/// never fills the disk itself. Blocking; called on the archive recorder's queue.
final class StorageReserve: Sendable {
    let path: String
    let bytes: Int
    private let held = Mutex(false)

    init(path: String, bytes: Int) {
        self.path = path
        self.bytes = bytes
    }

    var isHeld: Bool { held.withLock { $0 } }

    /// Writes the reserve if it is not held and the file system has room for it twice over; returns why it could not,
    /// nil when it is held.
    @discardableResult
    func hold() -> String? {
        if held.withLock({ $0 }) { return nil }
        guard let available = StorageFile.availableBytes(at: (path as NSString).deletingLastPathComponent),
              available >= 2 * Int64(bytes) else {
            return "less than \(2 * bytes) bytes free"
        }
        do {
            try StorageFile.replace(path, with: Data(count: bytes))
        } catch {
            return "\(error)"
        }
        held.withLock { $0 = true }
        return nil
    }

    /// Removes the reserve; false when none was held.
    func release() -> Bool {
        guard held.withLock({ held in defer { held = false }; return held }) else { return false }
        try? FileManager.default.removeItem(atPath: path)
        return true
    }
}
