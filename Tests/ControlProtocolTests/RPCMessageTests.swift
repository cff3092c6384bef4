import Foundation
import Testing

@testable import ControlProtocol

@Suite("RPCMessage")
struct RPCMessageTests {
    private func parse(_ text: String) throws(InvalidRPCMessage) -> RPCMessage {
        try RPCMessage(parsing: Data(text.utf8))
    }

    /// The error a line is refused with.
    private func refusal(_ text: String) throws -> InvalidRPCMessage {
        try #require(throws: InvalidRPCMessage.self) { try parse(text) }
    }

    @Test("requests, notifications and responses decode")
    func decodesValidMessages() throws {
        #expect(
            try parse(#"{"jsonrpc":"2.0","id":3,"method":"runs.start","params":{"plan":"p"}}"#)
                == .request(RPCRequest(id: .number(3), method: "runs.start", params: ["plan": "p"])))
        #expect(
            try parse(#"{"jsonrpc":"2.0","id":"a","method":"m","params":[1]}"#)
                == .request(RPCRequest(id: .string("a"), method: "m", params: [1])))
        #expect(try parse(#"{"jsonrpc":"2.0","method":"unwatch"}"#) == .notification(RPCNotification(method: "unwatch")))
        #expect(
            try parse(#"{"jsonrpc":"2.0","id":3,"result":null}"#)
                == .response(RPCResponse(id: .number(3), result: .null)))
        #expect(
            try parse(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"busy","data":{"slot":2}}}"#)
                == .response(RPCResponse(id: nil, error: RPCError(code: .busy, message: "busy", data: ["slot": 2]))))
    }

    @Test("invalid JSON is a parse error with no id")
    func parseError() throws {
        let error = try refusal(#"{"jsonrpc":"2.0","id":1,"method""#)
        #expect(error.id == nil)
        #expect(error.error.code == .parseError)
    }

    @Test("each JSON-RPC 2.0 rule maps to -32600, under the id when it could be read", arguments: [
        (#"{"jsonrpc":"2.0"}"#, nil),
        (#"[{"jsonrpc":"2.0","id":1,"method":"echo"}]"#, nil),
        (#"[]"#, nil),
        (#""hello""#, nil),
        (#"{"id":4,"method":"echo"}"#, RPCID.number(4)),
        (#"{"jsonrpc":"1.0","id":"x","method":"echo"}"#, RPCID.string("x")),
        (#"{"jsonrpc":"2.0","id":5,"method":7}"#, RPCID.number(5)),
        (#"{"jsonrpc":"2.0","id":6,"method":"echo","params":3}"#, RPCID.number(6)),
        (#"{"jsonrpc":"2.0","id":1.5,"method":"echo"}"#, nil),
        (#"{"jsonrpc":"2.0","id":true,"method":"echo"}"#, nil),
        (#"{"jsonrpc":"2.0","id":null,"method":"echo"}"#, nil),
        (#"{"jsonrpc":"2.0","id":8,"result":1,"error":{"code":1,"message":"m"}}"#, RPCID.number(8)),
        (#"{"jsonrpc":"2.0","id":9,"error":{"message":"no code"}}"#, RPCID.number(9)),
    ] as [(String, RPCID?)])
    func invalidRequests(line: String, id: RPCID?) throws {
        let error = try refusal(line)
        #expect(error.error.code == .invalidRequest)
        #expect(error.id == id)
        #expect(error.response == RPCResponse(id: id, error: error.error))
    }

    @Test("messages encode as compact JSON with sorted keys")
    func encoding() {
        let request = RPCMessage.request(RPCRequest(id: .number(1), method: "add", params: ["b": 2, "a": 1]))
        #expect(String(decoding: request.jsonData(), as: UTF8.self)
            == #"{"id":1,"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2}}"#)

        let notification = RPCMessage.notification(RPCNotification(method: "overflow", params: ["dropped": 3]))
        #expect(String(decoding: notification.jsonData(), as: UTF8.self)
            == #"{"jsonrpc":"2.0","method":"overflow","params":{"dropped":3}}"#)

        let failure = RPCMessage.response(RPCResponse(id: nil, error: RPCError(code: .parseError, message: "bad")))
        #expect(String(decoding: failure.jsonData(), as: UTF8.self)
            == #"{"error":{"code":-32700,"message":"bad"},"id":null,"jsonrpc":"2.0"}"#)

        let line = request.line
        #expect(line.readableBytesView.last == UInt8(ascii: "\n"))
        #expect(line.readableBytesView.filter { $0 == UInt8(ascii: "\n") }.count == 1)
    }

    @Test("every message round-trips through its line")
    func roundTrip() throws {
        let messages: [RPCMessage] = [
            .request(RPCRequest(id: .string("r-1"), method: "devices.list")),
            .notification(RPCNotification(method: "hello", params: ["protocol": ProtocolVersion.current.jsonValue])),
            .response(RPCResponse(id: .number(Int64.max), result: ["ok": true])),
            .response(RPCResponse(id: .number(2), error: .methodNotFound("nope"))),
        ]
        for message in messages {
            #expect(try RPCMessage(parsing: message.jsonData()) == message)
        }
    }

    @Test("error codes have their numbers, names, and match in catch clauses")
    func errorCodes() {
        let expected: [(RPCErrorCode, Int)] = [
            (.parseError, -32700), (.invalidRequest, -32600), (.methodNotFound, -32601), (.invalidParams, -32602),
            (.internalError, -32603), (.busy, -32000), (.unauthorized, -32001), (.deviceLost, -32002),
            (.invalidPlan, -32003), (.notFound, -32004), (.lineTooLong, -32005), (.overloaded, -32006),
        ]
        for (code, number) in expected {
            #expect(code.rawValue == number)
        }
        #expect(RPCErrorCode.methodNotFound.description == "methodNotFound (-32601)")
        #expect(RPCErrorCode(rawValue: -32099).description == "code (-32099)")

        func fail() throws { throw RPCError(code: .busy, message: "slot 2 runs") }
        var caught = false
        do {
            try fail()
        } catch RPCErrorCode.busy {
            caught = true
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(caught)
    }

    @Test("protocol version")
    func protocolVersion() {
        #expect(ProtocolVersion.current == ProtocolVersion(major: 1, minor: 3))
        #expect(ProtocolVersion.current.jsonValue == ["major": 1, "minor": 3])
        #expect(ProtocolVersion.current.isCompatible(with: ProtocolVersion(major: 1, minor: 4)))
        #expect(!ProtocolVersion.current.isCompatible(with: ProtocolVersion(major: 2, minor: 0)))
        #expect(ProtocolVersion(major: 1, minor: 2) < ProtocolVersion(major: 2, minor: 0))
        #expect(ProtocolVersion.current.description == "1.3")
    }
}
