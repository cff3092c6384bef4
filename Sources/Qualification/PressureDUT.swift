import SensorDrivers
import SensorIO
import SensorMetrics

/// One pressure DUT during a run: its driver, the mode it is in, its read schedule and integrity counters.
/// Confined to the thread that serves its bus (`BusAcquisition`); the run thread reads `outcome` only after
/// acquisition has stopped.
final class PressureDUT: AcquiredDUT {
    let slot: Rig.Slot
    let chip: ChipDescription
    let bus: Rig.Bus
    let sensor: any PressureSensor
    let index: Int
    let schedule = DUTSchedule()
    var outcome: DUTOutcome
    var dataReady: (any DataReadyLine)?
    /// The line that powers the DUT, switched on for the run.
    var power: (any PowerSwitch)?
    /// The mode the chip is in now; nil before configuration.
    var mode: PressureMode?
    var isLost: Bool { outcome.lost != nil }
    var integrity: DataIntegrity {
        get { outcome.integrity }
        set { outcome.integrity = newValue }
    }

    init(index: Int, slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, sensor: any PressureSensor, serial: String?) {
        self.index = index
        self.slot = slot
        self.chip = chip
        self.bus = bus
        self.sensor = sensor
        outcome = DUTOutcome(slot: slot.id, chip: chip.chip, model: chip.model, bus: bus.device,
                             mux: slot.mux?.id, muxChannel: slot.mux?.channel, address: slot.address, serial: serial, figures: [],
                             integrity: DataIntegrity())
    }

    /// Configures the chip and restarts its schedule at `now`.
    func configure(_ settings: PressureSettings, now: Int64) throws(DriverError) -> PressureMode {
        let mode = try sensor.configure(settings)
        self.mode = mode
        schedule.restart(now: now, firstConversion: Int64(mode.conversionTime * 1e9), period: mode.periodNanoseconds)
        return mode
    }

    func pollSensor() throws(DriverError) -> AcquiredPoll<PressureReading> {
        switch try sensor.poll() {
        case .reading(let reading): .reading(reading)
        case .notReady: .notReady
        case .converting(let seconds): .converting(seconds)
        }
    }

    func readAfterEdge() throws(DriverError) -> AcquiredPoll<PressureReading> {
        .reading(try sensor.readConversion())
    }

    func markLost(_ reason: String) {
        outcome.lost = reason
    }
}
