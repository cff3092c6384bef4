import Synchronization

/// The connections that `watch`, bounded (``RPCLimits/maxWatchers``): each watcher holds a notification queue and
/// gets every event, so their number bounds the daemon's fan-out work and memory (docs/protocol.md §3).
///
/// The method handler claims a place on `watch` and releases it on `unwatch` and when the connection closes. A
/// connection that watches again keeps its place.
public final class WatcherQuota: Sendable {
    /// Watching connections at most.
    public let limit: Int
    private let watching = Mutex(Set<UInt64>())

    /// A quota of `limit` watching connections.
    public init(limit: Int) {
        self.limit = max(limit, 0)
    }

    /// Takes a place for `connection`, or confirms the one it has; returns whether the place is new.
    ///
    /// - Throws: ``RPCError`` −32006 (``RPCError/tooManyWatchers(limit:)``) when every place is taken.
    @discardableResult
    public func claim(for connection: RPCConnection) throws(RPCError) -> Bool {
        let limit = limit
        let outcome = watching.withLock { watching -> Bool? in
            if watching.contains(connection.id) { return false }
            guard watching.count < limit else { return nil }
            watching.insert(connection.id)
            return true
        }
        guard let outcome else { throw RPCError.tooManyWatchers(limit: limit) }
        return outcome
    }

    /// Frees the place of `connection`, if it has one.
    public func release(for connection: RPCConnection) {
        _ = watching.withLock { $0.remove(connection.id) }
    }

    /// Watching connections now.
    public var count: Int {
        watching.withLock { $0.count }
    }
}
