import Foundation
import SensorDrivers
import SensorIO
import Synchronization

/// A reading on its way from a bus thread to the run thread.
struct TimedReading: Sendable {
    /// The DUT's index in the run.
    var dut: Int
    /// Run clock when the read started (or the data-ready edge's kernel timestamp), ns.
    var time: Int64
    var reading: PressureReading
    /// Conversions missed just before this one: the noise estimators mark a gap here.
    var missedBefore: Int
}

/// Serves every DUT of one I2C bus in deadline order: polls each at its conversion instants, reads it when
/// ready, counts what was late, missed or failed, and hands readings to the run thread through an outbox.
///
/// One bus, one thread: transfers on a bus are serial anyway, and a slow or faulty bus cannot delay the
/// others. On a real rig each `BusAcquisition` runs on its own thread (`start()`); on a virtual clock the run
/// thread interleaves all buses itself (`serveNext()`), so a simulated run is exactly reproducible.
/// The DUTs are confined to the serving thread; other threads reach them only through `perform(_:)`.
final class BusAcquisition: @unchecked Sendable {
    /// Consecutive failed transfers after which a DUT is declared lost.
    static let lostAfterErrors = 3
    /// Time after the expected conversion at which a DUT is polled: covers the STATUS read's transfer.
    static let pollMargin: Int64 = 500_000
    /// Not-ready polls before a conversion is counted missed.
    static let notReadyRetries = 4

    let bus: Rig.Bus
    let duts: [PressureDUT]
    let clock: any RigClock
    let emit: RunEngine.EventSink
    private let outbox = Mutex<[TimedReading]>([])
    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let stopRequested = Atomic(false)
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    init(bus: Rig.Bus, duts: [PressureDUT], clock: any RigClock, events: @escaping RunEngine.EventSink) {
        self.bus = bus
        self.duts = duts
        self.clock = clock
        emit = events
    }

    /// The earliest poll due among live DUTs; nil when none is left.
    var nextDeadline: Int64? { duts.lazy.filter { !$0.isLost }.map(\.pollAt).min() }

    /// Readings delivered since the last call, in the order they were read.
    func takeReadings() -> [TimedReading] {
        outbox.withLock { readings in
            defer { readings.removeAll(keepingCapacity: true) }
            return readings
        }
    }

    // MARK: Threads

    /// Serves the bus on a thread of its own until `stop()`.
    func start() {
        let thread = Thread { [self] in
            while !stopRequested.load(ordering: .relaxed) {
                runJobs()
                let now = clock.now()
                // Wake at least every 20 ms to take jobs from the run thread.
                let wake = Swift.min(nextDeadline ?? Int64.max, now + 20_000_000)
                if wake > now { clock.sleep(until: wake) }
                if let next = nextDeadline, next <= clock.now() { serveNext() }
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

    /// Puts a DUT in a new mode, on the serving thread.
    func reconfigure(dut index: Int, _ settings: PressureSettings) -> Result<PressureMode, DriverError> {
        let result = Mutex<Result<PressureMode, DriverError>?>(nil)
        perform { [self] in
            guard let dut = duts.first(where: { $0.index == index }) else { return }
            let outcome = Result { () throws(DriverError) -> PressureMode in try dut.configure(settings, now: clock.now()) }
            result.withLock { $0 = outcome }
        }
        return result.withLock { $0 } ?? .failure(.configurationRejected(model: "?", reason: "DUT \(index) is not on bus \(bus.id)"))
    }

    private func runJobs() {
        for job in jobs.withLock({ jobs in defer { jobs.removeAll() }; return jobs }) { job() }
    }

    // MARK: Serving

    /// Polls the DUT whose deadline is earliest; the caller has waited until that deadline.
    func serveNext() {
        guard let dut = duts.filter({ !$0.isLost }).min(by: { $0.pollAt < $1.pollAt }) else { return }
        serve(dut)
    }

    /// Polls one DUT and reads it when ready. Bus errors are counted and never thrown; three in a row lose
    /// the DUT, with the error (and its errno) as the reason.
    private func serve(_ dut: PressureDUT) {
        let started = clock.now()
        let period = dut.periodNanoseconds
        if !dut.followUp { dut.recordLateness(started - dut.pollAt) }
        do {
            var stamp = started
            let poll: PressurePoll
            if let line = dut.dataReady, !dut.followUp || dut.retries > 0 {
                // Deadline-scheduled, edge-confirmed: the INT edges queued since the last read say whether a
                // conversion is waiting (no STATUS transfer) and when it completed, to the kernel's timestamp.
                let edges = try line.takeEdges()
                if let last = edges.last {
                    dut.outcome.integrity.missedSamples += edges.count - 1
                    dut.missedBeforeReading += edges.count - 1
                    stamp = last
                    poll = .reading(try dut.sensor.readConversion())
                } else {
                    poll = .notReady
                }
            } else {
                poll = try dut.sensor.poll()
            }
            switch poll {
            case .reading(let reading):
                dut.outcome.integrity.samples += 1
                dut.consecutiveErrors = 0
                dut.followUp = false
                dut.recordReading(at: stamp, gap: dut.missedBeforeReading > 0)
                outbox.withLock {
                    $0.append(TimedReading(dut: dut.index, time: stamp, reading: reading, missedBefore: dut.missedBeforeReading))
                }
                dut.missedBeforeReading = 0
                // Found only after not-ready retries: the chip converts later in its period than the schedule
                // assumed (its own oscillator, its start-up). Re-phase on this conversion.
                if dut.retries > 0 { dut.expected = started - Self.pollMargin }
                dut.retries = 0
                // Conversions that completed while we were late are gone: count them; the next reading follows a gap.
                dut.expected += period
                while dut.expected + period <= clock.now() {
                    dut.expected += period
                    dut.outcome.integrity.missedSamples += 1
                    dut.missedBeforeReading += 1
                }
                dut.pollAt = dut.expected + Self.pollMargin
            case .converting(let seconds):
                dut.consecutiveErrors = 0
                dut.followUp = true
                dut.pollAt = clock.now() + Int64(seconds * 1e9)
            case .notReady where dut.retries < Self.notReadyRetries:
                dut.retries += 1
                dut.followUp = true
                dut.outcome.integrity.notReadyPolls += 1
                dut.pollAt = clock.now() + period / 10
            case .notReady:
                dut.retries = 0
                dut.followUp = false
                dut.outcome.integrity.missedSamples += 1
                dut.missedBeforeReading += 1
                dut.expected += period
                dut.pollAt = dut.expected + Self.pollMargin
            }
        } catch {
            dut.outcome.integrity.busErrors += 1
            dut.consecutiveErrors += 1
            dut.followUp = false
            dut.pollAt = clock.now() + period
            if dut.consecutiveErrors >= Self.lostAfterErrors {
                dut.markLost("\(error)")
                emit(.dutLost(slot: dut.slot.id, reason: "\(error)"))
            }
        }
    }
}
