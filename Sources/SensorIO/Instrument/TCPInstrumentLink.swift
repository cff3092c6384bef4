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

        let addresses: [InstrumentSyscalls.SocketAddress]
        switch InstrumentSyscalls.resolveStream(host: host, port: port) {
        case .success(let found): addresses = found
        case .failure(let failure):
            throw InstrumentLinkError(.invalidAddress("cannot resolve '\(host)': \(failure.reason)"),
                                      link: name, operation: "getaddrinfo")
        }

        var connected: LineFramedDescriptor?
        var lastError = InstrumentLinkError(InstrumentLinkError.Cause.timedOut, link: name, operation: "connect")
        for address in addresses where connected == nil {
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
    private static func connect(to address: InstrumentSyscalls.SocketAddress, name: String, terminator: LineTerminator,
                                deadline: Int64) throws(InstrumentLinkError) -> LineFramedDescriptor {
        let fd: Int32
        switch InstrumentSyscalls.openStreamSocket(for: address) {
        case .success(let value): fd = value
        case .failure(let errno): throw InstrumentLinkError(errno, link: name, operation: "socket")
        }
        // From here the stream owns the descriptor and closes it if the attempt fails.
        let stream = LineFramedDescriptor(descriptor: fd, kind: .socket, name: name, terminator: terminator)
        // A non-blocking connect is not interrupted; EINTR would leave it in progress, which a retry reports as
        // EALREADY: both mean "wait for it".
        if case .failure(let errno) = InstrumentSyscalls.startConnect(fd, to: address),
           ![.inProgress, .alreadyInProgress, .interrupted].contains(errno) {
            throw InstrumentLinkError(errno, link: name, operation: "connect")
        }
        try stream.wait(for: .writable, deadline: deadline, operation: "connect")
        switch InstrumentSyscalls.pendingError(fd) {
        case .success(0): break
        case .success(let pending):
            throw InstrumentLinkError(SystemErrno(rawValue: pending), link: name, operation: "connect")
        case .failure(let errno): throw InstrumentLinkError(errno, link: name, operation: "getsockopt(SO_ERROR)")
        }
        if case .failure(let errno) = InstrumentSyscalls.disableNagle(fd) {
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
