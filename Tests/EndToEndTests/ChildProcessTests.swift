import Foundation
import Testing

/// The tests' own spawn (`ChildProcess`): a child keeps its three standard descriptors and nothing the test process
/// had open, and its exit is reported as `Process` reported it.
@Suite struct ChildProcessTests {
    @Test func aChildInheritsOnlyItsStandardDescriptors() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // A pipe that is not close-on-exec, as Foundation's `Pipe` makes them: `Process` would hand it to a child
        // spawned while it is open.
        let leaky = Pipe()
        defer { try? leaky.fileHandleForReading.close(); try? leaky.fileHandleForWriting.close() }
        #expect(fcntl(leaky.fileHandleForWriting.fileDescriptor, F_GETFD) & FD_CLOEXEC == 0)
        let output = folder.path + "/fds"
        let child = try ChildProcess("/bin/sh", ["-c", "ls /proc/$$/fd"], output: .file(output))
        #expect(await child.exitStatus() == 0)
        #expect(try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n") == ["0", "1", "2"])
    }

    @Test func theExitStatusIsTheCodeOrTheSignal() async throws {
        #expect(await (try ChildProcess("/bin/sh", ["-c", "exit 3"])).exitStatus() == 3)
        let pipe = try ChildProcess.pipe()
        defer { close(pipe.write) }
        // `read` waits on the pipe, which stays open here, until the signal ends it.
        let waiting = try ChildProcess("/bin/sh", ["-c", "read line"], input: .handOver(pipe.read))
        waiting.signal(SIGTERM)
        #expect(await waiting.exitStatus() == SIGTERM)
        waiting.signal(SIGKILL)   // after the exit: nothing is sent to a pid that may be another process's
    }
}
