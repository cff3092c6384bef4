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
    /// A lost DUT is re-probed with exponential backoff on the run clock (DESIGN.md §5; reference/daemon.md §5.4:
    /// ENXIO/EREMOTEIO "back off and re-probe"): first `firstReprobe` after it was lost, then each wait doubled up
    /// to `reprobeCap`: 1, 2, 4 … 32, 60, 60 … s, so probes fall at +1, +3, +7, +15, +31, +63, +123 … s. A
    /// pulled connector is found again within about twice its absence (at most a minute late), and a dead slot costs
    /// one failed transfer a minute.
    static let firstReprobe: Int64 = 1_000_000_000
    static let reprobeCap: Int64 = 60_000_000_000

    /// The wait after a re-probe that waited `wait` and found nothing.
    static func nextReprobeWait(after wait: Int64) -> Int64 { Swift.min(wait * 2, reprobeCap) }
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
    /// The run's zero on `clock`: outages are stated in run seconds.
    let runStart: Int64
    /// Beaten by the bus thread after each pass of its loop: a transfer wedged in the kernel silences it (watchdog).
    let progress: AcquisitionProgress
    private let outbox = Mutex<[TimedReading<DUT.Reading>]>([])
    /// Readings served and not yet handed over, kept by the serving thread without a lock: the bus thread moves them
    /// to `outbox` once per pass of its loop; a caller that serves the bus itself (a virtual clock) takes them
    /// directly. A lock per reading was two atomic instructions, a fifth of `serve`'s own time.
    private var served: [TimedReading<DUT.Reading>] = []
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let stopRequested = Atomic(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Each DUT's `nextDue` (`Int64.max`: never), by position in `duts`, kept by the serving thread: the deadline
    /// scan, once per reading, reads one flat array instead of asking every DUT object twice. Refreshed for the DUT
    /// just served, for all after a job and at each `refreshDeadlines()`; `serveNext()` checks the DUT it picks.
    /// Memory of its own, not an array: an array property written per reading was retained, checked for uniqueness
    /// and released each time.
    private let due: UnsafeMutableBufferPointer<Int64>

    init(bus: Rig.Bus, duts: [DUT], clock: any RigClock, runStart: Int64 = 0, progress: AcquisitionProgress = AcquisitionProgress(),
         events: @escaping RunEngine.EventSink) {
        self.bus = bus
        self.duts = duts
        self.clock = clock
        self.runStart = runStart
        self.progress = progress
        emit = events
        due = .allocate(capacity: duts.count)
        _ = due.initialize(from: duts.lazy.map { $0.nextDue ?? .max })
    }

    deinit {
        due.deallocate()
    }

    /// The earliest poll of a live DUT or re-probe of a lost one; nil when nothing is left to do.
    var nextDeadline: Int64? {
        let earliest = due.min() ?? .max
        return earliest == .max ? nil : earliest
    }

    /// Reads every DUT's deadline again: after the run thread changed a DUT itself (on a virtual clock, between
    /// passes) rather than through `perform(_:)`.
    func refreshDeadlines() {
        for position in duts.indices { due[position] = duts[position].nextDue ?? .max }
    }

    /// Readings delivered since the last call, in the order they were read.
    func takeReadings() -> [TimedReading<DUT.Reading>] {
        if thread == nil { handOver() }   // the caller serves the bus: `served` is its own
        return outbox.withLock { readings in
            defer { readings.removeAll(keepingCapacity: true) }
            return readings
        }
    }

    /// Moves the served readings to the outbox; on the serving thread only.
    private func handOver() {
        guard !served.isEmpty else { return }
        outbox.withLock { $0.append(contentsOf: served) }
        served.removeAll(keepingCapacity: true)
    }

    // MARK: Threads

    /// Serves the bus on a thread of its own until `stop()`.
    func start() {
        let name = "sq-bus-\(bus.id)"
        let thread = Thread { [self] in
            ThreadSyscalls.nameCurrentThread(name)
            progress.acquiring("bus \(bus.device)") { heartbeat in
                while !stopRequested.load(ordering: .relaxed) {
                    runJobs()
                    let now = clock.now()
                    // Wake at least every 20 ms to take jobs from the run thread.
                    let wake = Swift.min(nextDeadline ?? Int64.max, now + 20_000_000)
                    if wake > now { clock.sleep(until: wake) }
                    if let next = nextDeadline, next <= clock.now() { serveNext() }
                    handOver()
                    heartbeat.beat()
                }
            }
            runJobs()
            handOver()
            finished.signal()
        }
        thread.name = name
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
        guard thread != nil else {
            body()
            return refreshDeadlines()
        }
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
        let taken = jobs.withLock { jobs in defer { jobs.removeAll() }; return jobs }
        for job in taken { job() }
        if !taken.isEmpty { refreshDeadlines() }
    }

    // MARK: Serving

    /// Polls the DUT whose deadline is earliest, or re-probes it when it is lost, once that deadline has come;
    /// the caller has waited until `nextDeadline`.
    func serveNext() {
        while true {
            // A plain scan of the flat deadlines: this runs once per reading.
            var position = -1
            var earliest = Int64.max
            for index in due.indices where due[index] < earliest {
                earliest = due[index]
                position = index
            }
            guard position >= 0 else { return }
            // Unretained: `duts` holds every DUT as long as the bus lives (a retain and release per reading otherwise).
            let lookAgain = Unmanaged.passUnretained(duts[position])._withUnsafeGuaranteedRef { dut in
                // A DUT changed outside `perform` (a run thread marking it lost) has moved its deadline: take the
                // new one and look again.
                let actual = dut.nextDue ?? .max
                guard actual == earliest else {
                    due[position] = actual
                    return true
                }
                guard earliest <= clock.now() else { return false }
                if dut.isLost { reprobe(dut) } else { serve(dut) }
                due[position] = dut.nextDue ?? .max
                return false
            }
            if !lookAgain { return }
        }
    }

    /// Polls one DUT and reads it when ready. Bus errors are counted and never thrown; three in a row lose
    /// the DUT, with the error (and its errno) as the reason, until a re-probe finds it again.
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
                if let last = edges.latest {
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
                schedule.recordReading(at: stamp, gap: schedule.missedBeforeReading > 0)
                let missed = schedule.missedBeforeReading
                served.append(TimedReading(dut: dut.index, time: stamp, reading: reading, missedBefore: missed))
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
            if schedule.consecutiveErrors >= AcquisitionTiming.lostAfterErrors { lose(dut, error) }
        }
    }

    // MARK: Outages

    private func runSeconds(_ time: Int64) -> Double { Double(time - runStart) * 1e-9 }
    private var utcNow: String? { clock.isVirtual ? nil : DUTOutage.iso(Date()) }

    /// Declares the DUT lost: its outage starts now, with the error's errno, and its first re-probe is scheduled.
    /// The other DUTs of the bus are served as before.
    private func lose(_ dut: DUT, _ error: any Error) {
        let now = clock.now()
        let outage = DUTOutage(error: error, slot: dut.slot, bus: bus, now: now, runStart: runStart, clock: clock)
        dut.beginOutage(outage, reason: outage.lostSummary, reprobeAt: now + AcquisitionTiming.firstReprobe,
                        wait: AcquisitionTiming.firstReprobe)
        emit(.dutLost(slot: dut.slot.id, reason: outage.lostSummary))
    }

    /// Probes a lost DUT again (its id and calibration reads). The same unit is configured as it was and served
    /// again from its next conversion; the conversions of the outage are counted missed and the first reading after
    /// it carries them (`missedBefore`), so every noise record marks the gap. Nothing there: the next probe waits
    /// twice as long (`AcquisitionTiming`). Another unit in the slot: it stays lost for good, with that reason.
    private func reprobe(_ dut: DUT) {
        let started = clock.now()
        do throws(DriverError) {
            let identity = try dut.reprobe()
            if let replaced = dut.replacementReason(identity) {
                dut.countFailedReprobe()
                dut.markLost(replaced)
                dut.reprobeAt = nil
                emit(.dutLost(slot: dut.slot.id, reason: replaced))
                return
            }
            let schedule = dut.schedule
            // Every conversion from the first one not read up to now was lost to the outage.
            let missed = started >= schedule.expected ? Int((started - schedule.expected) / schedule.period) + 1 : 0
            // INT edges queued during the outage are its conversions, already counted.
            _ = try? dut.dataReady?.takeEdges()
            try dut.restoreConfiguration(now: clock.now())
            schedule.consecutiveErrors = 0
            schedule.missedBeforeReading += missed
            dut.integrity.missedSamples += missed
            if let outage = dut.endOutage(at: runSeconds(started), utc: utcNow, missed: missed) {
                emit(.dutReturned(slot: dut.slot.id, outage: outage))
            }
        } catch {
            dut.countFailedReprobe()
            let wait = AcquisitionTiming.nextReprobeWait(after: dut.reprobeWait)
            dut.reprobeWait = wait
            dut.reprobeAt = started + wait
        }
    }
}
