import ControlProtocol
import Foundation
import Synchronization

/// A `sensorquald` whose log the test can read and wait on: `--simulate` in a temporary folder, like
/// ``DaemonUnderTest``, with every stderr line kept. Waits are on log lines, never on timers.
final class LoggedDaemon: Sendable {
    let socket: String
    private let child: ChildProcess
    private let log = PipeLog()

    struct DidNotStart: Error, CustomStringConvertible { var description: String }

    /// Starts the daemon with `arguments` plus `--state-dir` and `--socket` in `folder`; returns once it listens.
    static func start(folder: TemporaryFolder, arguments: [String]) async throws -> LoggedDaemon {
        let daemon = try LoggedDaemon(folder: folder, arguments: arguments)
        guard await daemon.waitForLog(containing: "listening on") else {
            throw DidNotStart(description: "sensorquald exited before it listened:\n\(daemon.logText)")
        }
        return daemon
    }

    private init(folder: TemporaryFolder, arguments: [String]) throws {
        socket = folder.path + "/sensorqual.sock"
        // Read with blocking reads on a thread of its own (PipeLog): tearing down a `readabilityHandler` on a child's
        // pipe crashed libdispatch here now and then (swift-corelibs-foundation issue 3276).
        child = try ChildProcess.start(Products.path("sensorquald"),
                                       arguments + ["--state-dir", folder.path + "/state", "--socket", socket],
                                       errorInto: log, named: "daemon log")
    }

    /// Everything logged so far.
    var logText: String { log.text }

    /// Waits until the log contains `text`; `false` if the daemon ended first.
    func waitForLog(containing text: String) async -> Bool { await log.wait(for: text) }

    /// SIGTERM, then the exit status once the daemon has exited and its log has ended (all of it is in `logText`).
    func stop() async -> Int32 {
        child.signal(SIGTERM)
        let status = await child.exitStatus()
        _ = await waitForLog(containing: "\u{0}never\u{0}")
        return status
    }
}
