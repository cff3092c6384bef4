import Foundation
import SensorDrivers
import SensorIO
import Synchronization

/// The bus scheduler's fixed policy, shared by every sensor class.
enum AcquisitionTiming {
    /// Consecutive failed transfers after which a DUT is declared lost.
    static let lostAfterErrors = 3
    /// Time after the expected conversion at which a DUT is polled: covers the STATUS read's transfer.
    static let pollMargin: Int64 = 500_000
    /// Not-ready polls before a conversion is counted missed.
    static let notReadyRetries = 4
}

/// Serves every DUT of one I2C bus in deadline order: polls each at its conversion instants, reads it when
/// ready, counts what was late, missed or failed, and hands readings to the run thread through an outbox.
///
/// One bus, one thread: transfers on a bus are serial anyway, and a slow or faulty bus cannot delay the
/// others. On a real rig each `BusAcquisition` runs on its own thread (`start()`); on a virtual clock the run
/// thread interleaves all buses itself (`serveNext()`), so a simulated run is exactly reproducible.
/// The DUTs are confined to the serving thread; other threads reach them only through `perform(_:)`.
final class BusAcquisition<DUT: AcquiredDUT>: @unchecked Sendable {
    let bus: Rig.Bus
    let duts: [DUT]
    let clock: any RigClock
    let emit: RunEngine.EventSink
    /// Beaten by the bus thread after each pass of its loop: a transfer wedged in the kernel silences it (watchdog).
    let progress: AcquisitionProgress
    private let outbox = Mutex<[TimedReading<DUT.Reading>]>([])
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let stopRequested = Atomic(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(bus: Rig.Bus, duts: [DUT], clock: any RigClock, progress: AcquisitionProgress, events: @escaping RunEngine.EventSink) {
        self.bus = bus
        self.duts = duts
        self.clock = clock
        self.progress = progress
        emit = events
    }

    /// The earliest poll due among live DUTs; nil when none is left.
    var nextDeadline: Int64? { duts.lazy.filter { !$0.isLost }.map(\.schedule.pollAt).min() }

    /// Readings delivered since the last call, in the order they were read.
    func takeReadings() -> [TimedReading<DUT.Reading>] {
        outbox.withLock { readings in
            defer { readings.removeAll(keepingCapacity: true) }
            return readings
        }
    }

    // MARK: Threads

    /// Serves the bus on a thread of its own until `stop()`.
    func start() {
        let thread = Thread { [self] in
            progress.acquiring("bus \(bus.device)") { heartbeat in
                while !stopRequested.load(ordering: .relaxed) {
                    runJobs()
                    let now = clock.now()
                    // Wake at least every 20 ms to take jobs from the run thread.
                    let wake = Swift.min(nextDeadline ?? Int64.max, now + 20_000_000)
                    if wake > now { clock.sleep(until: wake) }
                    if let next = nextDeadline, next <= clock.now() { serveNext() }
                    heartbeat.beat()
                }
            }
            runJobs()
            finished.signal()
        }
        thread.name = "sq-bus-\(bus.id)"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops the bus thread and waits for it.
    func stop() {
        guard thread != nil else { return }
        stopRequested.store(true, ordering: .relaxed)
        finished.wait()
        thread = nil
    }

    /// Runs `body` on the thread that serves the bus (at once when the caller is that thread) and waits.
    func perform(_ body: @escaping @Sendable () -> Void) {
        guard thread != nil else { return body() }
        let done = DispatchSemaphore(value: 0)
        jobs.withLock { $0.append { body(); done.signal() } }
        done.wait()
    }

    /// Runs `body` on a DUT on the serving thread (a mode change) and returns its result.
    func perform<T: Sendable>(on index: Int, _ body: @escaping @Sendable (DUT) -> T) -> T? {
        let result = Mutex<T?>(nil)
        perform { [self] in
            guard let dut = duts.first(where: { $0.index == index }) else { return }
            let value = body(dut)
            result.withLock { $0 = value }
        }
        return result.withLock { $0 }
    }

    private func runJobs() {
        for job in jobs.withLock({ jobs in defer { jobs.removeAll() }; return jobs }) { job() }
    }

    // MARK: Serving

    /// Polls the DUT whose deadline is earliest; the caller has waited until that deadline.
    func serveNext() {
        guard let dut = duts.filter({ !$0.isLost }).min(by: { $0.schedule.pollAt < $1.schedule.pollAt }) else { return }
        serve(dut)
    }

    /// Polls one DUT and reads it when ready. Bus errors are counted and never thrown; three in a row lose
    /// the DUT, with the error (and its errno) as the reason.
    private func serve(_ dut: DUT) {
        let schedule = dut.schedule
        let started = clock.now()
        let period = schedule.period
        if !schedule.followUp { schedule.recordLateness(started - schedule.pollAt, into: &dut.integrity) }
        do {
            var stamp = started
            let poll: AcquiredPoll<DUT.Reading>
            if let line = dut.dataReady, !schedule.followUp || schedule.retries > 0 {
                // Deadline-scheduled, edge-confirmed: the INT edges queued since the last read say whether a
                // conversion is waiting (no STATUS transfer) and when it completed, to the kernel's timestamp.
                let edges = try line.takeEdges()
                if let last = edges.last {
                    dut.integrity.missedSamples += edges.count - 1
                    schedule.missedBeforeReading += edges.count - 1
                    stamp = last
                    poll = try dut.readAfterEdge()
                } else {
                    poll = .notReady
                }
            } else {
                poll = try dut.pollSensor()
            }
            switch poll {
            case .reading(let reading):
                dut.integrity.samples += 1
                schedule.consecutiveErrors = 0
                let endOfSequence = schedule.followUp
                schedule.followUp = false
                schedule.recordReading(at: stamp, gap: schedule.missedBeforeReading > 0, into: &dut.integrity)
                let missed = schedule.missedBeforeReading
                outbox.withLock {
                    $0.append(TimedReading(dut: dut.index, time: stamp, reading: reading, missedBefore: missed))
                }
                schedule.missedBeforeReading = 0
                // Found only after not-ready retries, or as the first conversion after a command sequence: the chip
                // converts later in its period than the schedule assumed (its own oscillator, its start-up, the
                // configuration commands). Re-phase on this conversion.
                if schedule.retries > 0 || (schedule.awaitingFirstReading && endOfSequence) {
                    schedule.expected = started - AcquisitionTiming.pollMargin
                }
                schedule.awaitingFirstReading = false
                schedule.retries = 0
                // Conversions that completed while we were late are gone: count them; the next reading follows a gap.
                schedule.expected += period
                while schedule.expected + period <= clock.now() {
                    schedule.expected += period
                    dut.integrity.missedSamples += 1
                    schedule.missedBeforeReading += 1
                }
                schedule.pollAt = schedule.expected + AcquisitionTiming.pollMargin
            case .converting(let seconds):
                schedule.consecutiveErrors = 0
                schedule.followUp = true
                schedule.pollAt = clock.now() + Int64(seconds * 1e9)
            case .notReady where schedule.retries < AcquisitionTiming.notReadyRetries:
                schedule.retries += 1
                schedule.followUp = true
                dut.integrity.notReadyPolls += 1
                schedule.pollAt = clock.now() + period / 10
            case .notReady:
                schedule.retries = 0
                schedule.followUp = false
                dut.integrity.missedSamples += 1
                schedule.missedBeforeReading += 1
                schedule.expected += period
                schedule.pollAt = schedule.expected + AcquisitionTiming.pollMargin
            }
        } catch {
            dut.integrity.busErrors += 1
            schedule.consecutiveErrors += 1
            schedule.followUp = false
            schedule.pollAt = clock.now() + period
            if schedule.consecutiveErrors >= AcquisitionTiming.lostAfterErrors {
                dut.markLost("\(error)")
                emit(.dutLost(slot: dut.slot.id, reason: "\(error)"))
            }
        }
    }
}
