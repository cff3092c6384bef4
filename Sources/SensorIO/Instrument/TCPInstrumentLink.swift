// The only file in SensorIO/Instrument that makes socket calls (getaddrinfo, socket, connect, setsockopt).
import Glibc

/// A SCPI instrument on the LAN: a raw TCP socket, one line per command and per reply (the "SCPI-RAW" service,
/// port 5025 by convention; LXI Device Specification 2011 §10.1).
///
/// The connect has a deadline (a non-blocking connect, then `poll`), so an instrument that is switched off costs
/// `connectTimeout` and not the kernel's two-minute SYN retry. Nagle is off (`TCP_NODELAY`): a command is a few
/// bytes that must leave at once, not wait for the previous reply's ACK.
///
/// Host names are resolved by `getaddrinfo`, whose wait is bounded by resolv.conf (`timeout`, `attempts`), not by
/// `connectTimeout`; rig files should name instruments by address.
public final class TCPInstrumentLink: InstrumentLink {
    /// The SCPI-RAW port.
    public static let defaultPort: UInt16 = 5025

    public let name: String
    /// The host as given: a name, an IPv4 address or an IPv6 address (without brackets).
    public let host: String
    public let port: UInt16
    private let stream: LineFramedDescriptor

    /// Connects to `host:port`, trying each address `getaddrinfo` returns (IPv6 and IPv4) until one accepts.
    ///
    /// - Parameters:
    ///   - host: A host name or a numeric IPv4 or IPv6 address.
    ///   - port: The instrument's SCPI port.
    ///   - terminator: The line terminator the instrument expects; LF or CR LF are accepted on input either way.
    ///   - connectTimeout: The longest wait for all connection attempts together, s.
    /// - Throws: `InstrumentLinkError` naming the link: `.invalidAddress` when the host does not resolve,
    ///   `.timedOut`, or `.io` with the errno of the last attempt (ECONNREFUSED: nothing listens on the port).
    ///
    /// The corresponding C calls are `getaddrinfo`, `socket`, `connect`, `poll` and `setsockopt(TCP_NODELAY)`.
    public init(host: String, port: UInt16 = TCPInstrumentLink.defaultPort, terminator: LineTerminator = .lineFeed,
                connectTimeout: Double = 5) throws(InstrumentLinkError) {
        precondition(connectTimeout > 0, "a connect timeout must be positive")
        let name = "scpi-tcp://" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        let deadline = ClockSyscalls.monotonicNanoseconds() + Int64(connectTimeout * 1e9)

        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let first = found else {
            throw InstrumentLinkError(.invalidAddress("cannot resolve '\(host)': \(String(cString: gai_strerror(status)))"),
                                      link: name, operation: "getaddrinfo")
        }
        defer { freeaddrinfo(first) }

        var connected: LineFramedDescriptor?
        var lastError = InstrumentLinkError(InstrumentLinkError.Cause.timedOut, link: name, operation: "connect")
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while connected == nil, let address = candidate?.pointee {
            candidate = address.ai_next
            do throws(InstrumentLinkError) {
                connected = try Self.connect(to: address, name: name, terminator: terminator, deadline: deadline)
            } catch {
                lastError = error
                if error.cause == .timedOut { break }       // the deadline covers all addresses
            }
        }
        guard let connected else { throw lastError }
        self.stream = connected
        self.name = name
        self.host = host
        self.port = port
    }

    /// One attempt: a non-blocking socket, `connect`, a wait for writability, then `SO_ERROR` for the outcome.
    private static func connect(to address: addrinfo, name: String, terminator: LineTerminator,
                                deadline: Int64) throws(InstrumentLinkError) -> LineFramedDescriptor {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd: Int32
        switch valueOrErrno({ socket(address.ai_family, type, address.ai_protocol) }) {
        case .success(let value): fd = value
        case .failure(let errno): throw InstrumentLinkError(errno, link: name, operation: "socket")
        }
        // From here the stream owns the descriptor and closes it if the attempt fails.
        let stream = LineFramedDescriptor(descriptor: fd, kind: .socket, name: name, terminator: terminator)
        // A non-blocking connect is not interrupted; EINTR would leave it in progress, which a retry reports as
        // EALREADY: both mean "wait for it".
        let started = valueOrErrno(retryOnInterrupt: false) { Glibc.connect(fd, address.ai_addr, address.ai_addrlen) }
        if case .failure(let errno) = started,
           ![EINPROGRESS, EALREADY, EINTR].contains(errno.rawValue) {
            throw InstrumentLinkError(errno, link: name, operation: "connect")
        }
        try stream.wait(for: Int16(POLLOUT), deadline: deadline, operation: "connect")
        var pending: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if case .failure(let errno) = valueOrErrno({ getsockopt(fd, SOL_SOCKET, SO_ERROR, &pending, &length) }) {
            throw InstrumentLinkError(errno, link: name, operation: "getsockopt(SO_ERROR)")
        }
        if pending != 0 {
            throw InstrumentLinkError(SystemErrno(rawValue: pending), link: name, operation: "connect")
        }
        var on: Int32 = 1
        let noDelay = valueOrErrno {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        if case .failure(let errno) = noDelay {
            throw InstrumentLinkError(errno, link: name, operation: "setsockopt(TCP_NODELAY)")
        }
        return stream
    }

    /// The corresponding C calls are `poll(POLLOUT)` and `send(MSG_NOSIGNAL)`.
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

    /// The corresponding C call is `close`.
    public func close() {
        stream.close()
    }
}
