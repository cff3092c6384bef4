import Foundation

/// The folder holding `devices/`, `plans/` and `specs/`: installed under `<prefix>/share/sensorqual` beside the
/// binaries' `<prefix>/bin` (or /usr/share/sensorqual), or the
/// source checkout when the daemon runs from its build folder (`.build/debug/sensorquald`). The daemon finds its
/// catalog, plans and specs here, and `sensorqual check` the catalog a rig file is checked against.
public enum DataDirectory {
    public static let installed = "/usr/share/sensorqual"

    public struct Layout: Sendable, Equatable {
        public var devices: String
        public var plans: String
        public var specs: String
    }

    public static func locate(executable: String) -> Layout? {
        if let root = ProcessInfo.processInfo.environment["SENSORQUAL_DATA_DIR"] {
            return layout(root: root)
        }
        // A program found on PATH is named without its folder: ask the kernel where it is.
        let path = executable.contains("/") ? executable : Bundle.main.executablePath ?? executable
        let folder = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent()
        // Installed beside its binaries: <prefix>/bin/sensorqual and <prefix>/share/sensorqual (make install PREFIX=…).
        let beside = folder.deletingLastPathComponent().appendingPathComponent("share/sensorqual").path
        if FileManager.default.fileExists(atPath: beside + "/devices") { return layout(root: beside) }
        if FileManager.default.fileExists(atPath: installed + "/devices") {
            return Layout(devices: installed + "/devices", plans: installed + "/plans", specs: installed + "/specs")
        }
        // A source checkout: walk up from the executable to the folder with Devices/ and Package.swift.
        var url = folder
        for _ in 0..<6 {
            if FileManager.default.fileExists(atPath: url.path + "/Package.swift"),
               FileManager.default.fileExists(atPath: url.path + "/Devices") {
                return layout(root: url.path)
            }
            url.deleteLastPathComponent()
        }
        return nil
    }

    private static func layout(root: String) -> Layout {
        let devices = FileManager.default.fileExists(atPath: root + "/Devices") ? root + "/Devices" : root + "/devices"
        return Layout(devices: devices, plans: root + "/plans", specs: root + "/specs")
    }
}
