// The C calls of the simulated chamber's feed (STYLE §2.2): the FIFO, its capacity, the wake-up pipe, poll and
// write. Their errno reads go through SensorIO's one reader (`InstrumentSyscalls.valueOrFailure`).
import Glibc
import SensorIO

enum ChamberFeedSyscalls {
    typealias Failure = InstrumentSyscalls.Failure

    /// PIPE_BUF on Linux: a write of at most this many bytes to a pipe or FIFO is atomic, never interleaved nor
    /// split, and with O_NONBLOCK it either writes everything or fails with EAGAIN (pipe(7)).
    static let atomicWriteLimit = 4096

    /// `F_GETPIPE_SZ` and `F_SETPIPE_SZ` (linux/fcntl.h: F_LINUX_SPECIFIC_BASE + 8 and + 7), which glibc declares only
    /// under _GNU_SOURCE; the Glibc module is built without it.
    private static let getPipeSize: Int32 = 1032
    private static let setPipeSize: Int32 = 1031

    /// Names the calling thread for the kernel and lowers its scheduling priority to niceness 19: the renderer is
    /// the rig, not the daemon, and yields the CPU to it.
    static func markAsSimulator(named name: String) {
        ThreadSyscalls.nameCurrentThread(name)
        ThreadSyscalls.setCurrentThreadNiceness(19)
    }

    /// `mkfifo(path, 0600)`.
    static func makeFIFO(_ path: String) -> Result<Void, Failure> {
        InstrumentSyscalls.valueOrFailure { mkfifo(path, 0o600) }.map { _ in }
    }

    /// Opens the FIFO for reading and writing, non-blocking, close-on-exec. Linux lets a FIFO be opened O_RDWR
    /// (POSIX leaves it undefined): the open never waits for a reader, and as the feed holds a read end itself its
    /// writes can never meet EPIPE or raise SIGPIPE when the reader goes away (fifo(7)).
    static func openFIFO(_ path: String) -> Result<Int32, Failure> {
        InstrumentSyscalls.valueOrFailure { open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC) }
    }

    /// The pipe's capacity in bytes, `fcntl(F_GETPIPE_SZ)`.
    static func pipeCapacity(_ fd: Int32) -> Result<Int, Failure> {
        InstrumentSyscalls.valueOrFailure { fcntl(fd, getPipeSize) }.map { Int($0) }
    }

    /// Sets the pipe's capacity, `fcntl(F_SETPIPE_SZ, bytes)`; the kernel rounds up to a power-of-two number of
    /// pages and refuses more than /proc/sys/fs/pipe-max-size (EPERM) for an unprivileged user. The capacity set.
    static func setPipeCapacity(_ fd: Int32, bytes: Int) -> Result<Int, Failure> {
        InstrumentSyscalls.valueOrFailure { fcntl(fd, setPipeSize, Int32(clamping: bytes)) }.map { Int($0) }
    }

    /// A pipe whose read end wakes the feed's `poll` when `stop()` writes a byte; both ends non-blocking and
    /// close-on-exec.
    static func makeWakePipe() -> Result<(read: Int32, write: Int32), Failure> {
        var ends: [Int32] = [-1, -1]
        return InstrumentSyscalls.valueOrFailure { pipe(&ends) }.map { _ in
            for fd in ends {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            return (ends[0], ends[1])
        }
    }

    /// Writes one byte to the wake pipe; a full pipe already wakes the reader, so its EAGAIN is ignored.
    static func wake(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = InstrumentSyscalls.valueOrFailure { Int32(Glibc.write(fd, &byte, 1)) }
    }

    /// How a `write(_:to:unlessWoken:)` ended.
    enum WriteOutcome: Equatable {
        /// Every byte is in the pipe.
        case written
        /// The wake pipe became readable first: `stop()` was called.
        case woken
        /// A call failed with this errno.
        case failed(operation: String, errno: Int32)
    }

    /// Writes `bytes` (at most `atomicWriteLimit`) to the non-blocking FIFO `fd`, waiting in `poll` while the pipe is
    /// full, until everything is written or `wake` becomes readable.
    ///
    /// The write is tried first and `poll` only waits after EAGAIN: while the reader keeps room in the pipe, a chunk
    /// costs one call, not two. The caller checks its own stop request between chunks, since `wake` is only looked
    /// at while waiting. A write of at most PIPE_BUF bytes either fits whole or fails with EAGAIN, so a reader never
    /// sees part of it. POLLOUT only says some room is free, so EAGAIN after it just means waiting again. A short
    /// count cannot happen for such a write; if it did, the rest is written next, and the atomicity, not the data,
    /// would be lost.
    static func write(_ bytes: UnsafeRawBufferPointer, to fd: Int32, unlessWoken wake: Int32) -> WriteOutcome {
        guard let base = bytes.baseAddress else { return .written }
        var offset = 0
        while offset < bytes.count {
            let result = InstrumentSyscalls.valueOrFailure { Int32(Glibc.write(fd, base + offset, bytes.count - offset)) }
            switch result {
            case .success(let count):
                offset += Int(count)
                continue
            case .failure(let failure) where failure.errno == EAGAIN:
                break   // Full: wait below.
            case .failure(let failure):
                return .failed(operation: "write", errno: failure.errno)
            }
            var entries = [pollfd(fd: fd, events: Int16(POLLOUT), revents: 0),
                           pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            if case .failure(let failure) = InstrumentSyscalls.valueOrFailure({ poll(&entries, 2, -1) }) {
                return .failed(operation: "poll", errno: failure.errno)
            }
            if entries[1].revents != 0 { return .woken }
            let revents = Int32(entries[0].revents)
            if revents & (Int32(POLLERR) | Int32(POLLNVAL)) != 0 { return .failed(operation: "poll", errno: EIO) }
        }
        return .written
    }

    /// `close(fd)`, without retry (SensorIO's `InstrumentSyscalls.close`).
    static func close(_ fd: Int32) {
        InstrumentSyscalls.close(fd)
    }

    /// `unlink(path)`; errors are dropped: the FIFO is only a name, and nobody is left to tell.
    static func unlink(_ path: String) {
        _ = Glibc.unlink(path)
    }

    /// `strerror(errno)`.
    static func errorText(_ errno: Int32) -> String {
        InstrumentSyscalls.errorText(errno)
    }
}
