import SensorDrivers
import SensorIO
import SensorMetrics

/// What every I2C DUT of a run holds, whatever its class: where it sits, its outcome so far, its lines and its read
/// schedule. `PressureDUT`, `MagneticDUT` and `GasDUT` add their driver and mode. Confined to the thread that serves
/// its bus; the run thread reads `outcome` only after acquisition has stopped.
class SlotDUT {
    let slot: Rig.Slot
    let chip: ChipDescription
    let bus: Rig.Bus
    /// Index in the run's DUT list: how readings name their DUT across threads.
    let index: Int
    let schedule = DUTSchedule()
    var outcome: DUTOutcome
    /// The INT line when wired: edges confirm each conversion and timestamp it; else the driver polls STATUS.
    var dataReady: (any DataReadyLine)?
    /// The line that powers the DUT, switched on for the run.
    var power: (any PowerSwitch)?
    var isLost: Bool { outcome.lost != nil }
    var integrity: DataIntegrity {
        get { outcome.integrity }
        set { outcome.integrity = newValue }
    }

    init(index: Int, slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, serial: String?) {
        self.index = index
        self.slot = slot
        self.chip = chip
        self.bus = bus
        outcome = DUTOutcome(slot: slot.id, chip: chip.chip, model: chip.model, bus: bus.device,
                             mux: slot.mux?.id, muxChannel: slot.mux?.channel, address: slot.address, serial: serial, figures: [],
                             integrity: DataIntegrity())
    }

    /// Keeps what the probe read: the model, the id register's value, the calibration or serial bytes.
    func record(_ identity: SensorIdentity) {
        outcome.model = identity.model
        outcome.idRegisterValue = identity.idValue.map { String(format: "0x%02X", $0) }
        outcome.calibrationBytes = identity.calibration.isEmpty ? nil : identity.calibration.map { String(format: "%02X", $0) }.joined()
    }

    func markLost(_ reason: String) {
        outcome.lost = reason
    }

    /// Switches the slot's power line on, where it has one, and waits `settle` ns on the rig clock for the chip to
    /// start (its datasheet's power-up time).
    func powerOn(_ connector: any RigConnector, settle: Int64) throws {
        guard let line = slot.power else { return }
        let power = try connector.openPowerLine(line)
        self.power = power
        try power.set(on: true)
        connector.clock.sleep(until: connector.clock.now() + settle)
    }

    /// Stops conversions (the subclass's driver) and switches the DUT's supply off, at the end of a run.
    func shutDown() {
        try? power?.set(on: false)
    }
}
