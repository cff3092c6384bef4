import Qualification
import SensorIO

/// Faults of the simulated rig's devices, for tests in-process and for `sensorquald --simulate-faults FILE`.
extension SimulatedRig {
    /// Where an I2C slot of this rig sits on the simulated adapter; nil for a slot it does not have (or a microphone).
    public func location(ofSlot slot: String) -> (channel: Int, address: I2CAddress)? {
        if let unit = units.first(where: { $0.slot == slot }) { return (unit.channel, unit.address) }
        if let unit = magnetometers.first(where: { $0.slot == slot }) { return (unit.channel, unit.address) }
        if let unit = gasSensors.first(where: { $0.slot == slot }) { return (unit.channel, unit.address) }
        return nil
    }

    /// From `from` to `to` seconds on the rig's clock, the device in `slot` fails every transfer as `kind` says.
    /// Returns false for a slot the rig has no I2C device in.
    @discardableResult
    public func inject(_ kind: SimulatedBusFault.Kind, slot: String, from: Double, to: Double) -> Bool {
        guard let (channel, address) = location(ofSlot: slot) else { return false }
        bench.inject(SimulatedBusFault(channel: channel, address: address, kind: kind, from: from, to: to))
        return true
    }

    /// Applies a fault schedule file (`FaultScheduleFile`): each entry's slot, or bus and address, must be one of
    /// this rig's, and a reference entry must name its pressure controller (`pc1`), served by `controller`; an entry
    /// that is not fails the whole file with its line.
    public func injectFaults(from path: String, controller: SimulatedSCPIServer? = nil) throws(ConfigurationError) {
        let schedule = try FaultScheduleFile.load(path: path)
        var faults: [SimulatedBusFault] = []
        var silences: [(lines: Int, from: Double)] = []
        for entry in schedule.entries {
            if let reference = entry.reference {
                guard reference == Self.controllerReferenceID, controller != nil, let lines = entry.lines else {
                    throw ConfigurationError(file: schedule.file, line: entry.line, reason: "reference \(reference) is not a simulated "
                        + "SCPI instrument of this rig (only its pressure controller \(Self.controllerReferenceID), and not with --manual-reference)")
                }
                silences.append((lines, entry.fromS))
            } else if let slot = entry.slot {
                guard let (channel, address) = location(ofSlot: slot) else {
                    throw ConfigurationError(file: schedule.file, line: entry.line, reason: "slot \(slot) is not an I2C slot of the simulated rig ("
                        + (units.map(\.slot) + magnetometers.map(\.slot) + gasSensors.map(\.slot)).joined(separator: ", ") + ")")
                }
                faults.append(SimulatedBusFault(channel: channel, address: address, kind: entry.fault, from: entry.fromS, to: entry.toS))
            } else if let bus = entry.bus, let address = entry.address {
                guard bus == "bus1" || bus == Self.busName else {
                    throw ConfigurationError(file: schedule.file, line: entry.line,
                                             reason: "bus \(bus) is not the simulated rig's (bus1, device \(Self.busName))")
                }
                faults.append(SimulatedBusFault(channel: entry.muxChannel, address: address, kind: entry.fault, from: entry.fromS, to: entry.toS))
            }
        }
        for fault in faults { bench.inject(fault) }
        for silence in silences { controller?.silence(lines: silence.lines, from: silence.from) }
    }

    /// Puts another BMP390 in pressure slot `slot` (a different NVM trimming, from `seed`): a re-probe then finds a
    /// different unit. Returns false for a slot that holds no BMP390.
    @discardableResult
    public func replaceUnit(slot: String, seed: UInt64) -> Bool {
        guard let unit = units.first(where: { $0.slot == slot && $0.chip == "bmp390" }) else { return false }
        var trim = SeededRandom(seed: seed)
        let model = BMP390Model(nvm: Self.nvm(trimmedBy: &trim), errors: unit.errors, random: SeededRandom(seed: seed &+ 1))
        bench.replace(channel: unit.channel, address: unit.address, with: model)
        return true
    }
}
