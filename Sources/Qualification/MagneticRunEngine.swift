import Foundation
import SensorDrivers
import SensorIO
import SensorMetrics
import SensorStats

/// Carries out one magnetic plan on a rig: probe → warm-up → noise with the coil off → field steps → analysis
/// (sensors.md §8.5).
///
/// Like the pressure engine, `run()` blocks on a thread of its own; each bus's magnetometers are read by the bus
/// scheduler in deadline order (`AcquisitionSession`), and a DUT that fails is marked lost while the others go on.
/// The field source is driven from the run thread: the coil's current source (a SCPI instrument), or the
/// technician, who sets the coil and types what a reference magnetometer reads.
public final class MagneticRunEngine {
    let request: RunRequest
    let rig: Rig
    let catalog: ChipCatalog
    let connector: any RigConnector
    let cancellation: RunCancellation
    let emit: RunEngine.EventSink
    let captureDirectory: String?
    var clock: any RigClock { connector.clock }

    private var duts: [MagneticDUT] = []
    private var session: AcquisitionSession<MagneticDUT>!
    private var source: (any FieldSource)?
    private var sourceConfig: Rig.Reference?
    private var pause: ReferencePause?
    private var steps: [StepRecord] = []
    private var noiseRecords = PerDUT<MagneticNoise>()
    private var noiseSetupFailure = PerDUT<String>()
    private var temperatures = PerDUT<RunningMoments>()
    private var points = PerDUT<[FieldPoint]>()

    public init(request: RunRequest, rig: Rig, catalog: ChipCatalog, connector: any RigConnector,
                cancellation: RunCancellation, captureDirectory: String? = nil, events: @escaping RunEngine.EventSink) {
        precondition(request.plan.magnetic != nil, "the magnetic run engine runs magnetic plans, not \(request.plan.sensorClass)")
        self.request = request
        self.rig = rig
        self.catalog = catalog
        self.connector = connector
        self.cancellation = cancellation
        self.captureDirectory = captureDirectory
        emit = events
    }

    private var acquisition: Plan.MagneticAcquisition { request.plan.magnetic! }

    /// Runs the plan to the end, cancellation or failure, and returns what was measured.
    public func run() -> RunOutcome {
        let runStart = clock.now()
        session = AcquisitionSession(clock: clock, cancellation: cancellation, plannedDuration: request.plan.plannedDuration,
                                     runStart: runStart, events: emit) { reading, row in
            // One append per value: an array literal here was a heap array per reading.
            row.append(reading.field.x)
            row.append(reading.field.y)
            row.append(reading.field.z)
            row.append(reading.temperature ?? .nan)
            for raw in reading.raw.prefix(3) { row.append(Double(raw)) }
        }
        let (state, failure) = session.conduct(duts: duts, probe: probe, steps: executeSteps, analyse: analyse,
                                               release: { try? self.source?.off() })
        return RunOutcome(id: request.id, state: state, planName: request.plan.name, specName: request.spec.name,
                          simulated: connector.isSimulated, runSeconds: session.elapsedSeconds, steps: steps,
                          duts: duts.map(\.outcome), referenceIdentity: source?.identity, error: failure)
    }

    // MARK: Probe

    private func probe() throws {
        // Power-on to first command: the BMM150 needs 3 ms after its power bit (sensors.md §3.4).
        try session.prepareDUTs(
            into: &duts, slots: request.slots, rig: rig, catalog: catalog, connector: connector,
            driverNames: MagneticDrivers.names + [FluxgateADC.driverName], powerSettle: 10_000_000,
            make: { [request] index, slot, chip, bus, device in
                slot.magneticSensor(chip: chip, device: device).map {
                    MagneticDUT(index: index, slot: slot, chip: chip, bus: bus, sensor: $0, serial: request.serials[slot.id])
                }
            },
            prepare: { dut in
                dut.record(try dut.sensor.probe())
                let mode = try dut.configure(acquisition.settings(for: dut.chip.chip), now: clock.now())
                dut.outcome.magnetic = MagneticMeasurements(conditions: MagneticConditions(mode), noise: nil, points: [], scale: nil)
                dut.outcome.integrity.dataReadySource = "status polling"
            })
        for dut in duts where !dut.isLost {
            guard let captureDirectory else { break }
            let header = RawCaptureHeader(
                run: request.id, slot: dut.slot.id, chip: dut.chip.chip, serial: dut.outcome.serial,
                clock: connector.isSimulated ? "simulated" : "monotonic", sampleRateHz: dut.mode?.outputDataRate ?? 0,
                columns: [.init(name: "step", unit: "1"), .init(name: "bx", unit: "µT"), .init(name: "by", unit: "µT"),
                          .init(name: "bz", unit: "µT"), .init(name: "temperature", unit: "°C"),
                          .init(name: "raw_x", unit: "LSB"), .init(name: "raw_y", unit: "LSB"), .init(name: "raw_z", unit: "LSB")])
            dut.outcome.rawCapture = try session.openCapture(for: dut, in: captureDirectory, header: header)
        }
        let needsField = request.plan.steps.contains { if case .fieldSteps = $0 { true } else { false } }
        guard let sourceConfig = rig.reference(kind: "field-source") else {
            if needsField { throw RunFailure(description: "the plan steps the field and the rig has no field-source reference") }
            return
        }
        self.sourceConfig = sourceConfig
        pause = ReferencePause(reference: sourceConfig, cancellation: cancellation, emit: emit)
        try attendingSource { }
    }

    /// Runs one field point (`ReferencePause`); the source is opened again after a silence, or here at the start.
    private func attendingSource<T>(_ point: () throws -> T) throws -> T {
        guard let pause, let sourceConfig else { throw RunFailure(description: "no field source") }
        let open = {
            // The silent connection goes first: an instrument serves one client at a time.
            self.source = nil
            self.source = try self.connector.openFieldSource(sourceConfig)
        }
        return try pause.attending(reconnect: open) {
            if source == nil { try open() }
            return try point()
        }
    }

    // MARK: Steps

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
            case .fieldNoise(let duration, let band, let segment):
                emit(.state(.measuring))
                planned = duration
                // The source's own current noise × coil constant would add to the DUTs' (§8.5 item 4): the coil is
                // switched off for the noise record, leaving the shield's residual field.
                try source?.off()
                for dut in duts where !dut.isLost {
                    guard let mode = dut.mode else { continue }
                    do {
                        noiseRecords[dut.index] = try MagneticNoise(outputDataRate: mode.outputDataRate, segmentSeconds: segment,
                                                                    band: band, quantisationStep: 1 / mode.countsPerMicrotesla)
                    } catch {
                        noiseSetupFailure[dut.index] = "\(error)"
                    }
                }
                try session.acquire(for: duration) { dut, timed in
                    let field = timed.reading.field
                    self.noiseRecords.update(at: dut) { record in
                        if timed.missedBefore > 0 { record.markGap(missedReadings: timed.missedBefore) }
                        record.add((x: field.x, y: field.y, z: field.z))
                    }
                    if let t = timed.reading.temperature { self.temperatures.update(at: dut, default: RunningMoments()) { $0.add(t) } }
                }
                detail = String(format: "coil off, %.0f s, band %g–%g Hz, Welch segments %.0f s", duration, band.lowerBound,
                                band.upperBound, segment)
            case .fieldSteps(let fieldSteps):
                emit(.state(.measuring))
                planned = Double(fieldSteps.sequence.count) * (fieldSteps.settle + fieldSteps.dwell)
                for field in fieldSteps.sequence { try attendingSource { try dwell(at: field, steps: fieldSteps) } }
                try source?.off()
                detail = String(format: "%d fields on axes %@, %g–%g µT, settle %g s, dwell %g s each", fieldSteps.sequence.count,
                                fieldSteps.axes.map { ["x", "y", "z"][$0] }.joined(separator: ", "),
                                fieldSteps.levels.min() ?? 0, fieldSteps.levels.max() ?? 0, fieldSteps.settle, fieldSteps.dwell)
            case .noise, .noiseByMode, .sweep, .sensitivity, .distortion, .acousticNoise, .overload, .gasBlank, .gasExposures:
                throw RunFailure(description: "step \(step.name) is not a magnetic step; the magnetic engine does not run it")
            }
            return (planned, detail)
        }
    }

    /// Applies one field, lets it settle, then averages the DUTs and the reference over the dwell.
    private func dwell(at field: FieldVector, steps fieldSteps: Plan.FieldSteps) throws {
        guard let source, let sourceConfig else { throw RunFailure(description: "no field source") }
        try source.apply(field)
        if source.waitsForOperator {
            // The technician sets the coil and submits the reference magnetometer's reading; a person's time is
            // real time, so a virtual clock holds still meanwhile.
            emit(.fieldRequest(field))
            let started = MonotonicClock().now()
            while true {
                if cancellation.isCancelled { throw RunCancelled() }
                if (try? source.appliedField()) != nil { break }
                if Double(MonotonicClock().now() - started) * 1e-9 > sourceConfig.operatorTimeout {
                    throw RunFailure(description: String(format: "no reference reading was submitted for %.3g, %.3g, %.3g µT within %.0f s",
                                                         field.x, field.y, field.z, sourceConfig.operatorTimeout))
                }
                source.awaitOperator(upTo: 0.5)
            }
            emit(.fieldRequest(nil))
        }
        try session.acquire(for: fieldSteps.settle) { _, _ in }
        var readings = duts.map { _ in (x: RunningMoments(), y: RunningMoments(), z: RunningMoments()) }
        let before = try source.appliedField()
        try session.acquire(for: fieldSteps.dwell) { dut, timed in
            readings[dut].x.add(timed.reading.field.x)
            readings[dut].y.add(timed.reading.field.y)
            readings[dut].z.add(timed.reading.field.z)
        }
        let after = try source.appliedField()
        // The reference at the start and end of the dwell: their mean is the applied field; their difference, a
        // drift of the source, goes into its uncertainty as a rectangular term (half-width |Δ|/2).
        func combine(_ a: Double, _ b: Double, _ ua: Double, _ ub: Double) -> (Double, Double) {
            let drift = abs(a - b) / 2 / 3.0.squareRoot()
            return ((a + b) / 2, (((ua + ub) / 2) * ((ua + ub) / 2) + drift * drift).squareRoot())
        }
        let x = combine(before.field.x, after.field.x, before.standardUncertainty.x, after.standardUncertainty.x)
        let y = combine(before.field.y, after.field.y, before.standardUncertainty.y, after.standardUncertainty.y)
        let z = combine(before.field.z, after.field.z, before.standardUncertainty.z, after.standardUncertainty.z)
        for dut in duts where readings[dut.index].x.count > 0 {
            let r = readings[dut.index]
            func standardError(_ m: RunningMoments) -> Double { (m.sampleStandardDeviation ?? 0) / Double(m.count).squareRoot() }
            points[dut.index, default: []].append(FieldPoint(
                applied: FieldVector(x: x.0, y: y.0, z: z.0), appliedStandardUncertainty: FieldVector(x: x.1, y: y.1, z: z.1),
                reading: FieldVector(x: r.x.mean, y: r.y.mean, z: r.z.mean),
                readingStandardError: FieldVector(x: standardError(r.x), y: standardError(r.y), z: standardError(r.z)),
                readingCount: r.x.count))
        }
    }

    // MARK: Analysis

    private func analyse() {
        for dut in duts where dut.mode != nil {
            guard var measured = dut.outcome.magnetic else { continue }
            measured.noise = noiseRecords[dut.index]?.result
            measured.conditions.temperatureC = temperatures[dut.index]?.mean
            measured.points = points[dut.index] ?? []
            if !measured.points.isEmpty {
                func field(_ v: FieldVector) -> MagneticScaleFactor.Field { .init(x: v.x, y: v.y, z: v.z) }
                let steps = measured.points.map {
                    MagneticScaleFactor.Step(applied: field($0.applied), reading: field($0.reading),
                                             readingStandardError: field($0.readingStandardError))
                }
                let u = coilRelativeUncertainty
                do throws(MagneticScaleFactor.Failure) {
                    measured.scale = try MagneticScaleFactor.fit(steps: steps, coilConstantRelativeUncertainty: .init(x: u, y: u, z: u))
                } catch {
                    measured.scaleNotFitted = error.description
                }
            }
            dut.outcome.magnetic = measured
            dut.outcome.missing = missingData(for: dut, noise: measured.noise)
            if let failure = noiseSetupFailure[dut.index] { dut.outcome.missing.append("noise record: \(failure)") }
            dut.outcome.figures = MagneticFigures.qualify(dut.outcome, spec: request.spec)
            let judged = dut.outcome.figures.compactMap(\.verdict)
            let expected = request.spec.limits.filter {
                $0.sensorClass == "magnetic" && $0.limit != nil && request.plan.measuredMetrics.contains($0.metric)
            }.count
            dut.outcome.verdict = judged.count == expected && dut.outcome.missing.isEmpty ? Verdict.combined(judged) : nil
        }
    }

    /// The coil constant's relative standard uncertainty from its certificate; the manual reference's is in its
    /// per-point uncertainty instead.
    private var coilRelativeUncertainty: Double {
        guard let certificate = sourceConfig?.certificate, certificate.unit == "%" else { return 0 }
        return certificate.expandedUncertainty / 100 / certificate.coverageFactor
    }

    /// What the plan asked of `dut` and did not get; `noise` is its noise record's result, computed once by the caller
    /// (it transforms every axis's spectrum).
    private func missingData(for dut: MagneticDUT, noise: MagneticNoise.Result?) -> [String] {
        var missing: [String] = []
        for step in request.plan.steps {
            switch step {
            case .fieldNoise(let duration, _, _):
                let expected = Int(duration * (dut.mode?.outputDataRate ?? 0))
                let got = noise?.sampleCount ?? 0
                if got < expected * 9 / 10 { missing.append("noise record: \(got) of \(expected) readings") }
            case .fieldSteps(let fieldSteps):
                let got = points[dut.index]?.count ?? 0
                if got < fieldSteps.sequence.count { missing.append("field steps: \(got) of \(fieldSteps.sequence.count) points") }
            default:
                break
            }
        }
        if let lost = dut.outcome.lost, !missing.isEmpty { missing.append("cause: \(lost)") }
        return missing
    }
}
