import SensorIO
import Synchronization

/// Where a run's acquiring threads show that they move: each beats after every cycle it completes (a bus served, an
/// audio block read). The daemon feeds systemd's watchdog (`WATCHDOG=1`, reference/daemon.md §3.1) only while no
/// beating thread has fallen silent, so a transfer wedged in the kernel, or a thread stuck anywhere else, stops the
/// keep-alives and systemd restarts the daemon, rather than a timer that would keep pinging for a dead acquisition.
///
/// A thread beats only while it is expected to move: it begins before its loop and ends after it. A run waiting for
/// the technician on a virtual clock acquires nothing and has no heartbeat then; on a real clock its bus threads go
/// on beating.
public final class AcquisitionProgress: Sendable {
    /// One acquiring thread's last sign of life.
    public final class Heartbeat: Sendable {
        /// What is acquiring, for the log: "bus i2c-1", "audio hw:1".
        public let name: String
        private let last: Atomic<Int64>

        init(name: String, now: Int64) {
            self.name = name
            last = Atomic(now)
        }

        /// Marks a completed cycle now, on the coarse clock (`MonotonicClock.coarseNow`): silence is judged in
        /// seconds, and a bus beats for every reading, where the precise clock cost 1 % of a run.
        public func beat() { last.store(MonotonicClock().coarseNow(), ordering: .relaxed) }

        var lastBeat: Int64 { last.load(ordering: .relaxed) }
    }

    /// A thread that has not beaten for longer than the limit.
    public struct Stall: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var silentSeconds: Double
        public var description: String { "\(name) silent for \(String(format: "%.1f", silentSeconds)) s" }
    }

    private let active = Mutex<[ObjectIdentifier: Heartbeat]>([:])

    public init() {}

    /// Registers an acquiring thread; it counts as having beaten now.
    public func begin(_ name: String) -> Heartbeat {
        let heartbeat = Heartbeat(name: name, now: MonotonicClock().now())
        active.withLock { $0[ObjectIdentifier(heartbeat)] = heartbeat }
        return heartbeat
    }

    /// The thread has left its loop: its silence no longer means anything.
    public func end(_ heartbeat: Heartbeat) {
        _ = active.withLock { $0.removeValue(forKey: ObjectIdentifier(heartbeat)) }
    }

    /// Runs `body` as an acquiring thread named `name`, which beats through the heartbeat it is given.
    public func acquiring<T>(_ name: String, _ body: (Heartbeat) throws -> T) rethrows -> T {
        let heartbeat = begin(name)
        defer { end(heartbeat) }
        return try body(heartbeat)
    }

    /// The threads silent for more than `limit` ns now, by name.
    public func stalls(limit: Int64) -> [Stall] { stalls(at: MonotonicClock().now(), limit: limit) }

    /// The threads silent for more than `limit` ns at monotonic time `now`, by name.
    public func stalls(at now: Int64, limit: Int64) -> [Stall] {
        active.withLock { active in
            active.values.compactMap { heartbeat in
                let silent = now - heartbeat.lastBeat
                return silent > limit ? Stall(name: heartbeat.name, silentSeconds: Double(silent) * 1e-9) : nil
            }
        }.sorted { $0.name < $1.name }
    }
}
