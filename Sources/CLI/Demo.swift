import ArgumentParser
import ControlProtocol
import Foundation

extension Sensorqual {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a full qualification on the built-in simulated rig and print the verdicts.",
            discussion: """
                Starts sensorquald --simulate in a new temporary folder and runs the rig plan rig-full on it: every \
                slot of the rig in one run. pressure-full (noise, noise at every oversampling mode, accuracy sweep up \
                and down) on the eight pressure DUTs (four BMP390s, a BMP581, a DPS310, an LPS22HH and an MS5611: a \
                deliberate lot that shows every verdict) against the simulated controller over SCPI; mag-full (noise \
                density, RMS noise in 0.1–10 Hz against the 1 pT resolution target, Allan deviation, ±20/±40 µT coil \
                steps for scale factor, offset and orthogonality) on an RM3100, an MMC5983MA, a LIS3MDL, a BMM150 and \
                a fluxgate on an ADS122C04, the coil driven by a simulated current source over SCPI; gas-steps (CO2 \
                accuracy, t63/t90, repeatability) on an SCD41 and gas-lod (ethanol LOD) on an SGP41 and an ENS160, the \
                gas delivered by simulated mass-flow controllers over their ASCII protocol — these share the I2C bus \
                and run one after the other — while mic-full (sensitivity, THD, A-weighted noise and SNR, THD vs SPL \
                and the overload point) runs beside them on the four microphones, captured through ALSA from the \
                simulated acoustic chamber. Prints the verdict table and the report's paths (report.json and the \
                printable report.html), then stops the daemon. The reports, raw captures and the run archive stay in \
                the folder. Exit status 0 when the qualification completed and its report was written, whatever the \
                DUT verdicts; 2 otherwise.
                """)

        @Flag(help: "Print one JSON object, {\"runs\": [the status of each run, in order]}, instead of progress and tables.")
        var json = false

        @Option(help: "Seed of the simulated rig.")
        var seed: UInt64 = 1

        @Option(help: "Folder for the demo's state (default: a new folder under the temporary directory).")
        var stateDir: String?

        func run() async throws {
            let folder = try stateDir ?? Self.temporaryFolder()
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let socket = folder + "/sensorqual.sock"
            let log = folder + "/sensorquald.log"
            let daemon = try DaemonProcess.launch(arguments: ["--simulate", "--seed", String(seed), "--state-dir", folder,
                                                              "--socket", socket], log: log)
            defer { daemon.stop() }
            if !json { Terminal.write("sensorquald --simulate started in \(folder) (log: \(log))\n") }
            let connection = try await daemon.connect(socket: socket, log: log)
            // Serials as a technician would type them from the parts' labels; the SCD41 and SGP41 read their own.
            var serials: [String: String] = [:]
            for (prefix, label, count) in [("S", "SIM", 8), ("M", "SIM-MIC", 4), ("B", "SIM-MAG", 5)] {
                for index in 1...count { serials["\(prefix)\(index)"] = String(format: "%@-%04d", label, index) }
            }
            serials["G3"] = "SIM-GAS-0003"
            let runs = [RunStartParams(plan: "rig-full", lot: "DEMO-LOT-1", serials: serials, operator: "demo")]
            var statuses: [RunStatus] = []
            for params in runs {
                let status = try await Run.start(params, on: connection, json: json, detach: false, printsResult: !json)
                statuses.append(status)
                if !json, let path = status.reportPath {
                    let html = (path as NSString).deletingLastPathComponent + "/report.html"
                    Terminal.write("printable report with plots: \(html)\nopen it any time with: sensorqual report --file \(path)\n\n")
                }
            }
            await connection.close()
            if json { Terminal.write(JSONValue.object(["runs": try JSONValue(encoding: statuses)]).description + "\n") }
            guard statuses.allSatisfy({ $0.state == "done" && $0.reportPath != nil }) else { throw ExitStatus.error.code }
        }

        static func temporaryFolder() throws -> String {
            let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
            let path = base + "/sensorqual-demo-" + UUID().uuidString.prefix(8).lowercased()
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }
    }
}

/// A `sensorquald` started by the CLI (for `demo`): found beside the `sensorqual` executable or on PATH,
/// its stderr kept in a log file, stopped with SIGTERM and awaited.
final class DaemonProcess {
    let process: Process

    private init(process: Process) { self.process = process }

    static func launch(arguments: [String], log: String) throws -> DaemonProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable())
        process.arguments = arguments
        guard FileManager.default.createFile(atPath: log, contents: nil) else {
            throw ValidationError("cannot create the daemon's log \(log)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        return DaemonProcess(process: process)
    }

    static func executable() throws -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("sensorquald").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = String(directory) + "/sensorquald"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ValidationError("sensorquald not found beside sensorqual or on PATH")
    }

    /// Connects once the daemon listens; fails at once if the daemon exited, after 30 s if it never listens.
    func connect(socket: String, log: String) async throws -> ControlClient {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if !process.isRunning {
                let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                throw ValidationError("sensorquald exited with status \(process.terminationStatus):\n\(text)")
            }
            if FileManager.default.fileExists(atPath: socket),
               let client = try? await ControlClient.connect(path: socket, timeout: .seconds(2)) {
                return client
            }
            guard ContinuousClock.now < deadline else { throw ValidationError("sensorquald did not listen on \(socket) within 30 s; see \(log)") }
            // Polling the socket file: the daemon is another process, there is no event to await.
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
