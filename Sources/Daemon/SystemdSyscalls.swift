#if canImport(Glibc)
import Glibc
#endif

/// The only file of the daemon that calls libc: the sd_notify datagram and the socket-activation check
/// (reference/daemon.md §3.1–3.2), written without libsystemd so the daemon has no dependency on it.
enum SystemdSyscalls {
    /// Sends `message` to the `NOTIFY_SOCKET` path (a leading `@` means the abstract namespace).
    /// Returns false when the datagram could not be sent; notification is best effort by design.
    ///
    /// Never waits: a receiver whose queue is full (a stalled manager; `net.unix.max_dgram_qlen` is 10 datagrams
    /// by default) makes a blocking `sendto` sleep in the kernel, on whichever thread sent it (the scheduler's, the
    /// watchdog's, both on the concurrency pool), until the daemon stops answering. MSG_DONTWAIT drops the message
    /// with EAGAIN instead; the next STATUS or keep-alive says the same again.
    static func notify(socketPath: String, message: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        if bytes[0] == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes[0] == 0 ? 0 : 1))
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let sent = message.withCString { text in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, text, strlen(text), Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), $0, length)
                }
            }
        }
        return sent >= 0
    }

    static func processID() -> Int32 { getpid() }

    /// A file-size limit (`LimitFSIZE=`) must be an error on the write that meets it (EFBIG, a disk-full outcome of
    /// the run), not SIGXFSZ's default action, which kills the daemon.
    static func ignoreFileSizeSignal() { signal(SIGXFSZ, SIG_IGN) }
}
