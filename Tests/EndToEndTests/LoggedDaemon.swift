import ControlProtocol
import Foundation
import Synchronization

/// A `sensorquald` whose log the test can read and wait on: `--simulate` in a temporary folder, like
/// ``DaemonUnderTest``, with every stderr line kept. Waits are on log lines, never on timers.
final class LoggedDaemon: Sendable {
    let socket: String
    private let process: Process
    private let log = PipeLog()

    struct DidNotStart: Error, CustomStringConvertible { var description: String }

    /// Starts the daemon with `arguments` plus `--state-dir` and `--socket` in `folder`; returns once it listens.
    static func start(folder: TemporaryFolder, arguments: [String]) async throws -> LoggedDaemon {
        let daemon = LoggedDaemon(folder: folder, arguments: arguments)
        try daemon.process.run()
        // Read with blocking reads on a thread of its own (PipeLog): tearing down a `readabilityHandler` on a child's
        // pipe crashed libdispatch here now and then (swift-corelibs-foundation issue 3276).
        daemon.log.start(reading: daemon.logPipe.fileHandleForReading, name: "daemon log")
        guard await daemon.waitForLog(containing: "listening on") else {
            throw DidNotStart(description: "sensorquald exited before it listened:\n\(daemon.logText)")
        }
        return daemon
    }

    private let logPipe = Pipe()

    private init(folder: TemporaryFolder, arguments: [String]) {
        socket = folder.path + "/sensorqual.sock"
        process = Process()
        process.executableURL = URL(fileURLWithPath: Products.path("sensorquald"))
        process.arguments = arguments + ["--state-dir", folder.path + "/state", "--socket", socket]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = logPipe
    }

    /// Everything logged so far.
    var logText: String { log.text }

    /// Waits until the log contains `text`; `false` if the daemon ended first.
    func waitForLog(containing text: String) async -> Bool { await log.wait(for: text) }

    /// SIGTERM and await the exit (the log's end); returns the exit status.
    func stop() async -> Int32 {
        if process.isRunning { process.terminate() }
        _ = await waitForLog(containing: "\u{0}never\u{0}")
        // The log has ended: the process has exited or is about to; wait on a thread of its own all the same.
        let process = process
        return await onThread("daemon exit") {
            process.waitUntilExit()
            return process.terminationStatus
        }
    }
}
