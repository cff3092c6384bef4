import ControlProtocol
import Foundation
import Qualification
import SensorDrivers
import SensorIO

/// The bench tools' bus work (`devices.scan`, `devices.dump`): blocking, so each runs on a thread of its own while
/// the scheduler holds the bus for it (`RunScheduler.claimBench`).
enum BenchTools {
    /// The rig's buses `name` selects: by rig id, by adapter (`/dev/i2c-1`), or by its number alone (`1`); all when nil.
    static func buses(_ name: String?, rig: Rig) throws(RPCError) -> [Rig.Bus] {
        guard let name else { return rig.buses }
        let matching = rig.buses.filter { $0.id == name || $0.device == name || $0.device == "/dev/i2c-" + name }
        guard !matching.isEmpty else {
            throw RPCError.invalidParams("bus '\(name)' is not one of the rig's: "
                                         + rig.buses.map { "\($0.id) (\($0.device))" }.joined(separator: ", "))
        }
        return matching
    }

    /// Scans each bus: the trunk with every user-switched mux's channels off, then each channel of each mux alone
    /// (devices already seen on the trunk are not repeated; a kernel-switched mux through the adapter of each channel).
    /// The muxes are left with every channel off.
    static func scan(_ buses: [Rig.Bus], rig: Rig, catalog: ChipCatalog, connector: any RigConnector) -> [ScannedBus] {
        buses.map { bus in
            var scanned = ScannedBus(bus: bus.id, device: bus.device, devices: [])
            let transport: any I2CTransport
            do {
                transport = try connector.openBus(bus)
            } catch {
                scanned.error = "cannot open \(bus.device): \(error)"
                return scanned
            }
            let switched = bus.muxes.filter { $0.kernelAdapters == nil }
            let muxAddresses = Set(bus.muxes.map(\.address))
            for mux in switched {
                do throws(I2CError) {
                    try transport.write(address: mux.address, [0x00])
                } catch {
                    scanned.error = "cannot switch off the channels of mux \(mux.id) at \(mux.address): \(error)"
                    return scanned
                }
            }
            func entries(_ found: [BusScan.Device], channel: Int?, mux: Rig.Mux?) -> [ScannedDevice] {
                found.map { device in
                    let slot = rig.slots.first {
                        $0.bus == bus.id && $0.address == device.address && $0.mux?.channel == channel && (mux == nil || $0.mux?.id == mux?.id)
                    }
                    var detail = device.detail
                    if let slot, let chip = device.chip, chip != slot.chip {
                        detail = "the rig file puts a \(catalog.chip(slot.chip)?.model ?? slot.chip) in slot \(slot.id) here"
                    }
                    return ScannedDevice(muxChannel: channel, address: device.address.description, chip: device.chip, model: device.model,
                                         idRegister: device.idRegister?.hexLiteral, id: device.idValue?.hexLiteral, slot: slot?.id,
                                         slotChip: slot?.chip, detail: detail)
                }
            }
            let trunk = BusScan.scan(transport, catalog: catalog, skipping: muxAddresses)
            scanned.devices = bus.muxes.map { mux in
                ScannedDevice(muxChannel: nil, address: mux.address.description, chip: mux.chip, model: mux.chip.uppercased(),
                              idRegister: nil, id: nil, slot: nil, slotChip: nil, detail: "I2C switch \(mux.id) of the rig file")
            } + entries(trunk, channel: nil, mux: nil)
            let seen = muxAddresses.union(trunk.map(\.address))
            for mux in bus.muxes {
                for channel in 0..<8 {
                    let segment: any I2CTransport
                    if mux.kernelAdapters != nil {
                        guard let adapter = bus.kernelAdapter(of: mux, channel: channel), let opened = try? connector.openBus(adapter) else { continue }
                        segment = opened
                    } else {
                        segment = I2CMux(parent: transport, address: mux.address).channel(channel)
                    }
                    scanned.devices += entries(BusScan.scan(segment, catalog: catalog, skipping: seen), channel: channel, mux: mux)
                }
                // Off again before the next mux's channels, so that its devices are not seen behind them too.
                if mux.kernelAdapters == nil { try? transport.write(address: mux.address, [0x00]) }
            }
            return scanned
        }
    }

    /// Reads the slot's registers as `i2cdump -y BUS ADDR b` would, leaving out those whose read has a side effect. A
    /// slot with a power line is switched on first (a run switches it off at its end); it stays on.
    static func dump(_ slot: Rig.Slot, rig: Rig, catalog: ChipCatalog, connector: any RigConnector) throws(RPCError) -> DumpResult {
        guard let chip = catalog.chip(slot.chip), chip.idRegister != nil else {
            let model = catalog.chip(slot.chip)?.model ?? slot.chip
            throw RPCError.invalidParams("slot \(slot.id) holds a \(model), a command chip: it has no register file to dump")
        }
        let device: I2CDevice
        let power: (any PowerSwitch)?
        do {
            power = try slot.switchPowerOn(connector, settle: Rig.Slot.powerUpSettle)
            device = I2CDevice(transport: try SlotTransports(rig: rig, connector: connector).transport(for: slot), address: slot.address)
            _ = try device.readRegister(chip.idRegister!)
        } catch {
            throw RPCError(code: .deviceLost, message: "slot \(slot.id): \(error)")
        }
        let skipped = RegisterDecoders.readSensitiveRegisters(chip: slot.chip)
        let dump = I2CDump.read(device, skipping: skipped)
        withExtendedLifetime(power) {}
        return DumpResult(slot: slot.id, chip: slot.chip, bus: rig.bus(slot.bus)?.device ?? slot.bus, muxChannel: slot.mux?.channel,
                          address: slot.address.description, skipped: skipped.sorted().map(\.hexLiteral), i2cdump: dump.text)
    }
}
