import ArgumentParser
import Foundation
import Qualification

extension Sensorqual {
    /// `sensorqual check FILE…`: the daemon's own loading of rig, plan, spec and catalog files, offline, so a file
    /// is known to load (no typo, no unknown key, no bad cross-reference) before it is installed or a run started.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check rig, plan, spec and catalog files offline, without a daemon.",
            discussion: """
                Each FILE's kind comes from its top-level key: rig: (a rig file, checked against the device \
                catalog), plan: (a plan), profile: (a spec profile) or chip: (one device catalog file). Prints \
                'FILE: ok (what it holds)' or 'FILE:LINE: reason' per file. The catalog is --devices-dir, else \
                the daemon's: $SENSORQUAL_DATA_DIR/devices, /usr/share/sensorqual/devices, or the source \
                checkout's Devices/. Exit status 0 when every file is ok, 2 otherwise.
                """)

        @Argument(help: "The files to check.")
        var files: [String]

        @Option(help: "The device catalog rig files are checked against (default: the daemon's).")
        var devicesDir: String?

        @Flag(help: "Print a JSON array: [{file, ok, kind, line, reason, summary}].")
        var json = false

        func validate() throws {
            if files.isEmpty { throw ValidationError("name at least one file to check") }
        }

        func run() throws {
            let devices = devicesDir ?? DataDirectory.locate(executable: CommandLine.arguments[0])?.devices
            let checks = ConfigurationCheck.run(paths: files, devicesDirectory: devices)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                Terminal.write(String(decoding: try encoder.encode(checks.map(Entry.init)), as: UTF8.self) + "\n")
            } else {
                Terminal.write(checks.map { $0.text + "\n" }.joined())
            }
            guard checks.allSatisfy(\.ok) else { throw ExitStatus.error.code }
        }

        /// A check as JSON: every field present, null when it does not apply, so scripts need no key tests.
        struct Entry: Encodable {
            var check: ConfigurationCheck
            enum Keys: String, CodingKey { case file, ok, kind, line, reason, summary }
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: Keys.self)
                try c.encode(check.file, forKey: .file)
                try c.encode(check.ok, forKey: .ok)
                try c.encode(check.kind, forKey: .kind)
                try c.encode(check.line, forKey: .line)
                try c.encode(check.reason, forKey: .reason)
                try c.encode(check.summary, forKey: .summary)
            }
        }
    }
}
