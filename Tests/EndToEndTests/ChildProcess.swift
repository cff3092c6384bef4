import Foundation
import Synchronization

/// A program the tests start (a daemon, the CLI, a system tool) and await, by `posix_spawn` and `waitpid` of its own
/// rather than Foundation's `Process`.
///
/// On Linux, `Process.run()` learns of a child's exit from the end of a socket pair whose other end only the child
/// holds, and gives it to the child by closing every other descriptor it sees open *before* the spawn. Descriptors
/// that another thread opens in between (a second `Process`'s socket pair, a `Pipe`, neither close-on-exec) are
/// inherited. A daemon of one test then holds another test's exit socket or log pipe, and that test never sees its
/// own daemon end: CI once found a daemon unreaped beside two tests that waited past their time limits. Here the
/// child keeps its three standard descriptors and nothing else (`posix_spawn_file_actions_addclosefrom_np`), the
/// pipes the tests make are close-on-exec, and the exit is `waitpid` on a thread of its own: nothing another test
/// opens can delay it.
final class ChildProcess: Sendable {
    /// Where one of the child's standard streams goes.
    enum Stream {
        /// /dev/null.
        case null
        /// A file, created or truncated.
        case file(String)
        /// A descriptor of the test's (a pipe's end), given to the child and closed here once it is spawned.
        case handOver(Int32)
    }

    struct SpawnFailure: Error, CustomStringConvertible { var description: String }

    let pid: pid_t
    private struct Exit {
        var status: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }
    private final class Box: Sendable { let exit = Mutex(Exit()) }
    private let box = Box()

    /// Starts `path` with `arguments`, in its own process group as `Process` does (a signal to the tests' group does
    /// not reach it), the working directory `directory` or the tests'.
    init(_ path: String, _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
         directory: String? = nil, input: Stream = .null, output: Stream = .null, error: Stream = .null) throws {
        // The descriptors handed over and those opened here are closed here, whether the spawn succeeds or not.
        var opened = [input, output, error].compactMap { stream -> Int32? in
            if case .handOver(let descriptor) = stream { descriptor } else { nil }
        }
        defer { for descriptor in Set(opened) { close(descriptor) } }
        func descriptor(_ stream: Stream, writing: Bool) throws -> Int32 {
            let descriptor: Int32
            switch stream {
            case .null: descriptor = open("/dev/null", (writing ? O_WRONLY : O_RDONLY) | O_CLOEXEC)
            case .file(let path): descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            case .handOver(let given): return given
            }
            guard descriptor >= 0 else { throw SpawnFailure(description: "\(stream): \(String(cString: strerror(errno)))") }
            opened.append(descriptor)
            return descriptor
        }
        let streams = [try descriptor(input, writing: false), try descriptor(output, writing: true),
                       try descriptor(error, writing: true)]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, source) in streams.enumerated() { posix_spawn_file_actions_adddup2(&actions, source, Int32(target)) }
        guard GNU.addCloseFrom(&actions, 3) == 0 else { throw SpawnFailure(description: "posix_spawn_file_actions_addclosefrom_np failed") }
        if let directory, GNU.addChdir(&actions, directory) != 0 {
            throw SpawnFailure(description: "posix_spawn_file_actions_addchdir_np \(directory) failed")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The spawning thread may be one of the pool's or the test library's, which block most signals; a child
        // inherits that mask, and a blocked SIGTERM never ends it. It starts as systemd starts a service: nothing
        // blocked, every signal's default action.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0)=\($1)") } + [nil]
        defer { for string in argv + envp { free(string) } }
        var spawned = pid_t()
        let failed = posix_spawn(&spawned, path, &actions, &attributes, argv, envp)
        guard failed == 0 else { throw SpawnFailure(description: "\(path): \(String(cString: strerror(failed)))") }
        let pid = spawned
        self.pid = pid

        let box = box
        let thread = Thread {
            var status: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(pid, &status, 0) } while reaped == -1 && errno == EINTR
            // As `Process.terminationStatus`: the exit code, or the signal that ended it (WIFEXITED, WEXITSTATUS and
            // WTERMSIG are macros Swift does not import). -1 if the child could not be waited for.
            let code = reaped != pid ? -1 : status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
            let waiters = box.exit.withLock { exit in
                exit.status = code
                defer { exit.waiters = [] }
                return exit.waiters
            }
            for waiter in waiters { waiter.resume(returning: code) }
        }
        thread.name = "reap \(pid)"
        thread.stackSize = 256 << 10
        thread.start()
    }

    /// A pipe whose two ends are close-on-exec, so that no child started meanwhile inherits one; hand the child its
    /// end with `.handOver`.
    static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard GNU.pipe2(&ends, O_CLOEXEC) == 0 else { throw SpawnFailure(description: "pipe2: \(String(cString: strerror(errno)))") }
        return (ends[0], ends[1])
    }

    /// Sends `signal` unless the child has been reaped (its pid could be another process's by then).
    func signal(_ signal: Int32) {
        box.exit.withLock { exit in
            if exit.status == nil { _ = kill(pid, signal) }
        }
    }

    /// The exit code, or the signal that ended the child, once it has exited.
    func exitStatus() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status: Int32? = box.exit.withLock { exit in
                if exit.status == nil { exit.waiters.append(continuation) }
                return exit.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }
}

/// glibc's GNU extensions that the Glibc module does not declare (it is not built with _GNU_SOURCE): found by name in
/// the C library the tests already link, as a C caller's linker would find them. All three are in glibc since 2.34
/// (bookworm has 2.36).
private enum GNU {
    typealias FileActions = UnsafeMutablePointer<posix_spawn_file_actions_t>
    /// `posix_spawn_file_actions_addclosefrom_np(actions, from)`: the child closes every descriptor from `from` up.
    nonisolated(unsafe) static let addCloseFrom = symbol("posix_spawn_file_actions_addclosefrom_np",
                                                         as: (@convention(c) (FileActions?, Int32) -> Int32).self)
    /// `posix_spawn_file_actions_addchdir_np(actions, path)`: the child's working directory.
    nonisolated(unsafe) static let addChdir = symbol("posix_spawn_file_actions_addchdir_np",
                                                     as: (@convention(c) (FileActions?, UnsafePointer<CChar>?) -> Int32).self)
    /// `pipe2(ends, flags)`: a pipe whose ends get `flags` (O_CLOEXEC) as they are made, not by a later fcntl.
    nonisolated(unsafe) static let pipe2 = symbol("pipe2", as: (@convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32).self)

    private static func symbol<Function>(_ name: String, as type: Function.Type) -> Function {
        guard let address = dlsym(nil, name) else { fatalError("glibc has no \(name) (it needs glibc 2.34 or later)") }
        return unsafeBitCast(address, to: type)
    }
}
