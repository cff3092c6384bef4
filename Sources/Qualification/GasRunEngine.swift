import Foundation
import SensorDrivers
import SensorIO
import SensorMetrics
import SensorStats

/// Carries out one gas plan on a rig: probe → warm-up at the baseline → blank → exposures to certified levels, each
/// followed by a recovery → analysis (sensors.md §8.7).
///
/// Each DUT is judged on the one signal its catalog entry names for the plan's gas: a concentration output (SCD41
/// CO2 in ppm: error against the certified levels), or a raw signal (SGP41 SRAW, ENS160 log2 R: LOD through the
/// logarithmic calibration, response times, drift). Adaptive indices are never used. The reference is a mixer of
/// mass-flow controllers diluting a certified cylinder, or a technician connecting certified cylinders; t63/t90 run
/// from the moment the mixer was switched and so include the chamber's flush τ = V/Q, which the run checks against
/// each sensor's datasheet t63 (§8.7: τ_ch ≪ t63).
public final class GasRunEngine {
    let request: RunRequest
    let rig: Rig
    let catalog: ChipCatalog
    let connector: any RigConnector
    let cancellation: RunCancellation
    let emit: RunEngine.EventSink
    let captureDirectory: String?
    var clock: any RigClock { connector.clock }

    private var duts: [GasDUT] = []
    /// The signal of each DUT that answers the plan's gas, by DUT index.
    private var signals: [Int: GasSignalDescription] = [:]
    private var session: AcquisitionSession<GasDUT>!
    private var reference: (any GasReference)?
    private var referenceConfig: Rig.Reference?
    private var pause: ReferencePause?
    private var steps: [StepRecord] = []
    private var runStart: Int64 = 0
    /// The last few minutes of each DUT's signal (s since run start, value): the baseline before a step.
    private var recent: [Int: [(time: Double, value: Double)]] = [:]
    private var blanks: [Int: [Double]] = [:]
    private var blankReference: (ppm: Double, u: Double)?
    private var exposures: [Int: [GasExposure]] = [:]
    private var drift: [Int: GasDrift] = [:]
    private var invalid: [Int: Int] = [:]
    /// Readings of the signal kept for the baseline window, s.
    private var recentWindow = 600.0
    /// The Sensirion Gas Index Algorithm per SGP41 DUT (VOC, NOx), fed every valid raw reading: a secondary output.
    private var gasIndex: [Int: (voc: GasIndexAlgorithm, nox: GasIndexAlgorithm)] = [:]
    /// The latest secondary outputs of each DUT (on-chip estimates and indices), by name.
    private var latestSecondary: [Int: [String: Double]] = [:]

    public init(request: RunRequest, rig: Rig, catalog: ChipCatalog, connector: any RigConnector,
                cancellation: RunCancellation, captureDirectory: String? = nil, events: @escaping RunEngine.EventSink) {
        precondition(request.plan.gas != nil, "the gas run engine runs gas plans, not \(request.plan.sensorClass)")
        self.request = request
        self.rig = rig
        self.catalog = catalog
        self.connector = connector
        self.cancellation = cancellation
        self.captureDirectory = captureDirectory
        emit = events
    }

    private var plan: Plan.GasAcquisition { request.plan.gas! }

    public func run() -> RunOutcome {
        runStart = clock.now()
        session = AcquisitionSession(clock: clock, cancellation: cancellation, plannedDuration: request.plan.plannedDuration,
                                     runStart: runStart, events: emit) { [unowned self] reading, row in
            // The capture row: validity, then every signal of the chip in its mode's order.
            row.append(reading.valid ? 1 : 0)
            for signal in captureSignals { row.append(reading.values[signal] ?? .nan) }
        }
        session.observe = { [unowned self] timed in keep(timed) }
        let (state, failure) = session.conduct(duts: duts, probe: probe, steps: executeSteps, analyse: analyse,
                                               release: { try? self.reference?.off() })
        return RunOutcome(id: request.id, state: state, planName: request.plan.name, specName: request.spec.name,
                          simulated: connector.isSimulated, runSeconds: session.elapsedSeconds, steps: steps,
                          duts: duts.map(\.outcome), referenceIdentity: reference?.identity, error: failure)
    }

    /// Every signal name of every chip in the run, in a stable order: the raw captures' columns.
    private var captureSignals: [String] = []

    // MARK: Probe

    private func probe() throws {
        guard let referenceConfig = rig.gasReference(for: plan.gas) else {
            throw RunFailure(description: "the rig has no gas-mixer reference for \(plan.gas) (its mixer: gas)")
        }
        self.referenceConfig = referenceConfig
        // Power-on to first command: sensors.md gives no power-up time for the gas chips (an SCD41's wake_up takes 30 ms,
        // §5.2); a probe that comes too early is retried once.
        try session.prepareDUTs(
            into: &duts, slots: request.slots, rig: rig, catalog: catalog, connector: connector, driverNames: GasDrivers.names,
            powerSettle: 50_000_000,
            make: { [request] index, slot, chip, bus, device in
                GasDrivers.sensor(driver: chip.driver, device: device).map {
                    GasDUT(index: index, slot: slot, chip: chip, bus: bus, sensor: $0, serial: request.serials[slot.id])
                }
            },
            prepare: { dut in
                dut.record(try probeRetryingOnce(dut.sensor))
                let mode = try dut.configure(plan.settings(for: dut.chip.chip), now: clock.now())
                guard let name = dut.chip.gasSignals[plan.gas], let signal = mode.signal(name) else {
                    throw RunFailure(description: "a \(dut.chip.model) has no signal for \(plan.gas) (catalog gas_signals)")
                }
                signals[dut.index] = signal
                // The SGP41 leaves its gas index to the host (sensors.md §5.3): computed here at the chip's 1 s rate, as
                // a secondary output only.
                if mode.signal("sraw_voc") != nil, mode.signal("sraw_nox") != nil {
                    gasIndex[dut.index] = (GasIndexAlgorithm(mode: .voc, samplingInterval: mode.samplingInterval),
                                           GasIndexAlgorithm(mode: .nox, samplingInterval: mode.samplingInterval))
                }
                let t63 = dut.chip.figure("response-t63")?.value
                let tau = referenceConfig.mixer?.flushTimeConstant
                dut.outcome.gas = GasMeasurements(
                    gas: plan.gas, signal: signal,
                    conditions: GasConditions(samplingIntervalSeconds: mode.samplingInterval, notes: mode.notes, serialNumber: mode.serialNumber,
                                              warmUpSeconds: mode.warmUp, chamberTimeConstantSeconds: tau, datasheetT63Seconds: t63,
                                              chamberCheck: Self.chamberCheck(tau: tau, t63: t63)),
                    blank: nil, exposures: [], invalidReadings: 0,
                    secondaryUnits: Dictionary(uniqueKeysWithValues: mode.signals.filter { $0.role == .onChip || $0.role == .index }
                        .map { ($0.name, $0.unit) } + (gasIndex[dut.index] != nil ? [("voc_index", "index"), ("nox_index", "index")] : [])))
                if dut.outcome.serial == nil { dut.outcome.serial = mode.serialNumber }
                dut.outcome.integrity.dataReadySource = "status polling"
                for name in mode.signals.map(\.name) where !captureSignals.contains(name) { captureSignals.append(name) }
            })
        if let captureDirectory {
            for dut in duts where !dut.isLost {
                let header = RawCaptureHeader(
                    run: request.id, slot: dut.slot.id, chip: dut.chip.chip, serial: dut.outcome.serial,
                    clock: connector.isSimulated ? "simulated" : "monotonic", sampleRateHz: 1 / (dut.mode?.samplingInterval ?? 1),
                    columns: [.init(name: "step", unit: "1"), .init(name: "valid", unit: "1")]
                        + captureSignals.map { name in .init(name: name, unit: dut.mode?.signal(name)?.unit ?? "") })
                dut.outcome.rawCapture = try session.openCapture(for: dut, in: captureDirectory, header: header)
            }
        }
        pause = ReferencePause(reference: referenceConfig, cancellation: cancellation, emit: emit)
        try attendingMixer(recovery: 0) { }
        recentWindow = request.plan.steps.compactMap { step -> Double? in
            if case .gasExposures(let e) = step { e.finalWindow } else { nil }
        }.max().map { Swift.max($0, 120) } ?? 120
    }

    /// A Sensirion SCD41 that is measuring answers its serial number only once stopped: its probe stops it and asks
    /// to be probed again after 500 ms (sensors.md §5.2).
    private func probeRetryingOnce(_ sensor: any GasSensor) throws(DriverError) -> SensorIdentity {
        do { return try sensor.probe() } catch {
            guard case .configurationRejected = error else { throw error }
            clock.sleep(until: clock.now() + 500_000_000)
            return try sensor.probe()
        }
    }

    static func chamberCheck(tau: Double?, t63: Double?) -> String? {
        guard let tau, let t63 else { return nil }
        return tau <= 0.1 * t63
            ? String(format: "chamber τ = %.3g s ≤ 0.1 × datasheet t63 (%.3g s): response times are the sensor's", tau, t63)
            : String(format: "chamber τ = %.3g s > 0.1 × datasheet t63 (%.3g s): the chamber is too slow for this sensor; "
                     + "its response times include the chamber's flush", tau, t63)
    }

    // MARK: Readings

    private func seconds(_ time: Int64) -> Double { Double(time - runStart) * 1e-9 }

    /// The value of a reading that counts: valid, past the chip's warm-up, with the DUT's signal in it.
    private func value(_ timed: TimedReading<GasReading>) -> Double? {
        guard let name = signals[timed.dut]?.name, let value = timed.reading.values[name], value.isFinite else { return nil }
        guard timed.reading.valid, timed.time >= duts[timed.dut].warmUpEnds else { return nil }
        return value
    }

    private func keep(_ timed: TimedReading<GasReading>) {
        secondaryOutputs(timed)
        guard let value = value(timed) else {
            invalid[timed.dut, default: 0] += 1
            return
        }
        let t = seconds(timed.time)
        var list = recent[timed.dut] ?? []
        list.append((t, value))
        if let first = list.first, t - first.time > recentWindow { list.removeFirst(list.firstIndex { t - $0.time <= recentWindow } ?? 0) }
        recent[timed.dut] = list
    }

    /// Tracks the on-chip estimates and indices of a valid reading, and feeds the SGP41's raw signals to the gas index.
    private func secondaryOutputs(_ timed: TimedReading<GasReading>) {
        guard timed.reading.valid, timed.time >= duts[timed.dut].warmUpEnds, let mode = duts[timed.dut].mode else { return }
        var latest = latestSecondary[timed.dut] ?? [:]
        for signal in mode.signals where signal.role == .onChip || signal.role == .index {
            if let value = timed.reading.values[signal.name] { latest[signal.name] = value }
        }
        if var index = gasIndex[timed.dut], let voc = timed.reading.values["sraw_voc"], let nox = timed.reading.values["sraw_nox"] {
            latest["voc_index"] = Double(index.voc.process(sraw: Int(voc)))
            latest["nox_index"] = Double(index.nox.process(sraw: Int(nox)))
            gasIndex[timed.dut] = index
        }
        latestSecondary[timed.dut] = latest
    }

    // MARK: Steps

    private func executeSteps() throws {
        try deliver(plan.baseline)
        try session.runSteps(request.plan.steps, into: &steps) { step in
            var planned = 0.0
            var detail = ""
            switch step {
            case .warmUp(let duration):
                emit(.state(.warming))
                planned = duration
                try session.acquire(for: duration) { _, _ in }
                detail = String(format: "at the %g ppm baseline, readings discarded", plan.baseline)
            case .gasBlank(let duration):
                emit(.state(.measuring))
                planned = duration
                let before = try reference?.delivered()
                try session.acquire(for: duration) { dut, timed in
                    guard let value = self.value(timed) else { return }
                    self.blanks[dut, default: []].append(value)
                    self.drift[dut, default: GasDrift()].add(time: self.seconds(timed.time), value: value)
                }
                let after = try reference?.delivered()
                if let before, let after { blankReference = ((before.ppm + after.ppm) / 2, Swift.max(before.standardUncertainty, after.standardUncertainty)) }
                detail = String(format: "%g ppm %@ for %.0f s", plan.baseline, plan.gas, duration)
            case .gasExposures(let e):
                emit(.state(.measuring))
                planned = Double(e.levels.count) * (e.exposure + e.recovery)
                for level in e.levels { try attendingMixer(recovery: e.recovery) { try expose(level, e) } }
                detail = String(format: "%d exposure%@ of %.0f s to %@ ppm %@, each with a %.0f s recovery at %g ppm", e.levels.count,
                                e.levels.count == 1 ? "" : "s", e.exposure, e.levels.map { String(format: "%g", $0) }.joined(separator: ", "),
                                plan.gas, e.recovery, plan.baseline)
            case .noise, .noiseByMode, .sweep, .sensitivity, .distortion, .acousticNoise, .overload, .fieldNoise, .fieldSteps:
                throw RunFailure(description: "step \(step.name) is not a gas step; the gas engine does not run it")
            }
            return (planned, detail)
        }
    }

    /// Runs one exposure (`ReferencePause`); after a silence the mixer is opened again, set back to the baseline and
    /// left `recovery` seconds, so the exposure measured again starts from a flushed chamber, as the plan's first did.
    private func attendingMixer<T>(recovery: Double, _ point: () throws -> T) throws -> T {
        guard let pause, let referenceConfig else { throw RunFailure(description: "no gas reference") }
        let open = {
            // The silent connection goes first: an instrument serves one client at a time.
            self.reference = nil
            self.reference = try self.connector.openGasReference(referenceConfig, clock: AcquiringClock(self.session))
        }
        return try pause.attending(reconnect: {
            try open()
            try deliver(plan.baseline)
            try session.acquire(for: recovery) { _, _ in }
        }) {
            if reference == nil { try open() }
            return try point()
        }
    }

    /// Asks the reference for `ppm` of the plan's gas; with the technician as the reference, waits for their entry.
    private func deliver(_ ppm: Double) throws {
        guard let reference, let referenceConfig else { throw RunFailure(description: "no gas reference") }
        try reference.deliver(gas: plan.gas, ppm: ppm)
        guard reference.waitsForOperator else { return }
        emit(.gasRequest(GasRequest(gas: plan.gas, ppm: ppm)))
        let started = MonotonicClock().now()
        while (try? reference.delivered()) == nil {
            if cancellation.isCancelled { throw RunCancelled() }
            if Double(MonotonicClock().now() - started) * 1e-9 > referenceConfig.operatorTimeout {
                throw RunFailure(description: String(format: "no certified concentration was submitted for %g ppm %@ within %.0f s",
                                                     ppm, plan.gas, referenceConfig.operatorTimeout))
            }
            reference.awaitOperator(upTo: 0.5)
        }
        emit(.gasRequest(nil))
    }

    /// One exposure to `level` and the recovery after it: the rise and fall responses, the plateau, the zero.
    private func expose(_ level: Double, _ e: Plan.GasExposures) throws {
        guard let reference else { return }
        let tau = referenceConfig?.mixer?.flushTimeConstant
        func responses(at t0: Double) -> [Int: GasStepResponse] {
            var records: [Int: GasStepResponse] = [:]
            for dut in duts where signals[dut.index] != nil {
                var record = GasStepResponse(stepTime: t0, preWindow: e.finalWindow, finalWindow: e.finalWindow, chamberTimeConstant: tau)
                for reading in recent[dut.index] ?? [] where reading.time < t0 { record.add(time: reading.time, value: reading.value) }
                records[dut.index] = record
            }
            return records
        }
        // The step starts when the mixer is switched: the settling of its flows is part of the response. With the
        // technician as the reference it starts at their entry, once the cylinder is connected.
        var t0 = seconds(clock.now())
        var rise = responses(at: t0)
        try deliver(level)
        if reference.waitsForOperator {
            t0 = seconds(clock.now())
            rise = responses(at: t0)
        }
        // Readings taken while the flows settled went to the recent list only.
        for dut in duts { for reading in recent[dut.index] ?? [] where reading.time >= t0 { rise[dut.index]?.add(time: reading.time, value: reading.value) } }
        let atStart = try reference.delivered()
        var plateau: [Int: RunningMoments] = [:]
        var secondary: [Int: [String: RunningMoments]] = [:]
        let exposureEnd = runStart + Int64((t0 + e.exposure) * 1e9)
        try session.acquire(for: Swift.max(0, Double(exposureEnd - clock.now()) * 1e-9)) { dut, timed in
            guard let value = self.value(timed) else { return }
            let t = self.seconds(timed.time)
            rise[dut]?.add(time: t, value: value)
            if t >= t0 + e.exposure - e.finalWindow {
                plateau[dut, default: RunningMoments()].add(value)
                for (name, output) in self.latestSecondary[dut] ?? [:] { secondary[dut, default: [:]][name, default: RunningMoments()].add(output) }
            }
        }
        let atEnd = try reference.delivered()
        let certified = (atStart.ppm + atEnd.ppm) / 2
        let certifiedU = Swift.max(atStart.standardUncertainty, atEnd.standardUncertainty)

        var t1 = seconds(clock.now())
        var fall = responses(at: t1)
        try deliver(plan.baseline)
        if reference.waitsForOperator {
            t1 = seconds(clock.now())
            fall = responses(at: t1)
        }
        for dut in duts { for reading in recent[dut.index] ?? [] where reading.time >= t1 { fall[dut.index]?.add(time: reading.time, value: reading.value) } }
        var zero: [Int: RunningMoments] = [:]
        let recoveryEnd = runStart + Int64((t1 + e.recovery) * 1e9)
        try session.acquire(for: Swift.max(0, Double(recoveryEnd - clock.now()) * 1e-9)) { dut, timed in
            guard let value = self.value(timed) else { return }
            let t = self.seconds(timed.time)
            fall[dut]?.add(time: t, value: value)
            if t >= t1 + e.recovery - e.finalWindow {
                zero[dut, default: RunningMoments()].add(value)
                self.drift[dut, default: GasDrift()].add(time: t, value: value)
            }
        }
        for dut in duts where signals[dut.index] != nil {
            let p = plateau[dut.index] ?? RunningMoments()
            exposures[dut.index, default: []].append(GasExposure(
                certified: certified, certifiedStandardUncertainty: certifiedU, plateauMean: p.count > 0 ? p.mean : .nan,
                plateauStandardError: (p.sampleStandardDeviation ?? 0) / Double(Swift.max(p.count, 1)).squareRoot(),
                plateauCount: p.count, isRepeat: e.isRepeat, secondary: (secondary[dut.index] ?? [:]).mapValues(\.mean),
                response: rise[dut.index]?.result, responseNotComputed: rise[dut.index]?.result == nil ? rise[dut.index]?.refusal : nil,
                recovery: fall[dut.index]?.result, recoveryNotComputed: fall[dut.index]?.result == nil ? fall[dut.index]?.refusal : nil))
        }
    }

    // MARK: Analysis

    private func analyse() {
        for dut in duts where dut.mode != nil {
            guard var measured = dut.outcome.gas, let signal = signals[dut.index] else { continue }
            let index = dut.index
            measured.exposures = exposures[index] ?? []
            measured.invalidReadings = invalid[index] ?? 0
            let blank = blanks[index] ?? []
            if !blank.isEmpty {
                let moments = RunningMoments(blank)
                measured.blank = GasBlank(certified: blankReference?.ppm ?? plan.baseline, certifiedStandardUncertainty: blankReference?.u ?? 0,
                                          mean: moments.mean, standardDeviation: moments.sampleStandardDeviation ?? 0, count: moments.count)
            }
            let levels = measured.exposures.filter { !$0.isRepeat && $0.plateauCount > 0 }
            if signal.role == .concentration {
                var points = levels.map {
                    GasAccuracy.Level(certified: $0.certified, certifiedStandardUncertainty: $0.certifiedStandardUncertainty,
                                      dutMean: $0.plateauMean, dutStandardError: $0.plateauStandardError)
                }
                // A non-zero baseline is a certified level too (§8.7: CO2 400 ppm).
                if let b = measured.blank, plan.baseline > 0 {
                    points.insert(GasAccuracy.Level(certified: b.certified, certifiedStandardUncertainty: b.certifiedStandardUncertainty,
                                                    dutMean: b.mean, dutStandardError: b.standardDeviation / Double(b.count).squareRoot()), at: 0)
                }
                measured.accuracy = GasAccuracy.evaluate(levels: points, envelope: Self.envelope(of: dut.chip), unit: signal.unit)
            }
            if request.plan.measuredMetrics.contains("lod") {
                do throws(GasLimitOfDetection.Failure) {
                    measured.limitOfDetection = try GasLimitOfDetection.evaluate(
                        blanks: blank,
                        levels: levels.map { .init(concentration: $0.certified, meanResponse: $0.plateauMean, standardError: $0.plateauStandardError) },
                        response: signal.role == .concentration ? .linear : .logarithmic, unit: "ppm")
                } catch {
                    measured.limitOfDetectionNotComputed = error.description
                }
            }
            let repeats = measured.exposures.filter { $0.isRepeat && $0.plateauCount > 0 }
            if !repeats.isEmpty {
                do throws(GasRepeatability.Failure) {
                    measured.repeatability = try GasRepeatability.evaluate(plateauMeans: repeats.map(\.plateauMean))
                } catch {
                    measured.repeatabilityNotComputed = error.description
                }
            }
            measured.drift = drift[index]?.result(unit: signal.unit)
            dut.outcome.gas = measured
            dut.outcome.missing = missingData(for: dut)
            dut.outcome.figures = GasFigures.qualify(dut.outcome, spec: request.spec)
            let judged = dut.outcome.figures.compactMap(\.verdict)
            let expected = request.spec.limits.filter {
                $0.sensorClass == "gas" && $0.limit != nil && request.plan.measuredMetrics.contains($0.metric)
            }.count
            // Gas figures may all be "measured and reported" (miit-2020): then there is no verdict to give.
            dut.outcome.verdict = expected > 0 && judged.count == expected && dut.outcome.missing.isEmpty ? Verdict.combined(judged) : nil
        }
    }

    /// The datasheet's accuracy envelope ±(a + b·reading) from the catalog (`accuracy` ppm, `accuracy-of-reading` %).
    static func envelope(of chip: ChipDescription) -> GasAccuracy.Envelope? {
        guard let a = chip.figure("accuracy")?.value else { return nil }
        return GasAccuracy.Envelope(offset: a, fractionOfReading: (chip.figure("accuracy-of-reading")?.value ?? 0) / 100)
    }

    private func missingData(for dut: GasDUT) -> [String] {
        var missing: [String] = []
        let got = exposures[dut.index] ?? []
        let planned = request.plan.steps.reduce(0) { count, step in
            if case .gasExposures(let e) = step { count + e.levels.count } else { count }
        }
        if got.count < planned { missing.append("exposures: \(got.count) of \(planned)") }
        for exposure in got where exposure.plateauCount == 0 {
            missing.append(String(format: "no valid reading on the %g ppm plateau", exposure.certified))
        }
        if request.plan.steps.contains(where: { if case .gasBlank = $0 { true } else { false } }), (blanks[dut.index] ?? []).isEmpty {
            missing.append("blank: no valid reading")
        }
        if let lost = dut.outcome.lost, !missing.isEmpty { missing.append("cause: \(lost)") }
        return missing
    }
}
