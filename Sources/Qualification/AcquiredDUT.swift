import SensorDrivers
import SensorMetrics
import SensorStats

/// A DUT of any sensor class as a bus thread serves it: a driver to poll, a read schedule and the integrity
/// counters. `BusAcquisition` and `AcquisitionSession` need nothing else, so pressure, magnetic and gas runs
/// share one scheduler (DESIGN.md §3: per-bus, deadline-ordered). The type itself is captured by the bus thread's
/// closures, hence `SendableMetatype`; the instances stay on the bus thread.
protocol AcquiredDUT: AnyObject, SendableMetatype {
    associatedtype Reading: Sendable
    /// Index in the run's DUT list: how readings name their DUT across threads.
    var index: Int { get }
    var slot: Rig.Slot { get }
    var bus: Rig.Bus { get }
    var schedule: DUTSchedule { get }
    var integrity: DataIntegrity { get set }
    /// The INT line when wired: edges confirm each conversion and timestamp it; else the driver polls STATUS.
    var dataReady: (any DataReadyLine)? { get }
    var isLost: Bool { get }
    func markLost(_ reason: String)
    /// Outage bookkeeping (`SlotDUT`): when the lost DUT is next re-probed and the wait before that probe.
    var reprobeAt: Int64? { get set }
    var reprobeWait: Int64 { get set }
    func beginOutage(_ outage: DUTOutage, reason: String, reprobeAt: Int64?, wait: Int64)
    func endOutage(at seconds: Double, utc: String?, missed: Int) -> DUTOutage?
    func countFailedReprobe()
    func replacementReason(_ identity: SensorIdentity) -> String?
    /// Reads the chip's identity again after an outage, as its first probe did: the id register and calibration
    /// reads (no configuration is written).
    func reprobe() throws(DriverError) -> SensorIdentity
    /// Puts the chip back in the mode it was last configured in and restarts its schedule at `now`.
    func restoreConfiguration(now: Int64) throws(DriverError)
    /// Asks the driver for a new conversion.
    func pollSensor() throws(DriverError) -> AcquiredPoll<Reading>
    /// Reads the conversion a data-ready edge announced.
    func readAfterEdge() throws(DriverError) -> AcquiredPoll<Reading>
}

extension AcquiredDUT {
    /// When the DUT next needs its bus: its poll while it answers, its re-probe while lost (nil: never again).
    var nextDue: Int64? { isLost ? reprobeAt : schedule.pollAt }
}

/// What one poll of any driver found (the common shape of `PressurePoll`, `MagneticPoll`, `GasPoll`).
enum AcquiredPoll<Reading: Sendable> {
    case reading(Reading)
    case notReady
    /// The driver started a conversion (or a step of a sequence): poll again after this many seconds.
    case converting(Double)
}

/// A reading on its way from a bus thread to the run thread.
struct TimedReading<Reading: Sendable>: Sendable {
    /// The DUT's index in the run.
    var dut: Int
    /// Run clock when the read started (or the data-ready edge's kernel timestamp), ns.
    var time: Int64
    var reading: Reading
    /// Conversions missed just before this one: the noise estimators mark a gap here.
    var missedBefore: Int
}

/// When a DUT is next read and how its reads have kept time. Confined, like its DUT, to the serving thread.
final class DUTSchedule {
    /// Nanoseconds between conversions in the mode the DUT is in.
    private(set) var period: Int64 = 1_000_000_000
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
    /// No reading yet in this mode: a chip that paces itself (command sequences, its own oscillator) sets the
    /// phase with its first conversion.
    var awaitingFirstReading = true
    /// Poll lateness, ns: count, exact sum and largest, what the report gives (a `RunningMoments`, four moments through a
    /// division, cost 2 % of a magnetometer run).
    private var lateness = (count: Int64(0), sum: Int64(0), maximum: Int64.min)
    /// Each interval less the period, ns, as exact integer sums: the report gives their standard deviation.
    private var intervals = IntegerCodeMoments()
    private var lastReading: Int64?

    /// Starts the schedule of a freshly configured mode: the first conversion is due `firstConversion` ns after
    /// `now`, then one every `period` ns.
    func restart(now: Int64, firstConversion: Int64, period: Int64) {
        self.period = period
        expected = now + firstConversion
        pollAt = expected + AcquisitionTiming.pollMargin
        followUp = false
        retries = 0
        lastReading = nil
        awaitingFirstReading = true
    }

    /// How late a scheduled poll started; counts an overrun (more than a period late) in `integrity`.
    func recordLateness(_ nanoseconds: Int64, into integrity: inout DataIntegrity) {
        lateness.count += 1
        lateness.sum += nanoseconds
        lateness.maximum = Swift.max(lateness.maximum, nanoseconds)
        if nanoseconds > period { integrity.overruns += 1 }
    }

    /// The interval from the previous reading, for the timing jitter: only between consecutive conversions.
    func recordReading(at time: Int64, gap: Bool) {
        if let lastReading, !gap { intervals.add(wide: time - lastReading - period) }
        lastReading = time
    }

    /// The timing summary so far into `integrity`: the mean and largest poll lateness and the interval jitter (the
    /// intervals' standard deviation), each once it has something to summarise.
    func summarize(into integrity: inout DataIntegrity) {
        if lateness.count > 0 {
            integrity.latenessMeanMicroseconds = Double(lateness.sum) / Double(lateness.count) / 1000
            integrity.latenessMaxMicroseconds = Double(lateness.maximum) / 1000
        }
        if intervals.count > 0 { integrity.intervalJitterMicroseconds = (intervals.sampleStandardDeviation ?? 0) / 1000 }
    }
}
