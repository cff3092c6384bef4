/// Why the run archive could not be opened, read or written: always names the archive file, and SQLite's own
/// message where SQLite gave one, so the journal line says which file to look at and what is wrong with it.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The file cannot be opened or is not a database (corrupt, garbage, no permission).
        case unreadable
        /// A write was refused (disk full, read-only file, constraint).
        case write
        /// A read failed after the archive was opened.
        case read
        /// The named run is not in the archive.
        case noRun
    }

    public var kind: Kind
    public var path: String
    public var reason: String
    /// SQLite found no room for the write (SQLITE_FULL: the file system holding the archive or its WAL is full); the
    /// transaction was rolled back and the archive is as it was before it (docs/archive.md §5, "Disk full").
    public var isDiskFull = false

    public init(_ kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// A write SQLite refused with SQLITE_FULL; `place` is the file system (mount point and source) when known.
    static func diskFull(path: String, place: String?, reason: String) -> ArchiveError {
        var error = ArchiveError(.write, path: path, reason: "disk full: no space left on \(place ?? "its file system") writing the run archive \(path) (SQLITE_FULL: \(reason))")
        error.isDiskFull = true
        return error
    }

    public var description: String {
        if isDiskFull { return reason }
        return switch kind {
        case .unreadable: "run archive \(path) cannot be opened: \(reason)"
        case .write: "run archive \(path): write failed: \(reason)"
        case .read: "run archive \(path): read failed: \(reason)"
        case .noRun: "run archive \(path): \(reason)"
        }
    }
}
