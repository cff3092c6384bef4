// The C library's user and group database (NSS: /etc/passwd, /etc/group, or whatever nsswitch.conf names), for
// authorization on the control socket (DESIGN.md §4, reference/daemon.md §3.3). The only file of ControlProtocol
// besides SocketSyscalls.swift that calls C (STYLE §2 item 2).
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Look-ups of users and groups by name and id. Each is a database read (a file, or a directory service), so callers
/// do them once: groups at daemon start, a peer's groups once per connection.
public enum AccountSyscalls {
    /// The id of the group called `name`, or `nil` when the machine has no such group. The corresponding C call is
    /// `getgrnam_r`.
    public static func groupID(named name: String) -> UInt32? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        return withScratch { buffer in
            let code = getgrnam_r(name, &entry, buffer.baseAddress!, buffer.count, &result)
            if code == ERANGE { return .retryLarger }
            guard code == 0, result != nil else { return .done(nil) }
            return .done(entry.gr_gid)
        } ?? nil
    }

    /// The login name of `uid`, or `nil` when the user database has no entry for it. The corresponding C call is
    /// `getpwuid_r`.
    public static func userName(of uid: UInt32) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        return withScratch { buffer in
            let code = getpwuid_r(uid, &entry, buffer.baseAddress!, buffer.count, &result)
            if code == ERANGE { return .retryLarger }
            guard code == 0, result != nil, let name = entry.pw_name else { return .done(nil) }
            return .done(String(cString: name))
        } ?? nil
    }

    /// The groups the user database gives `user`: `primary` plus every group listing the user as a member (what
    /// `initgroups` would give a login of that user). The corresponding C call is `getgrouplist`.
    public static func groups(ofUser user: String, primary: UInt32) -> [UInt32] {
        var count: Int32 = 32
        while count <= 65_536 {
            var groups = [gid_t](repeating: 0, count: Int(count))
            var found = count
            if getgrouplist(user, primary, &groups, &found) >= 0 {
                return Array(groups.prefix(Int(max(found, 0))))
            }
            // -1: `found` now holds the number needed (glibc); grow and ask again.
            count = max(found, count * 2)
        }
        return [primary]
    }

    /// The effective user id of this process. The corresponding C call is `geteuid`.
    public static var effectiveUserID: UInt32 { geteuid() }

    /// The effective group and supplementary groups of this process: the groups it may give a file it owns. The
    /// corresponding C calls are `getegid` and `getgroups`.
    public static var processGroups: Set<UInt32> {
        var result: Set<UInt32> = [getegid()]
        let count = getgroups(0, nil)
        guard count > 0 else { return result }
        var groups = [gid_t](repeating: 0, count: Int(count))
        let read = getgroups(count, &groups)
        if read > 0 { result.formUnion(groups.prefix(Int(read))) }
        return result
    }

    private enum Attempt<T> {
        case done(T)
        case retryLarger
    }

    /// Calls `body` with a scratch buffer for the `_r` functions, growing it on `ERANGE` up to 1 MiB.
    private static func withScratch<T>(_ body: (UnsafeMutableBufferPointer<CChar>) -> Attempt<T>) -> T? {
        var size = 1024
        while size <= 1 << 20 {
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            switch body(buffer) {
            case .done(let value): return value
            case .retryLarger: size *= 4
            }
        }
        return nil
    }
}
