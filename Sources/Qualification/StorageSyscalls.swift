// The only file in Qualification that calls C (STYLE §2.2): the POSIX calls under StorageFile, each returning the errno
// it failed with, so a full disk is told apart from any other write error and named (ENOSPC, EDQUOT, EFBIG); and the
// coarse clock a raw capture's buffer is timed with.
import Foundation
import Glibc

enum StorageSyscalls {
    /// A failed call's errno.
    struct Errno: Error { var value: Int32 }

    /// `body` until it does not fail with EINTR; the errno on failure.
    private static func call<Value: BinaryInteger>(_ body: () -> Value) -> Result<Value, Errno> {
        while true {
            let value = body()
            if value >= 0 { return .success(value) }
            let code = Glibc.errno
            if code != EINTR { return .failure(Errno(value: code)) }
        }
    }

    static func openForWriting(_ path: String) -> Result<Int32, Errno> {
        call { path.withCString { Glibc.open($0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } }
    }

    /// One `write(2)`: how many bytes went, which may be fewer than asked (the file system filled up mid-way).
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, Errno> {
        call { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// One `read(2)` into `bytes`: how many bytes came, 0 at the end of the file.
    static func read(_ fd: Int32, into bytes: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        call { Glibc.read(fd, bytes.baseAddress, bytes.count) }
    }

    static func fsync(_ fd: Int32) -> Result<Void, Errno> { call { Glibc.fsync(fd) }.map { _ in } }

    static func truncate(_ fd: Int32, to length: Int64) -> Result<Void, Errno> {
        call { Glibc.ftruncate(fd, off_t(length)) }.map { _ in }
    }

    /// Never retried on EINTR: Linux has released the descriptor by then.
    static func close(_ fd: Int32) -> Result<Void, Errno> {
        Glibc.close(fd) == 0 ? .success(()) : .failure(Errno(value: Glibc.errno))
    }

    static func rename(_ from: String, _ to: String) -> Result<Void, Errno> {
        call { from.withCString { source in to.withCString { Glibc.rename(source, $0) } } }.map { _ in }
    }

    /// Removes `path` if it is a regular file (never a device node a writer was pointed at, such as /dev/full).
    static func unlinkFile(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return }
        _ = path.withCString { Glibc.unlink($0) }
    }

    /// `mkdir(2)`; a folder already there is success.
    static func makeDirectory(_ path: String) -> Result<Void, Errno> {
        switch call({ path.withCString { Glibc.mkdir($0, 0o755) } }) {
        case .success: return .success(())
        case .failure(let code):
            var info = stat()
            if code.value == EEXIST, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return .success(()) }
            return .failure(code)
        }
    }

    /// Bytes an unprivileged writer may still use on the file system holding `path` (`statvfs` f_bavail × f_frsize).
    static func availableBytes(_ path: String) -> Result<Int64, Errno> {
        var info = statvfs()
        return call { statvfs(path, &info) }.map { _ in Int64(info.f_bavail) * Int64(info.f_frsize) }
    }

    // MARK: Naming the failure

    static let badDescriptor = EBADF
    static let noSpace = ENOSPC

    static let errnoNames: [Int32: String] = [
        ENOSPC: "ENOSPC", EDQUOT: "EDQUOT", EFBIG: "EFBIG", EIO: "EIO", EROFS: "EROFS", EACCES: "EACCES", EPERM: "EPERM",
        ENOENT: "ENOENT", EEXIST: "EEXIST", ENOTDIR: "ENOTDIR", EISDIR: "EISDIR", EBADF: "EBADF", EINVAL: "EINVAL",
        EMFILE: "EMFILE", ENFILE: "ENFILE", ENAMETOOLONG: "ENAMETOOLONG", ELOOP: "ELOOP", EXDEV: "EXDEV",
        ENOMEM: "ENOMEM", ENODEV: "ENODEV", ENXIO: "ENXIO", ESTALE: "ESTALE", EPIPE: "EPIPE", EAGAIN: "EAGAIN",
    ]

    static func message(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The mount point of the file system holding `path` (the deepest ancestor on the same device) and its source as
    /// /proc/self/mountinfo names it (`/dev/sda2`, `tmpfs`).
    static func fileSystem(of path: String) -> (mountPoint: String, device: String?)? {
        var current = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var info = stat()
        // The file itself may not be there (its open failed): start from the nearest ancestor that is.
        while stat(current, &info) != 0 {
            guard let cut = current.lastIndex(of: "/"), current != "/" else { return nil }
            current = cut == current.startIndex ? "/" : String(current[..<cut])
        }
        let device = info.st_dev
        while current != "/" {
            guard let cut = current.lastIndex(of: "/") else { break }
            let parent = cut == current.startIndex ? "/" : String(current[..<cut])
            var parentInfo = stat()
            guard stat(parent, &parentInfo) == 0, parentInfo.st_dev == device else { break }
            current = parent
        }
        return (current, mountSource(current))
    }

    /// The source field of the last mountinfo line mounted at `mountPoint` (proc(5): fields after " - " are the
    /// type, the source and the super-block options; spaces in paths are written `\040`).
    private static func mountSource(_ mountPoint: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        var source: String?
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { continue }
            let point = fields[4].replacingOccurrences(of: "\\040", with: " ")
            if point == mountPoint { source = String(fields[dash + 2]) }
        }
        return source
    }
}
