// The only file in SensorIO/Instrument that makes terminal calls (open of a tty, ioctl(TIOCEXCL), termios).
import Glibc

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
        guard let speed = Self.speed(baudRate) else {
            let rates = Self.supportedBaudRates.map(String.init).joined(separator: ", ")
            throw InstrumentLinkError(.invalidAddress("baud rate \(baudRate) is not supported; use one of \(rates)"),
                                      link: name, operation: "open")
        }
        // O_NONBLOCK: the open must not wait for carrier (DCD) on a real port, and every read and write waits in
        // poll with a deadline instead.
        let flags = O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK
        let fd: Int32
        switch valueOrErrno({ open(path, flags) }) {
        case .success(let value): fd = value
        case .failure(let errno): throw InstrumentLinkError(errno, link: name, operation: "open")
        }
        // From here the stream owns the descriptor and closes it if the setup fails.
        let stream = LineFramedDescriptor(descriptor: fd, kind: .terminal, name: name, terminator: terminator)

        var settings = termios()
        try Self.check(valueOrErrno { tcgetattr(fd, &settings) }, name, "tcgetattr")
        if case .failure(let errno) = valueOrErrno({ ioctl(fd, UInt(TIOCEXCL)) }) {
            throw InstrumentLinkError(errno, link: name, operation: "ioctl(TIOCEXCL)")
        }
        Self.makeRaw8N1(&settings, speed: speed)
        try Self.check(valueOrErrno { tcsetattr(fd, TCSANOW, &settings) }, name, "tcsetattr")
        // tcsetattr succeeds when any one of the changes took; read back what the driver really set.
        var applied = termios()
        try Self.check(valueOrErrno { tcgetattr(fd, &applied) }, name, "tcgetattr")
        guard cfgetospeed(&applied) == speed, applied.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8),
              applied.c_cflag & (tcflag_t(PARENB) | tcflag_t(CSTOPB)) == 0 else {
            throw InstrumentLinkError(.io(errno: EINVAL), link: name, operation: "tcsetattr: port refused 8N1 at \(baudRate) baud")
        }
        try Self.check(valueOrErrno { tcflush(fd, TCIOFLUSH) }, name, "tcflush")

        self.stream = stream
        self.name = name
        self.path = path
        self.baudRate = baudRate
    }

    /// The termios speed constant for `baudRate`, or nil when the link does not support it.
    private static func speed(_ baudRate: Int) -> speed_t? {
        switch baudRate {
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 115200: speed_t(B115200)
        default: nil
        }
    }

    /// Raw mode (no echo, no line editing, no CR/LF translation: bytes pass as sent), 8 data bits, no parity,
    /// one stop bit, receiver on, modem lines ignored, no RTS/CTS and no XON/XOFF: an XOFF byte in a reply must
    /// not stall the line. VMIN = VTIME = 0 because reads only follow a poll that said data is there.
    private static func makeRaw8N1(_ settings: inout termios, speed: speed_t) {
        cfmakeraw(&settings)
        settings.c_cflag &= ~(tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        settings.c_cflag |= tcflag_t(CS8) | tcflag_t(CLOCAL) | tcflag_t(CREAD)
        settings.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
        withUnsafeMutableBytes(of: &settings.c_cc) { controlCharacters in
            controlCharacters[Int(VMIN)] = 0
            controlCharacters[Int(VTIME)] = 0
        }
        _ = cfsetispeed(&settings, speed)
        _ = cfsetospeed(&settings, speed)
    }

    private static func check(_ result: Result<Int32, SystemErrno>, _ name: String,
                              _ operation: String) throws(InstrumentLinkError) {
        if case .failure(let errno) = result { throw InstrumentLinkError(errno, link: name, operation: operation) }
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
