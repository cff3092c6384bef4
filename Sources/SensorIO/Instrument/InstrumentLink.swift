// The line discipline every instrument link shares: poll(2) with a deadline, bounded lines. The descriptor is opened
// by the TCP or serial link; from then on both are the same byte stream. The C calls are in InstrumentSyscalls.swift.

/// A line-oriented connection to a bench instrument (a SCPI pressure controller): one command or query per line,
/// one reply per line. Implementations are a TCP socket (`TCPInstrumentLink`) and a serial port
/// (`SerialInstrumentLink`); `InstrumentAddress` opens the right one from a rig-file link.
///
/// Every wait ends at a deadline on CLOCK_MONOTONIC (`MonotonicClock().now()`, nanoseconds); nothing blocks forever.
/// Not thread-safe: one thread owns a link at a time.
public protocol InstrumentLink: AnyObject {
    /// The link as the rig file names it, e.g. `scpi-tcp://10.0.0.5:5025`; it locates every error.
    var name: String { get }
    /// Sends `line` followed by the link's terminator. `line` must not contain CR or LF.
    func send(line: String, deadline: Int64) throws(InstrumentLinkError)
    /// The next line the instrument sent, without its terminator (LF or CR LF are accepted on input).
    func readLine(deadline: Int64) throws(InstrumentLinkError) -> String
    /// Drops whatever the instrument has sent and nobody has read yet, without waiting: a reply that arrives
    /// after its query timed out must not be taken for the answer to the next query.
    func discardPendingInput() throws(InstrumentLinkError)
    /// Closes the connection. Later calls other than `close()` are a programming error.
    func close()
}

/// What ends a line on the wire.
public enum LineTerminator: String, Sendable, CaseIterable {
    /// LF: SCPI's own terminator over sockets (IEEE 488.2 §7.5), and the default.
    case lineFeed = "lf"
    /// CR LF, as many RS-232 instruments send and accept.
    case carriageReturnLineFeed = "crlf"
    /// CR alone, for instruments that neither send nor accept LF.
    case carriageReturn = "cr"

    /// The bytes appended to each line sent.
    var bytes: [UInt8] {
        switch self {
        case .lineFeed: [Ascii.lineFeed]
        case .carriageReturnLineFeed: [Ascii.carriageReturn, Ascii.lineFeed]
        case .carriageReturn: [Ascii.carriageReturn]
        }
    }
}

/// An instrument link failed: what went wrong, on which link, while doing what.
public struct InstrumentLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The classified cause. New causes may be added; switch with a default.
    public enum Cause: Sendable, Equatable {
        /// The deadline passed before the instrument answered or accepted the bytes.
        case timedOut
        /// The other end closed the connection or the device went away (EOF, ECONNRESET, EPIPE, EIO on a tty).
        case disconnected
        /// Any other errno.
        case io(errno: Int32)
        /// The rig file's link cannot be used as written; the text says why.
        case invalidAddress(String)
        /// A line longer than `limit` bytes arrived: not an instrument reply. The rest of it is skipped.
        case lineTooLong(limit: Int)
    }

    public var cause: Cause
    /// The link, e.g. `scpi-serial:///dev/ttyUSB0?baud=9600`.
    public var link: String
    /// What was being done: "connect", "read", "write", "tcsetattr"...
    public var operation: String

    public init(_ cause: Cause, link: String, operation: String) {
        self.cause = cause
        self.link = link
        self.operation = operation
    }

    public var description: String {
        let reason = switch cause {
        case .timedOut: "timed out"
        case .disconnected: "disconnected"
        case .io(let errno): InstrumentSyscalls.errorText(errno) + " (errno \(errno))"
        case .invalidAddress(let why): why
        case .lineTooLong(let limit): "received a line longer than \(limit) bytes"
        }
        return "\(link): \(operation): \(reason)"
    }
}

extension InstrumentLinkError {
    /// The error for a failed call on `link`. A bad descriptor or pointer is a SensorIO bug and stops the
    /// process instead (STYLE §2.3); a hang-up of the other end is `.disconnected`.
    init(_ errno: SystemErrno, link: String, operation: String) {
        precondition(!errno.isProgrammingError, "\(link): \(operation) failed with errno \(errno.rawValue): a SensorIO bug")
        let hangUps: Set<SystemErrno> = [.brokenPipe, .connectionReset, .connectionAborted, .notConnected, .ioError,
                                         .noSuchDevice, .noSuchDeviceOrAddress]
        self.init(hangUps.contains(errno) ? .disconnected : .io(errno: errno.rawValue),
                  link: link, operation: operation)
    }
}

enum Ascii {
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
}

/// A connected, non-blocking descriptor framed into lines: the part of a link that is the same over a socket, a
/// serial port or a pty. It owns the descriptor and closes it in `close()` or at deinit.
///
/// `package` so the simulated instrument (SensorSim) frames its side of the wire with the same code.
package final class LineFramedDescriptor {
    /// How bytes are written: `send(MSG_NOSIGNAL)` on a socket, so a closed peer is EPIPE instead of a SIGPIPE
    /// that would kill the daemon; `write` on a terminal, which never raises SIGPIPE.
    package enum Kind: Sendable { case socket, terminal }

    /// Replies longer than this are not instrument replies (a SCPI pressure reading is < 100 bytes); a stream of
    /// garbage without terminators must not grow the buffer without bound.
    package static let maximumLineLength = 4096

    package let name: String
    package let terminator: LineTerminator
    private let kind: Kind
    /// -1 once closed.
    private var descriptor: Int32
    /// Bytes read but not yet returned as a line.
    private var pending: [UInt8] = []
    /// Set after an overlong line until its terminator has gone by.
    private var skippingOverlongLine = false

    /// Takes ownership of `descriptor`, which must be open and `O_NONBLOCK`.
    package init(descriptor: Int32, kind: Kind, name: String, terminator: LineTerminator) {
        precondition(descriptor >= 0, "\(name): a line-framed descriptor needs an open descriptor")
        self.descriptor = descriptor
        self.kind = kind
        self.name = name
        self.terminator = terminator
    }

    deinit { close() }

    /// The open descriptor, for `poll` by an owner that watches several.
    package var fileDescriptor: Int32 {
        precondition(descriptor >= 0, "\(name) used after close()")
        return descriptor
    }

    /// Writes `line` and the terminator, waiting for buffer space until `deadline` (CLOCK_MONOTONIC ns).
    ///
    /// The corresponding C calls are `poll(POLLOUT)` and `send(MSG_NOSIGNAL)` or `write`.
    package func send(line: String, deadline: Int64) throws(InstrumentLinkError) {
        precondition(!line.utf8.contains(Ascii.lineFeed) && !line.utf8.contains(Ascii.carriageReturn),
                     "\(name): a line sent to an instrument cannot contain CR or LF: \(line.debugDescription)")
        let bytes = Array(line.utf8) + terminator.bytes
        let fd = fileDescriptor
        var offset = 0
        while offset < bytes.count {
            try wait(for: .writable, deadline: deadline, operation: "write")
            let written = bytes.withUnsafeBytes { buffer in
                let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
                return switch kind {
                case .socket: InstrumentSyscalls.send(fd, rest)
                case .terminal: InstrumentSyscalls.write(fd, rest)
                }
            }
            switch written {
            case .success(let count): offset += count
            case .failure(let errno) where errno == .tryAgain: continue     // raced with another writer of the buffer
            case .failure(let errno): throw InstrumentLinkError(errno, link: name, operation: "write")
            }
        }
    }

    /// The next line, waiting for bytes until `deadline`. A CR before the LF is dropped; with the `.carriageReturn`
    /// terminator, lines end at CR and an LF that follows it is dropped instead.
    ///
    /// The corresponding C calls are `poll(POLLIN)` and `read`.
    package func readLine(deadline: Int64) throws(InstrumentLinkError) -> String {
        while true {
            if let line = try takeLine() { return line }
            try wait(for: .readable, deadline: deadline, operation: "read")
            try fill(operation: "read")
        }
    }

    /// Drops buffered lines and whatever the kernel holds for us, without waiting. At most
    /// `discardLimit` reads, so an instrument that streams without pause cannot keep us here.
    package func discardPendingInput() throws(InstrumentLinkError) {
        pending.removeAll(keepingCapacity: true)
        skippingOverlongLine = false
        var reads = 0
        while reads < Self.discardLimit, try isReadable() {
            try fill(operation: "discard input")
            pending.removeAll(keepingCapacity: true)
            reads += 1
        }
    }

    /// The most reads one discard makes (64 KiB): far more than any late reply.
    static let discardLimit = 64

    /// Closes the descriptor; calling it again does nothing. Neither retried nor reported (`InstrumentSyscalls.close`).
    package func close() {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        InstrumentSyscalls.close(fd)
    }

    // MARK: Internals

    /// Cuts the first complete line out of `pending`.
    private func takeLine() throws(InstrumentLinkError) -> String? {
        let end: UInt8 = terminator == .carriageReturn ? Ascii.carriageReturn : Ascii.lineFeed
        if skippingOverlongLine {
            guard let index = pending.firstIndex(of: end) else {
                pending.removeAll(keepingCapacity: true)
                return nil
            }
            pending.removeSubrange(...index)
            skippingOverlongLine = false
        }
        if terminator == .carriageReturn, pending.first == Ascii.lineFeed { pending.removeFirst() }
        guard let index = pending.firstIndex(of: end) else {
            if pending.count > Self.maximumLineLength {
                pending.removeAll(keepingCapacity: true)
                skippingOverlongLine = true
                throw InstrumentLinkError(.lineTooLong(limit: Self.maximumLineLength), link: name, operation: "read")
            }
            return nil
        }
        var line = pending[..<index]
        pending.removeSubrange(...index)
        if end == Ascii.lineFeed, line.last == Ascii.carriageReturn { line = line.dropLast() }
        guard line.count <= Self.maximumLineLength else {
            throw InstrumentLinkError(.lineTooLong(limit: Self.maximumLineLength), link: name, operation: "read")
        }
        return String(decoding: line, as: UTF8.self)
    }

    /// One `read` into `pending`. End of file is the other end hanging up.
    private func fill(operation: String) throws(InstrumentLinkError) {
        let fd = fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 1024)
        let result = chunk.withUnsafeMutableBytes { InstrumentSyscalls.read(fd, into: $0) }
        switch result {
        case .success(0):
            throw InstrumentLinkError(.disconnected, link: name, operation: operation)
        case .success(let count):
            pending.append(contentsOf: chunk[..<count])
        case .failure(let errno) where errno == .tryAgain:
            return      // poll saw readiness another reader consumed; wait again
        case .failure(let errno):
            throw InstrumentLinkError(errno, link: name, operation: operation)
        }
    }

    /// Whether a read would not block now (data, end of file or an error to collect).
    private func isReadable() throws(InstrumentLinkError) -> Bool {
        switch InstrumentSyscalls.isReadable(fileDescriptor) {
        case .success(let readable): return readable
        case .failure(let errno): throw InstrumentLinkError(errno, link: name, operation: "poll")
        }
    }

    /// Waits until the descriptor is readable or writable, as `readiness` asks, or has hung up or failed (the next
    /// read or write then says which), or throws `.timedOut` at `deadline`. After EINTR, poll resumes with the time
    /// that is left.
    /// Internal so that `TCPInstrumentLink` can wait for a non-blocking connect with it.
    func wait(for readiness: InstrumentSyscalls.Readiness, deadline: Int64,
              operation: String) throws(InstrumentLinkError) {
        switch InstrumentSyscalls.poll(fileDescriptor, for: readiness, until: deadline) {
        case .success(.ready):
            return
        case .success(.timedOut):
            throw InstrumentLinkError(InstrumentLinkError.Cause.timedOut, link: name, operation: operation)
        case .success(.closedDescriptor):
            preconditionFailure("\(name): poll on a closed descriptor: a SensorIO bug")
        case .failure(let errno):
            throw InstrumentLinkError(errno, link: name, operation: "poll")
        }
    }
}
