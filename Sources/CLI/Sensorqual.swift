import ArgumentParser
import ControlProtocol
import Foundation

/// `sensorqual`: the technician's client of `sensorquald`.
@main
struct Sensorqual: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sensorqual",
        abstract: "Start, watch and report MEMS sensor qualification runs on a SensorQual rig.",
        discussion: """
            Talks to sensorquald over its Unix socket (default /run/sensorqual.sock; --socket or \
            SENSORQUAL_SOCKET override). Exit status: 0 pass, 1 fail (or not proven to pass), 2 error.
            """,
        version: "0.1.0",
        subcommands: [Status.self, Devices.self, Scan.self, Read.self, Dump.self, Run.self, Watch.self, Cancel.self, Runs.self, Dut.self, Yield.self, Report.self, Reference.self, Analyze.self, Check.self, Decode.self, Demo.self])

    /// Maps every error to exit status 2 (argument-parser's default for usage errors is 64), keeping
    /// `--help` and `--version` at 0 and a command's own ExitCode as it is.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                exit(withError: error)
            }
            let message = (error as? RPCError).map { "sensorquald refused: \($0.message) (\($0.code.rawValue))" }
                ?? fullMessage(for: error)
            FileHandle.standardError.write(Data(("sensorqual: " + message + "\n").utf8))
            Foundation.exit(ExitStatus.error.rawValue)
        }
    }
}

/// Exit statuses of every command (DESIGN.md §4).
enum ExitStatus: Int32 {
    case pass = 0
    case fail = 1
    case error = 2

    var code: ExitCode { ExitCode(rawValue) }
}

/// Options every command that talks to the daemon shares.
struct ClientOptions: ParsableArguments {
    @Option(help: "The daemon's control socket (default: $SENSORQUAL_SOCKET, else /run/sensorqual.sock).")
    var socket: String?

    @Flag(help: "Print JSON for scripts instead of tables.")
    var json = false

    var socketPath: String {
        socket ?? ProcessInfo.processInfo.environment["SENSORQUAL_SOCKET"] ?? "/run/sensorqual.sock"
    }

    func connect() async throws -> ControlClient {
        try await ControlClient.connect(path: socketPath, timeout: .seconds(5))
    }
}
