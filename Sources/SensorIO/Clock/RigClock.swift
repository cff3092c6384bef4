/// The time base of an acquisition: CLOCK_MONOTONIC on a real rig, simulated time on the simulated rig.
///
/// Sampling instants, dwells and settling are all expressed on this clock, so a plan keeps its real
/// durations on the simulated rig while the simulation runs as fast as it can compute.
public protocol RigClock: Sendable {
    /// Nanoseconds since an arbitrary origin, never decreasing.
    func now() -> Int64
    /// Blocks the calling thread until `deadline` (same scale as `now()`); returns at once if it has passed.
    /// Call it only from a thread the rig owns, never from the Swift concurrency pool.
    func sleep(until deadline: Int64)
    /// Whether time moves only when the rig waits on it (the simulated clock). The run engine then serves
    /// every bus from one thread, interleaved by deadline, so that a run is reproducible; a real clock
    /// moves on its own and each bus gets its own thread.
    var isVirtual: Bool { get }
}

extension RigClock {
    public var isVirtual: Bool { false }
}

extension RigClock {
    /// Seconds on this clock.
    public func seconds() -> Double { Double(now()) * 1e-9 }
}

/// The host's CLOCK_MONOTONIC, the clock that libgpiod edge timestamps use (reference/daemon.md §6.3).
public struct MonotonicClock: RigClock {
    public init() {}
    public func now() -> Int64 { ClockSyscalls.monotonicNanoseconds() }
    public func sleep(until deadline: Int64) { ClockSyscalls.sleepUntilMonotonic(nanoseconds: deadline) }

    /// CLOCK_MONOTONIC_COARSE: the same clock as `now()` to its last tick (a few ms behind), for the timing done
    /// once per reading (a capture buffer's age, a heartbeat), where it costs a load instead of a TSC read.
    public func coarseNow() -> Int64 { ClockSyscalls.coarseMonotonicNanoseconds() }
}
