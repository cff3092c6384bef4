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
/// pipe could stall the child).
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
    let child = try ChildProcess(path, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                 output: .file(out), error: .file(err))
    let status = await child.exitStatus()
    return CommandResult(status: status, stdout: try String(contentsOfFile: out, encoding: .utf8),
                         stderr: try String(contentsOfFile: err, encoding: .utf8))
}

/// A `sensorquald` for one test (`--simulate` unless told otherwise). `start` returns once the daemon's log says
/// it listens; the log is read as it is written, so the test waits on the event, not on a timer.
final class DaemonUnderTest {
    let folder: TemporaryFolder
    let socket: String
    private let arguments: [String]
    private var child: ChildProcess?
    private let log = PipeLog()

    init(folder: TemporaryFolder, arguments: [String] = ["--simulate", "--seed", "1"]) {
        self.folder = folder
        socket = folder.path + "/sensorqual.sock"
        self.arguments = arguments + ["--state-dir", folder.path + "/state", "--socket", socket]
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

    /// The daemon's process id, once started.
    var pid: pid_t { child?.pid ?? 0 }

    func start() async throws {
        // Read to its end on a thread of its own, so a daemon logging at exit never blocks on a full pipe.
        child = try ChildProcess.start(Products.path("sensorquald"), arguments, errorInto: log, named: "daemon log")
        guard await log.wait(for: "listening on") else {
            throw DaemonDidNotStart(description: "sensorquald exited before it listened:\n\(log.text)")
        }
    }

    /// SIGTERM, then await the exit; returns the exit status.
    func stop() async -> Int32 {
        guard let child else { return -1 }
        child.signal(SIGTERM)
        return await child.exitStatus()
    }

    func client() async throws -> ControlClient { try await ControlClient.connect(path: socket) }

    /// SIGKILL, as a crash or the OOM killer would end it: no handler runs, nothing is flushed. Awaits the exit.
    func kill() async throws {
        guard let child else { return }
        child.signal(SIGKILL)
        _ = await child.exitStatus()
    }
}
