import Foundation

/// A file a run writes in the state folder (a raw capture, a CSV export, run.json, a report), on a descriptor of its
/// own so that every failed call comes back as a ``StorageFailure`` with its errno: a full disk is a named outcome, not
/// an opaque "could not be saved". It counts the bytes the kernel took (`length`), so a writer whose last write was
/// cut short by a full disk knows where its last whole record ends. Blocking; one thread owns it.
public final class StorageFile {
    /// The path opened.
    public let path: String
    /// The path failures name (an atomic write's final name rather than its temporary one).
    let reportedPath: String
    var descriptor: Int32?
    /// Bytes written since the file was opened (truncated to empty); after a failed write, those that did reach it.
    public private(set) var length: Int64 = 0

    /// Creates (or empties) `path` for writing; failures name `reportedPath` (default `path`).
    public init(creating path: String, reportedPath: String? = nil) throws(StorageFailure) {
        self.path = path
        self.reportedPath = reportedPath ?? path
        switch StorageSyscalls.openForWriting(path) {
        case .success(let fd): descriptor = fd
        case .failure(let code): throw Self.failure(path: self.reportedPath, operation: "open", code.value)
        }
    }

    deinit {
        if let descriptor { _ = StorageSyscalls.close(descriptor) }
    }

    /// Writes all of `data`, however many `write(2)` calls it takes. On a failure, `length` counts what reached the file.
    public func write(_ data: some ContiguousBytes) throws(StorageFailure) {
        let result: Result<Void, StorageFailure> = data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let fd = descriptor else { return .failure(Self.failure(path: reportedPath, operation: "write", StorageSyscalls.badDescriptor)) }
                switch StorageSyscalls.write(fd, UnsafeRawBufferPointer(rebasing: buffer[offset...])) {
                case .success(let count):
                    offset += count
                    length += Int64(count)
                case .failure(let code): return .failure(Self.failure(path: reportedPath, operation: "write", code.value))
                }
            }
            return .success(())
        }
        try result.get()
    }

    /// `fsync(2)`: what was written is on the disk.
    public func synchronize() throws(StorageFailure) {
        guard let fd = descriptor else { throw Self.failure(path: reportedPath, operation: "fsync", StorageSyscalls.badDescriptor) }
        if case .failure(let code) = StorageSyscalls.fsync(fd) { throw Self.failure(path: reportedPath, operation: "fsync", code.value) }
    }

    /// Cuts the file back to `length` bytes (never fails for lack of space: it frees some).
    public func truncate(to length: Int64) throws(StorageFailure) {
        guard let fd = descriptor else { throw Self.failure(path: reportedPath, operation: "ftruncate", StorageSyscalls.badDescriptor) }
        if case .failure(let code) = StorageSyscalls.truncate(fd, to: length) {
            throw Self.failure(path: reportedPath, operation: "ftruncate", code.value)
        }
        self.length = length
    }

    /// Closes the descriptor; a failed close (on some file systems the first sign of a lost write) is reported. A second
    /// close does nothing.
    public func close() throws(StorageFailure) {
        guard let fd = descriptor else { return }
        descriptor = nil
        if case .failure(let code) = StorageSyscalls.close(fd) { throw Self.failure(path: reportedPath, operation: "close", code.value) }
    }

    // MARK: Whole files

    /// Replaces `path` with `data` so that a crash or a full disk never leaves half a file: writes `<path>.partial`,
    /// fsyncs it, renames it over `path`. On any failure the temporary file is removed (a full disk gets its space
    /// back) and `path`, if it was there, is left as it was.
    public static func replace(_ path: String, with data: some ContiguousBytes) throws(StorageFailure) {
        try replace(path) { (file: StorageFile) throws(StorageFailure) in try file.write(data) }
    }

    /// Replaces `path` with what `body` writes to the new file, as `replace(_:with:)` does: a file written piece by
    /// piece (a CSV of millions of rows) is never whole in memory, and never half on the disk.
    public static func replace(_ path: String, writing body: (StorageFile) throws(StorageFailure) -> Void) throws(StorageFailure) {
        let temporary = path + ".partial"
        do throws(StorageFailure) {
            let file = try StorageFile(creating: temporary, reportedPath: path)
            do throws(StorageFailure) {
                try body(file)
                try file.synchronize()
                try file.close()
            } catch {
                try? file.close()   // the write's error is the one to report
                throw error
            }
            if case .failure(let code) = StorageSyscalls.rename(temporary, path) {
                throw failure(path: path, operation: "rename", code.value)
            }
        } catch {
            StorageSyscalls.unlinkFile(temporary)
            throw error
        }
    }

    /// `mkdir -p`: creates `path` and any missing parents.
    public static func makeDirectories(_ path: String) throws(StorageFailure) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if case .failure(let code) = StorageSyscalls.makeDirectory(prefix) { throw failure(path: prefix, operation: "mkdir", code.value) }
        }
    }

    /// The space left for the state folder's files on the file system holding `path`, bytes; nil when it cannot be told.
    public static func availableBytes(at path: String) -> Int64? {
        try? StorageSyscalls.availableBytes(path).get()
    }

    /// A full-disk ``StorageFailure`` (ENOSPC) naming `path`'s file system, for a writer that finds too little space
    /// before it writes (the scheduler refusing a run).
    public static func noSpace(writing path: String) -> StorageFailure {
        failure(path: path, operation: "statvfs", StorageSyscalls.noSpace)
    }

    /// A failure with the errno named and, for a full disk, the file system it happened on.
    public static func failure(path: String, operation: String, _ code: Int32) -> StorageFailure {
        var failure = StorageFailure(path: path, operation: operation, errno: code,
                                     errnoName: StorageSyscalls.errnoNames[code] ?? "errno \(code)",
                                     message: StorageSyscalls.message(code))
        if let place = StorageSyscalls.fileSystem(of: path) {
            failure.fileSystem = place.mountPoint
            failure.device = place.device
        }
        return failure
    }
}
