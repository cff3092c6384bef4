#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOPosix
import Synchronization

/// Answers the methods of the control socket; the daemon implements it, the server calls it.
public protocol RPCMethodHandler: Sendable {
    /// Params of the `hello` notification sent on every connect; should hold `"protocol"`:
    /// ``ProtocolVersion/jsonValue`` of ``ProtocolVersion/current``.
    func hello() async -> JSONValue

    /// Answers one request or client notification.
    ///
    /// Throw ``RPCError/methodNotFound(_:)`` for an unknown method, and decode params with
    /// `params.decodeParams(as:)`, which throws −32602. Requests of one connection are answered one at a time, in
    /// order. `connection` lets the handler push notifications (`watch`) after it returns.
    func handle(method: String, params: JSONValue?, connection: RPCConnection) async throws(RPCError) -> JSONValue

    /// Called once when a connection has closed: drop its watches. The default does nothing.
    func connectionClosed(_ connection: RPCConnection) async
}

extension RPCMethodHandler {
    /// Does nothing.
    public func connectionClosed(_ connection: RPCConnection) async {}
}

/// The bounds of the control socket (DESIGN §4, §5; docs/protocol.md §3).
public struct RPCLimits: Sendable, Equatable {
    /// The longest request line, in bytes; a longer one gets −32005 and the connection stays usable.
    public var maxLineLength: Int
    /// Connections served at once; one more gets a −32006 error line and is closed.
    public var maxConnections: Int
    /// Notification lines queued per connection before new ones are dropped and counted.
    public var notificationQueueDepth: Int
    /// Requests per second a connection may send for ever (the token bucket's rate); beyond it and its burst a line
    /// gets −32008 and is not executed, and the connection stays usable.
    public var requestRate: Double
    /// Requests a connection may send at once (the token bucket's size).
    public var requestBurst: Int
    /// Connections that may `watch` at once; one more `watch` gets −32006 (the handler enforces it with
    /// ``WatcherQuota``).
    public var maxWatchers: Int

    /// Limits; the defaults are those of docs/protocol.md §3.
    ///
    /// 256 connections leave room for 200 clients at once (the load test) plus the CLI; 50 requests a second with
    /// bursts of 100 is ten times what the CLI and a status panel need (a `run` sends 3 requests, a panel polling
    /// `runs.status` at 10 Hz sends 10 a second) and bounds what one client can make the daemon do.
    public init(
        maxLineLength: Int = LineFrameDecoder.defaultMaxLineLength, maxConnections: Int = 256,
        notificationQueueDepth: Int = 256, requestRate: Double = 50, requestBurst: Int = 100, maxWatchers: Int = 128
    ) {
        self.maxLineLength = maxLineLength
        self.maxConnections = maxConnections
        self.notificationQueueDepth = notificationQueueDepth
        self.requestRate = requestRate
        self.requestBurst = requestBurst
        self.maxWatchers = maxWatchers
    }
}

/// The JSON-RPC 2.0 server of the control socket: one JSON object per `\n`-terminated line over a Unix stream socket.
///
/// On connect a client gets the `hello` notification, then one response line per request line, in order, and the
/// notifications its handler pushes. Invalid JSON (−32700, id `null`), a wrong shape (−32600), an unknown method
/// (−32601), wrong params (−32602), an over-long line (−32005, id `null`) and a line over the request rate (−32008,
/// not executed) each get an error response, and the connection stays open. Blank lines are ignored. Who may call
/// what is the handler's to decide, from ``RPCConnection/peer`` (``AccessPolicy``).
public struct RPCServer: Sendable {
    /// The mode of the socket file the server creates: owner and group read and write (DESIGN §4).
    public static let socketFileMode = 0o660

    /// Where the socket file is created (and removed at the end), unless a listening fd is inherited.
    public let socketPath: String
    /// A bound socket passed by systemd socket activation; the server then neither creates nor removes a file.
    public let inheritedFileDescriptor: Int32?
    /// The group the socket file is given when the server creates it (the socket group of ``AccessPolicy``); `nil`
    /// leaves the creating process's group.
    public let socketFileGroup: UInt32?
    /// The bounds the server enforces.
    public let limits: RPCLimits
    private let handler: any RPCMethodHandler
    /// The connections being served, shared by every copy of the server so that ``close(within:)`` reaches them.
    private let connections: ServerConnections

    private typealias Connection = NIOAsyncChannel<LineFrame, ByteBuffer>

    /// Connections the kernel queues before the server accepts them; more are refused by the kernel (a client's
    /// `connect` fails with `EAGAIN`). As many as may be served, so that a crowd connecting at once is queued, not
    /// refused; at least 128, and the kernel caps it at `net.core.somaxconn` (4096 on current kernels).
    private var listenBacklog: Int32 { Int32(clamping: max(128, limits.maxConnections)) }

    /// A server for `socketPath`, or for the bound socket `inheritedFileDescriptor` (its ownership passes to the
    /// server, which closes it at the end; systemd keeps its own copy).
    public init(
        socketPath: String, inheritedFileDescriptor: Int32? = nil, socketFileGroup: UInt32? = nil,
        limits: RPCLimits = .init(), handler: some RPCMethodHandler
    ) {
        precondition(limits.maxConnections > 0, "maxConnections must be positive")
        self.socketPath = socketPath
        self.inheritedFileDescriptor = inheritedFileDescriptor
        self.socketFileGroup = socketFileGroup
        self.limits = limits
        self.handler = handler
        self.connections = ServerConnections(limit: limits.maxConnections)
    }

    /// Binds (or adopts the inherited fd), serves until ``close(within:)`` or until the task is cancelled, then
    /// closes the listener and all connections and removes the socket file it created. A server runs once.
    ///
    /// When binding, a stale socket file at ``socketPath`` is replaced, and the new one gets mode 0660
    /// (``socketFileMode``) and group ``socketFileGroup`` before `onListening` is called.
    /// - Throws: a bind error, ``SocketFileError`` for the socket file, or an error of the listening socket.
    ///   Cancellation is the normal end and does not throw.
    public func run(onListening: @Sendable () -> Void = {}) async throws {
        let listener = try await bind()
        let ownsSocketFile = inheritedFileDescriptor == nil
        do {
            try await listener.executeThenClose { inbound in
                if ownsSocketFile {
                    // The group first: until both are set, the file is as the umask made it, open to nobody new.
                    if let socketFileGroup { try SocketSyscalls.setGroup(socketFileGroup, ofFileAt: socketPath) }
                    try SocketSyscalls.setMode(Self.socketFileMode, ofFileAt: socketPath)
                }
                onListening()
                connections.listening(on: listener.channel)
                try await acceptConnections(from: inbound)
            }
        } catch {
            // The serving error is the one to report; a failure to remove the file as well would only hide it.
            if ownsSocketFile { try? SocketSyscalls.removeSocketFile(at: socketPath) }
            throw error
        }
        if ownsSocketFile {
            try SocketSyscalls.removeSocketFile(at: socketPath)
        }
    }

    private func bind() async throws -> NIOAsyncChannel<Connection, Never> {
        let maxLineLength = limits.maxLineLength
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: listenBacklog)
            // A client may send its requests and shut down its write side; it still gets its answers.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let initialize: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)))
                return try Connection(wrappingChannelSynchronously: channel)
            }
        }
        if let inheritedFileDescriptor {
            return try await bootstrap.bind(inheritedFileDescriptor, childChannelInitializer: initialize)
        }
        return try await bootstrap.bind(
            unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true, childChannelInitializer: initialize)
    }

    /// Ends ``run(onListening:)`` the way a daemon stops: no connection is accepted any more, and each open one
    /// stops taking requests, writes the notifications already queued for it (the `run.finished` of a run that
    /// shutdown cancelled among them) and closes. A client that has not taken them within `grace` is cut off, so
    /// one that stopped reading cannot hold the stop. Returns at once; `run` returns when the connections have closed.
    public func close(within grace: Duration) {
        connections.close(grace: grace)
    }

    /// Serves each accepted connection in a child task until closed or cancelled, refusing those over the limit.
    private func acceptConnections(from inbound: NIOAsyncChannelInboundStream<Connection>) async throws {
        try await withThrowingDiscardingTaskGroup { group in
            var lastID: UInt64 = 0
            do {
                for try await connection in inbound {
                    guard connections.acquire() else {
                        group.addTask { await refuse(connection) }
                        continue
                    }
                    lastID += 1
                    let id = lastID
                    group.addTask {
                        await serve(connection, id: id)
                    }
                }
            } catch is CancellationError {
                // Cancellation is how the server is stopped at once.
            }
            // The listener is gone. Closed by close(within:), the connections first write what they have queued;
            // those still writing when the grace is over are cut off with the rest.
            if let grace = connections.closingGrace {
                await connections.allClosed(within: grace)
            }
            group.cancelAll()
        }
    }

    /// Sends the one `overloaded` error line and closes.
    private func refuse(_ channel: Connection) async {
        let line = RPCMessage.response(RPCResponse(id: nil, error: .overloaded(limit: limits.maxConnections))).line
        do {
            try await channel.executeThenClose { _, outbound in
                try await outbound.write(line)
            }
        } catch {
            // The client left first; there is nobody to tell.
        }
    }

    /// Runs one connection: hello, then requests in order, with the notification queue drained alongside.
    /// Its slot is free again before the handler hears that it closed.
    private func serve(_ channel: Connection, id: UInt64) async {
        let peer = await SocketSyscalls.peerCredentials(of: channel.channel)
        let connection = RPCConnection(id: id, peer: peer, notificationQueueDepth: limits.notificationQueueDepth)
        connections.register(connection.outbox, id: id)
        do {
            try await channel.executeThenClose { inbound, outbound in
                let hello = RPCNotification(method: "hello", params: await handler.hello())
                try await outbound.write(RPCMessage.notification(hello).line)
                // Whichever side ends first ends the connection, by throwing.
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask {
                        try await connection.outbox.drain { line in try await outbound.write(line) }
                        // The server is closing and the queue is handed to the channel, whose close would drop
                        // what it still holds.
                        try await Self.sent(on: channel.channel)
                        throw ConnectionEnd.serverClosing
                    }
                    group.addTask {
                        var bucket = TokenBucket(rate: limits.requestRate, burst: limits.requestBurst, now: .now)
                        for try await frame in inbound {
                            if let response = await answer(frame, on: connection, bucket: &bucket) {
                                try await outbound.write(RPCMessage.response(response).line)
                            }
                        }
                        // The answers may still wait in the channel (a long one far exceeds the socket's buffer),
                        // and closing it would drop them.
                        try await Self.sent(on: channel.channel)
                        throw ConnectionEnd.clientDoneSending
                    }
                }
            }
        } catch {
            // A connection ends on its own errors (peer gone, write failed), on a ConnectionEnd or on shutdown; no
            // one to answer.
        }
        connection.outbox.close()
        connections.release(id: id)
        await handler.connectionClosed(connection)
    }

    /// Returns once everything written to `channel` so far has gone to the socket; on cancellation it closes the
    /// channel, which ends the wait.
    private static func sent(on channel: any Channel) async throws {
        // Writes complete in order, so an empty one completes after all before it.
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(ByteBuffer(), promise: written)
        try await withTaskCancellationHandler {
            try await written.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    /// The response to one frame, or `nil` for a client notification or a blank line.
    ///
    /// Every other line takes a token from `bucket`; a line that finds it empty is not executed and gets −32008
    /// (under its id when it is a readable request; a notification gets nothing, as always).
    private func answer(
        _ frame: LineFrame, on connection: RPCConnection, bucket: inout TokenBucket
    ) async -> RPCResponse? {
        let line: ByteBuffer
        switch frame {
        case .tooLong(let length):
            return RPCResponse(id: nil, error: .lineTooLong(length: length, limit: limits.maxLineLength))
        case .line(let bytes):
            line = bytes
        }
        if line.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
            return nil
        }

        let wait = bucket.take(at: .now)
        let message: RPCMessage
        do throws(InvalidRPCMessage) {
            message = try RPCMessage(parsing: Data(line.readableBytesView))
        } catch {
            guard let wait else { return error.response }
            return RPCResponse(id: error.id, error: rateLimited(wait))
        }
        if let wait {
            switch message {
            case .request(let request): return RPCResponse(id: request.id, error: rateLimited(wait))
            case .notification: return nil
            case .response: return RPCResponse(id: nil, error: rateLimited(wait))
            }
        }

        switch message {
        case .request(let request):
            do throws(RPCError) {
                let result = try await handler.handle(
                    method: request.method, params: request.params, connection: connection)
                return RPCResponse(id: request.id, result: result)
            } catch {
                return RPCResponse(id: request.id, error: error)
            }
        case .notification(let notification):
            do throws(RPCError) {
                _ = try await handler.handle(
                    method: notification.method, params: notification.params, connection: connection)
            } catch {
                // JSON-RPC 2.0 §4.1: a notification is never answered, not even with an error.
            }
            return nil
        case .response:
            return RPCResponse(id: nil, error: .invalidRequest("the server takes requests, not responses"))
        }
    }
}

extension RPCServer {
    private func rateLimited(_ wait: Duration) -> RPCError {
        .rateLimited(rate: limits.requestRate, burst: limits.requestBurst, retryAfter: wait)
    }
}

/// Why a connection's two halves stop: the first to end throws, which ends the other.
private enum ConnectionEnd: Error {
    /// The server is closing and the notification queue has been written out.
    case serverClosing
    /// The client is done sending: the drain stops too, even if it is waiting for a slow reader.
    case clientDoneSending
}

/// The connections being served: their count against the limit and their notification queues, which a graceful
/// close finishes. Shared by the accept loop, the connection tasks and ``RPCServer/close(within:)``.
private final class ServerConnections: Sendable {
    private struct State {
        /// Slots taken, from acceptance to the end of the connection's task.
        var open = 0
        /// The queues of the connections past their start, by connection id.
        var outboxes: [UInt64: NotificationOutbox] = [:]
        var listener: (any Channel)?
        /// Set by `close(grace:)`.
        var closingGrace: Duration?
    }

    private let state = Mutex(State())
    private let limit: Int
    /// Yields once no connection is open after a close has begun.
    private let emptied: AsyncStream<Void>
    private let emptiedSignal: AsyncStream<Void>.Continuation

    init(limit: Int) {
        self.limit = limit
        (emptied, emptiedSignal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Takes a slot, or returns `false` when all are taken.
    func acquire() -> Bool {
        state.withLock { state in
            guard state.open < limit else { return false }
            state.open += 1
            return true
        }
    }

    /// Makes a connection's queue reachable by a close; finished at once if the close has begun.
    func register(_ outbox: NotificationOutbox, id: UInt64) {
        let closing = state.withLock { state in
            state.outboxes[id] = outbox
            return state.closingGrace != nil
        }
        if closing { outbox.finish() }
    }

    /// Frees the slot of a connection that has ended.
    func release(id: UInt64) {
        let lastAfterClose = state.withLock { state in
            state.open -= 1
            state.outboxes[id] = nil
            return state.open == 0 && state.closingGrace != nil
        }
        if lastAfterClose { emptiedSignal.yield() }
    }

    /// The listening channel, for a close to end; closed at once if the close came first.
    func listening(on listener: any Channel) {
        let closing = state.withLock { state in
            state.listener = listener
            return state.closingGrace != nil
        }
        if closing { listener.close(promise: nil) }
    }

    /// Begins a graceful close; a second call changes nothing.
    func close(grace: Duration) {
        let started = state.withLock { state -> (listener: (any Channel)?, outboxes: [NotificationOutbox], empty: Bool)? in
            guard state.closingGrace == nil else { return nil }
            state.closingGrace = grace
            return (state.listener, Array(state.outboxes.values), state.open == 0)
        }
        guard let started else { return }
        started.listener?.close(promise: nil)
        for outbox in started.outboxes { outbox.finish() }
        if started.empty { emptiedSignal.yield() }
    }

    /// The grace of a graceful close that has begun.
    var closingGrace: Duration? {
        state.withLock { $0.closingGrace }
    }

    /// Returns when no connection is open, or when `grace` is over, or on cancellation.
    func allClosed(within grace: Duration) async {
        await withTaskGroup(of: Void.self) { race in
            race.addTask { for await _ in self.emptied { return } }
            race.addTask { try? await Task.sleep(for: grace) }
            await race.next()
            race.cancelAll()
        }
    }
}
