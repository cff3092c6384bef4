// The only file in SensorIO/Instrument that imports C (STYLE §2.2): the socket, terminal and descriptor calls of the
// instrument links, one thin function each. Every call that can fail goes through `valueOrErrno`
// (I2C/I2CSyscalls.swift), SensorIO's one errno reader. The `package` entries are the ones the simulated
// instrument (SensorSim) reuses.
import Glibc

/// The errno values the instrument links classify.
extension SystemErrno {
    static let brokenPipe = SystemErrno(rawValue: EPIPE)
    static let connectionReset = SystemErrno(rawValue: ECONNRESET)
    static let connectionAborted = SystemErrno(rawValue: ECONNABORTED)
    static let notConnected = SystemErrno(rawValue: ENOTCONN)
    /// A non-blocking connect has started.
    static let inProgress = SystemErrno(rawValue: EINPROGRESS)
    /// A non-blocking connect was already under way.
    static let alreadyInProgress = SystemErrno(rawValue: EALREADY)
}

package enum InstrumentSyscalls {
    // MARK: Descriptors

    /// What a `poll` waits for.
    enum Readiness {
        case readable, writable

        fileprivate var events: Int16 { Int16(self == .readable ? POLLIN : POLLOUT) }
    }

    /// How a `poll` ended.
    enum PollOutcome {
        /// Ready, hung up or failed: the next read or write says which.
        case ready
        case timedOut
        /// POLLNVAL: the descriptor is not open.
        case closedDescriptor
    }

    /// `poll` on `fd` until `deadline` (CLOCK_MONOTONIC ns). After EINTR it resumes with the time that is left.
    static func poll(_ fd: Int32, for readiness: Readiness, until deadline: Int64) -> Result<PollOutcome, SystemErrno> {
        var entry = pollfd(fd: fd, events: readiness.events, revents: 0)
        return valueOrErrno { () -> Int32 in
            let left = deadline - ClockSyscalls.monotonicNanoseconds()
            // Round up, so poll never returns just before the deadline and gets called again with 0 ms.
            let milliseconds = left <= 0 ? 0 : Int32(clamping: (left + 999_999) / 1_000_000)
            return Glibc.poll(&entry, 1, milliseconds)
        }.map { ready in
            if ready == 0 { return .timedOut }
            return entry.revents & Int16(POLLNVAL) != 0 ? .closedDescriptor : .ready
        }
    }

    /// Whether a read would not block now (data, end of file or an error to collect): `poll(POLLIN)` with no wait.
    static func isReadable(_ fd: Int32) -> Result<Bool, SystemErrno> {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return valueOrErrno { Glibc.poll(&entry, 1, 0) }.map { $0 > 0 }
    }

    /// `read(fd, buffer)`: the bytes read, 0 at end of file.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, SystemErrno> {
        valueOrErrno { Glibc.read(fd, buffer.baseAddress, buffer.count) }
    }

    /// `send(fd, bytes, MSG_NOSIGNAL)`: a closed peer is EPIPE instead of a SIGPIPE that would kill the daemon.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, SystemErrno> {
        valueOrErrno { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// `write(fd, bytes)`, for terminals, which never raise SIGPIPE.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Result<Int, SystemErrno> {
        valueOrErrno { Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }

    /// `close(fd)`. EINTR is not retried: Linux has released the descriptor by then, and a retry could close one
    /// another thread was just given (swift-nio `Posix.close`). Errors are dropped: the descriptor is gone either
    /// way and there is nobody to tell.
    package static func close(_ fd: Int32) {
        _ = valueOrErrno(retryOnInterrupt: false) { Glibc.close(fd) }
    }

    /// `strerror(errno)`, e.g. "Connection refused".
    package static func errorText(_ errno: Int32) -> String {
        String(cString: strerror(errno))
    }

    // MARK: Serial ports

    /// A termios speed constant (`B9600`...). termios has no arbitrary rates without `termios2`.
    struct TerminalSpeed {
        fileprivate let value: speed_t

        /// The constant for `baudRate`, or nil for a rate the links do not set.
        init?(baudRate: Int) {
            switch baudRate {
            case 9600: value = speed_t(B9600)
            case 19200: value = speed_t(B19200)
            case 38400: value = speed_t(B38400)
            case 57600: value = speed_t(B57600)
            case 115200: value = speed_t(B115200)
            default: return nil
            }
        }
    }

    /// A terminal's `struct termios`, read by `terminalSettings` and written by `setTerminalSettings`.
    struct TerminalSettings {
        fileprivate var raw = termios()

        /// Raw mode (no echo, no line editing, no CR/LF translation: bytes pass as sent), 8 data bits, no parity,
        /// one stop bit, receiver on, modem lines ignored, no RTS/CTS and no XON/XOFF: an XOFF byte in a reply must
        /// not stall the line. VMIN = VTIME = 0 because reads only follow a poll that said data is there.
        mutating func makeRaw8N1(speed: TerminalSpeed) {
            cfmakeraw(&raw)
            raw.c_cflag &= ~(tcflag_t(CSIZE) | tcflag_t(PARENB) | tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
            raw.c_cflag |= tcflag_t(CS8) | tcflag_t(CLOCAL) | tcflag_t(CREAD)
            raw.c_iflag &= ~(tcflag_t(IXON) | tcflag_t(IXOFF) | tcflag_t(IXANY))
            withUnsafeMutableBytes(of: &raw.c_cc) { controlCharacters in
                controlCharacters[Int(VMIN)] = 0
                controlCharacters[Int(VTIME)] = 0
            }
            _ = cfsetispeed(&raw, speed.value)
            _ = cfsetospeed(&raw, speed.value)
        }

        /// Whether these are 8 data bits, no parity and one stop bit, sent at `speed`.
        func is8N1(at speed: TerminalSpeed) -> Bool {
            withUnsafePointer(to: raw) { cfgetospeed($0) } == speed.value
                && raw.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8)
                && raw.c_cflag & (tcflag_t(PARENB) | tcflag_t(CSTOPB)) == 0
        }
    }

    /// `open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK)`: read-write, never our controlling terminal.
    /// O_NONBLOCK: the open must not wait for carrier (DCD) on a real port, and every read and write waits in poll
    /// with a deadline instead.
    static func openTerminal(_ path: String) -> Result<Int32, SystemErrno> {
        valueOrErrno { Glibc.open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK) }
    }

    /// `ioctl(fd, TIOCEXCL)`: later opens fail with EBUSY, except by root.
    static func makeExclusive(_ fd: Int32) -> Result<Void, SystemErrno> {
        valueOrErrno { ioctl(fd, UInt(TIOCEXCL)) }.map { _ in }
    }

    /// `tcgetattr(fd)`.
    static func terminalSettings(_ fd: Int32) -> Result<TerminalSettings, SystemErrno> {
        var settings = TerminalSettings()
        return valueOrErrno { tcgetattr(fd, &settings.raw) }.map { _ in settings }
    }

    /// `tcsetattr(fd, TCSANOW, settings)`. It succeeds when any one of the changes took.
    static func setTerminalSettings(_ fd: Int32, _ settings: TerminalSettings) -> Result<Void, SystemErrno> {
        var raw = settings.raw
        return valueOrErrno { tcsetattr(fd, TCSANOW, &raw) }.map { _ in }
    }

    /// `tcflush(fd, TCIOFLUSH)`: drops input and output queued in the driver.
    static func flushTerminal(_ fd: Int32) -> Result<Void, SystemErrno> {
        valueOrErrno { tcflush(fd, TCIOFLUSH) }.map { _ in }
    }

    // MARK: TCP

    /// One address `getaddrinfo` returned, copied out of its list.
    struct SocketAddress {
        fileprivate let family: Int32
        fileprivate let socketProtocol: Int32
        fileprivate let length: socklen_t
        fileprivate var storage = sockaddr_storage()
    }

    /// `getaddrinfo` failed; `reason` is `gai_strerror`'s text.
    struct ResolutionFailure: Error {
        let reason: String
    }

    /// `getaddrinfo(host, port)` for a TCP stream, IPv6 and IPv4, with a numeric port: the addresses in the order
    /// to try them.
    static func resolveStream(host: String, port: UInt16) -> Result<[SocketAddress], ResolutionFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let first = found else {
            return .failure(ResolutionFailure(reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(first) }
        var addresses: [SocketAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next?.pointee {
            next = info.ai_next
            var address = SocketAddress(family: info.ai_family, socketProtocol: info.ai_protocol,
                                        length: info.ai_addrlen)
            withUnsafeMutableBytes(of: &address.storage) {
                $0.copyMemory(from: UnsafeRawBufferPointer(start: info.ai_addr, count: Int(info.ai_addrlen)))
            }
            addresses.append(address)
        }
        return .success(addresses)
    }

    /// `socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol)` for `address`.
    static func openStreamSocket(for address: SocketAddress) -> Result<Int32, SystemErrno> {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        return valueOrErrno { socket(address.family, type, address.socketProtocol) }
    }

    /// `connect(fd, address)`, one attempt: EINTR is returned, not retried (the connect goes on regardless).
    static func startConnect(_ fd: Int32, to address: SocketAddress) -> Result<Void, SystemErrno> {
        valueOrErrno(retryOnInterrupt: false) {
            withUnsafePointer(to: address.storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
            }
        }.map { _ in }
    }

    /// `getsockopt(fd, SOL_SOCKET, SO_ERROR)`: how a finished non-blocking connect ended, 0 or an errno.
    static func pendingError(_ fd: Int32) -> Result<Int32, SystemErrno> {
        var pending: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return valueOrErrno { getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length) }.map { _ in pending }
    }

    /// `setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, 1)`: Nagle off.
    static func disableNagle(_ fd: Int32) -> Result<Void, SystemErrno> {
        var on: Int32 = 1
        return valueOrErrno {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }.map { _ in }
    }

    // MARK: For the simulated instrument

    /// A failed call's errno as SensorSim sees it: `SystemErrno` is internal to SensorIO.
    package struct Failure: Error, Sendable, Equatable {
        package let errno: Int32
    }

    /// `valueOrErrno` for the simulated instrument's own calls (its listener and pty), so that SensorIO stays the
    /// one reader of errno: `call`'s value, or its errno; EINTR runs it again.
    package static func valueOrFailure(_ call: () -> Int32) -> Result<Int32, Failure> {
        valueOrErrno(call).mapError { Failure(errno: $0.rawValue) }
    }
}
