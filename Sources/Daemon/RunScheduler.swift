import ControlProtocol
import Foundation
import Logging
import SensorDrivers
import Qualification
import Reports
import ServiceLifecycle
import Synchronization

/// Starts runs, follows them, and tells watchers. Each run's acquisition executes on a thread of its own;
/// its events come back through a bounded stream, its outcome through the child task that awaits the thread.
/// One run at a time: the rig's buses and its simulated clock belong to one acquisition thread.
actor RunScheduler: Service {
    struct RunRecord {
        var request: RunRequest
        var status: RunStatus
        var cancellation: RunCancellation
        /// The state the engine last reported: where the run returns once the technician has answered.
        var engineState = RunState.queued.rawValue
    }

    struct PreparedRun: Sendable {
        var request: RunRequest
        var cancellation: RunCancellation
        var started: Date
    }

    struct Watcher {
        var connection: RPCConnection
        var run: String?
    }

    let configuration: DaemonConfiguration
    let software: QualificationReport.Software
    let notifier: SystemdNotifier
    let logger: Logger
    private var runs: [String: RunRecord] = [:]
    private var order: [String] = []
    private var watchers: [UInt64: Watcher] = [:]
    private var devices: [DeviceInfo]
    private var runCounter = 0
    /// Run events that did not fit the event queue (only a stalled scheduler can fill 4096); logged per run.
    private let droppedEvents = DropCounter()

    private let starts: AsyncStream<PreparedRun>
    private let startsContinuation: AsyncStream<PreparedRun>.Continuation
    private let events: AsyncStream<(String, RunEvent)>
    private let eventsContinuation: AsyncStream<(String, RunEvent)>.Continuation

    init(configuration: DaemonConfiguration, devices: [DeviceInfo], software: QualificationReport.Software,
         notifier: SystemdNotifier, logger: Logger) {
        self.configuration = configuration
        self.devices = devices
        self.software = software
        self.notifier = notifier
        self.logger = logger
        (starts, startsContinuation) = AsyncStream.makeStream(of: PreparedRun.self, bufferingPolicy: .bufferingOldest(8))
        (events, eventsContinuation) = AsyncStream.makeStream(of: (String, RunEvent).self, bufferingPolicy: .bufferingOldest(4096))
    }

    // MARK: Service

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await (id, event) in self.events { await self.apply(event, to: id) }
            }
            for await prepared in starts.cancelOnGracefulShutdown() {
                group.addTask { await self.execute(prepared) }
            }
            // Shutting down: stop the runs in flight; each still writes its partial report.
            for record in runs.values where !record.status.isFinished { record.cancellation.cancel() }
            startsContinuation.finish()
            group.addTask {
                await self.waitForRunsToEnd()
                self.eventsContinuation.finish()
            }
        }
    }

    private var endWaiters: [CheckedContinuation<Void, Never>] = []

    private func waitForRunsToEnd() async {
        if runs.values.allSatisfy({ $0.status.isFinished }) { return }
        await withCheckedContinuation { endWaiters.append($0) }
    }

    // MARK: Requests

    func start(_ params: RunStartParams) throws(RPCError) -> RunStatus {
        if let active = runs.values.first(where: { !$0.status.isFinished }) {
            throw RPCError(code: .busy, message: "run \(active.status.id) is \(active.status.state) on this rig; one run at a time",
                           data: ["run": .string(active.status.id)])
        }
        let rig = configuration.rig
        guard params.plan.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw RPCError.invalidParams("plan name '\(params.plan)' may hold letters, digits, - and _ only")
        }
        for reference in rig.references {
            guard let certificate = reference.certificate, !certificate.isValid(on: Date()) else { continue }
            throw RPCError(code: .calibrationExpired,
                           message: "reference \(reference.id) (\(reference.model)): certificate \(certificate.id) was due \(certificate.due)",
                           data: ["reference": .string(reference.id), "due": .string(certificate.due)])
        }
        let specName = params.spec ?? configuration.defaultSpec
        guard specName.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw RPCError.invalidParams("spec name '\(specName)' may hold letters, digits, - and _ only")
        }
        guard let planPath = configuration.planPath(params.plan) else {
            throw RPCError(code: .notFound, message: "no plan '\(params.plan)' in " + configuration.planFolders.joined(separator: ", "))
        }
        guard let specPath = configuration.specPath(specName) else {
            throw RPCError(code: .notFound, message: "no spec profile '\(specName)' in " + configuration.specFolders.joined(separator: ", "))
        }
        var plan: Plan
        let spec: SpecProfile
        do {
            plan = try Plan.load(path: planPath)
            spec = try SpecProfile.load(path: specPath)
        } catch {
            throw RPCError(code: .invalidPlan, message: error.description,
                           data: ["file": .string(error.file), "line": error.line.map { .int(Int64($0)) } ?? .null])
        }
        // The plan's class picks the slots: microphones for an acoustic plan, the I2C slots of its class otherwise.
        var classSlots = rig.slotIDs(sensorClass: plan.sensorClass, catalog: configuration.catalog)
        // A gas plan runs on the parts that answer its gas.
        if let gas = plan.gas?.gas {
            classSlots = classSlots.filter { rig.slot($0).flatMap { configuration.catalog.chip($0.chip) }?.gasSignals[gas] != nil }
        }
        let slots = params.slots ?? classSlots
        guard !slots.isEmpty else {
            throw RPCError.invalidParams("rig \(rig.name) has no \(plan.sensorClass) slots\(plan.gas.map { " answering \($0.gas)" } ?? "") for plan \(plan.name)")
        }
        guard Set(slots).count == slots.count else { throw RPCError.invalidParams("a slot is named twice in \(slots)") }
        for slot in slots where !classSlots.contains(slot) {
            throw RPCError.invalidParams("slot '\(slot)' is not a \(plan.sensorClass) slot\(plan.gas.map { " answering \($0.gas)" } ?? "") of rig \(rig.name) (those are "
                + classSlots.joined(separator: ", ") + ")")
        }
        for slot in (params.serials ?? [:]).keys where !slots.contains(slot) {
            throw RPCError.invalidParams("a serial number is given for slot '\(slot)', which is not in this run")
        }
        try Self.check(plan: &plan, planPath: planPath, slots: slots, rig: rig, catalog: configuration.catalog)
        runCounter += 1
        let started = Date()
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let id = "\(formatter.string(from: started))-\(runCounter)"
        let request = RunRequest(id: id, plan: plan, spec: spec, slots: slots, lot: params.lot,
                                 serials: params.serials ?? [:], operatorName: params.operator)
        let status = RunStatus(
            id: id, plan: plan.name, spec: spec.name, state: RunState.queued.rawValue,
            simulated: configuration.connector.isSimulated, step: nil, elapsedS: 0, plannedS: plan.plannedDuration,
            startedUTC: Self.iso(started), finishedUTC: nil,
            duts: slots.map { .init(slot: $0, serial: params.serials?[$0], verdict: nil, lost: nil, figures: nil) },
            verdict: nil, complete: nil, reportPath: nil, error: nil)
        let cancellation = RunCancellation()
        // After shutdown began, the scheduler takes no more runs: refuse rather than queue one that never runs.
        if case .terminated = startsContinuation.yield(PreparedRun(request: request, cancellation: cancellation, started: started)) {
            throw RPCError(code: .busy, message: "sensorquald is stopping; start the run after it restarts")
        }
        runs[id] = RunRecord(request: request, status: status, cancellation: cancellation)
        order.append(id)
        setDevices(slots, busy: true)
        logger.info("run \(id) queued: plan \(plan.name), spec \(spec.name), slots \(slots.joined(separator: ","))")
        notifier.status("run \(id) queued")
        return status
    }

    /// A technician's reference reading for the point the active run waits at (manual reference).
    func submitReference(_ params: ReferenceSubmitParams) throws(RPCError) -> ReferenceSubmitResult {
        if params.levelDBSPL != nil || params.quiet == true { return try submitCalibrator(params) }
        if let field = params.fieldUT { return try submitField(field, run: params.run) }
        if let ppm = params.ppm { return try submitGas(ppm, run: params.run) }
        guard let valuePa = params.valuePa else {
            throw RPCError.invalidParams("reference.submit takes value_pa, level_db_spl, quiet: true, field_ut or ppm")
        }
        guard let manual = configuration.manualReference else {
            throw RPCError(code: .invalidParams, message: "this rig's reference is not manual; its controller reads the pressure itself")
        }
        guard let active = runs.values.first(where: { !$0.status.isFinished }), params.run == nil || params.run == active.status.id else {
            throw RPCError(code: .notFound, message: params.run.map { "run '\($0)' is not running" } ?? "no run is active")
        }
        do {
            let setpoint = try manual.submit(valuePa)
            logger.info("run \(active.status.id): reference reading \(valuePa) Pa submitted for \(setpoint) Pa")
            return ReferenceSubmitResult(run: active.status.id, setpointPa: setpoint, valuePa: valuePa)
        } catch {
            throw RPCError(code: .invalidParams, message: "\(error)")
        }
    }

    /// The run now going, which a technician's entry answers.
    private func activeRun(_ run: String?) throws(RPCError) -> RunRecord {
        guard let active = runs.values.first(where: { !$0.status.isFinished }), run == nil || run == active.status.id else {
            throw RPCError(code: .notFound, message: run.map { "run '\($0)' is not running" } ?? "no run is active")
        }
        return active
    }

    /// A reference magnetometer's reading for the field the active run asked the technician to set.
    private func submitField(_ components: [Double], run: String?) throws(RPCError) -> ReferenceSubmitResult {
        guard let manual = configuration.manualField else {
            throw RPCError(code: .invalidParams, message: "this rig's field source is not manual; its current source sets the field")
        }
        guard components.count == 3, components.allSatisfy(\.isFinite) else {
            throw RPCError.invalidParams("field_ut is three finite numbers, x, y, z in µT")
        }
        let active = try activeRun(run)
        do {
            let requested = try manual.submit(FieldVector(x: components[0], y: components[1], z: components[2]))
            logger.info("run \(active.status.id): reference field \(components) µT submitted")
            return ReferenceSubmitResult(run: active.status.id, requestedFieldUT: [requested.x, requested.y, requested.z], fieldUT: components)
        } catch {
            throw RPCError(code: .invalidParams, message: "\(error)")
        }
    }

    /// The certified concentration of the mixture the technician connected for the active run.
    private func submitGas(_ ppm: Double, run: String?) throws(RPCError) -> ReferenceSubmitResult {
        guard let manual = configuration.manualGas else {
            throw RPCError(code: .invalidParams, message: "this rig's gas reference is not manual; its mixer sets the concentration")
        }
        let active = try activeRun(run)
        do {
            let requested = try manual.submit(ppm: ppm)
            logger.info("run \(active.status.id): certified \(ppm) ppm \(requested.gas) submitted")
            return ReferenceSubmitResult(run: active.status.id, gas: requested.gas, requestedPPM: requested.ppm, ppm: ppm)
        } catch {
            throw RPCError(code: .invalidParams, message: "\(error)")
        }
    }

    /// A technician's answer to the hand-held calibrator's request: its level on the microphone asked for, or quiet.
    private func submitCalibrator(_ params: ReferenceSubmitParams) throws(RPCError) -> ReferenceSubmitResult {
        guard let calibrator = configuration.calibrator else {
            throw RPCError(code: .invalidParams, message: "this rig's sound source is not a hand-held calibrator; the reference microphone measures its level")
        }
        guard let active = runs.values.first(where: { !$0.status.isFinished }), params.run == nil || params.run == active.status.id else {
            throw RPCError(code: .notFound, message: params.run.map { "run '\($0)' is not running" } ?? "no run is active")
        }
        do {
            let level = params.quiet == true ? nil : params.levelDBSPL
            let request = try calibrator.submit(level: level)
            logger.info("run \(active.status.id): calibrator \(level.map { "\($0) dB SPL on \(request.slot ?? "-")" } ?? "removed, chamber quiet")")
            return ReferenceSubmitResult(run: active.status.id, slot: request.slot, levelDBSPL: level)
        } catch {
            throw RPCError(code: .invalidParams, message: "\(error)")
        }
    }

    /// What a technician is asked to do for a field or gas point, and how to answer; nil when the run has its answer.
    static func operatorPrompt(_ event: RunEvent) -> String? {
        switch event {
        case .fieldRequest(let field?):
            String(format: "set the coil to (%g, %g, %g) µT and submit the reference magnetometer's reading: "
                   + "sensorqual reference submit BX,BY,BZ uT", field.x, field.y, field.z)
        case .gasRequest(let request?):
            request.ppm == 0 ? "connect zero air and submit: sensorqual reference submit 0 ppm"
                : String(format: "connect the certified %g ppm %@ mixture and submit its certified concentration: "
                         + "sensorqual reference submit VALUE ppm", request.ppm, request.gas)
        default: nil
        }
    }

    /// The plan against the chips in the run: every chip must offer the oversampling the plan asks of it,
    /// and a noise-by-mode step is planned for the longest mode list.
    static func check(plan: inout Plan, planPath: String, slots: [String], rig: Rig, catalog: ChipCatalog) throws(RPCError) {
        var modes = 1
        for slot in slots {
            guard let chip = rig.slot(slot).flatMap({ catalog.chip($0.chip) }) else { continue }
            guard let acquisition = plan.acquisition else { continue }
            let asked = acquisition.settings(for: chip.chip).oversampling
            if !chip.oversamplingModes.isEmpty, !chip.oversamplingModes.contains(asked) {
                throw RPCError(code: .invalidPlan,
                               message: "\(planPath): plan \(plan.name) asks oversampling \(asked) of slot \(slot) (\(chip.model)), which offers "
                                   + chip.oversamplingModes.map(String.init).joined(separator: ", ")
                                   + "; set acquisition.chips.\(chip.chip).oversampling",
                               data: ["file": .string(planPath), "slot": .string(slot)])
            }
            modes = Swift.max(modes, chip.oversamplingModes.count)
        }
        plan.modeCount = modes
    }

    func status(_ id: String?) throws(RPCError) -> RunStatus {
        guard let id = id ?? order.last else { throw RPCError(code: .notFound, message: "no run has been started") }
        guard let record = runs[id] else { throw RPCError(code: .notFound, message: "no run '\(id)'") }
        return record.status
    }

    func list() -> RunList { RunList(runs: order.reversed().compactMap { runs[$0]?.status }) }

    func cancel(_ id: String?) throws(RPCError) -> RunStatus {
        let status = try status(id)
        guard !status.isFinished else { throw RPCError(code: .busy, message: "run \(status.id) has already ended (\(status.state))") }
        runs[status.id]?.cancellation.cancel()
        return status
    }

    /// The report's path for a run this daemon ran, or one left in the state folder by an earlier daemon.
    func reportPath(_ id: String?) throws(RPCError) -> (run: String, path: String) {
        if let id, runs[id] == nil {
            guard id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw RPCError.invalidParams("'\(id)' is not a run id")
            }
            let path = configuration.runsDirectory + "/" + id + "/report.json"
            guard FileManager.default.fileExists(atPath: path) else { throw RPCError(code: .notFound, message: "no run '\(id)'") }
            return (id, path)
        }
        let status = try status(id)
        guard let path = status.reportPath else {
            throw RPCError(code: .notFound, message: "run \(status.id) has no report yet (\(status.state))")
        }
        return (status.id, path)
    }

    func deviceList() -> [DeviceInfo] { devices }

    func watch(_ connection: RPCConnection, run: String?) throws(RPCError) {
        if let run, runs[run] == nil { throw RPCError(code: .notFound, message: "no run '\(run)'") }
        watchers[connection.id] = Watcher(connection: connection, run: run)
    }

    func unwatch(_ connection: RPCConnection) { watchers[connection.id] = nil }

    // MARK: Running

    private func execute(_ prepared: PreparedRun) async {
        let configuration = configuration
        let software = software
        let sink = eventsContinuation
        let dropped = droppedEvents
        let id = prepared.request.id
        let result = await DedicatedThread.run(name: "run \(id)") { () -> (RunOutcome, String?, String?) in
            let events: RunEngine.EventSink = { event in
                if case .dropped = sink.yield((id, event)) { dropped.add() }
            }
            let outcome: RunOutcome
            let raw = configuration.runsDirectory + "/" + id + "/raw"
            switch prepared.request.plan.sensorClass {
            case "acoustic":
                outcome = MicrophoneRunEngine(request: prepared.request, rig: configuration.rig, catalog: configuration.catalog,
                                              connector: configuration.connector, cancellation: prepared.cancellation,
                                              recordingDirectory: configuration.runsDirectory + "/" + id + "/audio",
                                              events: events).run()
            case "magnetic":
                outcome = MagneticRunEngine(request: prepared.request, rig: configuration.rig, catalog: configuration.catalog,
                                            connector: configuration.connector, cancellation: prepared.cancellation,
                                            captureDirectory: raw, events: events).run()
            case "gas":
                outcome = GasRunEngine(request: prepared.request, rig: configuration.rig, catalog: configuration.catalog,
                                       connector: configuration.connector, cancellation: prepared.cancellation,
                                       captureDirectory: raw, events: events).run()
            default:
                outcome = RunEngine(request: prepared.request, rig: configuration.rig, catalog: configuration.catalog,
                                    connector: configuration.connector, cancellation: prepared.cancellation,
                                    captureDirectory: raw, events: events).run()
            }
            let report = QualificationReport(outcome: outcome, request: prepared.request, rig: configuration.rig,
                                             software: software, started: prepared.started, finished: Date())
            do {
                let path = try ReportWriter.write(report, runDirectory: configuration.runsDirectory + "/" + id)
                return (outcome, path, nil)
            } catch {
                return (outcome, nil, "\(error)")
            }
        }
        finished(id, outcome: result.0, reportPath: result.1, reportError: result.2)
    }

    private func finished(_ id: String, outcome: RunOutcome, reportPath: String?, reportError: String?) {
        guard var record = runs[id] else { return }
        record.status.state = outcome.state.rawValue
        record.status.elapsedS = outcome.runSeconds
        record.status.finishedUTC = Self.iso(Date())
        record.status.verdict = outcome.verdict?.rawValue
        record.status.complete = outcome.isComplete
        record.status.reportPath = reportPath
        record.status.error = [outcome.error, reportError.map { "report not written: \($0)" }].compactMap { $0 }.first
        let spec = record.request.spec
        let catalog = configuration.catalog
        record.status.duts = outcome.duts.map { dut in
            // The figures the spec names for the DUT's class: judged ones, and those it asks to be measured and reported.
            let sensorClass = catalog.chip(dut.chip)?.sensorClass
            return .init(slot: dut.slot, serial: dut.serial, verdict: dut.verdict?.rawValue, lost: dut.lost,
                  figures: dut.figures.filter { figure in spec.limit(sensorClass: sensorClass ?? "", metric: figure.metric) != nil }.map {
                      .init(metric: $0.metric, value: $0.value.value, expandedUncertainty: $0.value.expandedUncertainty,
                            unit: $0.value.unit, limit: $0.limit?.description, verdict: $0.verdict?.rawValue)
                  })
        }
        runs[id] = record
        setDevices(record.request.slots, busy: false)
        let verdict = record.status.verdict ?? "no verdict"
        if let reportError {
            logger.error("run \(id) \(outcome.state.rawValue): report not written: \(reportError)")
        } else {
            logger.info("run \(id) \(outcome.state.rawValue): \(verdict); report \(reportPath ?? "-")")
        }
        let lostEvents = droppedEvents.take()
        if lostEvents > 0 { logger.warning("run \(id): \(lostEvents) run events did not fit the event queue") }
        notifier.status("run \(id) \(outcome.state.rawValue): \(verdict)")
        broadcast(NotificationMethod.runFinished, run: id, params: record.status)
        if runs.values.allSatisfy({ $0.status.isFinished }) {
            for waiter in endWaiters { waiter.resume() }
            endWaiters.removeAll()
        }
    }

    private func apply(_ event: RunEvent, to id: String) {
        guard var record = runs[id], !record.status.isFinished else { return }
        // Between a request to the technician and its answer the run is waiting-for-operator, then back in the state
        // the engine last reported; each change is a run.state notification, before the request's own.
        if let waiting = event.operatorWait {
            let state = waiting ? RunState.waitingForOperator.rawValue : record.engineState
            if record.status.state != state {
                record.status.state = state
                broadcast(NotificationMethod.runState, run: id, params: RunEventParams(run: id, state: state))
            }
        }
        let params: RunEventParams
        let method: String
        switch event {
        case .state(let state):
            guard !state.isFinal else { return }     // the final state arrives with the outcome
            record.status.state = state.rawValue
            record.engineState = state.rawValue
            params = RunEventParams(run: id, state: state.rawValue)
            method = NotificationMethod.runState
            notifier.status("run \(id) \(state.rawValue)")
        case .step(let index, let count, let name):
            record.status.step = .init(index: index, count: count, name: name)
            params = RunEventParams(run: id, step: record.status.step)
            method = NotificationMethod.runStep
        case .progress(let elapsed, let planned):
            record.status.elapsedS = elapsed
            record.status.plannedS = planned
            params = RunEventParams(run: id, elapsedS: elapsed, plannedS: planned)
            method = NotificationMethod.runProgress
        case .referenceRequest(let setpoint):
            record.status.awaitingReferencePa = setpoint
            params = RunEventParams(run: id, referencePa: setpoint)
            method = NotificationMethod.runReference
            if let setpoint {
                logger.notice("run \(id): waiting for the reference reading at \(setpoint) Pa (sensorqual reference submit VALUE Pa)")
                notifier.status("run \(id) waiting for a reference reading at \(Int(setpoint)) Pa")
            }
        case .calibratorRequest(let request):
            record.status.awaitingCalibrator = request?.prompt
            params = RunEventParams(run: id, slot: request?.slot, detail: request?.prompt,
                                    calibratorSPL: request?.spl)
            method = NotificationMethod.runReference
            if let request {
                logger.notice("run \(id): waiting for the technician: \(request.prompt)")
                notifier.status("run \(id) waiting for the technician: \(request.prompt)")
            }
        case .fieldRequest, .gasRequest:
            let prompt = Self.operatorPrompt(event)
            record.status.awaitingOperator = prompt
            params = RunEventParams(run: id, detail: prompt)
            method = NotificationMethod.runReference
            if let prompt {
                logger.notice("run \(id): waiting for the technician: \(prompt)")
                notifier.status("run \(id) waiting for the technician: \(prompt)")
            }
        case .dutLost(let slot, let reason):
            if let index = record.status.duts.firstIndex(where: { $0.slot == slot }) { record.status.duts[index].lost = reason }
            params = RunEventParams(run: id, slot: slot, detail: reason)
            method = NotificationMethod.runDevice
            logger.warning("run \(id): slot \(slot) lost: \(reason)")
        }
        runs[id] = record
        broadcast(method, run: id, params: params)
    }

    private func broadcast<P: Encodable>(_ method: String, run: String, params: P) {
        guard !watchers.isEmpty, let value = try? JSONValue(encoding: params) else { return }
        for watcher in watchers.values where watcher.run == nil || watcher.run == run {
            watcher.connection.notify(method: method, params: value)
        }
    }

    private func setDevices(_ slots: [String], busy: Bool) {
        for index in devices.indices where slots.contains(devices[index].slot) {
            if busy { devices[index].state = "busy" } else if devices[index].state == "busy" { devices[index].state = "ready" }
        }
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

/// Counts run events that did not fit the event queue; the acquisition thread adds, the scheduler takes.
final class DropCounter: Sendable {
    private let count = Atomic(0)
    func add() { count.add(1, ordering: .relaxed) }
    func take() -> Int { count.exchange(0, ordering: .relaxed) }
}
