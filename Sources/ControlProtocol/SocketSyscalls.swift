// The only file of ControlProtocol that calls the C library (STYLE §2 item 2): the socket file's mode and removal,
// and the peer's credentials. Everything else goes through NIO.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The process at the other end of a Unix socket, as the kernel recorded it at `connect(2)`.
///
/// Authorization reads `uid` and `gid` (and the supplementary groups of `uid`) to decide what a connection may do.
/// The corresponding C call is `getsockopt(SO_PEERCRED)`.
public struct PeerCredentials: Sendable, Hashable {
    /// The peer's process id.
    public var pid: Int32
    /// The peer's effective user id.
    public var uid: UInt32
    /// The peer's effective primary group id.
    public var gid: UInt32
    /// The supplementary groups the user database gives `uid` (`getgrouplist`); empty when `uid` has no entry.
    ///
    /// `SO_PEERCRED` carries only the primary group. The user database is what `login`, `su`, `sudo` and systemd give
    /// a process of that user, so a member of the operator group is recognised however it started its client.
    public var groups: [UInt32]
    /// The login name of `uid`, when the user database has one; for messages and logs.
    public var userName: String?

    /// Credentials as read from the socket, with the groups and name looked up for `uid`.
    public init(pid: Int32, uid: UInt32, gid: UInt32, groups: [UInt32] = [], userName: String? = nil) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.groups = groups
        self.userName = userName
    }

    /// Whether the peer is in group `id`, as its primary or a supplementary group.
    public func isMember(of id: UInt32) -> Bool {
        gid == id || groups.contains(id)
    }

    /// `uid 1001 (alice)`, or `uid 1001` when the user has no name.
    public var userDescription: String {
        "uid \(uid)" + (userName.map { " (\($0))" } ?? "")
    }
}

/// A failed system call on the control socket's file, with the path and the C library's text for `errno`.
public struct SocketFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The C function that failed, e.g. `chmod`.
    public var operation: String
    /// The socket file.
    public var path: String
    /// The `errno` value right after the call.
    public var errno: Int32

    /// E.g. `chmod /run/sensorqual.sock: Operation not permitted`.
    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno)))"
    }
}

enum SocketSyscalls {
    /// Runs `call` until it does not fail with `EINTR`; returns its result, or throws with `errno` read right after.
    private static func valueOrErrno(
        _ operation: String, _ path: String, _ call: () -> Int32
    ) throws(SocketFileError) -> Int32 {
        while true {
            let result = call()
            if result != -1 { return result }
            let code = errno
            if code != EINTR { throw SocketFileError(operation: operation, path: path, errno: code) }
        }
    }

    /// Sets the permission bits of the file at `path`. The corresponding C call is `chmod`.
    static func setMode(_ mode: Int, ofFileAt path: String) throws(SocketFileError) {
        _ = try valueOrErrno("chmod", path) { chmod(path, mode_t(mode)) }
    }

    /// Gives the file at `path` to group `group`, keeping its owner. The corresponding C call is `chown`.
    static func setGroup(_ group: UInt32, ofFileAt path: String) throws(SocketFileError) {
        _ = try valueOrErrno("chown", path) { chown(path, uid_t.max, gid_t(group)) }
    }

    /// The group of the file at `path`. The corresponding C call is `lstat`.
    static func group(ofFileAt path: String) throws(SocketFileError) -> UInt32 {
        var info = stat()
        _ = try valueOrErrno("lstat", path) { lstat(path, &info) }
        return info.st_gid
    }

    /// The permission bits of the file at `path`. The corresponding C call is `lstat`.
    static func mode(ofFileAt path: String) throws(SocketFileError) -> Int {
        var info = stat()
        _ = try valueOrErrno("lstat", path) { lstat(path, &info) }
        return Int(info.st_mode) & 0o7777
    }

    /// Removes the file at `path` if it is a socket; a missing file is not an error. The corresponding C calls are
    /// `lstat` and `unlink`.
    static func removeSocketFile(at path: String) throws(SocketFileError) {
        var info = stat()
        do throws(SocketFileError) {
            _ = try valueOrErrno("lstat", path) { lstat(path, &info) }
        } catch where error.errno == ENOENT {
            return
        }
        // Another file put in its place is not ours to remove.
        guard info.st_mode & S_IFMT == S_IFSOCK else { return }
        do throws(SocketFileError) {
            _ = try valueOrErrno("unlink", path) { unlink(path) }
        } catch where error.errno == ENOENT {
            return
        }
    }

    /// The credentials of the peer of a connected Unix socket channel, or `nil` where the platform or the channel
    /// does not provide them. The corresponding C call is `getsockopt(SOL_SOCKET, SO_PEERCRED)`.
    static func peerCredentials(of channel: any Channel) async -> PeerCredentials? {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        do {
            let credentials: LinuxUCred = try await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
            ).get()
            let name = AccountSyscalls.userName(of: credentials.uid)
            let groups = name.map { AccountSyscalls.groups(ofUser: $0, primary: credentials.gid) } ?? []
            return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: groups,
                                   userName: name)
        } catch {
            // Only a closed channel makes this fail; such a connection is served as anonymous (no groups) and
            // ends at its first read.
            return nil
        }
        #else
        return nil
        #endif
    }
}

#if os(Linux)
/// Layout of Linux's `struct ucred` (`<sys/socket.h>`), which Glibc's module does not import without `_GNU_SOURCE`
/// (reference/daemon.md §3.3).
private struct LinuxUCred: Sendable {
    var pid: pid_t = 0
    var uid: uid_t = 0
    var gid: gid_t = 0
}
#endif
