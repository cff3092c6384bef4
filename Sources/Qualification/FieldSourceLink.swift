import SensorDrivers
import SensorIO

/// Opens a field source from its rig-file link, the same way on a real rig and on the simulated one: `scpi-tcp://`
/// and `scpi-serial://` through the coil current-source driver with the reference's dialect, and `manual` for the
/// technician with a reference magnetometer.
public enum FieldSourceLink {
    /// The opened source, or nil for a link that is neither SCPI nor manual (a connector's own kind).
    public static func open(_ reference: Rig.Reference, manual: ManualFieldReference?) throws -> (any FieldSource)? {
        if reference.link == "manual" {
            guard let manual else { throw LinkError(description: "field source \(reference.id): the manual reference is not set up") }
            return manual
        }
        guard reference.link.hasPrefix("scpi-") else { return nil }
        guard let coil = reference.helmholtzCoil, let accuracy = reference.currentAccuracy else {
            throw LinkError(description: "field source \(reference.id): a driven coil needs its coil: block and a % certificate")
        }
        let timeout = reference.scpi?.timeout ?? 5
        let link = try InstrumentAddress(parsing: reference.link).open(connectTimeout: timeout)
        return try CoilCurrentSource(link: link, commands: try commandSet(for: reference), coil: coil,
                                     accuracy: accuracy, timeout: timeout)
    }

    /// The reference's current-source dialect with the rig file's overrides; checked when the rig file loads.
    static func commandSet(for reference: Rig.Reference) throws(LinkError) -> CoilCurrentCommands {
        guard let scpi = reference.scpi else {
            throw LinkError(description: "field source \(reference.id): an SCPI link needs an scpi: block naming its dialect ("
                                + CoilCurrentCommands.presets.keys.sorted().joined(separator: ", ") + ")")
        }
        guard let preset = CoilCurrentCommands.presets[scpi.dialect] else {
            throw LinkError(description: "field source \(reference.id): current-source dialect '\(scpi.dialect)' is not one of "
                                + CoilCurrentCommands.presets.keys.sorted().joined(separator: ", "))
        }
        let commands: CoilCurrentCommands
        do { commands = try preset.overriding(scpi.overrides) } catch {
            throw LinkError(description: "field source \(reference.id): \(error)")
        }
        guard commands.problems.isEmpty else {
            throw LinkError(description: "field source \(reference.id): " + commands.problems.joined(separator: "; "))
        }
        return commands
    }

    public struct LinkError: Error, CustomStringConvertible {
        public var description: String
    }
}
