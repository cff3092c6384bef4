import SensorDrivers
import SensorIO
import SensorMetrics

/// One magnetometer DUT during a run: its driver, the mode it is in, its read schedule and integrity counters.
/// Confined to the thread that serves its bus; the run thread reads `outcome` only after acquisition has stopped.
final class MagneticDUT: AcquiredDUT {
    let slot: Rig.Slot
    let chip: ChipDescription
    let bus: Rig.Bus
    let sensor: any MagneticSensor
    let index: Int
    let schedule = DUTSchedule()
    var outcome: DUTOutcome
    var dataReady: (any DataReadyLine)?
    var power: (any PowerSwitch)?
    /// The mode the chip is in now; nil before configuration.
    var mode: MagneticMode?
    var isLost: Bool { outcome.lost != nil }
    var integrity: DataIntegrity {
        get { outcome.integrity }
        set { outcome.integrity = newValue }
    }

    init(index: Int, slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, sensor: any MagneticSensor, serial: String?) {
        self.index = index
        self.slot = slot
        self.chip = chip
        self.bus = bus
        self.sensor = sensor
        outcome = DUTOutcome(slot: slot.id, chip: chip.chip, model: chip.model, bus: bus.device,
                             mux: slot.mux?.id, muxChannel: slot.mux?.channel, address: slot.address, serial: serial, figures: [],
                             integrity: DataIntegrity())
    }

    /// Configures the chip and restarts its schedule at `now`: the first set is due a period later.
    func configure(_ settings: MagneticSettings, now: Int64) throws(DriverError) -> MagneticMode {
        let mode = try sensor.configure(settings)
        self.mode = mode
        schedule.restart(now: now, firstConversion: mode.periodNanoseconds, period: mode.periodNanoseconds)
        return mode
    }

    func pollSensor() throws(DriverError) -> AcquiredPoll<MagneticReading> {
        switch try sensor.poll() {
        case .reading(let reading): .reading(reading)
        case .notReady: .notReady
        case .converting(let seconds): .converting(seconds)
        }
    }

    /// Magnetometer drivers confirm a conversion by their status register even after an edge.
    func readAfterEdge() throws(DriverError) -> AcquiredPoll<MagneticReading> { try pollSensor() }

    func markLost(_ reason: String) {
        outcome.lost = reason
    }
}

extension Rig.Slot {
    /// The magnetometer driver for this slot: the catalog chip's, with the fluxgate's calibration from the rig file
    /// when the chip is a fluxgate read through an ADC (its outputs single-ended on AIN n: MUX code 8 + n); nil when the chip's driver is not a magnetometer's.
    public func magneticSensor(chip: ChipDescription, device: I2CDevice) -> (any MagneticSensor)? {
        if chip.driver == FluxgateADC.driverName, let fluxgate {
            let v = fluxgate.voltsPerMicrotesla, zero = fluxgate.zeroVolts
            return FluxgateADC(device: device, calibration: FluxgateCalibration(
                voltsPerMicrotesla: FieldVector(x: v[0], y: v[1], z: v[2]), zeroVolts: FieldVector(x: zero[0], y: zero[1], z: zero[2]),
                inputs: fluxgate.inputs.map { 8 + UInt8($0) }, gain: fluxgate.gain))
        }
        return MagneticDrivers.sensor(driver: chip.driver, device: device)
    }
}
