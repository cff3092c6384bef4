import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import ControlProtocol

/// A frame that should have been a line.
struct UnexpectedFrame: Error {
    var frame: LineFrame
}

/// A wait that ran past its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "deadline exceeded: \(what)" }
}

/// Runs `body`, failing with ``DeadlineExceeded`` if it has not finished within `limit`.
/// Waits on events, never on time: the deadline only bounds a wait that should end by itself.
func withDeadline<T: Sendable>(
    _ what: String, _ limit: Duration = .seconds(10), _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded(what: what)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeadlineExceeded(what: what) }
        return first
    }
}

/// A fresh directory under /tmp (short, for the 108-byte limit of socket paths), removed by the caller.
func makeTemporaryDirectory() throws -> String {
    let path = "/tmp/sq-cp-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    return path
}

/// Parameters of the toy `tick` method.
struct TickParams: Codable {
    var count: Int
    var pad: Int?
}

/// Parameters of the toy `blob` method: the length of the string it answers.
struct BlobParams: Codable {
    var bytes: Int
}

/// Parameters of the toy `add` method.
struct AddParams: Codable {
    var a: Int64
    var b: Int64
}

/// A method handler for tests: `echo`, `add`, `tick` (pushes notifications), `blob` (a long answer), `whoami`.
struct ToyHandler: RPCMethodHandler {
    /// Receives the number of ticks queued each time a `tick` call has queued all of its notifications.
    var ticksQueued: AsyncStream<Int>.Continuation?
    /// Receives the id of each closed connection.
    var closed: AsyncStream<UInt64>.Continuation?

    func hello() async -> JSONValue {
        ["protocol": ProtocolVersion.current.jsonValue, "rig": "toy"]
    }

    func handle(method: String, params: JSONValue?, connection: RPCConnection) async throws(RPCError) -> JSONValue {
        switch method {
        case "echo":
            return params ?? .null
        case "add":
            let sum = try params.decodeParams(as: AddParams.self)
            // Checked: the protocol fuzz sends Int64.max + 1, and a trap would take the whole test process down.
            let (total, overflow) = sum.a.addingReportingOverflow(sum.b)
            if overflow { throw .invalidParams("a + b overflows Int64") }
            return .int(total)
        case "tick":
            let tick = try params.decodeParams(as: TickParams.self)
            let pad = JSONValue.string(String(repeating: "x", count: tick.pad ?? 0))
            for n in 0..<tick.count {
                connection.notify(method: "tick", params: ["n": .int(Int64(n)), "pad": pad])
            }
            ticksQueued?.yield(tick.count)
            return .int(Int64(tick.count))
        case "blob":
            return .string(String(repeating: "x", count: try params.decodeParams(as: BlobParams.self).bytes))
        case "whoami":
            guard let peer = connection.peer else { return .null }
            return ["uid": .int(Int64(peer.uid)), "gid": .int(Int64(peer.gid)), "pid": .int(Int64(peer.pid))]
        default:
            throw .methodNotFound(method)
        }
    }

    func connectionClosed(_ connection: RPCConnection) async {
        closed?.yield(connection.id)
    }
}

/// Runs an ``RPCServer`` on a socket in a fresh temporary directory for the duration of `body`, then cancels it and
/// waits until it has stopped.
func withServer<T: Sendable>(
    limits: RPCLimits = RPCLimits(), handler: ToyHandler = ToyHandler(), inheritedFileDescriptor: Int32? = nil,
    socketPath: String? = nil, _ body: (String) async throws -> T
) async throws -> T {
    try await withServer(limits: limits, handler: handler, inheritedFileDescriptor: inheritedFileDescriptor,
                         socketPath: socketPath, closedByBody: false) { path, _ in try await body(path) }
}

/// Runs an ``RPCServer`` as above for `body`, which also gets the server; when `closedByBody`, the body ends it with
/// ``RPCServer/close(within:)`` and this waits for `run` to return, else it is cancelled after the body.
func withServer<T: Sendable>(
    limits: RPCLimits = RPCLimits(), handler: ToyHandler = ToyHandler(), inheritedFileDescriptor: Int32? = nil,
    socketPath: String? = nil, closedByBody: Bool, _ body: (String, RPCServer) async throws -> T
) async throws -> T {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = socketPath ?? directory + "/control.sock"
    let server = RPCServer(
        socketPath: path, inheritedFileDescriptor: inheritedFileDescriptor, limits: limits, handler: handler)
    let (listening, signal) = AsyncStream.makeStream(of: Void.self)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { signal.finish() }
            try await server.run(onListening: { signal.yield() })
        }
        var events = listening.makeAsyncIterator()
        guard await events.next() != nil else {
            try await group.waitForAll()  // Rethrows why the server did not start.
            throw DeadlineExceeded(what: "server start")
        }
        let result = try await body(path, server)
        if !closedByBody { group.cancelAll() }
        try await group.waitForAll()
        return result
    }
}

/// The next value of `stream` that satisfies `predicate`, within the deadline.
func next<T: Sendable>(
    _ what: String, from stream: AsyncStream<T>, where predicate: @escaping @Sendable (T) -> Bool = { _ in true }
) async throws -> T {
    try await withDeadline(what) {
        for await value in stream where predicate(value) { return value }
        throw DeadlineExceeded(what: "\(what): stream finished")
    }
}

/// A line-level client that reads only when asked, so the server sees a slow reader.
typealias RawLineChannel = NIOAsyncChannel<LineFrame, ByteBuffer>

/// Connects a ``RawLineChannel``; with `halfClosure`, finishing its writer shuts down only the sending side.
func connectRaw(path: String, halfClosure: Bool = false) async throws -> RawLineChannel {
    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(unixDomainSocketPath: path) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(maxLineLength: 1 << 20)))
                return try RawLineChannel(
                    wrappingChannelSynchronously: channel,
                    configuration: .init(
                        backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2),
                        isOutboundHalfClosureEnabled: halfClosure))
            }
        }
}

extension LineFrame {
    /// The line parsed as a message; fails the test for anything else.
    func message() throws -> RPCMessage {
        guard case .line(let bytes) = self else { throw UnexpectedFrame(frame: self) }
        return try RPCMessage(parsing: Data(bytes.readableBytesView))
    }
}
