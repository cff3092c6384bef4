import Foundation
import SensorIO

/// Why a run stopped before its end: a technician's cancel, or a failure the run cannot go on from.
struct RunCancelled: Error {}

struct RunFailure: Error, CustomStringConvertible { var description: String }

/// The run thread's side of acquisition for I2C DUTs of any class: lets run time pass while the buses read
/// their DUTs, routes each reading (stamped on the run clock) to the raw capture and to whichever record the
/// current plan step has open, and reports progress. The engines of each sensor class own the plan; this owns
/// the time.
///
/// On a real clock each bus runs on a thread of its own and this thread only drains their outboxes; on a
/// virtual clock this thread serves every bus itself in deadline order, so a simulated run is reproducible.
final class AcquisitionSession<DUT: AcquiredDUT> {
    let clock: any RigClock
    let cancellation: RunCancellation
    let emit: RunEngine.EventSink
    /// The plan's duration, s, for progress events.
    let plannedDuration: Double
    let runStart: Int64
    private(set) var buses: [BusAcquisition<DUT>] = []
    /// Writes the capture row of a reading into the array it is given, emptied: the values after the step number (the
    /// header's columns, in order).
    private let captureRow: (DUT.Reading, inout [Double]) -> Void
    /// Raw capture writers by DUT index (nil: none), owned by the run thread.
    private var captures: [RawCaptureWriter?] = []
    private var captureFailure: String?
    private var lastProgress: Int64 = 0
    /// The plan step now running (1-based), written into every capture row.
    var currentStep = 0
    /// Called for every reading in time order, before the window's sink (the engine's running trackers).
    var observe: ((TimedReading<DUT.Reading>) -> Void)?

    init(clock: any RigClock, cancellation: RunCancellation, plannedDuration: Double, runStart: Int64,
         events: @escaping RunEngine.EventSink, captureRow: @escaping (DUT.Reading, inout [Double]) -> Void) {
        self.clock = clock
        self.cancellation = cancellation
        self.plannedDuration = plannedDuration
        self.runStart = runStart
        emit = events
        self.captureRow = captureRow
    }

    var elapsedSeconds: Double { Double(clock.now() - runStart) * 1e-9 }

    // MARK: The run

    /// A run's life around its plan: `probe` (which attaches the DUTs), acquisition on the bus threads, `steps`; then,
    /// however they ended, acquisition stops, `analyse` works on what was read, every DUT is put in standby and
    /// unpowered, `release` leaves the instruments safe, and the captures are closed. Returns the final state and
    /// what stopped the run.
    func conduct(duts: @autoclosure () -> [DUT], probe: () throws -> Void, steps: () throws -> Void, analyse: () -> Void,
                 release: () -> Void = {}) -> (RunState, String?) where DUT: SlotDUT {
        var state = RunState.done
        var failure: String?
        do {
            try probe()
            start()
            try steps()
            emit(.state(.analysing))
        } catch is RunCancelled {
            state = .cancelled
        } catch {
            state = .failed
            failure = "\(error)"
        }
        stop()
        drain()
        analyse()
        for dut in duts() { dut.shutDown() }
        release()
        if let closeFailure = closeCaptures() {
            state = .failed
            failure = failure ?? closeFailure
        }
        emit(.state(state))
        return (state, failure)
    }

    /// Carries out each plan step with `body`, which returns the step's planned seconds and what it did; records the
    /// step in `records` with the run time it took, and forces the captures to disk after it.
    func runSteps(_ steps: [Plan.Step], into records: inout [StepRecord],
                  _ body: (Plan.Step) throws -> (planned: Double, detail: String)) throws {
        for (index, step) in steps.enumerated() {
            currentStep = index + 1
            emit(.step(index: index + 1, count: steps.count, name: step.name))
            let started = clock.now()
            let (planned, detail) = try body(step)
            records.append(StepRecord(name: step.name, plannedSeconds: planned, actualSeconds: Double(clock.now() - started) * 1e-9,
                                      detail: detail))
            try flushCaptures()
        }
    }

    /// Makes each slot's DUT into `duts` and prepares it, in rig order: `make` builds the DUT from the slot's chip and
    /// its I2C device (nil: the chip's driver is not one of `driverNames`, this run's class); the DUT is switched on,
    /// waited for `powerSettle` ns, and `prepare` probes and configures it. A DUT that fails there is marked lost and
    /// the others go on; an unknown slot or driver fails the run, which the scheduler's checks should have refused.
    /// `duts` grows as DUTs are made, so those already switched on are switched off whatever happens next.
    func prepareDUTs(into duts: inout [DUT], slots: [String], rig: Rig, catalog: ChipCatalog, connector: any RigConnector,
                     driverNames: [String], powerSettle: Int64, make: (Int, Rig.Slot, ChipDescription, Rig.Bus, I2CDevice) -> DUT?,
                     prepare: (DUT) throws -> Void) throws where DUT: SlotDUT {
        emit(.state(.probing))
        let transports = SlotTransports(rig: rig, connector: connector)
        for slotID in slots {
            guard let slot = rig.slot(slotID), let bus = rig.bus(slot.bus), let chip = catalog.chip(slot.chip) else {
                throw RunFailure(description: "slot \(slotID) is not on this rig")
            }
            let device = I2CDevice(transport: try transports.transport(for: slot), address: slot.address)
            guard let dut = make(duts.count, slot, chip, bus, device) else {
                throw RunFailure(description: "slot \(slotID): chip \(chip.chip) names driver '\(chip.driver)', which is not one of "
                                     + driverNames.joined(separator: ", "))
            }
            duts.append(dut)
            do {
                try dut.powerOn(connector, settle: powerSettle)
                try prepare(dut)
            } catch {
                // An outage from the start, never re-probed: the run's records and captures are laid out for the DUTs
                // that answered, and a unit that joins later would have no warm-up and no calibration to compare.
                let outage = DUTOutage(error: error, slot: slot, bus: bus, now: clock.now(), runStart: runStart, clock: clock)
                dut.beginOutage(outage, reason: "probe: \(error)", reprobeAt: nil, wait: 0)
                emit(.dutLost(slot: slotID, reason: "probe: \(error)"))
            }
        }
        guard duts.contains(where: { !$0.isLost }) else { throw RunFailure(description: "no DUT answered its probe") }
        attach(duts, rig: rig)
    }

    // MARK: Buses

    /// One bus acquisition per rig bus that serves a DUT of the run.
    func attach(_ duts: [DUT], rig: Rig) {
        for bus in rig.buses {
            let served = duts.filter { $0.bus.id == bus.id }
            if !served.isEmpty {
                buses.append(BusAcquisition(bus: bus, duts: served, clock: clock, runStart: runStart, progress: cancellation.progress,
                                            events: emit))
            }
        }
    }

    /// Each bus on its own thread on a real clock; on a virtual clock the run thread serves them all.
    func start() {
        guard !clock.isVirtual else { return }
        for bus in buses { bus.start() }
    }

    func stop() {
        for bus in buses { bus.stop() }
    }

    /// Runs `body` on the DUT on the thread that serves its bus, and returns its result.
    func perform<T: Sendable>(on dut: DUT, _ body: @escaping @Sendable (DUT) -> T) -> T? {
        buses.first { $0.bus.id == dut.bus.id }?.perform(on: dut.index, body)
    }

    // MARK: Raw captures

    // Raw-capture section (disk full, issue 8): every capture error goes through `captureError`; a failed write stops
    // the run at the next routing of readings (`checkCaptures` in `pass`), not at the end of the step.

    /// Creates `<directory>/<slot>.sqraw`. A capture that cannot be created fails the run: data that is not kept
    /// is not measured. Returns the name relative to the run folder (`raw/<slot>.sqraw`).
    func openCapture(for dut: DUT, in directory: String, header: RawCaptureHeader) throws -> String {
        let name = "raw/\(dut.slot.id).sqraw"
        do {
            try StorageFile.makeDirectories(directory)
            let capture = try RawCaptureWriter(path: directory + "/" + dut.slot.id + ".sqraw", header: header)
            if captures.count <= dut.index { captures += Array(repeating: nil, count: dut.index + 1 - captures.count) }
            captures[dut.index] = capture
        } catch let failure as StorageFailure where failure.isDiskFull {
            throw RunFailure(description: "\(failure)")
        } catch {
            throw RunFailure(description: "cannot create the raw capture \(name): \(error)")
        }
        return name
    }

    /// Forces every capture to disk (at the end of each step), so a crash loses at most one step's tail.
    func flushCaptures() throws {
        try checkCaptures()
        for case let capture? in captures {
            do { try capture.flush() } catch {
                throw RunFailure(description: Self.captureError(error, path: capture.path))
            }
        }
    }

    /// Closes every capture; returns the first failure.
    func closeCaptures() -> String? {
        var failure = captureFailure
        for case let capture? in captures {
            do { try capture.close() } catch {
                failure = failure ?? Self.captureError(error, path: capture.path)
            }
        }
        return failure
    }

    /// Throws the first capture write that failed: data that cannot be kept is not measured.
    private func checkCaptures() throws {
        if let captureFailure { throw RunFailure(description: captureFailure) }
    }

    /// A full disk as ``StorageFailure`` words it (`disk full: no space left on … writing … (ENOSPC)`); any other
    /// failure with the capture named.
    private static func captureError(_ error: any Error, path: String) -> String {
        if let failure = error as? StorageFailure { return failure.isDiskFull ? "\(failure)" : "raw capture \(failure)" }
        return "raw capture \(path): \(error)"
    }
    // End of the raw-capture section.

    // MARK: Time and routing

    /// A span of run time whose readings go to `sink`.
    private struct Window {
        var start: Int64
        var end: Int64
        var sink: (Int, TimedReading<DUT.Reading>) -> Void
    }

    private var window: Window?
    /// Readings stamped after the current window's end, kept for the next one.
    private var pending: [TimedReading<DUT.Reading>] = []

    /// Lets `duration` seconds of run time pass while the buses acquire, handing every reading stamped in
    /// that span (after `skip` ns) to `sink`, and calling `reference` every `referenceInterval` seconds.
    func acquire(for duration: Double, skip: Int64 = 0, referenceInterval: Double? = nil,
                 reference readReference: (() throws -> Void)? = nil,
                 sink: @escaping (Int, TimedReading<DUT.Reading>) -> Void) throws {
        let start = clock.now()
        let end = start + Int64(duration * 1e9)
        window = Window(start: start + skip, end: end, sink: sink)
        defer { window = nil }
        if let referenceInterval, let readReference {
            var next = start
            while next < end {
                try pass(until: next)
                try readReference()
                next += Int64(referenceInterval * 1e9)
            }
        }
        try pass(until: end)
        // Bus threads stamp a reading when its read starts: give reads begun before the end time to land.
        if !clock.isVirtual { try pass(until: end + 30_000_000) }
    }

    /// Lets run time pass until `deadline`, the buses acquiring, then routes what they read.
    func pass(until deadline: Int64) throws {
        if clock.isVirtual {
            // Serve every bus from this thread in deadline order, routing what was read every second of run time (as
            // the real clock's loop does every 0.1 s), so a capture that cannot be written stops the run there.
            var routed = clock.now()
            var served = 0
            // The run thread may have reconfigured DUTs between passes.
            for bus in buses { bus.refreshDeadlines() }
            // A local array: a bus called through `self.buses` was retained and released per reading, the property
            // being one a call could change. The bus served is reached unretained: `buses` holds each for the loop.
            let buses = self.buses
            let unretained = buses.map { Unmanaged.passUnretained($0) }
            try cancellation.progress.acquiring("run thread serving " + buses.map { "bus \($0.bus.device)" }.joined(separator: ", ")) { heartbeat in
                while true {
                    if cancellation.isCancelled { throw RunCancelled() }
                    var earliest = -1
                    var next = Int64.max
                    for position in buses.indices {
                        if let due = buses[position].nextDeadline, due < next { (earliest, next) = (position, due) }
                    }
                    guard earliest >= 0, next < deadline else { break }
                    clock.sleep(until: next)
                    unretained[earliest]._withUnsafeGuaranteedRef { $0.serveNext() }
                    // Every 256 serves, well under a millisecond of this loop: silence is judged in seconds, and a
                    // beat per reading (a clock read) was 1.5 % of a magnetometer run.
                    served &+= 1
                    if served & 0xFF == 0 { heartbeat.beat() }
                    if next - routed >= 1_000_000_000 {
                        routed = next
                        drain()
                        try checkCaptures()
                    }
                }
            }
            clock.sleep(until: deadline)
        } else {
            while clock.now() < deadline {
                if cancellation.isCancelled { throw RunCancelled() }
                clock.sleep(until: Swift.min(deadline, clock.now() + 100_000_000))
                drain()
                try checkCaptures()
            }
        }
        if cancellation.isCancelled { throw RunCancelled() }
        drain()
        try checkCaptures()
        reportProgress()
    }

    /// Takes the buses' readings: each goes to the raw capture, and to the window's sink if stamped inside it.
    func drain() {
        // Taken as the buses hand them over: concatenating copied every reading (and retained what it holds) twice.
        var readings = pending
        pending = []
        for bus in buses {
            let taken = bus.takeReadings()
            if readings.isEmpty { readings = taken } else { readings += taken }
        }
        if buses.count > 1 { readings.sort { $0.time < $1.time } }
        // Plain closures in locals, unwrapped once: through `self`, or bound by `if let` per reading, each closure's
        // context was retained and released per reading.
        let observe = self.observe ?? { _ in }
        let (start, end) = window.map { ($0.start, $0.end) } ?? (.max, .max)
        let sink = window?.sink ?? { _, _ in }
        for reading in readings {
            if reading.time >= end {
                pending.append(reading)
                continue
            }
            observe(reading)
            if reading.time >= start { sink(reading.dut, reading) }
        }
        record(readings, before: end)
    }

    /// Writes the readings stamped before `end` into their DUTs' raw captures, one capture at a time: a capture
    /// reached per reading was retained and released per reading. The readings' positions are first grouped by DUT
    /// (a counting sort, in time order within each DUT), so each capture takes its own in one run.
    private func record(_ readings: [TimedReading<DUT.Reading>], before end: Int64) {
        let duts = captures.count
        var starts = [Int](repeating: 0, count: duts + 1)
        for timed in readings where timed.time < end && timed.dut < duts { starts[timed.dut + 1] += 1 }
        for dut in 0..<duts { starts[dut + 1] += starts[dut] }
        var positions = [Int](repeating: 0, count: starts[duts])
        var next = starts
        for (position, timed) in readings.enumerated() where timed.time < end && timed.dut < duts {
            positions[next[timed.dut]] = position
            next[timed.dut] += 1
        }
        let step = Double(currentStep)
        let captureRow = self.captureRow
        var row: [Double] = []   // reused for every reading of this routing
        for (dut, capture) in captures.enumerated() {
            guard let capture else { continue }
            do {
                for position in positions[starts[dut]..<starts[dut + 1]] {
                    let timed = readings[position]
                    row.removeAll(keepingCapacity: true)
                    captureRow(timed.reading, &row)
                    try capture.append(time: timed.time, leading: step, row)
                }
            } catch {
                // Data that cannot be kept is not measured: `pass` stops the run once this routing of readings is done.
                captureFailure = captureFailure ?? Self.captureError(error, path: capture.path)
            }
        }
    }

    private func reportProgress() {
        let now = clock.now()
        guard now - lastProgress >= 5_000_000_000 else { return }
        lastProgress = now
        emit(.progress(elapsed: elapsedSeconds, planned: plannedDuration))
    }
}

/// The rig clock as an instrument driven from the run thread sees it: waiting on it lets the buses go on reading (on
/// a virtual clock the run thread serves them meanwhile), so a gas mixer whose flows settle for seconds costs no
/// reading. A cancel during the wait is seen at the run's next acquisition.
final class AcquiringClock<DUT: AcquiredDUT>: RigClock, @unchecked Sendable {
    private unowned let session: AcquisitionSession<DUT>

    init(_ session: AcquisitionSession<DUT>) {
        self.session = session
    }

    func now() -> Int64 { session.clock.now() }
    /// Lets run time pass with the buses acquiring. Once the run is cancelled the buses stop, but time still passes:
    /// an instrument waiting on this clock (a mixer's flows settling) reaches its own deadline and gives up, rather
    /// than waiting forever for a virtual clock that no longer moves.
    func sleep(until deadline: Int64) {
        do { try session.pass(until: deadline) } catch { session.clock.sleep(until: deadline) }
    }
    var isVirtual: Bool { session.clock.isVirtual }
}
