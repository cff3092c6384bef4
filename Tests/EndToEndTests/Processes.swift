import ControlProtocol
import Foundation

/// The built executables, found beside the test bundle (`.build/<triple>/debug`).
enum Products {
    static func path(_ name: String) -> String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ]
        for directory in candidates where FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path) {
            return directory.appendingPathComponent(name).path
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/" + name).path
    }
}

extension Products {
    /// The source checkout, for its plans and specs.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// A finished command: its exit status and what it printed.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A fresh folder for one test, removed by `remove()`.
struct TemporaryFolder {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sq-e2e-" + UUID().uuidString.prefix(8)).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Runs a product to completion without blocking a concurrency-pool thread: output goes to files (a full
/// pipe could stall the child), and the termination handler resumes the test.
func runCommand(_ product: String, _ arguments: [String], in folder: TemporaryFolder,
                environment: [String: String] = [:]) async throws -> CommandResult {
    try await runProgram(Products.path(product), arguments, in: folder, environment: environment)
}

/// `runCommand` for any program, by its path (a system tool: useradd, setpriv, sqlite3).
func runProgram(_ path: String, _ arguments: [String], in folder: TemporaryFolder,
                environment: [String: String] = [:]) async throws -> CommandResult {
    let id = UUID().uuidString.prefix(8)
    let name = (path as NSString).lastPathComponent
    let out = folder.path + "/\(name)-\(id).out", err = folder.path + "/\(name)-\(id).err"
    _ = FileManager.default.createFile(atPath: out, contents: nil)
    _ = FileManager.default.createFile(atPath: err, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
    process.standardInput = FileHandle.nullDevice
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    return CommandResult(status: status, stdout: try String(contentsOfFile: out, encoding: .utf8),
                         stderr: try String(contentsOfFile: err, encoding: .utf8))
}

/// A `sensorquald` for one test (`--simulate` unless told otherwise). `start` returns once the daemon's log says
/// it listens; the log is read as it is written, so the test waits on the event, not on a timer.
final class DaemonUnderTest {
    let process = Process()
    let folder: TemporaryFolder
    let socket: String
    private let stderr = Pipe()

    init(folder: TemporaryFolder, arguments: [String] = ["--simulate", "--seed", "1"]) {
        self.folder = folder
        socket = folder.path + "/sensorqual.sock"
        process.executableURL = URL(fileURLWithPath: Products.path("sensorquald"))
        process.arguments = arguments + ["--state-dir", folder.path + "/state", "--socket", socket]
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
    }

    /// Starts the daemon, runs `body`, and stops the daemon whether `body` returned or threw, so a failing
    /// test leaves no daemon behind. Returns the daemon's exit status after SIGTERM.
    static func with(folder: TemporaryFolder, arguments: [String] = ["--simulate", "--seed", "1"],
                     _ body: (DaemonUnderTest) async throws -> Void) async throws -> Int32 {
        let daemon = DaemonUnderTest(folder: folder, arguments: arguments)
        try await daemon.start()
        do {
            try await body(daemon)
        } catch {
            _ = await daemon.stop()
            throw error
        }
        return await daemon.stop()
    }

    struct DaemonDidNotStart: Error, CustomStringConvertible { var description: String }

    func start() async throws {
        let handle = stderr.fileHandleForReading
        let listening: Bool = try await withCheckedThrowingContinuation { continuation in
            let log = LogWatch(continuation: continuation)
            handle.readabilityHandler = { handle in log.take(handle.availableData) }
            do { try process.run() } catch {
                handle.readabilityHandler = nil
                log.fail(error)
            }
        }
        if !listening { throw DaemonDidNotStart(description: "sensorquald exited before it listened") }
    }

    /// SIGTERM, then await the exit; returns the exit status.
    func stop() async -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        let handle = stderr.fileHandleForReading
        return await withCheckedContinuation { continuation in
            process.terminationHandler = { process in
                continuation.resume(returning: process.terminationStatus)
            }
            process.terminate()
            // Keep the pipe drained so a daemon logging at exit never blocks on a full pipe.
            handle.readabilityHandler = { $0.availableData.isEmpty ? ($0.readabilityHandler = nil) : () }
        }
    }

    func client() async throws -> ControlClient { try await ControlClient.connect(path: socket) }

    /// SIGKILL, as a crash or the OOM killer would end it: no handler runs, nothing is flushed. Awaits the exit.
    func kill() async throws {
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        let handle = stderr.fileHandleForReading
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            process.terminationHandler = { _ in continuation.resume() }
            handle.readabilityHandler = { $0.availableData.isEmpty ? ($0.readabilityHandler = nil) : () }
            let killer = Process()
            killer.executableURL = URL(fileURLWithPath: "/bin/kill")
            killer.arguments = ["-KILL", String(pid)]
            try? killer.run()
        }
    }
}

/// Watches a daemon's log for the line that says it listens; resumes once, at that line or at end of file.
private final class LogWatch: @unchecked Sendable {
    // Called only from the pipe's serial readability handler, and `fail` before that handler can run.
    private var continuation: CheckedContinuation<Bool, any Error>?
    private var text = ""

    init(continuation: CheckedContinuation<Bool, any Error>) { self.continuation = continuation }

    func take(_ data: Data) {
        guard let continuation else { return }
        if data.isEmpty {
            self.continuation = nil
            continuation.resume(returning: false)
            return
        }
        text += String(decoding: data, as: UTF8.self)
        if text.contains("listening on") {
            self.continuation = nil
            continuation.resume(returning: true)
        }
    }

    func fail(_ error: any Error) {
        continuation?.resume(throwing: error)
        continuation = nil
    }
}
