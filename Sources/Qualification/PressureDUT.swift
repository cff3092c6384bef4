import SensorDrivers
import SensorIO
import SensorMetrics
import SensorStats

/// One pressure DUT during a run: its driver, calibration, read schedule and integrity counters.
/// Owned by the run's acquisition thread.
final class PressureDUT {
    let slot: Rig.Slot
    let chip: ChipDescription
    let bus: Rig.Bus
    let driver: BMP390
    var outcome: DUTOutcome
    var calibration: BMP390Calibration?
    /// Where every reading is appended as it arrives; nil when the run keeps no raw capture.
    var capture: RawCaptureWriter?
    var isLost: Bool { outcome.lost != nil }

    /// Next conversion expected (run clock, ns), and when to poll for it.
    var expected: Int64 = 0
    var pollAt: Int64 = 0
    var retries = 0
    /// Conversions missed before the reading now being delivered: the estimators mark a gap there.
    var missedBeforeReading = 0
    var consecutiveErrors = 0
    private var lateness = RunningMoments()

    init(slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, transport: any I2CTransport, serial: String?) {
        self.slot = slot
        self.chip = chip
        self.bus = bus
        driver = BMP390(device: I2CDevice(transport: transport, address: slot.address))
        outcome = DUTOutcome(slot: slot.id, chip: chip.chip, model: chip.model, bus: bus.device,
                             mux: slot.mux?.id, muxChannel: slot.mux?.channel, address: slot.address, serial: serial, figures: [],
                             integrity: DataIntegrity())
    }

    func recordLateness(_ nanoseconds: Int64) {
        lateness.add(Double(nanoseconds) / 1000)
        outcome.integrity.latenessMeanMicroseconds = lateness.mean
        outcome.integrity.latenessMaxMicroseconds = lateness.maximum
    }

    func markLost(_ reason: String) {
        outcome.lost = reason
    }
}
