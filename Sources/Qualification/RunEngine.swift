import Foundation
import SensorDrivers
import SensorIO
import SensorMetrics
import SensorStats

/// Carries out one pressure plan on a rig: probe → warm-up → noise → accuracy sweep → analysis.
///
/// `run()` blocks: the daemon calls it on a thread of its own (the run's acquisition thread), never on the
/// Swift concurrency pool. All bus transfers, reference commands and waits on the rig clock happen here, and
/// the DUTs of the bus are served in deadline order. A DUT that fails is marked lost and the others go on.
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
    private var currentStep = 0
    var clock: any RigClock { connector.clock }

    private var duts: [PressureDUT] = []
    private var reference: (any PressureReference)?
    private var referenceConfig: Rig.Reference?
    private var steps: [StepRecord] = []
    private var runStart: Int64 = 0
    private var lastProgress: Int64 = 0
    /// Consecutive failed transfers after which a DUT is declared lost.
    static let lostAfterErrors = 3
    /// Time after the expected conversion at which a DUT is polled: covers the bus transfer of the STATUS read.
    static let pollMargin: Int64 = 500_000
    /// Longest wait for the controller to settle before a noise record, s.
    static let noiseSettleTimeout = 300.0

    public init(request: RunRequest, rig: Rig, catalog: ChipCatalog, connector: any RigConnector,
                cancellation: RunCancellation, captureDirectory: String? = nil, events: @escaping EventSink) {
        self.captureDirectory = captureDirectory
        self.request = request
        self.rig = rig
        self.catalog = catalog
        self.connector = connector
        self.cancellation = cancellation
        emit = events
    }

    struct Cancelled: Error {}

    /// Runs the plan to the end, cancellation or failure, and returns what was measured.
    public func run() -> RunOutcome {
        runStart = clock.now()
        var state = RunState.done
        var failure: String?
        do {
            try probe()
            try executeSteps()
            emit(.state(.analysing))
            analyse()
        } catch is Cancelled {
            state = .cancelled
            analyse()
        } catch {
            state = .failed
            failure = "\(error)"
            analyse()
        }
        for dut in duts {
            do { try dut.capture?.close() } catch {
                state = .failed
                failure = failure ?? "raw capture \(dut.capture?.path ?? ""): \(error.localizedDescription)"
            }
        }
        emit(.state(state))
        return RunOutcome(id: request.id, state: state, planName: request.plan.name, specName: request.spec.name,
                          simulated: connector.isSimulated, runSeconds: elapsedSeconds, steps: steps,
                          duts: duts.map(\.outcome), referenceIdentity: reference?.identity, error: failure)
    }

    private var elapsedSeconds: Double { Double(clock.now() - runStart) * 1e-9 }

    // MARK: Probe

    struct RunFailure: Error, CustomStringConvertible { var description: String }

    private func probe() throws {
        emit(.state(.probing))
        let transports = SlotTransports(rig: rig, connector: connector)
        for slotID in request.slots {
            guard let slot = rig.slot(slotID), let bus = rig.bus(slot.bus), let chip = catalog.chip(slot.chip) else {
                throw RunFailure(description: "slot \(slotID) is not on this rig")
            }
            let transport = try transports.transport(for: slot)
            let dut = PressureDUT(slot: slot, chip: chip, bus: bus, transport: transport, serial: request.serials[slotID])
            duts.append(dut)
            do {
                let id = try dut.driver.probe()
                dut.outcome.idRegisterValue = "0x" + String(format: "%02X", id)
                let calibration = try dut.driver.readCalibration()
                dut.calibration = calibration
                dut.outcome.calibrationBytes = calibration.nvm.map { String(format: "%02X", $0) }.joined()
                try dut.driver.configure(request.plan.acquisition.configuration)
                let configuredAt = clock.now()
                dut.expected = configuredAt + Int64(request.plan.acquisition.configuration.measurementTime * 1e9)
                dut.pollAt = dut.expected + Self.pollMargin
                let c = request.plan.acquisition.configuration
                dut.outcome.conditions = PressureConditions(
                    outputDataRateHz: c.outputDataRate.hertz, pressureOversampling: c.pressureOversampling.factor,
                    temperatureOversampling: c.temperatureOversampling.factor, iirCoefficient: c.iirFilter.rawValue)
            } catch {
                dut.markLost("probe: \(error)")
                emit(.dutLost(slot: slotID, reason: "probe: \(error)"))
            }
            if !dut.isLost { try openCapture(for: dut) }
        }
        guard duts.contains(where: { !$0.isLost }) else {
            throw RunFailure(description: "no DUT answered its probe")
        }
        guard let referenceConfig = rig.reference(kind: "pressure-controller") else {
            throw RunFailure(description: "the rig has no pressure-controller reference")
        }
        self.referenceConfig = referenceConfig
        reference = try connector.openPressureReference(referenceConfig)
    }

    /// Creates `raw/<slot>.sqraw`. A capture that cannot be created fails the run: data that is not kept is
    /// not measured.
    private func openCapture(for dut: PressureDUT) throws {
        guard let captureDirectory else { return }
        let header = RawCaptureHeader(
            run: request.id, slot: dut.slot.id, chip: dut.chip.chip, serial: dut.outcome.serial,
            clock: connector.isSimulated ? "simulated" : "monotonic", sampleRateHz: request.plan.acquisition.outputDataRate,
            columns: [.init(name: "step", unit: "1"), .init(name: "pressure", unit: "Pa"), .init(name: "temperature", unit: "°C"),
                      .init(name: "raw_pressure", unit: "LSB"), .init(name: "raw_temperature", unit: "LSB")])
        let name = "raw/\(dut.slot.id).sqraw"
        do {
            try FileManager.default.createDirectory(atPath: captureDirectory, withIntermediateDirectories: true)
            dut.capture = try RawCaptureWriter(path: captureDirectory + "/" + dut.slot.id + ".sqraw", header: header)
        } catch {
            throw RunFailure(description: "cannot create the raw capture \(name): \(error.localizedDescription)")
        }
        dut.outcome.rawCapture = name
    }

    // MARK: Steps

    private var noiseRecords: [String: PressureNoise] = [:]
    private var temperatures: [String: RunningMoments] = [:]
    private var resolution: [String: Double] = [:]
    private var dwells: [String: [PressureAccuracy.Dwell]] = [:]

    private func executeSteps() throws {
        let plan = request.plan
        for (index, step) in plan.steps.enumerated() {
            currentStep = index + 1
            emit(.step(index: index + 1, count: plan.steps.count, name: step.name))
            let started = clock.now()
            var planned = 0.0
            var detail = ""
            switch step {
            case .warmUp(let duration):
                emit(.state(.warming))
                planned = duration
                try acquire(for: duration) { _, _ in }
                detail = "readings discarded"
            case .noise(let duration, let setpoint):
                emit(.state(.measuring))
                planned = duration
                let settle = try settle(at: setpoint, timeout: Self.noiseSettleTimeout, hold: 0)
                let dwellTimes = plan.steps.compactMap { step -> Double? in
                    if case .sweep(let s) = step { return s.dwell } else { return nil }
                }
                for dut in duts { noiseRecords[dut.slot.id] = PressureNoise(outputDataRate: plan.acquisition.outputDataRate,
                                                                             averagingTimes: dwellTimes) }
                try acquire(for: duration) { dut, reading in
                    if dut.missedBeforeReading > 0 {
                        self.noiseRecords[dut.slot.id]?.markGap(missedReadings: dut.missedBeforeReading)
                    }
                    self.noiseRecords[dut.slot.id]?.add(reading.pressure)
                    self.temperatures[dut.slot.id, default: RunningMoments()].add(reading.temperature)
                }
                detail = String(format: "at %.0f Pa, settled in %.1f s", setpoint, settle)
            case .sweep(let sweep):
                emit(.state(.measuring))
                planned = Double(sweep.sequence.count) * (sweep.settleHold + sweep.dwell)
                var settles: [Double] = []
                for (setpoint, direction) in sweep.sequence {
                    settles.append(try settle(at: setpoint, timeout: sweep.settleTimeout, hold: sweep.settleHold))
                    try dwell(at: setpoint, direction: direction, sweep: sweep)
                }
                detail = String(format: "%d points, settle %.1f–%.1f s, dwell %.0f s each", sweep.sequence.count,
                                settles.min() ?? 0, settles.max() ?? 0, sweep.dwell)
            }
            steps.append(StepRecord(name: step.name, plannedSeconds: planned,
                                    actualSeconds: Double(clock.now() - started) * 1e-9, detail: detail))
            try flushCaptures()
        }
    }

    /// Commands the setpoint and waits, reading the DUTs to keep their schedule, until the controller reports
    /// stable, then for `hold` seconds more. Returns the seconds to stable.
    private func settle(at setpoint: Double, timeout: Double, hold: Double) throws -> Double {
        guard let reference else { throw RunFailure(description: "no reference controller") }
        let started = clock.now()
        try reference.setPoint(setpoint)
        while try !reference.isStable() {
            if Double(clock.now() - started) * 1e-9 > timeout {
                throw RunFailure(description: String(format: "%@ did not report stable at %.0f Pa within %.0f s",
                                                     reference.identity, setpoint, timeout))
            }
            try acquire(for: 0.5) { _, _ in }
        }
        let toStable = Double(clock.now() - started) * 1e-9
        if hold > 0 { try acquire(for: hold) { _, _ in } }
        return toStable
    }

    private func dwell(at setpoint: Double, direction: PressureAccuracy.Direction, sweep: Plan.Sweep) throws {
        guard let reference, let referenceConfig else { return }
        // The DUTs sit head_height_m above the reference port: the pressure there is lower by ρ·g·h
        // (11.8 Pa/m with ρ = 1.2 kg/m³, sensors.md §8.3).
        let headCorrection = -11.8 * referenceConfig.headHeightM
        var record = duts.map { _ in PressureAccuracy.Dwell(setpoint: setpoint, direction: direction, duration: sweep.dwell) }
        var referenceReadings = RunningMoments()
        try acquire(for: sweep.dwell, referenceInterval: sweep.referenceInterval, reference: {
            referenceReadings.add(try reference.measure() + headCorrection)
        }) { dut, reading in
            if let index = self.duts.firstIndex(where: { $0 === dut }) { record[index].dut.add(reading.pressure) }
        }
        for (index, dut) in duts.enumerated() {
            record[index].reference = referenceReadings
            dwells[dut.slot.id, default: []].append(record[index])
        }
    }

    // MARK: Acquisition

    /// Reads every live DUT at its own conversion instants for `duration` seconds of the run clock, in
    /// deadline order, polling STATUS for data-ready (no data-ready line is wired on this rig).
    private func acquire(for duration: Double, referenceInterval: Double? = nil,
                         reference readReference: (() throws -> Void)? = nil,
                         sink: (PressureDUT, BMP390Reading) -> Void) throws {
        let period = Int64(1e9 / request.plan.acquisition.outputDataRate)
        let end = clock.now() + Int64(duration * 1e9)
        var nextReference = referenceInterval.map { _ in clock.now() }
        let interval = referenceInterval.map { Int64($0 * 1e9) } ?? 0
        while true {
            if cancellation.isCancelled { throw Cancelled() }
            let live = duts.filter { !$0.isLost }
            let nextDUT = live.min { $0.pollAt < $1.pollAt }
            let dutTime = nextDUT?.pollAt ?? Int64.max
            let refTime = nextReference ?? Int64.max
            let next = Swift.min(dutTime, refTime)
            if next >= end { clock.sleep(until: end); break }
            clock.sleep(until: next)
            if refTime <= dutTime, let readReference {
                try readReference()
                nextReference = refTime + interval
                continue
            }
            guard let dut = nextDUT, let calibration = dut.calibration else { continue }
            try serve(dut, calibration: calibration, period: period, sink: sink)
        }
        reportProgress()
    }

    /// Forces every capture to disk (at the end of each step), so a crash loses at most one step's tail.
    private func flushCaptures() throws {
        for dut in duts {
            do { try dut.capture?.flush() } catch {
                throw RunFailure(description: "raw capture \(dut.capture?.path ?? ""): \(error.localizedDescription)")
            }
        }
    }

    /// Polls one DUT and reads it when ready. Bus errors are counted here and never thrown; a raw capture
    /// that cannot be written (disk full) is thrown and stops the run.
    private func serve(_ dut: PressureDUT, calibration: BMP390Calibration, period: Int64,
                       sink: (PressureDUT, BMP390Reading) -> Void) throws {
        let started = clock.now()
        var reading: BMP390Reading?
        do {
            if try dut.driver.isDataReady() {
                let read = try dut.driver.read(calibration: calibration)
                reading = read
                dut.recordLateness(started - dut.pollAt)
                dut.outcome.integrity.samples += 1
                dut.consecutiveErrors = 0
                dut.retries = 0
                resolution[dut.slot.id] = Swift.max(resolution[dut.slot.id] ?? 0, read.pressureStep)
                sink(dut, read)
                dut.missedBeforeReading = 0
                // Conversions that completed while we were late are gone: count them; the next reading follows a gap.
                dut.expected += period
                while dut.expected + period <= clock.now() {
                    dut.expected += period
                    dut.outcome.integrity.missedSamples += 1
                    dut.missedBeforeReading += 1
                }
                dut.pollAt = dut.expected + Self.pollMargin
            } else if dut.retries < 4 {
                dut.retries += 1
                dut.outcome.integrity.notReadyPolls += 1
                dut.pollAt = clock.now() + period / 10
            } else {
                dut.retries = 0
                dut.outcome.integrity.missedSamples += 1
                dut.missedBeforeReading += 1
                dut.expected += period
                dut.pollAt = dut.expected + Self.pollMargin
            }
        } catch {
            dut.outcome.integrity.busErrors += 1
            dut.consecutiveErrors += 1
            dut.pollAt = clock.now() + period
            if dut.consecutiveErrors >= Self.lostAfterErrors {
                dut.markLost("\(error)")
                emit(.dutLost(slot: dut.slot.id, reason: "\(error)"))
            }
        }
        if let reading, let capture = dut.capture {
            do {
                try capture.append(time: started, [Double(currentStep), reading.pressure, reading.temperature,
                                                   Double(reading.rawPressure), Double(reading.rawTemperature)])
            } catch {
                throw RunFailure(description: "raw capture \(capture.path): \(error.localizedDescription)")
            }
        }
    }

    private func reportProgress() {
        let now = clock.now()
        guard now - lastProgress >= 5_000_000_000 else { return }
        lastProgress = now
        emit(.progress(elapsed: elapsedSeconds, planned: request.plan.plannedDuration))
    }

    // MARK: Analysis

    private func analyse() {
        let spec = request.spec
        let calibration = referenceConfig.map {
            PressureAccuracy.ReferenceCalibration(expandedUncertainty: $0.certificate.expandedUncertaintyPa,
                                                  coverageFactor: $0.certificate.coverageFactor)
        }
        for dut in duts where !dut.isLost {
            let noise = noiseRecords[dut.slot.id]?.result
            dut.outcome.noise = noise
            dut.outcome.conditions?.temperatureC = temperatures[dut.slot.id]?.mean
            dut.outcome.conditions?.resolutionPa = resolution[dut.slot.id]
            if let calibration, let dwells = dwells[dut.slot.id] {
                let record = noiseRecords[dut.slot.id]
                dut.outcome.accuracy = PressureAccuracy.evaluate(
                    dwells: dwells, calibration: calibration,
                    dutAllanDeviation: { tau in record?.allanDeviation(at: tau) },
                    resolution: resolution[dut.slot.id] ?? 0, fitReferencePressure: 101_325)
            }
            dut.outcome.figures = PressureFigures.qualify(dut.outcome, spec: spec)
            let judged = dut.outcome.figures.compactMap(\.verdict)
            let expected = spec.limits.filter { $0.sensorClass == "pressure" && $0.limit != nil }.count
            // A DUT gets a verdict only when every limit of its class was measured.
            dut.outcome.verdict = judged.count == expected ? Verdict.combined(judged) : nil
        }
    }
}
