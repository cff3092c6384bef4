import Foundation
import Testing

@testable import SensorIO

@Suite struct ThreadSyscallsTests {
    /// The kernel's name of the calling thread.
    static func kernelName() -> String? {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines)
    }

    @Test("a name is cut to the kernel's 15 bytes, never inside a character")
    func kernelNames() {
        #expect(ThreadSyscalls.kernelName("sq-bus-1") == Array("sq-bus-1".utf8))
        #expect(ThreadSyscalls.kernelName("run 20261129-034512") == Array("run 20261129-03".utf8))
        // "µ" is two bytes: at bytes 14–15 it would not fit whole, so it is left out.
        #expect(ThreadSyscalls.kernelName("read S1 field µT") == Array("read S1 field ".utf8))
        #expect(ThreadSyscalls.kernelName("") == [])
    }

    @Test("a thread named from inside is seen by that name in /proc, and its niceness only changes its own")
    func namesAndNicenessReachTheKernel() async {
        let parentName = Self.kernelName()
        let parentNiceness = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let seen: (name: String?, niceness: Int32) = await withCheckedContinuation { continuation in
            let thread = Thread {
                ThreadSyscalls.nameCurrentThread("sq-test-thread-name")
                ThreadSyscalls.setCurrentThreadNiceness(19)
                let niceness = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
                continuation.resume(returning: (Self.kernelName(), niceness))
            }
            thread.name = "unused by the kernel"
            thread.start()
        }
        #expect(seen.name == "sq-test-thread-")
        #expect(seen.niceness == 19)
        // The awaiting task may resume on another pool thread, which was named and prioritized as this one was.
        #expect(Self.kernelName() == parentName, "the caller's own name is untouched")
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == parentNiceness, "and so is its niceness")
    }
}
