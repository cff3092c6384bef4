/// A JSON-RPC 2.0 error code: the codes of the specification plus SensorQual's application codes.
///
/// A struct of static values rather than an enum, so that a later protocol version can add codes and an older
/// client still decodes them. `catch RPCErrorCode.busy` matches an ``RPCError`` with that code.
/// Every code is listed in `docs/protocol.md`; a new code bumps ``ProtocolVersion/current``'s minor number.
public struct RPCErrorCode: RawRepresentable, Sendable, Hashable, Codable {
    /// The numeric code sent on the wire.
    public let rawValue: Int

    /// Wraps a numeric code, known or not.
    public init(rawValue: Int) {
        self.rawValue = rawValue
    }

    // JSON-RPC 2.0 codes (https://www.jsonrpc.org/specification#error_object).

    /// −32700: the line is not valid JSON.
    public static let parseError = RPCErrorCode(rawValue: -32700)
    /// −32600: the JSON is not a valid request object (batch arrays are refused with this code too).
    public static let invalidRequest = RPCErrorCode(rawValue: -32600)
    /// −32601: no such method.
    public static let methodNotFound = RPCErrorCode(rawValue: -32601)
    /// −32602: the params do not have the shape the method needs.
    public static let invalidParams = RPCErrorCode(rawValue: -32602)
    /// −32603: the server failed while answering.
    public static let internalError = RPCErrorCode(rawValue: -32603)

    // Application codes, in the range the specification reserves for servers (−32000 to −32099).

    /// −32000: the resource is in use (a slot already runs, a run is already active).
    public static let busy = RPCErrorCode(rawValue: -32000)
    /// −32001: the peer's groups do not allow this method.
    public static let unauthorized = RPCErrorCode(rawValue: -32001)
    /// −32002: the device stopped answering.
    public static let deviceLost = RPCErrorCode(rawValue: -32002)
    /// −32003: the plan was rejected.
    public static let invalidPlan = RPCErrorCode(rawValue: -32003)
    /// −32004: no such run, device, report or other named object.
    public static let notFound = RPCErrorCode(rawValue: -32004)
    /// −32005: the request line is longer than the server's limit.
    public static let lineTooLong = RPCErrorCode(rawValue: -32005)
    /// −32006: the server has as many connections as it serves; it closes this one.
    public static let overloaded = RPCErrorCode(rawValue: -32006)
    /// −32007: a reference instrument's calibration certificate is past its due date; no traceable result can be made.
    public static let calibrationExpired = RPCErrorCode(rawValue: -32007)
    /// −32008: the connection sends requests faster than the server's rate limit; this one was not executed.
    public static let rateLimited = RPCErrorCode(rawValue: -32008)

    /// Every code named above, with its name.
    static let names: [RPCErrorCode: String] = [
        .parseError: "parseError", .invalidRequest: "invalidRequest", .methodNotFound: "methodNotFound",
        .invalidParams: "invalidParams", .internalError: "internalError", .busy: "busy",
        .unauthorized: "unauthorized", .deviceLost: "deviceLost", .invalidPlan: "invalidPlan",
        .notFound: "notFound", .lineTooLong: "lineTooLong", .overloaded: "overloaded", .calibrationExpired: "calibrationExpired",
        .rateLimited: "rateLimited",
    ]

    /// Matches an ``RPCError`` carrying this code, so that `catch RPCErrorCode.busy { … }` works.
    public static func ~= (code: RPCErrorCode, error: any Error) -> Bool {
        (error as? RPCError)?.code == code
    }

    /// Encodes the bare number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Decodes a bare number.
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(Int.self))
    }
}

extension RPCErrorCode: CustomStringConvertible {
    /// The name and number, e.g. `methodNotFound (-32601)`.
    public var description: String {
        "\(Self.names[self] ?? "code") (\(rawValue))"
    }
}

/// A JSON-RPC 2.0 error object: what a request failed with, as sent in an error response.
///
/// Method handlers throw it; ``ControlClient`` throws it when a response carries one.
public struct RPCError: Error, Codable, Sendable, Equatable, Hashable {
    /// What kind of failure this is; clients branch on it.
    public var code: RPCErrorCode
    /// One sentence for a human.
    public var message: String
    /// Structured detail (the offending field, the limit, the busy slot…), if any.
    public var data: JSONValue?

    /// An error with a code, a message and optional structured data.
    public init(code: RPCErrorCode, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }
}

extension RPCError: CustomStringConvertible {
    /// The message, code and data on one line.
    public var description: String {
        var text = "\(message) [\(code)]"
        if let data { text += " \(data)" }
        return text
    }
}

extension RPCError {
    /// −32700 for a line that is not JSON; `detail` says where parsing stopped.
    public static func parseError(_ detail: String) -> RPCError {
        RPCError(code: .parseError, message: "parse error: \(detail)")
    }

    /// −32600 for a message that is JSON but not a valid request; `reason` says which rule it broke.
    public static func invalidRequest(_ reason: String) -> RPCError {
        RPCError(code: .invalidRequest, message: "invalid request: \(reason)")
    }

    /// −32601 for a method the handler does not know; the method name is in `data`.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: .methodNotFound, message: "method not found: \(method)", data: ["method": .string(method)])
    }

    /// −32602 for params of the wrong shape; `reason` says what is wrong.
    public static func invalidParams(_ reason: String, data: JSONValue? = nil) -> RPCError {
        RPCError(code: .invalidParams, message: "invalid params: \(reason)", data: data)
    }

    /// −32603 for a failure of the server itself.
    public static func internalError(_ reason: String) -> RPCError {
        RPCError(code: .internalError, message: "internal error: \(reason)")
    }

    /// −32005 for a request line of at least `length` bytes against a limit of `limit` bytes.
    public static func lineTooLong(length: Int, limit: Int) -> RPCError {
        RPCError(
            code: .lineTooLong, message: "line too long: at least \(length) bytes, the limit is \(limit)",
            data: ["length": .int(Int64(length)), "limit": .int(Int64(limit))])
    }

    /// −32006 for a connection over the server's limit of `limit` connections.
    public static func overloaded(limit: Int) -> RPCError {
        RPCError(
            code: .overloaded, message: "too many connections: the limit is \(limit)",
            data: ["limit": .int(Int64(limit))])
    }

    /// −32006 for a `watch` over the server's limit of `limit` watching connections; the connection stays open.
    public static func tooManyWatchers(limit: Int) -> RPCError {
        RPCError(
            code: .overloaded, message: "too many watchers: the limit is \(limit) watching connections",
            data: ["limit": .int(Int64(limit)), "what": "watchers"])
    }

    /// −32008 for a request over the connection's rate of `rate` requests per second with bursts of `burst`; it
    /// was not executed, and the next token comes in `retryAfter`.
    public static func rateLimited(rate: Double, burst: Int, retryAfter: Duration) -> RPCError {
        let milliseconds = Int64((Double(retryAfter.components.seconds) * 1000
            + Double(retryAfter.components.attoseconds) / 1e15).rounded(.up))
        return RPCError(
            code: .rateLimited,
            message: "rate limited: over \(rate == rate.rounded() ? String(Int64(rate)) : String(rate)) requests per second (bursts of \(burst)); "
                + "not executed, retry in \(milliseconds) ms",
            data: ["rate": .double(rate), "burst": .int(Int64(burst)), "retry_after_ms": .int(milliseconds)])
    }
}

extension Optional where Wrapped == JSONValue {
    /// Decodes a method's params into its own `Decodable` struct, mapping any mismatch to −32602 invalid params.
    ///
    /// Absent params decode as an empty object, so a struct whose fields are all optional accepts them.
    /// - Throws: ``RPCError`` with code ``RPCErrorCode/invalidParams`` naming the field at fault.
    public func decodeParams<T: Decodable>(as type: T.Type = T.self) throws(RPCError) -> T {
        do {
            return try (self ?? .object([:])).decode(T.self)
        } catch let error as DecodingError {
            throw RPCError.invalidParams(Self.describe(error))
        } catch {
            throw RPCError.invalidParams("\(error)")
        }
    }

    /// A short reason such as `missing field "lot"` or `field "rate": expected Double`.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return "missing field \"\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)\""
        case .typeMismatch(let type, let context):
            return "field \"\(path(context.codingPath))\": expected \(type)"
        case .valueNotFound(let type, let context):
            return "field \"\(path(context.codingPath))\": expected \(type), found null"
        case .dataCorrupted(let context):
            let where_ = path(context.codingPath)
            return where_.isEmpty ? context.debugDescription : "field \"\(where_)\": \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
