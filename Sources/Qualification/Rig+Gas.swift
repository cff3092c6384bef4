import SensorDrivers
import SensorIO

// The gas parts of the rig file: the gas mixer (two mass-flow controllers diluting a certified cylinder with zero
// air, on one ASCII serial line; Alicat's dialect unless `protocol:` changes it), or the technician connecting certified cylinders by hand; and the chamber whose
// flush time constant V/Q the run checks against each sensor's response time (sensors.md §8.7).
//
//     references:
//       - id: mix-co2
//         kind: gas-mixer
//         link: scpi-serial:///dev/ttyUSB1?baud=19200&eol=cr        # or scpi-tcp://…, manual
//         model: Alicat MC-500SCCM + MC-2SLPM, 10 000 ppm CO2 in air
//         mixer: {gas: co2, cylinder_ppm: 10000, total_flow_l_per_min: 1, chamber_volume_l: 0.1,
//                 span: {unit: A, full_scale: 500, flow_unit: sccm}, zero: {unit: B, full_scale: 2, flow_unit: slpm}}
//         certificate: {id: CYL-2026-118, expanded_uncertainty_percent: 1, coverage_factor: 2, due: 2027-06-30}

extension Rig {
    /// A gas reference's set-up: the gas and cylinder, the flows, the chamber, and the two MFCs when driven.
    public struct GasMixerSettings: Sendable, Equatable, Codable {
        public var gas: String
        /// The certified cylinder's concentration, ppm (its relative uncertainty is the certificate's).
        public var cylinderPPM: Double
        public var totalFlowLitresPerMinute: Double
        /// The chamber's volume, L: with the total flow, its flush time constant τ = V/Q.
        public var chamberVolumeLitres: Double
        public var span: FlowController?
        public var zero: FlowController?
        /// Changes to the MFCs' ASCII dialect (Alicat's by default), by key: `poll`, `setpoint` (templates with `{id}`
        /// and `{value}`), `mass_flow_field`, `setpoint_field`, `unit_id_field` (`none` for frames without one),
        /// `decimals`, `refusal`.
        public var protocolOverrides: [String: String] = [:]

        /// `cylinder_ppm` decodes as `cylinderPpm` under the report's snake_case coding.
        enum CodingKeys: String, CodingKey {
            case gas, cylinderPPM = "cylinderPpm", totalFlowLitresPerMinute, chamberVolumeLitres, span, zero, protocolOverrides
        }

        /// The dialect the MFCs speak: Alicat's with the rig file's changes.
        public func commandSet() throws(ConfigurationMessage) -> MassFlowCommandSet {
            var commands = MassFlowCommandSet.alicat
            for (key, value) in protocolOverrides.sorted(by: { $0.key < $1.key }) {
                func index() throws(ConfigurationMessage) -> Int {
                    guard let n = Int(value), n >= 0 else { throw ConfigurationMessage(text: "protocol.\(key): '\(value)' is not a field number") }
                    return n
                }
                switch key {
                case "poll": commands.pollTemplate = value
                case "setpoint": commands.setpointTemplate = value
                case "mass_flow_field": commands.massFlowField = try index()
                case "setpoint_field": commands.setpointField = try index()
                case "unit_id_field": commands.unitIDField = value == "none" ? nil : try index()
                case "decimals": commands.setpointDecimals = try index()
                case "refusal": commands.refusalReply = value
                default:
                    throw ConfigurationMessage(text: "protocol key '\(key)' is not one of poll, setpoint, mass_flow_field, setpoint_field, "
                        + "unit_id_field, decimals, refusal")
                }
            }
            if let problem = commands.problems.first { throw ConfigurationMessage(text: "protocol: \(problem)") }
            return commands
        }

        /// τ = V/Q of the chamber, s.
        public var flushTimeConstant: Double { chamberVolumeLitres / totalFlowLitresPerMinute * 60 }
    }

    /// Why a rig-file setting cannot be used, as a sentence.
    public struct ConfigurationMessage: Error, CustomStringConvertible {
        public var text: String
        public var description: String { text }
    }

    /// One mass-flow controller on the mixer's line.
    public struct FlowController: Sendable, Equatable, Codable {
        public var unitID: String
        public var fullScale: Double
        /// `sccm` or `slpm`.
        public var flowUnit: String

        enum CodingKeys: String, CodingKey { case unitID = "unitId", fullScale, flowUnit }
    }

    /// The gas reference delivering `gas`: the plan's gas picks its mixer when the rig has several lines.
    public func gasReference(for gas: String) -> Reference? {
        references.first { $0.kind == "gas-mixer" && $0.mixer?.gas == gas }
    }

    func validateGasMixer(_ reference: Reference, at path: [PathKey], file: YAMLFile) throws(ConfigurationError) {
        let id = reference.id
        guard let mixer = reference.mixer else {
            throw file.error(at: path, "gas mixer \(id): it states mixer: {gas, cylinder_ppm, total_flow_l_per_min, chamber_volume_l, …}")
        }
        guard let certificate = reference.certificate, certificate.unit == "%" else {
            throw file.error(at: path, "gas mixer \(id): the cylinder's certificate states expanded_uncertainty_percent")
        }
        // A gas plan picks its mixer by gas: a second line for the same gas would never be used.
        if let first = references.first(where: { $0.kind == "gas-mixer" && $0.mixer?.gas == mixer.gas }), first.id != id {
            throw file.error(at: path + [PathKey("mixer"), PathKey("gas")], "gas mixer \(id): gas \(mixer.gas) already has mixer \(first.id)")
        }
        guard mixer.cylinderPPM > 0, mixer.totalFlowLitresPerMinute > 0, mixer.chamberVolumeLitres > 0 else {
            throw file.error(at: path + [PathKey("mixer")], "gas mixer \(id): cylinder_ppm, total_flow_l_per_min and chamber_volume_l must be positive")
        }
        if reference.link == "manual" {
            // The technician connects the cylinders; no MFCs to drive.
        } else if reference.link.hasPrefix("scpi-") || reference.link.hasPrefix("sim:") {
            for (key, controller) in [("span", mixer.span), ("zero", mixer.zero)] {
                guard let controller else {
                    throw file.error(at: path + [PathKey("mixer")], "gas mixer \(id): a driven mixer states its \(key) MFC: {unit, full_scale, flow_unit}")
                }
                guard FlowUnit(rawValue: controller.flowUnit) != nil, controller.fullScale > 0, !controller.unitID.isEmpty else {
                    throw file.error(at: path + [PathKey("mixer"), PathKey(key)],
                                     "gas mixer \(id): the \(key) MFC needs a unit id, a positive full_scale and flow_unit sccm or slpm")
                }
            }
            if reference.link.hasPrefix("scpi-") {
                do throws(InstrumentLinkError) { _ = try InstrumentAddress(parsing: reference.link) } catch {
                    throw file.error(at: path + [PathKey("link")], "gas mixer \(id): \(error)")
                }
            }
            do throws(ConfigurationMessage) { _ = try mixer.commandSet() } catch {
                throw file.error(at: path + [PathKey("mixer")], "gas mixer \(id): \(error)")
            }
        } else {
            throw file.error(at: path + [PathKey("link")], "gas mixer \(id): link '\(reference.link)' is not scpi-serial://, scpi-tcp:// (the MFC line), manual or sim:")
        }
        if certificate.expandedUncertainty <= 0 || certificate.coverageFactor <= 0 {
            throw file.error(at: path + [PathKey("certificate")], "gas mixer \(id): certificate uncertainty and coverage factor must be positive")
        }
        if certificate.dueDate == nil {
            throw file.error(at: path + [PathKey("certificate"), PathKey("due")], "gas mixer \(id): certificate due date '\(certificate.due)' is not YYYY-MM-DD")
        }
    }
}

/// Opens a gas reference from its rig-file link: the MFC line (`scpi-serial://`, `scpi-tcp://`) through the
/// mixer driver in the Alicat-style ASCII dialect, or `manual` for the technician.
public enum GasReferenceLink {
    public static func open(_ reference: Rig.Reference, manual: ManualGasReference?, clock: any RigClock) throws -> (any GasReference)? {
        if reference.link == "manual" {
            guard let manual else { throw FieldSourceLink.LinkError(description: "gas mixer \(reference.id): the manual reference is not set up") }
            return manual
        }
        guard reference.link.hasPrefix("scpi-"), let mixer = reference.mixer, let span = mixer.span, let zero = mixer.zero,
              let certificate = reference.certificate else { return nil }
        let timeout = reference.scpi?.timeout ?? 1
        let commands = try mixer.commandSet()
        let link = try commands.address(try InstrumentAddress(parsing: reference.link)).open(connectTimeout: 5)
        func controller(_ c: Rig.FlowController) throws -> MassFlowController {
            try MassFlowController(link: link, unitID: c.unitID, fullScale: c.fullScale, unit: FlowUnit(rawValue: c.flowUnit) ?? .slpm,
                                   commands: commands, timeout: timeout)
        }
        let cylinder = CertifiedCylinder(gas: mixer.gas, ppm: mixer.cylinderPPM,
                                         expandedUncertainty: mixer.cylinderPPM * certificate.expandedUncertainty / 100,
                                         coverageFactor: certificate.coverageFactor, certificate: certificate.id)
        return try MassFlowGasMixer(span: try controller(span), zero: try controller(zero), cylinder: cylinder,
                                    totalFlowLitresPerMinute: mixer.totalFlowLitresPerMinute, clock: clock)
    }
}

struct MixerDocument: Decodable {
    var gas: String
    var cylinder_ppm: Double
    var total_flow_l_per_min: Double
    var chamber_volume_l: Double
    var span: Controller?
    var zero: Controller?
    var `protocol`: [String: String]?

    struct Controller: Decodable { var unit: String; var full_scale: Double; var flow_unit: String }

    var mixer: Rig.GasMixerSettings {
        func flow(_ c: Controller?) -> Rig.FlowController? {
            c.map { Rig.FlowController(unitID: $0.unit, fullScale: $0.full_scale, flowUnit: $0.flow_unit) }
        }
        return Rig.GasMixerSettings(gas: gas, cylinderPPM: cylinder_ppm, totalFlowLitresPerMinute: total_flow_l_per_min,
                                    chamberVolumeLitres: chamber_volume_l, span: flow(span), zero: flow(zero),
                                    protocolOverrides: `protocol` ?? [:])
    }
}
