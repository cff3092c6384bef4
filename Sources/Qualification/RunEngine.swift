import Foundation
import SensorDrivers
import SensorIO
import SensorMetrics
import SensorStats

/// Carries out one pressure plan on a rig: probe → warm-up → noise → noise by mode → accuracy sweep → analysis.
///
/// `run()` blocks: the daemon calls it on a thread of its own (the run thread), never on the Swift
/// concurrency pool. The run thread keeps the plan's time, drives the reference and routes readings into
/// records by their timestamps; each bus's DUTs are read by that bus's `BusAcquisition`, in deadline order,
/// on a thread of its own (on a virtual clock, interleaved on the run thread). A DUT that fails is marked lost
/// and the others go on.
public final class RunEngine {
    public typealias EventSink = @Sendable (RunEvent) -> Void

    let request: RunRequest
    let rig: Rig
    let catalog: ChipCatalog
    let connector: any RigConnector
    let cancellation: RunCancellation
    let emit: EventSink
    /// The run folder's `raw/`, where each DUT's raw capture is written; nil for none.
    let captureDirectory: String?
    var clock: any RigClock { connector.clock }

    private var duts: [PressureDUT] = []
    private var session: AcquisitionSession<PressureDUT>!
    private var reference: (any PressureReference)?
    private var referenceConfig: Rig.Reference?
    private var pause: ReferencePause?
    private var steps: [StepRecord] = []
    private var runStart: Int64 = 0
    /// Longest wait for the controller to settle before a noise record, s.
    static let noiseSettleTimeout = 300.0
    /// Readings within this long after a mode change are discarded: the chip's filters settle.
    static let modeSettle: Int64 = 1_000_000_000

    public init(request: RunRequest, rig: Rig, catalog: ChipCatalog, connector: any RigConnector,
                cancellation: RunCancellation, captureDirectory: String? = nil, events: @escaping EventSink) {
        precondition(request.plan.acquisition != nil, "the pressure run engine runs pressure plans, not \(request.plan.sensorClass)")
        self.captureDirectory = captureDirectory
        self.request = request
        self.rig = rig
        self.catalog = catalog
        self.connector = connector
        self.cancellation = cancellation
        emit = events
    }

    /// Runs the plan to the end, cancellation or failure, and returns what was measured.
    public func run() -> RunOutcome {
        runStart = clock.now()
        session = AcquisitionSession(clock: clock, cancellation: cancellation, plannedDuration: request.plan.plannedDuration,
                                     runStart: runStart, events: emit) { reading, row in
            // One append per value: an array literal here was a heap array per reading.
            row.append(reading.pressure)
            row.append(reading.temperature)
            row.append(Double(reading.rawPressure))
            row.append(Double(reading.rawTemperature))
        }
        // Strongly held: an `unowned self` was an atomic strong retain and a release per reading.
        let resolution = self.resolution
        session.observe = { timed in resolution.add(timed.reading.pressureStep, dut: timed.dut) }
        let (state, failure) = session.conduct(duts: duts, probe: probe, steps: executeSteps, analyse: analyse)
        return RunOutcome(id: request.id, state: state, planName: request.plan.name, specName: request.spec.name,
                          simulated: connector.isSimulated, runSeconds: elapsedSeconds, steps: steps,
                          duts: duts.map(\.outcome), referenceIdentity: reference?.identity, error: failure)
    }

    private var elapsedSeconds: Double { session.elapsedSeconds }

    /// The plan's pressure acquisition settings: a pressure plan always has them (the plan parser insists, and
    /// `init` checks the engine got a pressure plan).
    private var acquisition: Plan.PressureAcquisition { request.plan.acquisition! }

    // MARK: Probe

    private func probe() throws {
        // Power-on to first command: the slowest chip here, the DPS310, reports its coefficients and sensor ready
        // about 40 ms after power-up (sensors.md §2.3).
        try session.prepareDUTs(
            into: &duts, slots: request.slots, rig: rig, catalog: catalog, connector: connector, driverNames: PressureDrivers.names,
            powerSettle: 50_000_000,
            make: { [request] index, slot, chip, bus, device in
                PressureDrivers.sensor(driver: chip.driver, device: device).map {
                    PressureDUT(index: index, slot: slot, chip: chip, bus: bus, sensor: $0, serial: request.serials[slot.id])
                }
            },
            prepare: { dut in
                dut.record(try dut.sensor.probe())
                let mode = try dut.configure(acquisition.settings(for: dut.chip.chip), now: clock.now())
                dut.outcome.conditions = PressureConditions(mode)
                if let line = dut.slot.dataReady {
                    dut.dataReady = try connector.openDataReadyLine(line)
                    dut.outcome.integrity.dataReadySource = "data-ready line \(line)"
                } else {
                    dut.outcome.integrity.dataReadySource = "status polling"
                }
            })
        for dut in duts where !dut.isLost { try openCapture(for: dut) }
        guard let referenceConfig = rig.reference(kind: "pressure-controller") else {
            throw RunFailure(description: "the rig has no pressure-controller reference")
        }
        self.referenceConfig = referenceConfig
        pause = ReferencePause(reference: referenceConfig, cancellation: cancellation, emit: emit)
        try attendingReference { }
    }

    /// Runs one reference point (`ReferencePause`); the controller is opened again after a silence, or here at the
    /// start.
    private func attendingReference<T>(_ point: () throws -> T) throws -> T {
        guard let pause, let referenceConfig else { throw RunFailure(description: "no reference controller") }
        let open = {
            // The silent connection goes first: an instrument serves one client at a time.
            self.reference = nil
            self.reference = try self.connector.openPressureReference(referenceConfig)
        }
        return try pause.attending(reconnect: open) {
            if reference == nil { try open() }
            return try point()
        }
    }

    /// Creates `raw/<slot>.sqraw` (AcquisitionSession.openCapture).
    private func openCapture(for dut: PressureDUT) throws {
        guard let captureDirectory else { return }
        let header = RawCaptureHeader(
            run: request.id, slot: dut.slot.id, chip: dut.chip.chip, serial: dut.outcome.serial,
            clock: connector.isSimulated ? "simulated" : "monotonic", sampleRateHz: dut.mode?.outputDataRate ?? 0,
            columns: [.init(name: "step", unit: "1"), .init(name: "pressure", unit: "Pa"), .init(name: "temperature", unit: "°C"),
                      .init(name: "raw_pressure", unit: "LSB"), .init(name: "raw_temperature", unit: "LSB")])
        let name = try session.openCapture(for: dut, in: captureDirectory, header: header)
        dut.outcome.rawCapture = name
    }

    // MARK: Steps

    private var noiseRecords = PerDUT<PressureNoise>()
    private var modeNoise = PerDUT<[ModeNoise]>()
    /// The noise record of the mode now running, by DUT.
    private var modeRecords = PerDUT<PressureNoise>()
    private var temperatures = PerDUT<RunningMoments>()
    private let resolution = PressureSteps()
    private var dwells = PerDUT<[PressureAccuracy.Dwell]>()

    private func executeSteps() throws {
        let plan = request.plan
        try session.runSteps(plan.steps, into: &steps) { step in
            var planned = 0.0
            var detail = ""
            switch step {
            case .warmUp(let duration):
                emit(.state(.warming))
                planned = duration
                try session.acquire(for: duration) { _, _ in }
                detail = "readings discarded"
            case .noise(let duration, let setpoint):
                emit(.state(.measuring))
                planned = duration
                let settle = try attendingReference { try self.settle(at: setpoint, timeout: Self.noiseSettleTimeout, hold: 0) }
                let dwellTimes = plan.steps.compactMap { step -> Double? in
                    if case .sweep(let s) = step { return s.dwell } else { return nil }
                }
                for dut in duts {
                    noiseRecords[dut.index] = PressureNoise(outputDataRate: dut.mode?.outputDataRate ?? 1, averagingTimes: dwellTimes,
                                                             duration: duration)
                }
                try session.acquire(for: duration) { dut, reading in
                    self.noiseRecords.update(at: dut) { record in
                        if reading.missedBefore > 0 { record.markGap(missedReadings: reading.missedBefore) }
                        record.add(reading.reading.pressure)
                    }
                    self.temperatures.update(at: dut, default: RunningMoments()) { $0.add(reading.reading.temperature) }
                }
                detail = String(format: "at %.0f Pa, settled in %.1f s", setpoint, settle)
            case .noiseByMode(let duration, let setpoint):
                emit(.state(.measuring))
                let settle = try attendingReference { try self.settle(at: setpoint, timeout: Self.noiseSettleTimeout, hold: 0) }
                let modes = try noiseByMode(duration: duration)
                planned = duration * Double(modes)
                detail = String(format: "%d modes × %.0f s at %.0f Pa, settled in %.1f s", modes, duration, setpoint, settle)
            case .sweep(let sweep):
                emit(.state(.measuring))
                planned = Double(sweep.sequence.count) * (sweep.settleHold + sweep.dwell)
                var settles: [Double] = []
                for (setpoint, direction) in sweep.sequence {
                    settles.append(try attendingReference {
                        let seconds = try settle(at: setpoint, timeout: sweep.settleTimeout, hold: sweep.settleHold, sweep: sweep)
                        try dwell(at: setpoint, direction: direction, sweep: sweep)
                        return seconds
                    })
                }
                detail = String(format: "%d points, settle %.1f–%.1f s, dwell %.0f s each", sweep.sequence.count,
                                settles.min() ?? 0, settles.max() ?? 0, sweep.dwell)
            case .sensitivity, .distortion, .acousticNoise, .overload, .fieldNoise, .fieldSteps, .gasBlank, .gasExposures:
                throw RunFailure(description: "step \(step.name) is not a pressure step; the pressure engine does not run it")
            }
            return (planned, detail)
        }
    }

    /// One noise record per oversampling mode of each chip (its catalog list, in order): mode i of every DUT
    /// runs at the same time; a chip with fewer modes idles. Returns the number of modes run.
    private func noiseByMode(duration: Double) throws -> Int {
        let lists = duts.map { dut in
            dut.chip.oversamplingModes.isEmpty ? [acquisition.settings(for: dut.chip.chip).oversampling]
                : dut.chip.oversamplingModes
        }
        let count = lists.map(\.count).max() ?? 0
        for mode in 0..<count {
            var active = Set<Int>()
            for dut in duts where !dut.isLost && mode < lists[dut.index].count {
                var settings = acquisition.settings(for: dut.chip.chip)
                settings.oversampling = lists[dut.index][mode]
                switch reconfigure(dut, settings) {
                case .success(let chosen):
                    active.insert(dut.index)
                    var conditions = PressureConditions(chosen)
                    conditions.temperatureC = nil
                    modeNoise[dut.index, default: []].append(ModeNoise(conditions: conditions, noise: nil, skipped: nil))
                    modeRecords[dut.index] = PressureNoise(outputDataRate: chosen.outputDataRate, duration: duration)
                case .failure(let error):
                    modeNoise[dut.index, default: []].append(ModeNoise(
                        conditions: nil, noise: nil, skipped: "oversampling \(settings.oversampling): \(error)"))
                }
            }
            try session.acquire(for: duration, skip: Self.modeSettle) { dut, reading in
                guard active.contains(dut) else { return }
                self.modeRecords.update(at: dut) { record in
                    if reading.missedBefore > 0 { record.markGap(missedReadings: reading.missedBefore) }
                    record.add(reading.reading.pressure)
                }
            }
            for index in active {
                guard var list = modeNoise[index], !list.isEmpty else { continue }
                list[list.count - 1].noise = modeRecords.removeValue(at: index)?.result
                modeNoise[index] = list
            }
        }
        // Back to the plan's mode for what follows.
        for dut in duts where !dut.isLost {
            if case .failure(let error) = reconfigure(dut, acquisition.settings(for: dut.chip.chip)) {
                dut.markLost("reconfigure after noise by mode: \(error)")
                emit(.dutLost(slot: dut.slot.id, reason: "reconfigure: \(error)"))
            }
        }
        return count
    }

    /// Reconfigures a DUT on the thread that serves its bus.
    private func reconfigure(_ dut: PressureDUT, _ settings: PressureSettings) -> Result<PressureMode, DriverError> {
        session.perform(on: dut) { [clock] dut in
            Result { () throws(DriverError) -> PressureMode in try dut.configure(settings, now: clock.now()) }
        } ?? .failure(.configurationRejected(model: dut.chip.model, reason: "no bus"))
    }

    /// Commands the setpoint and waits, the buses acquiring all along, until the controller reports stable
    /// (and, with a stability criterion, the reference has stopped drifting), then for `hold` seconds more.
    /// Returns the seconds to stable.
    private func settle(at setpoint: Double, timeout: Double, hold: Double, sweep: Plan.Sweep? = nil) throws -> Double {
        guard let reference, let referenceConfig else { throw RunFailure(description: "no reference controller") }
        let started = clock.now()
        // A technician setting the pressure by hand gets the reference's own (longer) time.
        let limit = reference.waitsForOperator ? referenceConfig.operatorTimeout : timeout
        try reference.setPoint(setpoint)
        if reference.waitsForOperator { emit(.referenceRequest(setpoint: setpoint)) }
        // A person's time is real time: on a virtual clock the run holds still while the technician works.
        let operatorPaced = reference.waitsForOperator && clock.isVirtual
        let realStart = MonotonicClock().now()
        func timedOut() -> Bool {
            Double(operatorPaced ? MonotonicClock().now() - realStart : clock.now() - started) * 1e-9 > limit
        }
        while try !reference.isStable() {
            if timedOut() {
                throw RunFailure(description: String(format: "%@ did not report stable at %.0f Pa within %.0f s",
                                                     reference.identity, setpoint, limit))
            }
            if operatorPaced {
                if cancellation.isCancelled { throw RunCancelled() }
                reference.awaitOperator(upTo: 0.5)
            } else {
                try session.pass(until: clock.now() + 500_000_000)
            }
        }
        if reference.waitsForOperator { emit(.referenceRequest(setpoint: nil)) }
        if let sweep, let rate = sweep.stabilityRate, !reference.waitsForOperator {
            // sensors.md §8.3: the dwell starts once the pressure has stopped moving. The slope over the
            // window, not the spread, is judged: the reference's own noise must not hold the run.
            while true {
                var fit = StreamingLineFit()
                let windowStart = clock.now()
                var t = windowStart
                while t < windowStart + Int64(sweep.stabilityWindow * 1e9) {
                    try session.pass(until: t)
                    fit.add(x: Double(clock.now() - windowStart) * 1e-9, y: try reference.measure())
                    t += Int64(sweep.referenceInterval * 1e9)
                }
                if let slope = fit.slope, abs(slope) <= rate { break }
                if timedOut() {
                    throw RunFailure(description: String(format: "the pressure at %.0f Pa still drifts by %.2f Pa/s after %.0f s (criterion %.2f Pa/s)",
                                                         setpoint, fit.slope ?? .nan, limit, rate))
                }
            }
        }
        let toStable = Double(clock.now() - started) * 1e-9
        if hold > 0 { try session.acquire(for: hold) { _, _ in } }
        return toStable
    }

    private func dwell(at setpoint: Double, direction: PressureAccuracy.Direction, sweep: Plan.Sweep) throws {
        guard let reference, let referenceConfig else { return }
        // The DUTs sit head_height_m above the reference port: the pressure there is lower by ρ·g·h
        // (11.8 Pa/m with ρ = 1.2 kg/m³, sensors.md §8.3).
        let headCorrection = -11.8 * referenceConfig.headHeightM
        var record = duts.map { _ in PressureAccuracy.Dwell(setpoint: setpoint, direction: direction, duration: sweep.dwell) }
        var referenceReadings = RunningMoments()
        try session.acquire(for: sweep.dwell, referenceInterval: reference.waitsForOperator ? nil : sweep.referenceInterval, reference: {
            referenceReadings.add(try reference.measure() + headCorrection)
        }) { dut, reading in
            record[dut].dut.add(reading.reading.pressure)
        }
        if reference.waitsForOperator { referenceReadings.add(try reference.measure() + headCorrection) }
        for dut in duts {
            record[dut.index].reference = referenceReadings
            dwells[dut.index, default: []].append(record[dut.index])
        }
    }

    // MARK: Analysis

    private func analyse() {
        let spec = request.spec
        let calibration = referenceConfig?.certificate.map {
            PressureAccuracy.ReferenceCalibration(expandedUncertainty: $0.expandedUncertainty, coverageFactor: $0.coverageFactor)
        }
        for dut in duts where dut.mode != nil {
            let index = dut.index
            dut.outcome.noise = noiseRecords[index]?.result
            dut.outcome.noiseByMode = modeNoise[index]
            dut.outcome.conditions?.temperatureC = temperatures[index]?.mean
            dut.outcome.conditions?.resolutionPa = resolution.largest[index]
            let measured = (dwells[index] ?? []).filter { $0.dut.count > 0 }
            if let calibration, measured.count >= 2 {
                let record = noiseRecords[index]
                dut.outcome.accuracy = PressureAccuracy.evaluate(
                    dwells: measured, calibration: calibration,
                    dutAllanDeviation: { tau in record?.allanDeviation(at: tau) },
                    resolution: resolution.largest[index] ?? 0, fitReferencePressure: 101_325)
            }
            dut.outcome.missing = missingData(for: dut, noise: dut.outcome.noise)
            dut.outcome.figures = PressureFigures.qualify(dut.outcome, spec: spec)
            let judged = dut.outcome.figures.compactMap(\.verdict)
            let expected = spec.limits.filter {
                $0.sensorClass == "pressure" && $0.limit != nil && request.plan.measuredMetrics.contains($0.metric)
            }.count
            // A DUT gets a verdict only when every limit the plan measures was measured, on complete data.
            dut.outcome.verdict = judged.count == expected && dut.outcome.missing.isEmpty ? Verdict.combined(judged) : nil
        }
    }

    /// What the plan asked for and this DUT did not deliver, in the lab's words; `noise` is its noise record's result,
    /// computed once by the caller (its Allan deviation and spectrum are computed there).
    private func missingData(for dut: PressureDUT, noise: PressureNoise.Result?) -> [String] {
        var missing: [String] = []
        let plan = request.plan
        for step in plan.steps {
            switch step {
            case .noise(let duration, _):
                let expected = Int(duration * (dut.mode?.outputDataRate ?? 0))
                let got = noise?.sampleCount ?? 0
                if got < expected * 9 / 10 {
                    missing.append("noise record: \(got) of \(expected) readings")
                }
            case .sweep(let sweep):
                let done = dwells[dut.index] ?? []
                for (position, (setpoint, direction)) in sweep.sequence.enumerated() {
                    let count = position < done.count ? done[position].dut.count : 0
                    if count == 0 {
                        missing.append(String(format: "accuracy point %.0f Pa %@", setpoint, direction.rawValue))
                    }
                }
            case .warmUp, .noiseByMode, .sensitivity, .distortion, .acousticNoise, .overload, .fieldNoise, .fieldSteps, .gasBlank, .gasExposures:
                break
            }
        }
        if let lost = dut.outcome.lost, !missing.isEmpty { missing.append("cause: \(lost)") }
        return missing
    }
}

/// Each DUT's coarsest pressure step seen in the run: the compensated output's resolution, which the accuracy budget
/// counts. Apart from the engine, so that the session's per-reading observer holds it strongly (the engine holds the
/// session, so the observer could reach the engine only unowned).
private final class PressureSteps {
    private(set) var largest = PerDUT<Double>()

    func add(_ step: Double, dut: Int) {
        largest[dut] = Swift.max(largest[dut] ?? 0, step)
    }
}
