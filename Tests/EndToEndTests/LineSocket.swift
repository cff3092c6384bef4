import ControlProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking client of the control socket for load and fuzz tests, one per thread of its own: plain `connect`,
/// `write` and `read`, so that hundreds of clients neither need nor block the Swift concurrency pool, and a
/// request's latency is measured on the client's own thread, without waiting for a pool thread to resume it.
final class LineSocket {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let fd: Int32
    private var pending: [UInt8] = []

    /// Connects to the Unix socket at `path`, with `timeout` on every read and write.
    init(path: String, timeout: Duration = .seconds(60)) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let seconds = Int(timeout.components.seconds)
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)) + [0]) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(fd)
            throw Failure(description: "connect \(path): \(String(cString: strerror(code)))")
        }
    }

    deinit { close(fd) }

    /// Writes `bytes` whole.
    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "write: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Writes one line (`\n` added).
    func send(_ line: String) throws { try write(Array((line + "\n").utf8)) }

    /// The next line without its `\n`; `nil` at end of file.
    func readLine() throws -> [UInt8]? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read: \(String(cString: strerror(errno)))")
            }
            if count == 0 { return nil }
            pending += chunk[..<count]
        }
    }

    /// The next message; fails at end of file or on a line that is not a valid message.
    func readMessage() throws -> RPCMessage {
        guard let line = try readLine() else { throw Failure(description: "the daemon closed the connection") }
        do {
            return try RPCMessage(parsing: Data(line))
        } catch {
            throw Failure(description: "not a message: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
    }

    /// The next response, skipping notifications (passed to `notification`).
    func readResponse(notification: (RPCNotification) -> Void = { _ in }) throws -> RPCResponse {
        while true {
            switch try readMessage() {
            case .response(let response): return response
            case .notification(let note): notification(note)
            case .request: throw Failure(description: "the daemon sent a request")
            }
        }
    }
}

/// Runs `body` on a thread of its own with a small stack and awaits its result, leaving the concurrency pool free.
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.stackSize = 512 << 10
        thread.start()
    }
}
