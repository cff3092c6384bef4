import ControlProtocol
import Qualification
import SensorDrivers
import SensorIO

/// Probes every slot of the rig once (chip id only: no configuration, no writes) so that `devices.list`
/// can say what is plugged in before any run. Blocking: call it on a dedicated thread.
enum SlotProber {
    static func probe(rig: Rig, catalog: ChipCatalog, connector: any RigConnector) -> [DeviceInfo] {
        var buses: [String: Result<any I2CTransport, any Error>] = [:]
        var muxes: [String: I2CMux] = [:]
        return rig.slots.map { slot in
            let chip = catalog.chip(slot.chip)
            var info = DeviceInfo(state: "error", slot: slot.id, chip: slot.chip, model: chip?.model ?? slot.chip,
                                  bus: rig.bus(slot.bus)?.device ?? slot.bus, muxChannel: slot.mux?.channel,
                                  address: slot.address.description, chipID: nil, detail: nil)
            guard let bus = rig.bus(slot.bus), let chip else { return info }
            if buses[bus.id] == nil { buses[bus.id] = Result { try connector.openBus(bus) } }
            let transport: any I2CTransport
            switch buses[bus.id]! {
            case .failure(let error):
                info.detail = "\(error)"
                return info
            case .success(let opened):
                transport = opened
            }
            var target = transport
            if let channel = slot.mux, let mux = bus.muxes.first(where: { $0.id == channel.id }) {
                let key = bus.id + "/" + mux.id
                let device = muxes[key] ?? I2CMux(parent: transport, address: mux.address)
                muxes[key] = device
                target = device.channel(channel.channel)
            }
            do throws(I2CError) {
                let id = try I2CDevice(transport: target, address: slot.address).readRegister(chip.idRegister)
                info.chipID = "0x" + String(id, radix: 16)
                if chip.idValues.contains(id) {
                    info.state = "ready"
                } else {
                    info.state = "wrong-chip"
                    info.detail = "id register 0x\(String(chip.idRegister, radix: 16)) reads 0x\(String(id, radix: 16)), not a \(chip.model)"
                }
            } catch {
                info.state = error.cause == .noAcknowledge ? "absent" : "error"
                info.detail = "\(error)"
            }
            return info
        }
    }
}
