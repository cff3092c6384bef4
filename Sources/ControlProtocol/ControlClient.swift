#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NIOCore
import NIOPosix
import Synchronization

/// Why a ``ControlClient`` operation failed, other than an error response (which throws ``RPCError``).
public enum ControlClientError: Error, Sendable, CustomStringConvertible {
    /// The socket could not be reached: no daemon, no such file, or no permission.
    case cannotConnect(path: String, underlying: any Error)
    /// No answer within the deadline.
    case timedOut(operation: String, after: Duration)
    /// The server closed the connection (or it broke) before answering.
    case connectionClosed
    /// The first line from the server was not the `hello` notification.
    case unexpectedGreeting(String)
    /// The server sent a line longer than the client's limit; the connection was closed.
    case lineTooLong(limit: Int)
    /// A typed ``ControlClient/call(_:params:as:timeout:)`` got a result of another shape.
    case unexpectedResult(method: String, underlying: any Error)

    /// One line for the CLI to print.
    public var description: String {
        switch self {
        case .cannotConnect(let path, let underlying):
            return "cannot connect to the control socket \(path): \(underlying)"
        case .timedOut(let operation, let after):
            return "\(operation): no answer within \(after)"
        case .connectionClosed:
            return "the daemon closed the connection"
        case .unexpectedGreeting(let line):
            return "the server did not greet with hello: \(line)"
        case .lineTooLong(let limit):
            return "the server sent a line longer than \(limit) bytes"
        case .unexpectedResult(let method, let underlying):
            return "\(method): unexpected result: \(underlying)"
        }
    }
}

/// A client of the control socket, shared by the CLI and the tests.
///
/// ``connect(path:timeout:maxLineLength:notificationBufferSize:)`` waits for the `hello` notification; then
/// ``call(_:params:timeout:)`` sends requests with ids 1, 2, 3… and matches responses by id, so calls from several
/// tasks may overlap. Other notifications arrive on ``notifications``.
public final class ControlClient: Sendable {
    /// A server-pushed notification.
    public typealias Notification = (method: String, params: JSONValue)

    /// The params of the server's `hello` notification (`null` if it had none).
    public let hello: JSONValue
    /// Notifications after `hello`, in order; finishes when the connection closes. Bounded: when the consumer lags
    /// by ``notificationBufferSize`` notifications, new ones are dropped and counted in ``droppedNotificationCount``.
    public let notifications: AsyncStream<Notification>
    /// The capacity of ``notifications``.
    public let notificationBufferSize: Int

    private let channel: any Channel
    private let nextID = Atomic<Int64>(1)
    private let dropped: DropCounter

    private init(
        channel: any Channel, hello: JSONValue, notifications: AsyncStream<Notification>,
        notificationBufferSize: Int, dropped: DropCounter
    ) {
        self.channel = channel
        self.hello = hello
        self.notifications = notifications
        self.notificationBufferSize = notificationBufferSize
        self.dropped = dropped
    }

    deinit {
        channel.close(promise: nil)
    }

    /// Connects to the Unix socket at `path` and waits for its `hello`, all within `timeout`.
    ///
    /// - Parameters:
    ///   - maxLineLength: the longest line accepted from the server (16 MiB by default: results can be large).
    ///   - notificationBufferSize: the capacity of ``notifications``.
    /// - Throws: ``ControlClientError``, or ``RPCError`` when the server refuses the connection (−32006 overloaded).
    public static func connect(
        path: String, timeout: Duration = .seconds(5), maxLineLength: Int = 16 << 20,
        notificationBufferSize: Int = 1024
    ) async throws -> ControlClient {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let hello = eventLoop.makePromise(of: JSONValue.self)
        let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            hello.fail(ControlClientError.timedOut(operation: "connect", after: timeout))
        }
        defer { timer.cancel() }
        let (notifications, continuation) = AsyncStream.makeStream(
            of: Notification.self, bufferingPolicy: .bufferingOldest(notificationBufferSize))
        let dropped = DropCounter()

        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = ClientChannelHandler(
                            hello: hello, notifications: continuation, dropped: dropped, maxLineLength: maxLineLength)
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineFrameDecoder(maxLineLength: maxLineLength)))
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(unixDomainSocketPath: path).get()
        } catch {
            hello.fail(error)
            continuation.finish()
            throw ControlClientError.cannotConnect(path: path, underlying: error)
        }

        do {
            let params = try await withTaskCancellationHandler {
                try await hello.futureResult.get()
            } onCancel: {
                hello.fail(CancellationError())
            }
            return ControlClient(
                channel: channel, hello: params, notifications: notifications,
                notificationBufferSize: notificationBufferSize, dropped: dropped)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Calls `method` and returns its result.
    ///
    /// - Throws: ``RPCError`` for an error response; ``ControlClientError/timedOut(operation:after:)`` after
    ///   `timeout`; ``ControlClientError/connectionClosed`` if the connection ends first; `CancellationError`.
    public func call(_ method: String, params: JSONValue? = nil, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let line = RPCMessage.request(RPCRequest(id: .number(id), method: method, params: params)).line
        let response = try await exchange(method, timeout: timeout) { .call(id: id, line: line, response: $0) }
        return try response.outcome.get()
    }

    /// Calls `method` with params encoded from `params` and decodes its result as `R`.
    ///
    /// - Throws: as ``call(_:params:timeout:)``; `EncodingError` for params that cannot be encoded;
    ///   ``ControlClientError/unexpectedResult(method:underlying:)`` for a result that is not an `R`.
    public func call<P: Encodable, R: Decodable>(
        _ method: String, params: P, as type: R.Type, timeout: Duration = .seconds(30)
    ) async throws -> R {
        let result = try await call(method, params: try JSONValue(encoding: params), timeout: timeout)
        do {
            return try result.decode(R.self)
        } catch {
            throw ControlClientError.unexpectedResult(method: method, underlying: error)
        }
    }

    /// Sends `line` verbatim (a `\n` is added if missing) and returns the next response that no ``call`` is waiting
    /// for, which is the answer to this line since the server answers in order. For tests of malformed input; only
    /// for lines the server answers (not notifications).
    public func send(raw line: String, timeout: Duration = .seconds(30)) async throws -> RPCResponse {
        var buffer = ByteBuffer(string: line)
        if !line.hasSuffix("\n") { buffer.writeInteger(UInt8(ascii: "\n")) }
        return try await exchange("raw line", timeout: timeout) { [buffer] in .raw(line: buffer, response: $0) }
    }

    /// Notifications dropped because the consumer of ``notifications`` lagged.
    public var droppedNotificationCount: Int {
        dropped.value.load(ordering: .relaxed)
    }

    /// Closes the connection; pending calls fail with ``ControlClientError/connectionClosed`` and
    /// ``notifications`` finishes.
    public func close() async {
        channel.close(promise: nil)
        do {
            try await channel.closeFuture.get()
        } catch {
            // A channel's closeFuture is never failed (NIO's Channel contract).
        }
    }

    /// Writes one outbound item carrying a fresh promise and waits for the response it registers.
    private func exchange(
        _ operation: String, timeout: Duration,
        _ makeItem: (EventLoopPromise<RPCResponse>) -> ClientOutbound
    ) async throws -> RPCResponse {
        let eventLoop = channel.eventLoop
        let response = eventLoop.makePromise(of: RPCResponse.self)
        // A promise completes once; whichever of the response, the timer, a failed write or cancellation comes
        // first wins and the others are ignored.
        let timer = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            response.fail(ControlClientError.timedOut(operation: operation, after: timeout))
        }
        defer { timer.cancel() }
        channel.writeAndFlush(makeItem(response)).whenFailure { _ in
            response.fail(ControlClientError.connectionClosed)
        }
        return try await withTaskCancellationHandler {
            try await response.futureResult.get()
        } onCancel: {
            response.fail(CancellationError())
        }
    }
}

/// Counts notifications dropped by a full ``ControlClient/notifications`` buffer.
private final class DropCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// What ``ControlClient`` writes into its channel: a line, and where to deliver the response to it.
private enum ClientOutbound: Sendable {
    /// A request; its response is matched by id.
    case call(id: Int64, line: ByteBuffer, response: EventLoopPromise<RPCResponse>)
    /// A raw line; it takes the next response that matches no call.
    case raw(line: ByteBuffer, response: EventLoopPromise<RPCResponse>)
}

/// Routes the server's lines: the first to `hello`, responses to their callers, notifications to the stream.
/// Confined to its channel's event loop, like every NIO handler.
private final class ClientChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = LineFrame
    typealias OutboundIn = ClientOutbound
    typealias OutboundOut = ByteBuffer

    private var hello: EventLoopPromise<JSONValue>?
    private var pendingCalls: [Int64: EventLoopPromise<RPCResponse>] = [:]
    private var pendingRaw: [EventLoopPromise<RPCResponse>] = []
    private let notifications: AsyncStream<ControlClient.Notification>.Continuation
    private let dropped: DropCounter
    private let maxLineLength: Int

    init(
        hello: EventLoopPromise<JSONValue>, notifications: AsyncStream<ControlClient.Notification>.Continuation,
        dropped: DropCounter, maxLineLength: Int
    ) {
        self.hello = hello
        self.notifications = notifications
        self.dropped = dropped
        self.maxLineLength = maxLineLength
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .call(let id, let line, let response):
            pendingCalls[id] = response
            context.write(wrapOutboundOut(line), promise: promise)
        case .raw(let line, let response):
            pendingRaw.append(response)
            context.write(wrapOutboundOut(line), promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line: ByteBuffer
        switch unwrapInboundIn(data) {
        case .tooLong:
            failAll(ControlClientError.lineTooLong(limit: maxLineLength))
            context.close(promise: nil)
            return
        case .line(let bytes):
            line = bytes
        }
        let message: RPCMessage
        do throws(InvalidRPCMessage) {
            message = try RPCMessage(parsing: Data(line.readableBytesView))
        } catch {
            // The server only writes valid messages; a stray line cannot be matched to a call, whose timer ends it.
            return
        }

        if let hello {
            self.hello = nil
            if case .notification(let notification) = message, notification.method == "hello" {
                hello.succeed(notification.params ?? .null)
            } else {
                // An error response here is the server refusing the connection (−32006 overloaded).
                hello.fail(error(of: message) ?? ControlClientError.unexpectedGreeting(String(buffer: line)))
                context.close(promise: nil)
            }
            return
        }

        switch message {
        case .notification(let notification):
            if case .dropped = notifications.yield((notification.method, notification.params ?? .null)) {
                dropped.value.add(1, ordering: .relaxed)
            }
        case .response(let response):
            if case .number(let id)? = response.id, let caller = pendingCalls.removeValue(forKey: id) {
                caller.succeed(response)
            } else if !pendingRaw.isEmpty {
                pendingRaw.removeFirst().succeed(response)
            }
        case .request:
            break  // The server does not call clients.
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(ControlClientError.connectionClosed)
        notifications.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A broken connection: callers learn it as connectionClosed once the channel is inactive.
        context.close(promise: nil)
    }

    private func error(of message: RPCMessage) -> RPCError? {
        if case .response(let response) = message { return response.error }
        return nil
    }

    private func failAll(_ error: any Error) {
        hello?.fail(error)
        hello = nil
        for caller in pendingCalls.values { caller.fail(error) }
        pendingCalls.removeAll()
        for caller in pendingRaw { caller.fail(error) }
        pendingRaw.removeAll()
    }
}
