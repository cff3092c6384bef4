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
        // A microphone answers no probe short of a capture; it is listed as wired where the rig file puts it.
        let microphones = rig.microphones.map { microphone in
            DeviceInfo(state: "wired", slot: microphone.id, chip: microphone.chip,
                       model: catalog.chip(microphone.chip)?.model ?? microphone.chip,
                       bus: rig.audioInterface(microphone.audio)?.pcm ?? microphone.audio, muxChannel: nil,
                       address: "ch\(microphone.channel)", chipID: nil, detail: nil)
        }
        return microphones + rig.slots.map { slot in
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
            // The driver's own probe: reads only (the id register, status, calibration or PROM, a Sensirion serial
            // number; an SCD41 that is measuring is told to stop and answers the next probe).
            let device = I2CDevice(transport: target, address: slot.address)
            do throws(DriverError) {
                guard let identity = try identify(chip: chip, slot: slot, device: device) else {
                    info.detail = "no \(chip.sensorClass) driver named '\(chip.driver)'"
                    return info
                }
                info.chipID = identity.idValue.map { String(format: "0x%02X", $0) }
                info.state = "ready"
                info.model = identity.model
            } catch {
                switch error {
                case .wrongChip(_, _, _, let found):
                    info.state = "wrong-chip"
                    info.chipID = String(format: "0x%02X", found)
                case .bus(let bus) where bus.cause == .noAcknowledge:
                    info.state = "absent"
                default:
                    info.state = "error"
                }
                info.detail = "\(error)"
            }
            return info
        }
    }

    /// The driver's own probe for the chip's class; nil when no driver of that class has the chip's driver name.
    private static func identify(chip: ChipDescription, slot: Rig.Slot, device: I2CDevice) throws(DriverError) -> SensorIdentity? {
        switch chip.sensorClass {
        case "magnetic":
            guard let sensor = slot.magneticSensor(chip: chip, device: device) else { return nil }
            return try sensor.probe()
        case "gas":
            guard let sensor = GasDrivers.sensor(driver: chip.driver, device: device) else { return nil }
            return try sensor.probe()
        default:
            guard let sensor = PressureDrivers.sensor(driver: chip.driver, device: device) else { return nil }
            return try sensor.probe()
        }
    }
}
