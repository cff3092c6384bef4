/// Where a rig file says an instrument is, parsed from its `link:`:
///
/// - `scpi-tcp://192.168.1.20:5025`, `scpi-tcp://[fe80::1%eth0]:5025`, `scpi-tcp://pace6000.lab` (port 5025)
/// - `scpi-serial:///dev/ttyUSB0?baud=9600` (9600 when `baud` is left out)
///
/// Both take `eol=lf|crlf|cr`, the terminator sent after each command (LF when left out; replies may end in LF or
/// CR LF either way). Anything else fails to parse with the reason, so a bad rig file fails at load (STYLE §2.19).
public enum InstrumentAddress: Sendable, Equatable, CustomStringConvertible {
    /// A raw SCPI socket.
    case tcp(host: String, port: UInt16, terminator: LineTerminator)
    /// A serial port or pty.
    case serial(path: String, baudRate: Int, terminator: LineTerminator)

    static let tcpScheme = "scpi-tcp"
    static let serialScheme = "scpi-serial"

    /// Parses a rig file's link.
    ///
    /// - Throws: `InstrumentLinkError` with `.invalidAddress(reason)` and the link as written.
    public init(parsing link: String) throws(InstrumentLinkError) {
        func invalid(_ reason: String) -> InstrumentLinkError {
            InstrumentLinkError(.invalidAddress(reason), link: link, operation: "parse link")
        }
        guard let separator = link.firstRange(of: "://") else {
            throw invalid("not an instrument link: expected scpi-tcp://host:port or scpi-serial:///dev/ttyUSB0?baud=9600")
        }
        let scheme = link[..<separator.lowerBound].lowercased()
        var rest = link[separator.upperBound...]
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var parameters = try Self.parameters(query, invalid: invalid)
        let terminator = try Self.terminator(parameters.removeValue(forKey: "eol"), invalid: invalid)

        switch scheme {
        case Self.tcpScheme:
            if let unknown = parameters.keys.sorted().first { throw invalid("unknown parameter '\(unknown)' (scpi-tcp takes eol)") }
            let (host, port) = try Self.hostAndPort(rest.hasSuffix("/") ? rest.dropLast() : rest, invalid: invalid)
            self = .tcp(host: host, port: port, terminator: terminator)
        case Self.serialScheme:
            let baudText = parameters.removeValue(forKey: "baud")
            if let unknown = parameters.keys.sorted().first { throw invalid("unknown parameter '\(unknown)' (scpi-serial takes baud and eol)") }
            guard rest.hasPrefix("/"), rest.count > 1 else {
                throw invalid("scpi-serial needs an absolute device path after '://', e.g. scpi-serial:///dev/ttyUSB0?baud=9600")
            }
            guard !rest.contains(where: { $0.isWhitespace }) else { throw invalid("the device path '\(rest)' contains white space") }
            var baudRate = 9600
            if let baudText {
                guard let value = Int(baudText), SerialInstrumentLink.supportedBaudRates.contains(value) else {
                    let rates = SerialInstrumentLink.supportedBaudRates.map(String.init).joined(separator: ", ")
                    throw invalid("baud '\(baudText)' is not supported; use one of \(rates)")
                }
                baudRate = value
            }
            self = .serial(path: String(rest), baudRate: baudRate, terminator: terminator)
        default:
            throw invalid("unknown link scheme '\(scheme)': expected scpi-tcp:// or scpi-serial://")
        }
    }

    /// The link in its canonical rig-file form, with every default spelled out.
    public var description: String {
        switch self {
        case .tcp(let host, let port, let terminator):
            "\(Self.tcpScheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)?eol=\(terminator.rawValue)"
        case .serial(let path, let baudRate, let terminator):
            "\(Self.serialScheme)://\(path)?baud=\(baudRate)&eol=\(terminator.rawValue)"
        }
    }

    /// Opens the link: connects the socket, or opens and configures the serial port.
    ///
    /// - Parameter connectTimeout: The longest wait for a TCP connection, s (serial ports open at once).
    /// - Throws: `InstrumentLinkError` from `TCPInstrumentLink` or `SerialInstrumentLink`.
    public func open(connectTimeout: Double = 5) throws(InstrumentLinkError) -> any InstrumentLink {
        switch self {
        case .tcp(let host, let port, let terminator):
            try TCPInstrumentLink(host: host, port: port, terminator: terminator, connectTimeout: connectTimeout)
        case .serial(let path, let baudRate, let terminator):
            try SerialInstrumentLink(path: path, baudRate: baudRate, terminator: terminator)
        }
    }

    // MARK: Parsing

    /// `key=value` pairs joined by `&`; keys are case-insensitive and may appear once.
    private static func parameters(_ query: Substring,
                                   invalid: (String) -> InstrumentLinkError) throws(InstrumentLinkError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw invalid("parameter '\(pair)' is not key=value")
            }
            let key = pair[..<equals].lowercased()
            guard result[key] == nil else { throw invalid("parameter '\(key)' is given twice") }
            result[key] = String(pair[pair.index(after: equals)...])
        }
        return result
    }

    private static func terminator(_ text: String?,
                                   invalid: (String) -> InstrumentLinkError) throws(InstrumentLinkError) -> LineTerminator {
        guard let text else { return .lineFeed }
        guard let terminator = LineTerminator(rawValue: text.lowercased()) else {
            throw invalid("eol '\(text)' is not one of lf, crlf, cr")
        }
        return terminator
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`; the port defaults to 5025.
    private static func hostAndPort(_ authority: Substring,
                                    invalid: (String) -> InstrumentLinkError) throws(InstrumentLinkError) -> (String, UInt16) {
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw invalid("'[' without ']' around the IPv6 address") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("expected ':port' after the IPv6 address, found '\(after)'") }
                portText = after.dropFirst()
            }
        } else {
            let colons = authority.filter { $0 == ":" }.count
            guard colons <= 1 else { throw invalid("an IPv6 address goes in brackets: scpi-tcp://[\(authority)]:5025") }
            if let colon = authority.firstIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
        }
        guard !host.isEmpty else { throw invalid("no host: expected scpi-tcp://host:port") }
        guard !host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }) else {
            throw invalid("'\(host)' is not a host name or address")
        }
        guard let portText else { return (String(host), TCPInstrumentLink.defaultPort) }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let port = UInt16(portText), port != 0 else {
            throw invalid("port '\(portText)' is not a number from 1 to 65535")
        }
        return (String(host), port)
    }
}
