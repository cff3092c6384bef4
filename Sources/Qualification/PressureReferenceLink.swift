import SensorDrivers
import SensorIO

/// Opens a pressure reference from its rig-file link, the same way on a real rig and on the simulated one:
/// `scpi-tcp://host:port` and `scpi-serial:///dev/ttyUSB0?baud=9600` through the SCPI driver with the
/// reference's dialect, and `manual` for the technician.
public enum PressureReferenceLink {
    /// The opened reference, or nil for a link that is neither SCPI nor manual (a connector's own kind).
    public static func open(_ reference: Rig.Reference, manual: ManualPressureReference?) throws -> (any PressureReference)? {
        if reference.link == "manual" {
            guard let manual else { throw LinkError(description: "reference \(reference.id): the manual reference is not set up") }
            return manual
        }
        guard reference.link.hasPrefix("scpi-") else { return nil }
        let scpi = reference.scpi ?? Rig.SCPISettings(dialect: "", overrides: [:], timeout: 5)
        let commands = try commandSet(for: reference)
        let link = try InstrumentAddress(parsing: reference.link).open(connectTimeout: scpi.timeout)
        return try SCPIPressureController(link: link, commands: commands, range: reference.rangePa.map { $0[0]...$0[1] },
                                          timeout: scpi.timeout)
    }

    /// The reference's SCPI dialect with the rig file's overrides; checked when the rig file loads.
    static func commandSet(for reference: Rig.Reference) throws(LinkError) -> SCPICommandSet {
        guard let scpi = reference.scpi else {
            throw LinkError(description: "reference \(reference.id): an SCPI link needs an scpi: block naming its dialect ("
                                + SCPICommandSet.presets.keys.sorted().joined(separator: ", ") + ")")
        }
        guard let preset = SCPICommandSet.presets[scpi.dialect] else {
            throw LinkError(description: "reference \(reference.id): SCPI dialect '\(scpi.dialect)' is not one of "
                                + SCPICommandSet.presets.keys.sorted().joined(separator: ", "))
        }
        let commands: SCPICommandSet
        do { commands = try preset.overriding(scpi.overrides) } catch {
            throw LinkError(description: "reference \(reference.id): \(error)")
        }
        guard commands.problems.isEmpty else {
            throw LinkError(description: "reference \(reference.id): " + commands.problems.joined(separator: "; "))
        }
        return commands
    }

    public struct LinkError: Error, CustomStringConvertible {
        public var description: String
    }
}
