import SensorDrivers
import SensorIO
import SensorMetrics

/// One magnetometer DUT during a run: its driver, the mode it is in, its read schedule and integrity counters.
/// Confined to the thread that serves its bus; the run thread reads `outcome` only after acquisition has stopped.
final class MagneticDUT: SlotDUT, AcquiredDUT {
    let sensor: any MagneticSensor
    /// The mode the chip is in now; nil before configuration.
    var mode: MagneticMode?
    /// The settings of the mode it is in (the last accepted): what a DUT that returns from an outage is configured with again.
    private(set) var settings: MagneticSettings?

    init(index: Int, slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, sensor: any MagneticSensor, serial: String?) {
        self.sensor = sensor
        super.init(index: index, slot: slot, chip: chip, bus: bus, serial: serial)
    }

    /// Configures the chip and restarts its schedule at `now`: the first set is due a period later.
    func configure(_ settings: MagneticSettings, now: Int64) throws(DriverError) -> MagneticMode {
        let mode = try sensor.configure(settings)
        self.settings = settings
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

    func reprobe() throws(DriverError) -> SensorIdentity { try sensor.probe() }

    func restoreConfiguration(now: Int64) throws(DriverError) {
        guard let settings else { throw .configurationRejected(model: chip.model, reason: "never configured, nothing to restore") }
        _ = try configure(settings, now: now)
    }

    override func shutDown() {
        if !isLost { try? sensor.standby() }
        super.shutDown()
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
