import Foundation
import Glibc
import Synchronization

/// systemd's side of sd_notify for tests: a datagram socket bound at a path, given to the daemon as NOTIFY_SOCKET.
/// A thread of its own receives the messages; a test awaits the next one that matches, so it waits on the
/// daemon's own signal rather than on a timer. Each wait has a hang guard.
final class NotifySocket: Sendable {
    let path: String
    private let fd: Int32
    private let state = Mutex(State())
    private let done = Atomic(false)
    private let stalled = Atomic(false)

    private struct Waiter {
        var id: Int
        var matches: @Sendable (String) -> Bool
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<String?, Never>
    }

    private struct State {
        var messages: [String] = []
        /// Messages before this index have been handed to a waiter; a waiter sees only later ones.
        var consumed = 0
        var waiters: [Waiter] = []
        var nextID = 0
    }

    struct BindFailed: Error, CustomStringConvertible { var description: String }

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BindFailed(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw BindFailed(description: "bind \(path): errno \(errno)") }
        // Wake every 50 ms to expire waiters past their hang guard and to notice close().
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in receive() }
        thread.name = "notify-socket"
        thread.start()
    }

    /// Every message received so far.
    var messages: [String] { state.withLock { $0.messages } }

    /// The next message after the last one a wait returned that satisfies `matches`; nil after `within` seconds.
    func next(within seconds: Double = 120, where matches: @escaping @Sendable (String) -> Bool) async -> String? {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                if let index = state.messages[state.consumed...].firstIndex(where: matches) {
                    state.consumed = index + 1
                    continuation.resume(returning: state.messages[index])
                    return
                }
                state.waiters.append(Waiter(id: state.nextID, matches: matches, deadline: .now + .seconds(seconds), continuation: continuation))
                state.nextID += 1
            }
        }
    }

    /// The next message holding the line `field` (e.g. "READY=1").
    func next(_ field: String, within seconds: Double = 120) async -> String? {
        await next(within: seconds) { $0.split(separator: "\n").contains { $0 == field } }
    }

    func close() {
        done.store(true, ordering: .relaxed)
    }

    /// Stops receiving, as a manager that hangs: the socket's queue fills and the daemon's sends meet a full socket.
    func stall() { stalled.store(true, ordering: .relaxed) }

    /// Receives again, the queued messages first.
    func resume() { stalled.store(false, ordering: .relaxed) }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !done.load(ordering: .relaxed) {
            if stalled.load(ordering: .relaxed) {
                usleep(50_000)   // this helper thread's pace while stalled; no test waits on it
                continue
            }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            let message = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : nil
            let now = ContinuousClock.now
            state.withLock { state in
                if let message { state.messages.append(message) }
                var kept: [Waiter] = []
                for waiter in state.waiters {
                    if let message, waiter.matches(message) {
                        state.consumed = state.messages.count
                        waiter.continuation.resume(returning: message)
                    } else if now > waiter.deadline {
                        waiter.continuation.resume(returning: nil)
                    } else {
                        kept.append(waiter)
                    }
                }
                state.waiters = kept
            }
        }
        Glibc.close(fd)
        unlink(path)
        state.withLock { state in
            for waiter in state.waiters { waiter.continuation.resume(returning: nil) }
            state.waiters = []
        }
    }
}
