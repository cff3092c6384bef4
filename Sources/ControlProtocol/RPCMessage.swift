#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore

/// The id of a JSON-RPC request: an integer or a string, echoed in its response.
///
/// A request whose `id` is `null` or a fractional number is refused as an invalid request (JSON-RPC 2.0 discourages
/// both); a response whose id could not be read carries `null`, which is `RPCID?.none`.
public enum RPCID: Sendable, Hashable, Codable, CustomStringConvertible {
    /// An integer id; ``ControlClient`` numbers its requests 1, 2, 3…
    case number(Int64)
    /// A string id.
    case string(String)

    /// Decodes an integer or a string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            self = .number(number)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// Encodes the bare integer or string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .string(let string): try container.encode(string)
        }
    }

    /// The id as it appears in JSON.
    public var jsonValue: JSONValue {
        switch self {
        case .number(let number): .int(number)
        case .string(let string): .string(string)
        }
    }

    /// The id as JSON text (`7`, `"a"`).
    public var description: String { jsonValue.description }
}

/// A call that expects a response.
public struct RPCRequest: Sendable, Equatable {
    /// Echoed in the response.
    public var id: RPCID
    /// The method name, e.g. `runs.start`.
    public var method: String
    /// A JSON object or array, or `nil` when absent.
    public var params: JSONValue?

    /// A request.
    public init(id: RPCID, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }
}

/// A notification encoded once as its socket line, for sending to many connections: a broadcast to a hundred
/// watchers then costs one JSON encoding, not a hundred.
public struct EncodedNotification: Sendable {
    let line: ByteBuffer

    public init(_ notification: RPCNotification) {
        line = RPCMessage.notification(notification).line
    }
}

/// A one-way message: no id, never answered. The server sends `hello`, `overflow` and watch events this way.
public struct RPCNotification: Sendable, Equatable {
    /// The notification's name, e.g. `hello`.
    public var method: String
    /// A JSON object or array, or `nil` when absent.
    public var params: JSONValue?

    /// A notification.
    public init(method: String, params: JSONValue? = nil) {
        self.method = method
        self.params = params
    }
}

/// The answer to one request: its result or its error.
public struct RPCResponse: Sendable, Equatable {
    /// The request's id; `nil` (sent as `null`) when the request's id could not be read.
    public var id: RPCID?
    /// The result, or the error the request failed with.
    public var outcome: Result<JSONValue, RPCError>

    /// A response with an outcome.
    public init(id: RPCID?, outcome: Result<JSONValue, RPCError>) {
        self.id = id
        self.outcome = outcome
    }

    /// A success response.
    public init(id: RPCID?, result: JSONValue) {
        self.init(id: id, outcome: .success(result))
    }

    /// An error response.
    public init(id: RPCID?, error: RPCError) {
        self.init(id: id, outcome: .failure(error))
    }

    /// The error, if this is an error response.
    public var error: RPCError? {
        if case .failure(let error) = outcome { return error }
        return nil
    }

    /// The result, if this is a success response.
    public var result: JSONValue? {
        if case .success(let result) = outcome { return result }
        return nil
    }
}

/// Why a line is not a valid JSON-RPC 2.0 message, with the id to answer under when it could be read.
public struct InvalidRPCMessage: Error, Sendable, Equatable {
    /// The message's id, if it had a valid one; the error response carries it.
    public var id: RPCID?
    /// −32700 parse error or −32600 invalid request, with the rule broken.
    public var error: RPCError

    /// The error response the server sends back.
    public var response: RPCResponse { RPCResponse(id: id, error: error) }
}

/// One JSON-RPC 2.0 message, as sent on one line of the control socket.
///
/// Decoding follows JSON-RPC 2.0: `"jsonrpc": "2.0"` is required; a message with `method` is a request when it has
/// an `id` and a notification when it has none; `params`, when present, is an object or an array; a message with
/// `result` or `error` (exactly one) is a response. Batches (JSON arrays) are refused with −32600.
public enum RPCMessage: Sendable, Equatable {
    /// A call that expects a response.
    case request(RPCRequest)
    /// A one-way message.
    case notification(RPCNotification)
    /// The answer to a request.
    case response(RPCResponse)

    /// Parses and validates one line of UTF-8 JSON (without its newline).
    ///
    /// - Throws: ``InvalidRPCMessage`` with −32700 when the line is not JSON, −32600 when it is JSON but not a
    ///   valid message.
    public init(parsing line: Data) throws(InvalidRPCMessage) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch {
            throw InvalidRPCMessage(id: nil, error: .parseError(Self.parseFailureDetail(error)))
        }
        try self.init(validating: value)
    }

    /// Validates a parsed JSON value as one message.
    ///
    /// - Throws: ``InvalidRPCMessage`` with −32600 and the rule broken.
    public init(validating value: JSONValue) throws(InvalidRPCMessage) {
        func invalid(_ id: RPCID?, _ reason: String) -> InvalidRPCMessage {
            InvalidRPCMessage(id: id, error: .invalidRequest(reason))
        }
        guard case .object(let members) = value else {
            if case .array = value { throw invalid(nil, "batches are not supported") }
            throw invalid(nil, "a message must be a JSON object")
        }

        // Read the id first, so that later errors can be answered under it.
        var id: RPCID?
        var hasNullID = false
        switch members["id"] {
        case nil: id = nil
        case .int(let number)?: id = .number(number)
        case .string(let string)?: id = .string(string)
        case .null?: hasNullID = true
        default: throw invalid(nil, "\"id\" must be an integer or a string")
        }

        guard members["jsonrpc"] == .string("2.0") else { throw invalid(id, "\"jsonrpc\" must be \"2.0\"") }

        if let method = members["method"] {
            guard case .string(let name) = method else { throw invalid(id, "\"method\" must be a string") }
            let params = members["params"]
            switch params {
            case nil, .object?, .array?: break
            default: throw invalid(id, "\"params\" must be an object or an array")
            }
            if hasNullID { throw invalid(nil, "a request's \"id\" must not be null") }
            if let id {
                self = .request(RPCRequest(id: id, method: name, params: params))
            } else {
                self = .notification(RPCNotification(method: name, params: params))
            }
            return
        }

        switch (members["result"], members["error"]) {
        case (let result?, nil):
            self = .response(RPCResponse(id: id, result: result))
        case (nil, let error?):
            do {
                self = .response(RPCResponse(id: id, error: try error.decode(RPCError.self)))
            } catch {
                throw invalid(id, "\"error\" must be an object with an integer \"code\" and a string \"message\"")
            }
        case (.some, .some):
            throw invalid(id, "a response has \"result\" or \"error\", not both")
        case (nil, nil):
            throw invalid(id, "missing \"method\"")
        }
    }

    /// The message as a JSON object, with `"jsonrpc": "2.0"`.
    public var jsonValue: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": "2.0"]
        switch self {
        case .request(let request):
            members["id"] = request.id.jsonValue
            members["method"] = .string(request.method)
            members["params"] = request.params
        case .notification(let notification):
            members["method"] = .string(notification.method)
            members["params"] = notification.params
        case .response(let response):
            members["id"] = response.id?.jsonValue ?? .null
            switch response.outcome {
            case .success(let result):
                members["result"] = result
            case .failure(let error):
                var object: [String: JSONValue] = ["code": .int(Int64(error.code.rawValue)), "message": .string(error.message)]
                object["data"] = error.data
                members["error"] = .object(object)
            }
        }
        return .object(members)
    }

    /// The message as compact JSON with sorted keys, without the newline.
    public func jsonData() -> Data {
        jsonValue.jsonData()
    }

    /// The message as one line of the socket: compact JSON and `\n`.
    var line: ByteBuffer {
        var bytes = jsonValue.jsonBytes()
        bytes.append(UInt8(ascii: "\n"))
        return ByteBuffer(bytes: bytes)
    }

    /// A short reason from a JSONDecoder failure, without Swift type names.
    private static func parseFailureDetail(_ error: any Error) -> String {
        if let decodingError = error as? DecodingError, case .dataCorrupted(let context) = decodingError {
            if let underlying = context.underlyingError {
                return "\(underlying)"
            }
            return context.debugDescription
        }
        return "not valid JSON"
    }
}
