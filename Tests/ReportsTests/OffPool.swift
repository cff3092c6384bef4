import Foundation

/// Runs a fixture's blocking work (simulated runs take seconds of CPU) on a thread of its own and awaits it. Run on
/// the test process's concurrency pool — two threads on a 2-core machine, and every test that touches a lazily
/// computed fixture waiting in its initializer — it would stall the awaits of every other suite running meanwhile.
enum OffPool {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread { continuation.resume(with: Result { try body() }) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
