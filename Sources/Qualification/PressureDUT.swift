import SensorDrivers
import SensorIO
import SensorMetrics
import SensorStats

/// One pressure DUT during a run: its driver, the mode it is in, its read schedule and integrity counters.
/// Confined to the thread that serves its bus (`BusAcquisition`); the run thread reads `outcome` only after
/// acquisition has stopped.
final class PressureDUT {
    let slot: Rig.Slot
    let chip: ChipDescription
    let bus: Rig.Bus
    let sensor: any PressureSensor
    /// Index in the run's DUT list: how readings name their DUT across threads.
    let index: Int
    var outcome: DUTOutcome
    /// The INT line when wired: edges confirm each conversion and timestamp it; else STATUS is polled.
    var dataReady: (any DataReadyLine)?
    /// The line that powers the DUT, switched on for the run.
    var power: (any PowerSwitch)?
    /// The mode the chip is in now; nil before configuration.
    var mode: PressureMode?
    var isLost: Bool { outcome.lost != nil }

    /// Next conversion expected (run clock, ns), and when to poll for it.
    var expected: Int64 = 0
    var pollAt: Int64 = 0
    /// Whether the next poll follows up a conversion the driver started (command-based chips), rather than
    /// being a scheduled deadline.
    var followUp = false
    var retries = 0
    /// Conversions missed before the reading now being delivered: the estimators mark a gap there.
    var missedBeforeReading = 0
    var consecutiveErrors = 0
    private var lateness = RunningMoments()
    private var intervals = RunningMoments()
    private var lastReading: Int64?

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

    var periodNanoseconds: Int64 { mode?.periodNanoseconds ?? 1_000_000_000 }

    /// Configures the chip and restarts its schedule at `now`.
    func configure(_ settings: PressureSettings, now: Int64) throws(DriverError) -> PressureMode {
        let mode = try sensor.configure(settings)
        self.mode = mode
        expected = now + Int64(mode.conversionTime * 1e9)
        pollAt = expected + BusAcquisition.pollMargin
        followUp = false
        retries = 0
        lastReading = nil
        return mode
    }

    /// How late a scheduled poll started, µs.
    func recordLateness(_ nanoseconds: Int64) {
        lateness.add(Double(nanoseconds) / 1000)
        outcome.integrity.latenessMeanMicroseconds = lateness.mean
        outcome.integrity.latenessMaxMicroseconds = lateness.maximum
        if nanoseconds > periodNanoseconds { outcome.integrity.overruns += 1 }
    }

    /// The interval from the previous reading, for the timing jitter: only between consecutive conversions.
    func recordReading(at time: Int64, gap: Bool) {
        if let lastReading, !gap {
            intervals.add(Double(time - lastReading - periodNanoseconds) / 1000)
            outcome.integrity.intervalJitterMicroseconds = intervals.sampleStandardDeviation ?? 0
        }
        lastReading = time
    }

    func markLost(_ reason: String) {
        outcome.lost = reason
    }
}
