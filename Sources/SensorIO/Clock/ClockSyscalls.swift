#if canImport(Glibc)
import Glibc
#endif

/// The only file in SensorIO/Clock that calls libc: clock_gettime and clock_nanosleep on CLOCK_MONOTONIC.
enum ClockSyscalls {
    static func monotonicNanoseconds() -> Int64 {
        var ts = timespec()
        // clock_gettime(CLOCK_MONOTONIC) cannot fail with a valid clock id and pointer.
        _ = clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func coarseMonotonicNanoseconds() -> Int64 {
        var ts = timespec()
        _ = clock_gettime(CLOCK_MONOTONIC_COARSE, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Absolute sleep, so an interrupted sleep resumes to the same deadline (EINTR is returned, not set in errno).
    static func sleepUntilMonotonic(nanoseconds deadline: Int64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}
