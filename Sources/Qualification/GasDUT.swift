import SensorDrivers
import SensorIO
import SensorMetrics

/// One gas sensor DUT during a run: its driver, the mode it is in, the signal that answers the plan's gas, its
/// read schedule and integrity counters. Confined to the thread that serves its bus.
final class GasDUT: SlotDUT, AcquiredDUT {
    let sensor: any GasSensor
    var mode: GasMode?
    /// The settings of the mode it is in (the last accepted): what a DUT that returns from an outage is configured with again.
    private(set) var settings: GasSettings?
    /// Run clock (ns) before which readings are the chip's warm-up (SGP41 conditioning, ENS160 warm-up).
    var warmUpEnds: Int64 = 0

    init(index: Int, slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, sensor: any GasSensor, serial: String?) {
        self.sensor = sensor
        super.init(index: index, slot: slot, chip: chip, bus: bus, serial: serial)
    }

    /// Configures the chip and starts its schedule at `now`: command chips run their configuration sequence in the
    /// first polls and set the phase with their first reading.
    func configure(_ settings: GasSettings, now: Int64) throws(DriverError) -> GasMode {
        let mode = try sensor.configure(settings)
        self.settings = settings
        self.mode = mode
        warmUpEnds = now + Int64(mode.warmUp * 1e9)
        schedule.restart(now: now, firstConversion: 0, period: Int64((mode.samplingInterval * 1e9).rounded()))
        return mode
    }

    func pollSensor() throws(DriverError) -> AcquiredPoll<GasReading> {
        switch try sensor.poll() {
        case .reading(let reading): .reading(reading)
        case .notReady: .notReady
        case .converting(let seconds): .converting(seconds)
        }
    }

    func readAfterEdge() throws(DriverError) -> AcquiredPoll<GasReading> { try pollSensor() }

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
