import Foundation
import Qualification
import Reports
import SensorDrivers
import SensorSim

/// Everything the daemon loaded at start: paths, the catalog, the rig and how to reach it.
struct DaemonConfiguration: Sendable {
    var stateDirectory: String
    var socketPath: String
    /// Folders searched for `<plan>.yaml` and `<spec>.yaml`, in order: the site's `/etc/sensorqual/…` first,
    /// then the installed defaults, so a site file overrides a default of the same name and an empty site
    /// folder hides nothing.
    var planFolders: [String]
    var specFolders: [String]
    var defaultSpec: String
    var catalog: ChipCatalog
    var rig: Rig
    /// Where the rig came from: a rig file's path, or "built-in simulated rig (LOT lot, seed N, reference LINK)".
    var rigSource: String
    var connector: any RigConnector
    /// The technician-as-reference, when the rig's pressure reference link is `manual`.
    var manualReference: ManualPressureReference?
    /// The simulated rig's SCPI controller, served for the daemon's lifetime (with --simulate).
    var simulatedController: SimulatedSCPIServer?
    /// With --simulate: the acoustic chamber's PCM feed, read through ALSA's file plugin; kept for the daemon's life.
    var simulatedChamber: ChamberFeed?
    /// The technician's hand-held calibrator, when the rig's sound source link is `manual`.
    var calibrator: AcousticCalibrator?
    /// The technician as the field reference (a reference magnetometer read by hand), when the field source is `manual`.
    var manualField: ManualFieldReference?
    /// The technician connecting certified cylinders, when a gas mixer's link is `manual`.
    var manualGas: ManualGasReference?
    /// With --simulate: the coil's current source and the gas mixers' MFC lines, served for the daemon's lifetime.
    var simulatedCoil: SimulatedCurrentSourceServer?
    var simulatedMixers: [SimulatedMassFlowLine] = []
    /// The run archive (`<state dir>/archive.sqlite`, `--archive`, `SENSORQUAL_ARCHIVE`), opened at start: a daemon
    /// whose archive cannot be opened does not start (docs/archive.md §5).
    var archive: RunArchive
    /// The files the configuration was read from, read again on SIGHUP (`reloaded()`).
    var sources: Sources

    /// Where the catalog and the rig come from; plans and specs come from `planFolders` and `specFolders`.
    struct Sources: Sendable {
        var devices: String
        /// The rig file; nil with --simulate.
        var rigPath: String?
        /// The built-in simulated rig's rig file, generated at start (with --simulate).
        var simulatedRigText: String?
    }

    static let simulatedRigName = "built-in simulated rig"

    var runsDirectory: String { stateDirectory + "/runs" }

    func planPath(_ name: String) -> String? { Self.find(name, in: planFolders) }
    func specPath(_ name: String) -> String? { Self.find(name, in: specFolders) }

    private static func find(_ name: String, in folders: [String]) -> String? {
        folders.map { $0 + "/" + name + ".yaml" }.first { FileManager.default.fileExists(atPath: $0) }
    }
}

extension DaemonConfiguration {
    /// The technician as the pressure reference, when the rig's pressure controller link is `manual`.
    static func manualPressure(of rig: Rig) -> ManualPressureReference? {
        rig.reference(kind: "pressure-controller").flatMap { $0.link == "manual" ? ManualPressureReference(model: $0.model) : nil }
    }

    /// The technician reading a reference magnetometer, when the field source's link is `manual`.
    static func manualField(of rig: Rig) -> ManualFieldReference? {
        rig.reference(kind: "field-source").flatMap { reference in
            guard reference.link == "manual", let u = reference.certificate.map({ $0.expandedUncertainty / $0.coverageFactor }) else { return nil }
            return ManualFieldReference(model: reference.model, referenceUncertainty: FieldVector(x: u, y: u, z: u))
        }
    }

    /// The technician connecting certified cylinders. One technician, one set of cylinders: the first manual gas
    /// reference stands for all of them.
    static func manualGas(of rig: Rig) -> ManualGasReference? {
        rig.references.first { $0.kind == "gas-mixer" && $0.link == "manual" }.map { reference in
            ManualGasReference(model: reference.model,
                               relativeUncertainty: (reference.certificate.map { $0.expandedUncertainty / $0.coverageFactor } ?? 1) / 100,
                               totalFlowLitresPerMinute: reference.mixer?.totalFlowLitresPerMinute ?? 1)
        }
    }
}
