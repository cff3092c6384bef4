import Foundation
import SensorIO

/// Runs blocking work (bus transfers, waits on the rig clock, fsync) on a thread of its own and awaits it,
/// so that the Swift concurrency pool never blocks (DESIGN.md §3). The awaiting task owns the thread's
/// result; nothing is left running unowned.
enum DedicatedThread {
    /// The niceness of a `batch` thread, the lowest: the control socket's and the watchdog's threads (niceness 0) get
    /// about seventy times its share of a busy CPU (scheduler weights 1024 and 15). With 10 the `runs.status` p99 under
    /// an unpaced run read 4.7–5.3 ms, with 19 4.2–4.7 ms (make bench).
    static let batchNiceness: Int32 = 19

    /// - Parameter batch: work with no deadline of its own, which yields the CPU to everything else in the daemon: a
    ///   run on a virtual clock computes as fast as it can, and a client's request must not wait behind it.
    static func run<T: Sendable>(name: String, batch: Bool = false, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                ThreadSyscalls.nameCurrentThread(name)
                if batch { ThreadSyscalls.setCurrentThreadNiceness(batchNiceness) }
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
