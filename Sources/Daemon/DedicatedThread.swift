import Foundation

/// Runs blocking work (bus transfers, waits on the rig clock, fsync) on a thread of its own and awaits it,
/// so that the Swift concurrency pool never blocks (DESIGN.md §3). The awaiting task owns the thread's
/// result; nothing is left running unowned.
enum DedicatedThread {
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: body())
            }
            thread.name = name
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
