import Qualification
import SensorDrivers
import SensorIO

/// The built-in simulated rig behind the same connector interface as a real rig: its simulated bus and
/// GPIO lines, its clock, and reference instruments reached as on a real rig (SCPI over a socket, the
/// manual reference), plus `sim:pressure-controller`, the controller in-process, for tests.
public struct SimulatedRigConnector: RigConnector {
    public let rig: SimulatedRig
    public let manual: ManualPressureReference?
    public let calibrator: AcousticCalibrator?
    public let manualField: ManualFieldReference?
    public let manualGas: ManualGasReference?
    public var clock: any RigClock { rig.clock }
    public var isSimulated: Bool { true }

    public init(rig: SimulatedRig, manual: ManualPressureReference? = nil, calibrator: AcousticCalibrator? = nil,
                manualField: ManualFieldReference? = nil, manualGas: ManualGasReference? = nil) {
        self.rig = rig
        self.manual = manual
        self.calibrator = calibrator
        self.manualField = manualField
        self.manualGas = manualGas
    }

    /// `sim:coil` is the coil's current source in-process (tests); an `scpi-` link reaches a
    /// `SimulatedCurrentSourceServer` through the SCPI driver, as on a real rig.
    public func openFieldSource(_ reference: Rig.Reference) throws -> any FieldSource {
        if reference.link == "sim:coil", let coil = reference.helmholtzCoil, let accuracy = reference.currentAccuracy {
            return SimulatedCoilFieldSource(source: rig.currentSource, coil: coil, accuracy: accuracy)
        }
        if let opened = try FieldSourceLink.open(reference, manual: manualField) { return opened }
        throw SimulatedRigError(description: "the simulated rig has no field source at \(reference.link)")
    }

    /// The MFC lines of `SimulatedRig.startGasMixers()` through the mixer driver, or the manual reference.
    public func openGasReference(_ reference: Rig.Reference, clock: any RigClock) throws -> any GasReference {
        if let opened = try GasReferenceLink.open(reference, manual: manualGas, clock: clock) { return opened }
        throw SimulatedRigError(description: "the simulated rig has no gas mixer at \(reference.link)")
    }

    public func openBus(_ bus: Rig.Bus) throws -> any I2CTransport {
        guard bus.device == SimulatedRig.busName else {
            throw SimulatedRigError(description: "the simulated rig has no bus \(bus.device)")
        }
        return rig.bus
    }

    public func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference {
        if reference.link == "sim:pressure-controller" { return rig.controller }
        if let opened = try PressureReferenceLink.open(reference, manual: manual) { return opened }
        throw SimulatedRigError(description: "the simulated rig has no instrument at \(reference.link)")
    }

    public func openSoundSource(_ reference: Rig.Reference) throws -> any SoundSource {
        if reference.link == "manual", let calibrator { return calibrator }
        guard reference.link == "sim:sound-source" else {
            throw SimulatedRigError(description: "the simulated rig has no sound source at \(reference.link)")
        }
        return SimulatedSoundSource(chamber: rig.chamber)
    }

    public func openDataReadyLine(_ line: Rig.GPIOLineReference) throws -> any DataReadyLine {
        guard line.chip == SimulatedRig.gpioChip, let unit = rig.units.first(where: { $0.dataReadyLine == line.line }) else {
            throw SimulatedRigError(description: "the simulated rig has no data-ready line \(line)")
        }
        return SimulatedDataReadyLine(name: line.description,
                                      unit: SimulatedUnitWiring(bench: rig.bench, channel: unit.channel, address: unit.address))
    }

    public func openPowerLine(_ line: Rig.GPIOLineReference) throws -> any PowerSwitch {
        guard line.chip == SimulatedRig.gpioChip, let unit = rig.units.first(where: { $0.powerLine == line.line }) else {
            throw SimulatedRigError(description: "the simulated rig has no power line \(line)")
        }
        return SimulatedPowerSwitch(name: line.description,
                                    unit: SimulatedUnitWiring(bench: rig.bench, channel: unit.channel, address: unit.address))
    }
}

public struct SimulatedRigError: Error, CustomStringConvertible {
    public var description: String
}

/// Where a simulated GPIO line is wired: one unit on the bench.
struct SimulatedUnitWiring {
    let bench: SimulatedBench
    let channel: Int?
    let address: I2CAddress
}

/// A unit's INT pin on the simulated GPIO chip: the model's conversion edges, on the simulated clock.
final class SimulatedDataReadyLine: DataReadyLine {
    let name: String
    let unit: SimulatedUnitWiring

    init(name: String, unit: SimulatedUnitWiring) {
        self.name = name
        self.unit = unit
    }

    func takeEdges() throws -> DataReadyEdges {
        var edges = DataReadyEdges()
        for time in unit.bench.dataReadyEdges(channel: unit.channel, address: unit.address) {
            edges.record(Int64((time * 1e9).rounded()))
        }
        return edges
    }
}

/// A unit's supply on the simulated GPIO chip: off, the unit no longer answers.
final class SimulatedPowerSwitch: PowerSwitch {
    let name: String
    let unit: SimulatedUnitWiring

    init(name: String, unit: SimulatedUnitWiring) {
        self.name = name
        self.unit = unit
    }

    func set(on: Bool) throws {
        unit.bench.setPowered(on, channel: unit.channel, address: unit.address)
    }
}
