import SensorDrivers
import SensorIO
import SensorMetrics

/// One pressure DUT during a run: its driver, the mode it is in, its read schedule and integrity counters.
/// Confined to the thread that serves its bus (`BusAcquisition`); the run thread reads `outcome` only after
/// acquisition has stopped.
final class PressureDUT: SlotDUT, AcquiredDUT {
    let sensor: any PressureSensor
    /// The mode the chip is in now; nil before configuration.
    var mode: PressureMode?
    /// The settings of the mode it is in (the last accepted): what a DUT that returns from an outage is configured with again.
    private(set) var settings: PressureSettings?

    init(index: Int, slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, sensor: any PressureSensor, serial: String?) {
        self.sensor = sensor
        super.init(index: index, slot: slot, chip: chip, bus: bus, serial: serial)
    }

    /// Configures the chip and restarts its schedule at `now`.
    func configure(_ settings: PressureSettings, now: Int64) throws(DriverError) -> PressureMode {
        let mode = try sensor.configure(settings)
        self.settings = settings
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
