/// A SCPI instrument on an RS-232 port (`/dev/ttyUSB0`, `/dev/ttyS0`) or a pseudo-terminal: raw 8N1, no flow
/// control, one line per command and per reply.
///
/// The port is opened exclusively (`TIOCEXCL`), so a second program, or a second daemon, cannot interleave its
/// commands with ours; the kernel lets root open it anyway. Input and output queued before the open are flushed,
/// so a stale reply from an earlier session cannot answer our first query.
public final class SerialInstrumentLink: InstrumentLink {
    /// The speeds this link sets, in bit/s: the rates pressure controllers offer (9600 is the usual factory
    /// setting). termios has no arbitrary rates without `termios2`, and these cover the instruments.
    public static let supportedBaudRates = [9600, 19200, 38400, 57600, 115200]

    public let name: String
    /// The device file, e.g. `/dev/ttyUSB0`.
    public let path: String
    public let baudRate: Int
    private let stream: LineFramedDescriptor

    /// Opens `path` read-write, without making it our controlling terminal, and sets raw 8N1 at `baudRate` with
    /// CLOCAL and CREAD and neither hardware nor software flow control.
    ///
    /// - Parameters:
    ///   - path: The serial device, or the slave side of a pty.
    ///   - baudRate: One of `supportedBaudRates`.
    ///   - terminator: The line terminator the instrument expects; LF or CR LF are accepted on input either way.
    /// - Throws: `InstrumentLinkError` naming the link: `.invalidAddress` for an unsupported baud rate (before
    ///   anything is opened), `.io` with ENOENT (no such port), EACCES (not in the `dialout` group), EBUSY (another
    ///   program has it exclusively) or ENOTTY (not a terminal).
    ///
    /// The corresponding C calls are `open(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)`, `ioctl(TIOCEXCL)`,
    /// `tcgetattr`, `cfmakeraw`, `cfsetispeed`, `cfsetospeed`, `tcsetattr(TCSANOW)` and `tcflush(TCIOFLUSH)`.
    public init(path: String, baudRate: Int = 9600, terminator: LineTerminator = .lineFeed) throws(InstrumentLinkError) {
        let name = "scpi-serial://\(path)?baud=\(baudRate)"
        guard let speed = InstrumentSyscalls.TerminalSpeed(baudRate: baudRate) else {
            let rates = Self.supportedBaudRates.map(String.init).joined(separator: ", ")
            throw InstrumentLinkError(.invalidAddress("baud rate \(baudRate) is not supported; use one of \(rates)"),
                                      link: name, operation: "open")
        }
        let fd = try Self.check(InstrumentSyscalls.openTerminal(path), name, "open")
        // From here the stream owns the descriptor and closes it if the setup fails.
        let stream = LineFramedDescriptor(descriptor: fd, kind: .terminal, name: name, terminator: terminator)

        var settings = try Self.check(InstrumentSyscalls.terminalSettings(fd), name, "tcgetattr")
        try Self.check(InstrumentSyscalls.makeExclusive(fd), name, "ioctl(TIOCEXCL)")
        settings.makeRaw8N1(speed: speed)
        try Self.check(InstrumentSyscalls.setTerminalSettings(fd, settings), name, "tcsetattr")
        // tcsetattr succeeds when any one of the changes took; read back what the driver really set.
        let applied = try Self.check(InstrumentSyscalls.terminalSettings(fd), name, "tcgetattr")
        guard applied.is8N1(at: speed) else {
            throw InstrumentLinkError(.io(errno: SystemErrno.invalidArgument.rawValue), link: name,
                                      operation: "tcsetattr: port refused 8N1 at \(baudRate) baud")
        }
        try Self.check(InstrumentSyscalls.flushTerminal(fd), name, "tcflush")

        self.stream = stream
        self.name = name
        self.path = path
        self.baudRate = baudRate
    }

    /// The value of `result`, or its errno as the error of `operation` on the link `name`.
    private static func check<Value>(_ result: Result<Value, SystemErrno>, _ name: String,
                                     _ operation: String) throws(InstrumentLinkError) -> Value {
        switch result {
        case .success(let value): return value
        case .failure(let errno): throw InstrumentLinkError(errno, link: name, operation: operation)
        }
    }

    /// The corresponding C calls are `poll(POLLOUT)` and `write`.
    public func send(line: String, deadline: Int64) throws(InstrumentLinkError) {
        try stream.send(line: line, deadline: deadline)
    }

    /// The corresponding C calls are `poll(POLLIN)` and `read`.
    public func readLine(deadline: Int64) throws(InstrumentLinkError) -> String {
        try stream.readLine(deadline: deadline)
    }

    public func discardPendingInput() throws(InstrumentLinkError) {
        try stream.discardPendingInput()
    }

    /// Closes the port, which also ends its exclusive use. The corresponding C call is `close`.
    public func close() {
        stream.close()
    }
}
