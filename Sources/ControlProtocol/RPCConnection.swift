import NIOCore
import Synchronization

/// One client connection, as a method handler sees it: who is at the other end, and a way to push notifications.
///
/// A handler keeps the connection of a `watch` request and calls ``notify(method:params:)`` from wherever events
/// arise. Notifications go through a bounded queue of ``RPCLimits/notificationQueueDepth`` lines: when it is full
/// the new notification is dropped and counted, and once the client has read enough for a line to fit, it gets one
/// `overflow` notification, `{"dropped": N}`, in the place of what it lost. Nothing blocks the caller and nothing
/// grows without bound, however slow the client.
public final class RPCConnection: Sendable {
    /// Numbers connections from 1 in the order the server accepted them; unique for the server's lifetime.
    public let id: UInt64
    /// The connecting process's credentials (`SO_PEERCRED`); `nil` if they could not be read, which authorization
    /// must treat as "no groups".
    public let peer: PeerCredentials?

    let outbox: NotificationOutbox

    init(id: UInt64, peer: PeerCredentials?, notificationQueueDepth: Int) {
        self.id = id
        self.peer = peer
        self.outbox = NotificationOutbox(depth: notificationQueueDepth)
    }

    /// Queues a notification for this client; never blocks, never waits for the client.
    ///
    /// Dropped and counted when the queue is full (see the type's documentation); ignored once the connection has
    /// closed.
    public func notify(method: String, params: JSONValue) {
        outbox.enqueue(RPCNotification(method: method, params: params))
    }

    /// Queues a notification encoded once for many clients (``EncodedNotification``); the same rules as
    /// ``notify(method:params:)``.
    public func notify(_ notification: EncodedNotification) {
        outbox.enqueue(line: notification.line)
    }

    /// How many notifications this connection has dropped so far because its client read too slowly.
    public var droppedNotificationCount: Int {
        outbox.totalDropped
    }
}

/// The bounded queue of notification lines of one connection, and the loop that writes them.
///
/// Producers are any tasks or threads (``enqueue(_:)``); the consumer is the connection's one drain task.
final class NotificationOutbox: Sendable {
    /// A queued line, or the place where notifications were dropped.
    private enum Item: Sendable {
        case line(ByteBuffer)
        case overflow(dropped: Int)
    }

    private struct State {
        /// At most `depth` items.
        var items: [Item] = []
        /// Dropped since the last `overflow` item was queued.
        var pendingDrops = 0
        /// Dropped over the connection's life.
        var totalDrops = 0
        /// Set by close() and finish(): nothing more is queued.
        var isClosed = false
    }

    /// The method name of the notification that reports drops.
    static let overflowMethod = "overflow"

    let depth: Int
    private let state = Mutex(State())
    /// Wakes the drain loop; holds at most one pending wake-up, so it is bounded too.
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(depth: Int) {
        precondition(depth > 0, "notificationQueueDepth must be positive")
        self.depth = depth
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    var totalDropped: Int {
        state.withLock { $0.totalDrops }
    }

    /// Queues `notification` if there is room; otherwise counts it as dropped.
    func enqueue(_ notification: RPCNotification) {
        // Check first, so that a flood into a full queue costs no encoding.
        guard reserveOrDrop() else { return }
        enqueue(line: RPCMessage.notification(notification).line)
    }

    /// Queues an encoded notification line if there is room; otherwise counts it as dropped.
    func enqueue(line: ByteBuffer) {
        let queued = state.withLock { state in
            guard !state.isClosed else { return false }
            guard state.items.count < depth else {
                state.pendingDrops += 1
                state.totalDrops += 1
                return false
            }
            state.items.append(.line(line))
            return true
        }
        if queued { wake.yield() }
    }

    /// Whether a line may fit (another producer may still take the room); counts a drop if the queue is full.
    private func reserveOrDrop() -> Bool {
        state.withLock { state in
            guard !state.isClosed else { return false }
            guard state.items.count < depth else {
                state.pendingDrops += 1
                state.totalDrops += 1
                return false
            }
            return true
        }
    }

    /// Takes the next item; when that frees room after drops, queues an `overflow` item at the end.
    private func dequeue() -> Item? {
        state.withLock { state in
            guard !state.items.isEmpty else { return nil }
            let item = state.items.removeFirst()
            if state.pendingDrops > 0 {
                state.items.append(.overflow(dropped: state.pendingDrops))
                state.pendingDrops = 0
            }
            return item
        }
    }

    /// Writes queued lines with `write` until ``close()``, ``finish()`` or cancellation. Only one task may drain.
    func drain(_ write: (ByteBuffer) async throws -> Void) async throws {
        for await _ in wakeups {
            try await writeQueued(write)
        }
        // A line queued just as finish() ended the wake-ups found none to wake this loop; after close() nothing is left.
        if !Task.isCancelled { try await writeQueued(write) }
    }

    private func writeQueued(_ write: (ByteBuffer) async throws -> Void) async throws {
        while let item = dequeue() {
            switch item {
            case .line(let line):
                try await write(line)
            case .overflow(let dropped):
                let overflow = RPCNotification(method: Self.overflowMethod, params: ["dropped": .int(Int64(dropped))])
                try await write(RPCMessage.notification(overflow).line)
            }
        }
    }

    /// Drops what is queued, refuses what comes, and ends ``drain(_:)``.
    func close() {
        state.withLock { state in
            state.isClosed = true
            state.items.removeAll()
        }
        wake.finish()
    }

    /// Refuses what comes but keeps what is queued: ``drain(_:)`` writes it, then ends.
    func finish() {
        state.withLock { $0.isClosed = true }
        wake.finish()
    }
}
