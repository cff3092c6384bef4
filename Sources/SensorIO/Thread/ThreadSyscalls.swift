// The calls that describe the calling thread to the kernel (STYLE §2.2): its name and its scheduling niceness.
import Glibc

/// The calling thread as the kernel sees it: its name and its niceness.
public enum ThreadSyscalls {
    /// The most bytes of a name the kernel keeps (TASK_COMM_LEN, 16, less the terminating NUL).
    public static let nameLimit = 15

    /// Names the calling thread for the kernel: `/proc/PID/task/TID/comm`, `top -H`, `ps -L`, `perf`. Foundation's
    /// `Thread.name` does not reach it on Linux, so without this every thread keeps the name of the one that made it
    /// (a run thread showed as the concurrency pool's "…root.default-qos"). The name is written to
    /// /proc/thread-self/comm (pthread_setname_np is not in the Glibc module), cut to `nameLimit` bytes at a character
    /// boundary. A failure leaves the thread as it was: a name is for people looking at the process.
    public static func nameCurrentThread(_ name: String) {
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = kernelName(name)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// `name` as the kernel keeps it: its first characters that fit in `nameLimit` bytes of UTF-8.
    public static func kernelName(_ name: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for character in name {
            let encoded = Array(character.utf8)
            guard bytes.count + encoded.count <= nameLimit else { break }
            bytes += encoded
        }
        return bytes
    }

    /// `setpriority(PRIO_PROCESS, 0, niceness)`: on Linux the nice value is per thread and `who = 0` is the calling
    /// thread (setpriority(2), NOTES), so this changes only the caller. Lowering the priority needs no privilege; a
    /// failure leaves the thread as it was, which is only slower to yield.
    public static func setCurrentThreadNiceness(_ niceness: Int32) {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
    }
}
