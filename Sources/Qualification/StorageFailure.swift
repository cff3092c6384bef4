/// A write to the state folder that failed: which file, which call, the errno by name, and the file system it was on.
/// A full file system (ENOSPC), an exhausted quota (EDQUOT) or a file at its size limit (EFBIG) is a *disk full*
/// failure: the run that wrote it stops at once with this text as its error (DESIGN.md §5, docs/raw-capture.md), e.g.
/// `disk full: no space left on /var/lib/sensorqual (/dev/sda2) writing /var/lib/sensorqual/runs/…/raw/S1.sqraw (ENOSPC)`.
public struct StorageFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file the data was for (the final name, not the temporary one an atomic write goes through).
    public var path: String
    /// The call that failed: `open`, `write`, `fsync`, `rename`, `mkdir`, …
    public var operation: String
    public var errno: Int32
    /// `ENOSPC`, `EDQUOT`, `EIO`, … (the number when the name is not known here).
    public var errnoName: String
    /// `strerror` text.
    public var message: String
    /// The mount point of the file system the file is on, and what is mounted there (`/dev/sda2`, `tmpfs`), when known.
    public var fileSystem: String?
    public var device: String?

    public init(path: String, operation: String, errno: Int32, errnoName: String, message: String,
                fileSystem: String? = nil, device: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.errnoName = errnoName
        self.message = message
        self.fileSystem = fileSystem
        self.device = device
    }

    /// A failure the run cannot go on from while the file system stays as it is: no space, no quota, or the file
    /// cannot grow.
    public var isDiskFull: Bool { ["ENOSPC", "EDQUOT", "EFBIG"].contains(errnoName) }

    /// Where: `/var/lib/sensorqual (/dev/sda2)`, else the file's folder.
    public var place: String {
        let folder = fileSystem ?? (path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/"))
        return device.map { "\(folder) (\($0))" } ?? folder
    }

    public var description: String {
        switch errnoName {
        case "ENOSPC": "disk full: no space left on \(place) writing \(path) (ENOSPC)"
        case "EDQUOT": "disk full: disk quota exceeded on \(place) writing \(path) (EDQUOT)"
        case "EFBIG": "disk full: \(path) on \(place) cannot grow: file too large for the file system or the process's file size limit (EFBIG)"
        default: "\(path): \(operation) failed: \(message) (\(errnoName))"
        }
    }
}
