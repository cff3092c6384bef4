import SensorIO
import Synchronization

/// Simulated time for the simulated rig.
///
/// Virtual (the default): `sleep(until:)` jumps the clock forward at once, so a plan keeps its real
/// durations (the report states them) while a 30-minute qualification computes in seconds. Time only moves
/// when the rig's acquisition thread waits, which makes every run reproducible.
///
/// Paced: the clock follows CLOCK_MONOTONIC from its creation and sleeps really sleep, so the simulated
/// chips run in real time behind threads of their own, as a real rig's do (tests of the per-bus threads).
public final class SimulatedClock: RigClock {
    private let nanoseconds: Atomic<Int64>
    /// The monotonic time of simulated zero, when paced.
    private let origin: Int64?

    public init(start: Int64 = 0) {
        nanoseconds = Atomic(start)
        origin = nil
    }

    /// A paced clock: simulated time is real time since now.
    public init(pacedFrom now: MonotonicClock) {
        nanoseconds = Atomic(0)
        origin = now.now()
    }

    public var isVirtual: Bool { origin == nil }

    public func now() -> Int64 {
        guard let origin else { return nanoseconds.load(ordering: .acquiring) }
        return MonotonicClock().now() - origin
    }

    public func sleep(until deadline: Int64) {
        guard let origin else {
            _ = nanoseconds.max(deadline, ordering: .acquiringAndReleasing)
            return
        }
        MonotonicClock().sleep(until: deadline + origin)
    }

    /// Moves the clock forward by `seconds`: a jump when virtual; when paced, real time passes by itself and
    /// a bus transfer's duration is already in it, so nothing is done.
    public func advance(by seconds: Double) {
        guard origin == nil else { return }
        sleep(until: now() + Int64(seconds * 1e9))
    }
}
