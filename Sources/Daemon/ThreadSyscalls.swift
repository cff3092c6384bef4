// The C calls that set a thread's scheduling niceness (STYLE §2.2).
import Glibc

enum ThreadSyscalls {
    /// `setpriority(PRIO_PROCESS, 0, niceness)`: on Linux the nice value is per thread and `who = 0` is the calling
    /// thread (setpriority(2), NOTES), so this lowers only the caller. Lowering needs no privilege; a failure leaves the
    /// thread as it was, which is only slower to yield.
    static func setCurrentThreadNiceness(_ niceness: Int32) {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
    }
}
