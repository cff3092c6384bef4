import ControlProtocol
import Foundation
import Synchronization

/// A `sensorquald` whose log the test can read and wait on: `--simulate` in a temporary folder, like
/// ``DaemonUnderTest``, with every stderr line kept. Waits are on log lines, never on timers.
final class LoggedDaemon: Sendable {
    let socket: String
    private let process: Process
    private let log = LogBook()

    /// The log so far and who waits on it; a class, so the pipe's handler and the test share one.
    private final class LogBook: Sendable {
        let state = Mutex(LogState())
        func withLock<T>(_ body: (inout LogState) -> T) -> T { state.withLock { body(&$0) } }
    }

    private struct LogState {
        var text = ""
        var ended = false
        var waiters: [(String, CheckedContinuation<Bool, Never>)] = []
    }

    struct DidNotStart: Error, CustomStringConvertible { var description: String }

    /// Starts the daemon with `arguments` plus `--state-dir` and `--socket` in `folder`; returns once it listens.
    static func start(folder: TemporaryFolder, arguments: [String]) async throws -> LoggedDaemon {
        let daemon = LoggedDaemon(folder: folder, arguments: arguments)
        try daemon.process.run()
        daemon.startReadingLog()
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

    /// Reads the log with blocking reads on a thread of its own until the daemon closes it. Not a
    /// `readabilityHandler`: tearing one down on a child's pipe crashes libdispatch now and then on Linux
    /// (swift-corelibs-foundation issue 3276; it happened here).
    private func startReadingLog() {
        let handle = logPipe.fileHandleForReading
        let log = log
        let reader = Thread {
            while true {
                let data = handle.availableData
                var ready: [(CheckedContinuation<Bool, Never>, Bool)] = []
                log.withLock { state in
                    if data.isEmpty {
                        state.ended = true
                    } else {
                        state.text += String(decoding: data, as: UTF8.self)
                    }
                    state.waiters.removeAll { text, continuation in
                        if state.text.contains(text) { ready.append((continuation, true)); return true }
                        if state.ended { ready.append((continuation, false)); return true }
                        return false
                    }
                }
                for (continuation, found) in ready { continuation.resume(returning: found) }
                if data.isEmpty { return }
            }
        }
        reader.name = "daemon log"
        reader.stackSize = 512 << 10
        reader.start()
    }

    /// Everything logged so far.
    var logText: String { log.withLock { $0.text } }

    /// Waits until the log contains `text`; `false` if the daemon ended first.
    func waitForLog(containing text: String) async -> Bool {
        await withCheckedContinuation { continuation in
            let answer: Bool? = log.withLock { state in
                if state.text.contains(text) { return true }
                if state.ended { return false }
                state.waiters.append((text, continuation))
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }

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
