import ControlProtocol
import Foundation
import Qualification
import SensorDrivers
import SensorIO

/// Probes every slot of the rig once (the chip id only: nothing is written to a DUT) so that `devices.list`
/// can say what is plugged in before any run. Blocking: call it on a dedicated thread.
enum SlotProber {
    static func probe(rig: Rig, catalog: ChipCatalog, connector: any RigConnector) -> [DeviceInfo] {
        let transports = SlotTransports(rig: rig, connector: connector)
        return rig.slots.map { slot in
            let chip = catalog.chip(slot.chip)
            var info = DeviceInfo(state: "error", slot: slot.id, chip: slot.chip, model: chip?.model ?? slot.chip,
                                  bus: rig.bus(slot.bus)?.device ?? slot.bus, muxChannel: slot.mux?.channel,
                                  address: slot.address.description, chipID: nil, detail: nil)
            guard let chip else { return info }
            let target: any I2CTransport
            do {
                target = try transports.transport(for: slot)
            } catch {
                info.detail = "\(error)"
                return info
            }
            do throws(I2CError) {
                let id = try I2CDevice(transport: target, address: slot.address).readRegister(chip.idRegister)
                info.chipID = String(format: "0x%02X", id)
                if chip.idValues.contains(id) {
                    info.state = "ready"
                } else {
                    info.state = "wrong-chip"
                    info.detail = String(format: "id register 0x%02X reads 0x%02X, not a %@", chip.idRegister, id, chip.model)
                }
            } catch {
                info.state = error.cause == .noAcknowledge ? "absent" : "error"
                info.detail = "\(error)"
            }
            return info
        }
    }
}
