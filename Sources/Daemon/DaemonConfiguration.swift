import Foundation
import Qualification
import SensorSim

/// Everything the daemon loaded at start: paths, the catalog, the rig and how to reach it.
struct DaemonConfiguration: Sendable {
    var stateDirectory: String
    var socketPath: String
    var plansDirectory: String
    var specsDirectory: String
    var defaultSpec: String
    var catalog: ChipCatalog
    var rig: Rig
    /// Where the rig came from: a rig file's path, or "built-in simulated rig (seed N)".
    var rigSource: String
    var connector: any RigConnector

    var runsDirectory: String { stateDirectory + "/runs" }

    func planPath(_ name: String) -> String { plansDirectory + "/" + name + ".yaml" }
    func specPath(_ name: String) -> String { specsDirectory + "/" + name + ".yaml" }
}

/// The folder holding `devices/`, `plans/` and `specs/`: installed under /usr/share/sensorqual, or the
/// source checkout when the daemon runs from its build folder (`.build/debug/sensorquald`).
enum DataDirectory {
    static let installed = "/usr/share/sensorqual"

    struct Layout {
        var devices: String
        var plans: String
        var specs: String
    }

    static func locate(executable: String) -> Layout? {
        if let root = ProcessInfo.processInfo.environment["SENSORQUAL_DATA_DIR"] {
            return layout(root: root)
        }
        if FileManager.default.fileExists(atPath: installed + "/devices") {
            return Layout(devices: installed + "/devices", plans: installed + "/plans", specs: installed + "/specs")
        }
        // A source checkout: walk up from the executable to the folder with Devices/ and Package.swift.
        var url = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
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
