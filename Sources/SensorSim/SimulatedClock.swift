import SensorIO
import Synchronization

/// Simulated time for the simulated rig: `sleep(until:)` jumps the clock forward at once, so a plan keeps
/// its real durations (the report states them) while a 30-minute qualification computes in seconds.
/// Time only moves when the rig's acquisition thread waits, which makes every run reproducible.
public final class SimulatedClock: RigClock {
    private let nanoseconds: Atomic<Int64>

    public init(start: Int64 = 0) {
        nanoseconds = Atomic(start)
    }

    public var isVirtual: Bool { true }

    public func now() -> Int64 { nanoseconds.load(ordering: .acquiring) }

    public func sleep(until deadline: Int64) {
        _ = nanoseconds.max(deadline, ordering: .acquiringAndReleasing)
    }

    /// Moves the clock forward by `seconds` (tests).
    public func advance(by seconds: Double) {
        sleep(until: now() + Int64(seconds * 1e9))
    }
}
