import Foundation
import Qualification
import SensorDrivers

extension DaemonConfiguration {
    /// The configuration read again from its files (SIGHUP): the device catalog, the rig file (the simulated rig's
    /// generated file, against the new catalog), the default spec, and every plan and spec file of the folders.
    /// All or nothing: the first file that does not load is thrown, naming the file, line and reason, and the
    /// caller keeps the configuration in force (DESIGN.md §5). Blocking file I/O: call it off the concurrency pool.
    ///
    /// Paths, the archive and the simulated instruments stay. A real rig gets a new connector, whose manual
    /// references are new objects; runs going on keep the configuration they started with.
    func reloaded() throws(ConfigurationError) -> DaemonConfiguration {
        let catalog = try ChipCatalog.load(directory: sources.devices)
        var next = self
        next.catalog = catalog
        if let path = sources.rigPath {
            let rig = try Rig.load(path: path, catalog: catalog)
            next.rig = rig
            next.manualReference = Self.manualPressure(of: rig)
            next.calibrator = rig.reference(kind: "sound-source").flatMap { $0.link == "manual" ? AcousticCalibrator(model: $0.model) : nil }
            next.manualField = Self.manualField(of: rig)
            next.manualGas = Self.manualGas(of: rig)
            next.connector = LinuxRigConnector(manual: next.manualReference, calibrator: next.calibrator,
                                               manualField: next.manualField, manualGas: next.manualGas)
        } else if let text = sources.simulatedRigText {
            next.rig = try Rig.parse(text: text, name: Self.simulatedRigName, catalog: catalog)
        }
        guard let spec = next.specPath(defaultSpec) else {
            throw ConfigurationError(file: defaultSpec + ".yaml", reason: "default spec profile not found in " + specFolders.joined(separator: ", "))
        }
        _ = try SpecProfile.load(path: spec)
        for problem in Self.problems(in: planFolders + specFolders, catalog: catalog) {
            throw ConfigurationError(file: problem.file, line: problem.line, reason: problem.reason ?? "does not load")
        }
        return next
    }

    /// The plan and spec files of `folders` that do not load, each with its file, line and reason.
    static func problems(in folders: [String], catalog: ChipCatalog) -> [ConfigurationCheck] {
        let files = folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
                .map { folder + "/" + $0 }
        }
        return files.map { ConfigurationCheck.check(path: $0, catalog: { catalog }) }.filter { !$0.ok }
    }
}
