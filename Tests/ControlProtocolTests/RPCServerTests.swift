import Foundation
import NIOCore
import Testing

@testable import ControlProtocol

#if canImport(Glibc)
import Glibc
#endif

@Suite("RPCServer and ControlClient", .timeLimit(.minutes(1)))
struct RPCServerTests {
    /// A guard against a hang, not a time to meet: under the parallel test load of a 2-core machine the hello can wait
    /// seconds for a thread of the concurrency pool.
    static let connectTimeout: Duration = .seconds(30)

    @Test("hello comes first, then calls are answered")
    func helloAndCalls() async throws {
        try await withServer { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            #expect(client.hello["rig"] == "toy")
            #expect(client.hello["protocol"] == ProtocolVersion.current.jsonValue)

            #expect(try await client.call("add", params: ["a": 2, "b": 40]) == 42)
            #expect(try await client.call("echo", params: ["big": .int(.max)]) == ["big": .int(.max)])
            let sum = try await client.call("add", params: AddParams(a: 1, b: 2), as: Int64.self)
            #expect(sum == 3)
            await client.close()
        }
    }

    @Test("the hello is the first line on the wire")
    func helloIsFirstLine() async throws {
        try await withServer { path in
            let first = try await withDeadline("first line") {
                let channel = try await connectRaw(path: path)
                return try await channel.executeThenClose { inbound, _ -> RPCMessage? in
                    for try await frame in inbound { return try frame.message() }
                    return nil
                }
            }
            guard case .notification(let hello)? = first else {
                Issue.record("first line is \(String(describing: first))")
                return
            }
            #expect(hello.method == "hello")
            #expect(hello.params?["rig"] == "toy")
        }
    }

    @Test("a client that sends its requests and shuts down its side still gets every answer")
    func halfClosedClient() async throws {
        try await withServer { path in
            let messages = try await withDeadline("answers") {
                let channel = try await connectRaw(path: path, halfClosure: true)
                return try await channel.executeThenClose { inbound, outbound in
                    // The last line has no newline: the end of input ends it.
                    try await outbound.write(ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]}"#
                        + "\r\n" + #"{"jsonrpc":"2.0","id":2,"method":"add","params":{"a":1,"b":2}}"#))
                    outbound.finish()
                    var messages: [RPCMessage] = []
                    for try await frame in inbound { messages.append(try frame.message()) }
                    return messages
                }
            }
            #expect(messages.count == 3)
            #expect(messages.dropFirst() == [
                .response(RPCResponse(id: .number(1), result: [1])),
                .response(RPCResponse(id: .number(2), result: 3)),
            ])
        }
    }

    @Test("a client that shuts down its side gets every answer whole, however far they overflow the socket's buffer")
    func halfClosedClientGetsLongAnswers() async throws {
        let (count, bytes) = (16, 512 << 10)
        try await withServer { path in
            let answers = try await withDeadline("answers", .seconds(60)) {
                let channel = try await connectRaw(path: path, halfClosure: true)
                return try await channel.executeThenClose { inbound, outbound in
                    let requests = (1...count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"blob","params":{"bytes":\#(bytes)}}"# }
                    try await outbound.write(ByteBuffer(string: requests.joined(separator: "\n")))
                    outbound.finish()
                    var messages: [RPCMessage] = []
                    for try await frame in inbound { messages.append(try frame.message()) }
                    return messages.dropFirst()
                }
            }
            // 8 MiB of answers, most of it waiting in NIO behind the socket's few hundred kB when the requests end:
            // a connection closed then would drop it.
            let blob = JSONValue.string(String(repeating: "x", count: bytes))
            #expect(answers.count == count)
            #expect(answers.elementsEqual((1...count).map { .response(RPCResponse(id: .number(Int64($0)), result: blob)) }))
        }
    }

    @Test("invalid JSON gets -32700 with id null, and the connection stays usable")
    func parseErrorKeepsConnection() async throws {
        try await withServer { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            let response = try await client.send(raw: #"{"jsonrpc":"2.0","id":1,"method":"#)
            #expect(response.id == nil)
            #expect(response.error?.code == .parseError)
            #expect(try await client.call("echo", params: ["still": "here"]) == ["still": "here"])
            await client.close()
        }
    }

    @Test("wrong shapes get -32600, unknown methods -32601, bad params -32602; the connection stays usable")
    func errorResponses() async throws {
        try await withServer { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)

            let bare = try await client.send(raw: #"{"jsonrpc":"2.0"}"#)
            #expect(bare.error?.code == .invalidRequest)
            #expect(bare.id == nil)

            let batch = try await client.send(raw: #"[{"jsonrpc":"2.0","id":1,"method":"echo"}]"#)
            #expect(batch.error?.code == .invalidRequest)

            let oldVersion = try await client.send(raw: #"{"jsonrpc":"1.0","id":"v","method":"echo"}"#)
            #expect(oldVersion.error?.code == .invalidRequest)
            #expect(oldVersion.id == .string("v"))

            let unknown = try await #require(throws: RPCError.self) { try await client.call("no.such.method") }
            #expect(unknown.code == .methodNotFound)
            #expect(unknown.data?["method"] == "no.such.method")

            let badParams = try await #require(throws: RPCError.self) {
                try await client.call("add", params: ["a": 1])
            }
            #expect(badParams.code == .invalidParams)

            // A client notification gets no response: the next answer is the echo's.
            let echoed = try await client.send(raw: #"{"jsonrpc":"2.0","method":"echo"}"# + "\n"
                + #"{"jsonrpc":"2.0","id":"after","method":"echo","params":["ok"]}"#)
            #expect(echoed == RPCResponse(id: .string("after"), result: ["ok"]))

            #expect(try await client.call("echo", params: [1]) == [1])
            await client.close()
        }
    }

    @Test("an over-long line gets -32005 and the connection stays usable")
    func overLongLine() async throws {
        try await withServer { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            let filler = String(repeating: "a", count: 70_000)
            let response = try await client.send(raw: #"{"jsonrpc":"2.0","id":1,"method":"echo","params":[""#
                + filler + #""]}"#)
            #expect(response.id == nil)
            #expect(response.error?.code == .lineTooLong)
            #expect((response.error?.data?["length"]?.intValue ?? 0) > 65536)
            #expect(response.error?.data?["limit"] == 65536)
            #expect(try await client.call("add", params: ["a": 1, "b": 1]) == 2)
            await client.close()
        }
    }

    @Test("requests on one connection are answered in order, concurrent calls are matched by id")
    func ordering() async throws {
        try await withServer { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<20 {
                    group.addTask {
                        let echoed = try await client.call("echo", params: [.int(Int64(n))])
                        #expect(echoed == [.int(Int64(n))])
                    }
                }
                try await group.waitForAll()
            }
            await client.close()
        }
    }

    @Test("notifications pushed by the handler arrive in order")
    func notificationsArrive() async throws {
        try await withServer { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            #expect(try await client.call("tick", params: ["count": 3]) == 3)
            let ticks = try await withDeadline("three ticks") {
                var received: [JSONValue] = []
                for await notification in client.notifications where notification.method == "tick" {
                    received.append(notification.params["n"] ?? .null)
                    if received.count == 3 { break }
                }
                return received
            }
            #expect(ticks == [0, 1, 2])
            #expect(client.droppedNotificationCount == 0)
            await client.close()
        }
    }

    @Test("a client that does not read gets an overflow notification counting exactly what it lost")
    func overflow() async throws {
        let (ticksQueued, ticksQueuedSignal) = AsyncStream.makeStream(of: Int.self)
        let total = 4000
        // 4000 notifications of ~1 kB, ~4 MB, far beyond what the socket buffers and NIO hold for a client that
        // does not read, so the 16-line queue must overflow.
        try await withServer(
            limits: RPCLimits(notificationQueueDepth: 16), handler: ToyHandler(ticksQueued: ticksQueuedSignal)
        ) { path in
            let channel = try await connectRaw(path: path)
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(
                    string: #"{"jsonrpc":"2.0","id":1,"method":"tick","params":{"count":4000,"pad":1000}}"# + "\n"))
                // The handler has queued (or dropped) every tick while nothing was read.
                #expect(try await next("ticks queued", from: ticksQueued) == total)

                // Now read. Ticks arrive in order; each overflow stands for the ticks missing at its place.
                let summary = try await withDeadline("drain", .seconds(30)) {
                    var expectedTick = 0
                    var dropped = 0
                    var overflows = 0
                    var answered = false
                    for try await frame in inbound {
                        switch try frame.message() {
                        case .notification(let notification) where notification.method == "tick":
                            let n = Int(notification.params?["n"]?.intValue ?? -1)
                            #expect(n == expectedTick, "ticks in order, gaps only where an overflow says so")
                            expectedTick = n + 1
                        case .notification(let notification) where notification.method == "overflow":
                            let count = Int(notification.params?["dropped"]?.intValue ?? 0)
                            #expect(count > 0)
                            dropped += count
                            overflows += 1
                            expectedTick += count
                        case .notification(let notification):
                            #expect(notification.method == "hello")
                        case .response(let response):
                            #expect(response == RPCResponse(id: .number(1), result: .int(Int64(total))))
                            answered = true
                        case .request(let request):
                            Issue.record("unexpected request \(request)")
                        }
                        if answered && expectedTick == total { break }
                    }
                    return (expectedTick, dropped, overflows)
                }
                #expect(summary.0 == total, "every tick delivered or counted as dropped")
                #expect(summary.1 > 0)
                #expect(summary.2 >= 1)
            }
        }
    }

    @Test("over maxConnections a connection gets one overloaded error and is closed")
    func overloaded() async throws {
        let (closed, closedSignal) = AsyncStream.makeStream(of: UInt64.self)
        try await withServer(limits: RPCLimits(maxConnections: 1), handler: ToyHandler(closed: closedSignal)) { path in
            let first = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            let refused = try await #require(throws: RPCError.self) { try await ControlClient.connect(path: path, timeout: Self.connectTimeout) }
            #expect(refused.code == .overloaded)
            #expect(try await first.call("echo", params: ["ok"]) == ["ok"])

            await first.close()
            _ = try await next("first connection closed", from: closed)
            let again = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            #expect(try await again.call("echo", params: ["again"]) == ["again"])
            await again.close()
        }
    }

    @Test("the socket file is 0660 while serving and removed after the server stops")
    func socketFile() async throws {
        let path = try await withServer { path in
            let mode = try SocketSyscalls.mode(ofFileAt: path)
            #expect(mode == 0o660)
            return path
        }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("stopping the server closes its connections")
    func stopClosesConnections() async throws {
        let client = try await withServer { path in try await ControlClient.connect(path: path, timeout: Self.connectTimeout) }
        try await withDeadline("notifications finish") {
            for await _ in client.notifications {}
        }
        await #expect(throws: ControlClientError.self) { try await client.call("echo", timeout: .seconds(5)) }
    }

    @Test("closing the server writes each connection's queued notifications, then closes it")
    func closeWritesWhatIsQueued() async throws {
        let (ticksQueued, ticksQueuedSignal) = AsyncStream.makeStream(of: Int.self)
        let (closed, closedSignal) = AsyncStream.makeStream(of: UInt64.self)
        let total = 200
        try await withServer(limits: RPCLimits(notificationQueueDepth: 16),
                             handler: ToyHandler(ticksQueued: ticksQueuedSignal, closed: closedSignal),
                             closedByBody: true) { path, server in
            let channel = try await connectRaw(path: path)
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(
                    string: #"{"jsonrpc":"2.0","id":1,"method":"tick","params":{"count":200,"pad":100000}}"# + "\n"))
                // 20 MB queued or dropped while nothing is read: the socket and NIO's buffer are full, 16 lines of 100 kB wait.
                #expect(try await next("ticks queued", from: ticksQueued) == total)
                server.close(within: .seconds(60))

                // Every tick arrives or is counted in an overflow, up to the last one the handler queued; then the
                // server closes the connection (the stream ends). The answer to the call, waiting behind the same
                // full socket, may or may not be written: a closing server stops taking and answering requests.
                let accounted = try await withDeadline("drain", .seconds(30)) {
                    var expectedTick = 0
                    for try await frame in inbound {
                        guard case .notification(let notification) = try frame.message() else { continue }
                        switch notification.method {
                        case "tick":
                            let n = Int(notification.params?["n"]?.intValue ?? -1)
                            #expect(n == expectedTick, "ticks in order, gaps only where an overflow says so")
                            expectedTick = n + 1
                        case "overflow":
                            expectedTick += Int(notification.params?["dropped"]?.intValue ?? 0)
                        default:
                            #expect(notification.method == "hello")
                        }
                    }
                    return expectedTick
                }
                #expect(accounted == total, "the queued notifications are written before the connection closes")
            }
            _ = try await next("connection closed", from: closed)
        }
    }

    @Test("a client that does not read cannot hold a closing server beyond its grace")
    func closeCutsOffAStalledClient() async throws {
        let (ticksQueued, ticksQueuedSignal) = AsyncStream.makeStream(of: Int.self)
        let (path, stalled) = try await withDeadline("server closed") {
            try await withServer(limits: RPCLimits(notificationQueueDepth: 16), handler: ToyHandler(ticksQueued: ticksQueuedSignal),
                                 closedByBody: true) { path, server in
                let stalled = try await connectRaw(path: path)
                try await stalled.channel.writeAndFlush(ByteBuffer(
                    string: #"{"jsonrpc":"2.0","id":1,"method":"tick","params":{"count":200,"pad":100000}}"# + "\n"))
                #expect(try await next("ticks queued", from: ticksQueued) == 200)
                // Never read: the server's writes stay blocked and only the grace ends the connection.
                server.close(within: .milliseconds(100))
                return (path, stalled)
            }
        }
        try? await stalled.channel.close()
        #expect(!FileManager.default.fileExists(atPath: path), "run returned and removed the socket file")
        await #expect(throws: ControlClientError.self) { try await ControlClient.connect(path: path, timeout: .seconds(5)) }
    }

    @Test("a server closed before anyone connects stops at once")
    func closeWithNoConnection() async throws {
        try await withDeadline("server closed") {
            try await withServer(closedByBody: true) { _, server in server.close(within: .seconds(60)) }
        }
    }

    @Test("the peer's credentials are read from the socket")
    func peerCredentials() async throws {
        try await withServer { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            let me = try await client.call("whoami")
            #expect(me["uid"] == .int(Int64(getuid())))
            #expect(me["gid"] == .int(Int64(getgid())))
            #expect(me["pid"] == .int(Int64(getpid())))
            await client.close()
        }
    }

    @Test("a socket inherited from systemd is adopted, and its file left alone")
    func inheritedSocket() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/activated.sock"
        let fd = try boundUnixSocket(path: path)
        try await withServer(inheritedFileDescriptor: fd, socketPath: path) { path in
            let client = try await ControlClient.connect(path: path, timeout: Self.connectTimeout)
            #expect(try await client.call("add", params: ["a": 20, "b": 22]) == 42)
            await client.close()
        }
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test("connecting to a missing socket fails clearly")
    func cannotConnect() async throws {
        let error = try await #require(throws: ControlClientError.self) {
            try await ControlClient.connect(path: "/tmp/sq-cp-no-such-dir/none.sock", timeout: .seconds(2))
        }
        guard case .cannotConnect(let path, _) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(path == "/tmp/sq-cp-no-such-dir/none.sock")
    }
}

/// A bound Unix stream socket, as systemd passes it (systemd also listens; the server must cope either way).
private func boundUnixSocket(path: String) throws -> Int32 {
    struct SocketSetupFailed: Error { var step: String; var code: Int32 }
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SocketSetupFailed(step: "socket", code: errno) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: Array(path.utf8) + [0])
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    guard bound == 0, listen(fd, 16) == 0 else {
        let code = errno
        close(fd)
        throw SocketSetupFailed(step: "bind/listen", code: code)
    }
    return fd
}
