import ControlProtocol
import Foundation
import Logging
import SensorDrivers
import Qualification
import Reports
import ServiceLifecycle
import Synchronization

/// Starts runs, follows them, and tells watchers. A run is one part per class plan (one for a class plan, several for
/// a rig plan); parts that share no bus and no reference instrument run on threads of their own at the same time, the
/// others one after the other on one thread. Runs on different slots run side by side the same way: a run waits
/// (`queued`) until no other run holds its buses and instruments; a run naming a slot another run holds is refused
/// (`busy`). Events come back through a bounded stream, outcomes through the child tasks that await the threads.
actor RunScheduler: Service {
    struct RunRecord {
        /// The configuration the run started with: a reload does not change a run going on.
        var configuration: DaemonConfiguration
        var parts: [RunPart]
        var rigPlan: RigPlan?
        var status: RunStatus
        var cancellation: RunCancellation
        /// The state the engines last reported: where the run returns once the technician has answered.
        var engineState = RunState.queued.rawValue
        /// Parts waiting for the technician (by plan name).
        var waitingParts: Set<String> = []
        /// Parts paused because their reference instrument stopped answering (by plan name).
        var silentReferenceParts: Set<String> = []
        /// Run-clock seconds each part has run.
        var partElapsed: [String: Double] = [:]
        /// When the last `run.progress` went to the watchers (`progressInterval`).
        var lastProgressBroadcast: ContinuousClock.Instant?
        /// The parts' plan names by the thread they run on.
        var groups: [[String]]

        var slots: [String] { parts.flatMap(\.request.slots) }
        var resources: Set<String> { parts.reduce(into: Set()) { $0.formUnion($1.resources) } }
    }

    struct PreparedRun: Sendable {
        var configuration: DaemonConfiguration
        var id: String
        var manifest: RunManifest
        var parts: [RunPart]
        var rigPlan: RigPlan?
        var cancellation: RunCancellation
        var started: Date
    }

    /// A run event and the part (plan name) it came from; nil for a run of one class plan.
    typealias TaggedEvent = (run: String, part: String?, event: RunEvent)

    struct Watcher {
        var connection: RPCConnection
        var run: String?
    }

    /// The configuration for new runs; SIGHUP replaces it (`reload(_:)`).
    private(set) var configuration: DaemonConfiguration
    let software: QualificationReport.Software
    let notifier: SystemdNotifier
    let logger: Logger
    let archive: ArchiveRecorder
    private var runs: [String: RunRecord] = [:]
    private var order: [String] = []
    private var watchers: [UInt64: Watcher] = [:]
    private var devices: [DeviceInfo]
    private var runCounter = 0
    /// Reloads so far: a probe lists the slots only if no later reload came.
    private var reloads = 0
    /// Run events that did not fit the event queue (only a stalled scheduler can fill 4096); logged per run.
    private let droppedEvents = DropCounter()

    private let starts: AsyncStream<PreparedRun>
    private let startsContinuation: AsyncStream<PreparedRun>.Continuation
    private let events: AsyncStream<TaggedEvent>
    private let eventsContinuation: AsyncStream<TaggedEvent>.Continuation
    /// Buses and instruments held by running runs, and the runs waiting for theirs.
    private var heldResources: Set<String> = []
    private var resourceWaiters: [(resources: Set<String>, continuation: CheckedContinuation<Void, Never>)] = []

    init(configuration: DaemonConfiguration, devices: [DeviceInfo], software: QualificationReport.Software,
         notifier: SystemdNotifier, logger: Logger) {
        self.configuration = configuration
        self.devices = devices
        self.software = software
        self.notifier = notifier
        self.logger = logger
        archive = ArchiveRecorder(archive: configuration.archive, logger: logger)
        (starts, startsContinuation) = AsyncStream.makeStream(of: PreparedRun.self, bufferingPolicy: .bufferingOldest(8))
        (events, eventsContinuation) = AsyncStream.makeStream(of: TaggedEvent.self, bufferingPolicy: .bufferingOldest(4096))
    }

    // MARK: Service

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await tagged in self.events { await self.apply(tagged.event, to: tagged.run, part: tagged.part) }
            }
            for await prepared in starts.cancelOnGracefulShutdown() {
                group.addTask { await self.execute(prepared) }
            }
            // Shutting down: stop the runs in flight; each still writes its partial report. Live reads end too.
            for record in runs.values where !record.status.isFinished { record.cancellation.cancel() }
            isStopping = true
            for session in liveReads.values { session.stop("shutdown") }
            startsContinuation.finish()
            group.addTask {
                await self.waitForRunsToEnd()
                self.eventsContinuation.finish()
            }
        }
    }

    private var endWaiters: [CheckedContinuation<Void, Never>] = []

    /// Waits until every run has ended and every live read has put its chip in standby.
    private func waitForRunsToEnd() async {
        if allEnded { return }
        await withCheckedContinuation { endWaiters.append($0) }
    }

    private var allEnded: Bool { runs.values.allSatisfy({ $0.status.isFinished }) && liveReads.isEmpty }

    private func resumeEndWaitersIfAllEnded() {
        guard allEnded else { return }
        for waiter in endWaiters { waiter.resume() }
        endWaiters.removeAll()
    }

    // MARK: Requests

    func start(_ params: RunStartParams) throws(RPCError) -> RunStatus {
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
        var plans: [Plan]
        var rigPlan: RigPlan?
        let spec: SpecProfile
        // The plan files' texts as they were read, for the run's manifest.
        var texts: [String: RunManifest.PlanText] = [:]
        func text(_ path: String) throws(ConfigurationError) -> RunManifest.PlanText {
            do { return RunManifest.PlanText(file: path, text: try String(contentsOfFile: path, encoding: .utf8)) } catch {
                throw ConfigurationError(file: path, reason: "cannot read: \(error.localizedDescription)")
            }
        }
        do {
            switch try PlanFile.load(path: planPath) {
            case .plan(let plan):
                plans = [plan]
                texts[plan.name] = try text(planPath)
            case .rig(let rig):
                rigPlan = rig
                plans = try rig.loadParts(planPath: configuration.planPath)
                for name in rig.parts { if let path = configuration.planPath(name) { texts[name] = try text(path) } }
                texts[rig.name] = try text(planPath)
            }
            spec = try SpecProfile.load(path: specPath)
        } catch {
            throw RPCError(code: .invalidPlan, message: error.description,
                           data: ["file": .string(error.file), "line": error.line.map { .int(Int64($0)) } ?? .null])
        }
        let catalog = configuration.catalog
        // Each plan runs on the slots of its class (of those named, when the request names slots).
        let classSlots = plans.map { RunPart.slots(for: $0, rig: rig, catalog: catalog) }
        if let named = params.slots {
            guard Set(named).count == named.count else { throw RPCError.invalidParams("a slot is named twice in \(named)") }
            for slot in named where !classSlots.contains(where: { $0.contains(slot) }) {
                let kinds = plans.map(RunPart.slotKind).joined(separator: " or ")
                throw RPCError.invalidParams("slot '\(slot)' is not one of the \(kinds) of rig \(rig.name) (those are "
                    + Array(Set(classSlots.joined())).sorted().joined(separator: ", ") + ")")
            }
        }
        var partSlots = classSlots.map { slots in params.slots.map { named in slots.filter(named.contains) } ?? slots }
        if rigPlan == nil, partSlots[0].isEmpty {
            throw RPCError.invalidParams("rig \(rig.name) has no \(RunPart.slotKind(plans[0])) for plan \(plans[0].name)")
        }
        // A rig plan measures each slot once, by the first part of its class.
        for index in partSlots.indices {
            let earlier = Set(partSlots[..<index].joined())
            partSlots[index].removeAll { earlier.contains($0) }
        }
        let used = plans.indices.filter { !partSlots[$0].isEmpty }
        guard !used.isEmpty else {
            throw RPCError.invalidParams("rig \(rig.name) has no slots for any part of rig plan \(params.plan)")
        }
        let slots = used.flatMap { partSlots[$0] }
        for slot in (params.serials ?? [:]).keys where !slots.contains(slot) {
            throw RPCError.invalidParams("a serial number is given for slot '\(slot)', which is not in this run")
        }
        for index in used { try Self.check(plan: &plans[index], planPath: planPath, slots: partSlots[index], rig: rig, catalog: catalog) }
        // A slot belongs to one run at a time.
        for record in runs.values where !record.status.isFinished {
            if let slot = slots.first(where: record.slots.contains) {
                throw RPCError(code: .busy, message: "slot \(slot) is in run \(record.status.id) (\(record.status.state)); a slot takes one run at a time",
                               data: ["run": .string(record.status.id), "slot": .string(slot)])
            }
        }
        // A run on a full disk would fail at its first write (DESIGN.md §5): refuse it, saying where room is short.
        if let shortage = archive.spaceShortage(in: configuration.runsDirectory) {
            logger.error("run of plan \(params.plan) refused: \(shortage)")
            throw RPCError(code: .busy, message: shortage + "; free space there before starting a run")
        }
        let started = Date()
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        // A run id is never reused, not even by a daemon restarted within the second.
        var id: String
        repeat {
            runCounter += 1
            id = "\(formatter.string(from: started))-\(runCounter)"
        } while runs[id] != nil || FileManager.default.fileExists(atPath: configuration.runsDirectory + "/" + id)
        let parts = used.map { index in
            RunPart(request: RunRequest(id: id, plan: plans[index], spec: spec, slots: partSlots[index], lot: params.lot,
                                        serials: (params.serials ?? [:]).filter { partSlots[index].contains($0.key) },
                                        operatorName: params.operator), rig: rig)
        }
        let planName = rigPlan?.name ?? plans[0].name
        let status = RunStatus(
            id: id, plan: planName, spec: spec.name, state: RunState.queued.rawValue,
            simulated: configuration.connector.isSimulated, step: nil, elapsedS: 0, plannedS: RunPart.plannedSeconds(parts),
            startedUTC: Self.iso(started), finishedUTC: nil,
            duts: slots.map { .init(slot: $0, serial: params.serials?[$0], verdict: nil, lost: nil, figures: nil) },
            verdict: nil, complete: nil, reportPath: nil, error: nil)
        let cancellation = RunCancellation()
        // After shutdown began, the scheduler takes no more runs: refuse rather than queue one that never runs.
        let manifest = RunManifest(
            id: id, startTime: Self.iso(started), software: software, rig: rig.name, simulated: configuration.connector.isSimulated,
            rigPlan: rigPlan.flatMap { texts[$0.name] },
            parts: parts.compactMap { part in texts[part.request.plan.name].map { RunManifest.Part(plan: $0, slots: part.request.slots) } },
            spec: spec, lot: params.lot, operator: params.operator, serials: params.serials ?? [:])
        let prepared = PreparedRun(configuration: configuration, id: id, manifest: manifest, parts: parts, rigPlan: rigPlan, cancellation: cancellation, started: started)
        if case .terminated = startsContinuation.yield(prepared) {
            throw RPCError(code: .busy, message: "sensorquald is stopping; start the run after it restarts")
        }
        let groups = RunPart.concurrentGroups(parts).map { $0.map(\.request.plan.name) }
        runs[id] = RunRecord(configuration: configuration, parts: parts, rigPlan: rigPlan, status: status, cancellation: cancellation, groups: groups)
        let queued = ArchivedRun.Start(
            id: id, plan: planName, spec: spec.name, sensorClasses: parts.map(\.request.plan.sensorClass).reduce(into: []) { if !$0.contains($1) { $0.append($1) } },
            lot: params.lot,
            operatorName: params.operator, rig: rig.name, simulated: configuration.connector.isSimulated,
            slots: parts.flatMap { part in
                part.request.slots.map { slot in
                    let chip = rig.slot(slot)?.chip ?? rig.microphones.first { $0.id == slot }?.chip
                    return ArchivedRun.Start.Slot(slot: slot, serial: params.serials?[slot], chip: chip,
                                                  model: chip.flatMap { catalog.chip($0)?.model }, sensorClass: part.request.plan.sensorClass)
                }
            },
            started: started, softwareVersion: software.version)
        archive.record("run \(id) queued") { try $0.runQueued(queued) }
        order.append(id)
        setDevices(slots, busy: true)
        logger.info("run \(id) queued: plan \(planName)\(rigPlan.map { _ in " (" + plans.map(\.name).joined(separator: ", ") + ")" } ?? ""), spec \(spec.name), slots \(slots.joined(separator: ","))")
        notifier.status("run \(id) queued")
        broadcast(NotificationMethod.runState, run: id, params: RunEventParams(run: id, state: RunState.queued.rawValue))
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
        let active = try activeRun(params.run)
        guard let manual = active.configuration.manualReference else {
            throw RPCError(code: .invalidParams, message: "this rig's reference is not manual; its controller reads the pressure itself")
        }
        do {
            let setpoint = try manual.submit(valuePa)
            logger.info("run \(active.status.id): reference reading \(valuePa) Pa submitted for \(setpoint) Pa")
            return ReferenceSubmitResult(run: active.status.id, setpointPa: setpoint, valuePa: valuePa)
        } catch {
            throw RPCError(code: .invalidParams, message: "\(error)")
        }
    }

    /// The technician has checked the reference instrument that stopped answering: the paused run measures its point
    /// again.
    func resume(_ run: String?) throws(RPCError) -> RunStatus {
        let going = order.compactMap { runs[$0] }.filter { !$0.status.isFinished }
        let paused = going.filter { !$0.silentReferenceParts.isEmpty }
        let record: RunRecord
        if let run {
            guard let named = going.first(where: { $0.status.id == run }) else { throw RPCError(code: .notFound, message: "run '\(run)' is not running") }
            guard !named.silentReferenceParts.isEmpty else {
                throw RPCError.invalidParams("run \(run) is not paused for a reference instrument; nothing to resume")
            }
            record = named
        } else {
            guard let only = paused.first else { throw RPCError(code: .notFound, message: "no run is paused for a reference instrument") }
            guard paused.count == 1 else {
                throw RPCError.invalidParams("runs " + paused.map(\.status.id).joined(separator: ", ") + " are paused; name one with --run")
            }
            record = only
        }
        logger.info("run \(record.status.id): resumed by the technician")
        record.cancellation.resume()
        return record.status
    }

    /// The run a technician's entry answers: the one named, else the one waiting for the technician, else the only
    /// run going.
    private func activeRun(_ run: String?) throws(RPCError) -> RunRecord {
        let going = order.compactMap { runs[$0] }.filter { !$0.status.isFinished }
        if let run {
            guard let named = going.first(where: { $0.status.id == run }) else { throw RPCError(code: .notFound, message: "run '\(run)' is not running") }
            return named
        }
        if let waiting = going.first(where: { !$0.waitingParts.isEmpty }) { return waiting }
        guard let only = going.first else { throw RPCError(code: .notFound, message: "no run is active") }
        guard going.count == 1 else {
            throw RPCError.invalidParams("runs " + going.map(\.status.id).joined(separator: ", ") + " are going and none waits for the technician; name one with --run")
        }
        return only
    }

    /// A reference magnetometer's reading for the field the active run asked the technician to set.
    private func submitField(_ components: [Double], run: String?) throws(RPCError) -> ReferenceSubmitResult {
        guard components.count == 3, components.allSatisfy(\.isFinite) else {
            throw RPCError.invalidParams("field_ut is three finite numbers, x, y, z in µT")
        }
        let active = try activeRun(run)
        guard let manual = active.configuration.manualField else {
            throw RPCError(code: .invalidParams, message: "this rig's field source is not manual; its current source sets the field")
        }
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
        let active = try activeRun(run)
        guard let manual = active.configuration.manualGas else {
            throw RPCError(code: .invalidParams, message: "this rig's gas reference is not manual; its mixer sets the concentration")
        }
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
        let active = try activeRun(params.run)
        guard let calibrator = active.configuration.calibrator else {
            throw RPCError(code: .invalidParams, message: "this rig's sound source is not a hand-held calibrator; the reference microphone measures its level")
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

    /// The report's path for a run this daemon ran, or one left in the state folder by an earlier daemon (for a run
    /// that daemon never finished, the partial report built at start-up).
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

    /// Runs an earlier daemon left without a report (it was killed, or the machine lost power): each is marked
    /// `interrupted` and gets the partial report of what it recorded (DESIGN.md §5). Called before the socket listens,
    /// so no client asks for a report that is still being built ("no run").
    func recoverInterruptedRuns() async {
        let configuration = configuration
        let archive = archive.archive
        let recovered = await DedicatedThread.run(name: "recover runs") { () -> [(run: String, report: String?, error: String?)] in
            let folder = configuration.runsDirectory
            let ids = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            return ids.compactMap { id in
                let runDirectory = folder + "/" + id
                let fileManager = FileManager.default
                guard fileManager.fileExists(atPath: runDirectory + "/" + RunManifest.fileName),
                      !fileManager.fileExists(atPath: runDirectory + "/report.json") else { return nil }
                // The archive knows where the run was (markInterrupted at start-up wrote it) and when it last moved; a run
                // it holds as ended (its report could not be written) is not an interrupted one.
                let archived = try? archive.run(id)
                if let state = archived?.state, state != RunState.interrupted.rawValue, RunArchive.finalStates.contains(state) { return nil }
                do {
                    let manifest = try RunManifest.read(runDirectory: runDirectory)
                    let stopped = (archived?.error ?? "sensorquald stopped before the run ended") + "; this report holds what it recorded"
                    let finished = archived?.finishedUTC.flatMap(ArchiveTime.parse) ?? Date()
                    let report = try manifest.partialReport(rig: configuration.rig, catalog: configuration.catalog,
                                                            runDirectory: runDirectory, reason: stopped, finished: finished)
                    let paths = try ReportWriter.writeAll(report, runDirectory: runDirectory)
                    try archive.runFinished(report, reportPath: paths.json, htmlPath: paths.html, artifacts: [])
                    return (id, paths.json, nil)
                } catch {
                    return (id, nil, "\(error)")
                }
            }
        }
        for run in recovered {
            if let report = run.report {
                logger.warning("run \(run.run) was interrupted (sensorquald stopped before it ended); partial report \(report)")
            } else {
                logger.error("run \(run.run) was interrupted; its partial report could not be built: \(run.error ?? "-")")
            }
        }
    }

    func deviceList() -> [DeviceInfo] { devices }

    /// Takes a reloaded configuration for the runs started from now on, and probes the new rig's slots once no run
    /// holds their buses (a probe must not select a mux channel under a run). Returns whether the probe waits for
    /// runs going on.
    func reload(_ next: DaemonConfiguration) -> Bool {
        let previous = configuration.rig
        configuration = next
        let buses = Set((previous.buses + next.rig.buses).map { "bus:" + $0.id })
        let waits = !heldResources.isDisjoint(with: buses)
        reloads += 1
        let generation = reloads
        Task { await self.probe(next, holding: buses, generation: generation) }
        return waits
    }

    /// Probes the slots of `configuration`'s rig while holding `buses`, then lists them (slots of runs going on busy).
    private func probe(_ configuration: DaemonConfiguration, holding buses: Set<String>, generation: Int) async {
        await acquire(buses)
        let probed = await DedicatedThread.run(name: "probe") {
            SlotProber.probe(rig: configuration.rig, catalog: configuration.catalog, connector: configuration.connector)
        }
        release(buses)
        guard generation == reloads else { return }     // a later reload's probe lists the slots
        devices = probed
        setDevices(runs.values.filter { !$0.status.isFinished }.flatMap(\.slots), busy: true)
        for device in probed {
            logger.info("slot \(device.slot): \(device.model) at \(device.bus)\(device.muxChannel.map { " ch\($0)" } ?? "") \(device.address): \(device.state)\(device.detail.map { " (\($0))" } ?? "")")
        }
    }

    /// The acquiring threads of running runs silent for more than `limit` ns (the watchdog's question).
    func acquisitionStalls(limit: Int64) -> [AcquisitionProgress.Stall] {
        runs.values.filter { !$0.status.isFinished }.flatMap { $0.cancellation.progress.stalls(limit: limit) }
    }

    func watch(_ connection: RPCConnection, run: String?) throws(RPCError) {
        if let run, runs[run] == nil { throw RPCError(code: .notFound, message: "no run '\(run)'") }
        watchers[connection.id] = Watcher(connection: connection, run: run)
    }

    func unwatch(_ connection: RPCConnection) { watchers[connection.id] = nil }

    // MARK: Running

    private func execute(_ prepared: PreparedRun) async {
        let configuration = prepared.configuration
        let software = software
        let sink = eventsContinuation
        let dropped = droppedEvents
        let id = prepared.id
        let runDirectory = configuration.runsDirectory + "/" + id
        let resources = prepared.parts.reduce(into: Set<String>()) { $0.formUnion($1.resources) }
        // What the run was asked, on disk before any reading: after a crash the partial report is built from it.
        let manifestError = await DedicatedThread.run(name: "manifest \(id)") { () -> String? in
            do { try prepared.manifest.write(runDirectory: runDirectory); return nil } catch { return "\(error)" }
        }
        await acquire(resources)
        let tagged = prepared.rigPlan != nil
        // Each group of parts on a thread of its own, its parts one after the other.
        let results = await withTaskGroup(of: [RunPartResult].self) { group in
            for parts in RunPart.concurrentGroups(prepared.parts) {
                let name = "run \(id)" + (tagged ? " " + parts.map(\.request.plan.name).joined(separator: "+") : "")
                group.addTask {
                    // A run on a virtual clock has no deadline: it is batch work (on a real rig its threads keep theirs).
                    await DedicatedThread.run(name: name, batch: configuration.connector.clock.isVirtual) { () -> [RunPartResult] in
                        parts.map { part in
                            // Readings a crash would leave unaccounted for are not taken: without its manifest the run
                            // fails before its first reading.
                            if let manifestError {
                                return RunPartResult(part: part, outcome: .unfinished(
                                    part.request, state: .failed, rig: configuration.rig, catalog: configuration.catalog,
                                    runDirectory: runDirectory, simulated: configuration.connector.isSimulated,
                                    reason: "run.json not written: \(manifestError)"))
                            }
                            // A cancel ends the run: the parts not yet begun are not begun.
                            if prepared.cancellation.isCancelled {
                                return RunPartResult(part: part, outcome: .unfinished(
                                    part.request, state: .cancelled, rig: configuration.rig, catalog: configuration.catalog,
                                    runDirectory: runDirectory, simulated: configuration.connector.isSimulated,
                                    reason: "the run was cancelled before this part began"))
                            }
                            let plan = tagged ? part.request.plan.name : nil
                            let events: RunEngine.EventSink = { event in
                                if case .dropped = sink.yield((id, plan, event)) { dropped.add() }
                            }
                            let outcome = part.run(rig: configuration.rig, catalog: configuration.catalog, connector: configuration.connector,
                                                   cancellation: prepared.cancellation, runDirectory: runDirectory, events: events)
                            return RunPartResult(part: part, outcome: outcome)
                        }
                    }
                }
            }
            var all: [RunPartResult] = []
            for await results in group { all += results }
            return all
        }
        release(resources)
        // The report lists the parts in the plan's order, whichever thread finished first.
        let ordered = prepared.parts.compactMap { part in results.first { $0.part.request.plan.name == part.request.plan.name } }
        let outcome = prepared.rigPlan.map { RunOutcome.combining(ordered, id: id, planName: $0.name) } ?? ordered[0].outcome
        let report = QualificationReport(outcome: outcome, parts: ordered, rigPlan: prepared.rigPlan, rig: configuration.rig,
                                         software: software, started: prepared.started, finished: Date())
        let written = await DedicatedThread.run(name: "report \(id)") { () -> (ReportWriter.Paths?, String?) in
            do {
                return (try ReportWriter.writeAll(report, runDirectory: runDirectory), nil)
            } catch {
                return (nil, "\(error)")
            }
        }
        await archive.recordAndWait("run \(id) \(outcome.state.rawValue)") {
            try $0.runFinished(report, reportPath: written.0?.json, htmlPath: written.0?.html, artifacts: [], reportError: written.1)
        }
        finished(id, outcome: outcome, reportPath: written.0?.json, reportError: written.1)
    }

    /// Waits until no running run holds any of `resources`, then holds them. A bench tool holding one (a live read)
    /// is told to stop: a run goes before a technician's look at a slot.
    private func acquire(_ resources: Set<String>) async {
        if heldResources.isDisjoint(with: resources) {
            heldResources.formUnion(resources)
            return
        }
        for resource in resources { benchHolds[resource]?.stop() }
        await withCheckedContinuation { resourceWaiters.append((resources, $0)) }
    }

    // MARK: Bench tools

    /// A bus a bench tool holds (`devices.scan`, `devices.dump`, a live `devices.read`): what holds it, and how to ask
    /// it to let go when a run needs the bus.
    struct BenchHold {
        var holder: String
        var stop: @Sendable () -> Void
    }

    /// Bench holds by resource (`bus:<id>`).
    private var benchHolds: [String: BenchHold] = [:]
    /// Shutdown has begun: no bench tool starts.
    private var isStopping = false

    /// Holds `resources` for a bench tool at once, or refuses (busy) naming the run or tool that has one: a
    /// technician's tool never waits behind a run that may last an hour, and never takes a bus a queued run waits for.
    func claimBench(_ resources: Set<String>, holder: String, stop: @escaping @Sendable () -> Void = {}) throws(RPCError) {
        if isStopping { throw RPCError(code: .busy, message: "sensorquald is stopping") }
        for resource in resources.sorted() {
            let bus = resource.hasPrefix("bus:") ? String(resource.dropFirst(4)) : resource
            if let record = runs.values.first(where: { !$0.status.isFinished && $0.resources.contains(resource) }) {
                throw RPCError(code: .busy, message: "bus \(bus) is in run \(record.status.id) (\(record.status.state)); use the bench tools between runs",
                               data: ["run": .string(record.status.id)])
            }
            if let hold = benchHolds[resource] {
                throw RPCError(code: .busy, message: "bus \(bus) is held by \(hold.holder); try again when it ends")
            }
            if heldResources.contains(resource) {
                throw RPCError(code: .busy, message: "bus \(bus) is being probed after a reload; try again in a moment")
            }
        }
        heldResources.formUnion(resources)
        for resource in resources { benchHolds[resource] = BenchHold(holder: holder, stop: stop) }
    }

    /// Live reads by the connection that asked for them: one each.
    private var liveReads: [UInt64: LiveRead] = [:]

    /// Holds the bus of a live read for `connection`; a run that needs the bus stops the read.
    func claimLiveRead(_ session: LiveRead, connection: UInt64, resources: Set<String>) throws(RPCError) {
        if let reading = liveReads[connection] {
            throw RPCError(code: .busy, message: "this connection already reads slot \(reading.slot); devices.read.stop ends it")
        }
        try claimBench(resources, holder: "a live read of slot \(session.slot)") { session.stop("run", detail: "a run needs the bus") }
        liveReads[connection] = session
    }

    /// A live read ended (its thread put the chip in standby): its bus is free.
    func endLiveRead(connection: UInt64, resources: Set<String>) {
        liveReads[connection] = nil
        releaseBench(resources)
        resumeEndWaitersIfAllEnded()
    }

    /// Stops `connection`'s live read; returns its slot, nil when it has none.
    @discardableResult
    func stopLiveRead(connection: UInt64, reason: String = "stopped") -> String? {
        guard let session = liveReads[connection] else { return nil }
        session.stop(reason)
        return session.slot
    }

    /// Lets go of a bench tool's buses; runs waiting for them start.
    func releaseBench(_ resources: Set<String>) {
        for resource in resources { benchHolds[resource] = nil }
        release(resources)
    }

    /// Lets go of a run's buses and instruments and starts the waiting runs they free, in the order they came.
    private func release(_ resources: Set<String>) {
        heldResources.subtract(resources)
        var waiting: [(resources: Set<String>, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in resourceWaiters {
            if heldResources.isDisjoint(with: waiter.resources) {
                heldResources.formUnion(waiter.resources)
                waiter.continuation.resume()
            } else {
                waiting.append(waiter)
            }
        }
        resourceWaiters = waiting
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
        let spec = record.parts[0].request.spec
        let catalog = record.configuration.catalog
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
        setDevices(record.slots, busy: false)
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
        resumeEndWaitersIfAllEnded()
    }

    /// Applies a run event, and records in the archive each change of the run's state or step as it happens.
    private func apply(_ event: RunEvent, to id: String, part: String?) {
        let before = runs[id].map { ($0.status.state, $0.status.step?.name) }
        applyEvent(event, to: id, part: part)
        guard let after = runs[id].map({ ($0.status.state, $0.status.step?.name) }), let before, before != after else { return }
        let now = Date()
        archive.record("run \(id) \(after.0)") { try $0.stateChanged(run: id, state: after.0, step: after.1, at: now) }
    }

    private func applyEvent(_ event: RunEvent, to id: String, part: String?) {
        guard var record = runs[id], !record.status.isFinished else { return }
        // Between a request to the technician and its answer the run is waiting-for-operator (while any part waits),
        // then back in the state the engines last reported; each change is a run.state notification, before the
        // request's own.
        if let waiting = event.operatorWait {
            if waiting { record.waitingParts.insert(part ?? "") } else { record.waitingParts.remove(part ?? "") }
            let state = record.waitingParts.isEmpty ? record.engineState : RunState.waitingForOperator.rawValue
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
            record.engineState = state.rawValue
            // A part's own state while another part waits for the technician stays behind the waiting state.
            guard record.waitingParts.isEmpty, record.status.state != state.rawValue else {
                runs[id] = record
                return
            }
            record.status.state = state.rawValue
            params = RunEventParams(run: id, state: state.rawValue)
            method = NotificationMethod.runState
            notifier.status("run \(id) \(state.rawValue)")
        case .step(let index, let count, let name):
            record.status.step = .init(index: index, count: count, name: part.map { "\($0): \(name)" } ?? name)
            params = RunEventParams(run: id, step: record.status.step)
            method = NotificationMethod.runStep
        case .progress(let elapsed, let planned):
            if let part {
                // A rig plan's run: its longest thread so far, against the plan of the whole.
                record.partElapsed[part] = elapsed
                record.status.elapsedS = record.groups.map { $0.reduce(0) { $0 + (record.partElapsed[$1] ?? 0) } }.max() ?? elapsed
            } else {
                record.status.elapsedS = elapsed
                record.status.plannedS = planned
            }
            // An accelerated simulated run passes hundreds of 5 s periods a second: the watchers get the latest
            // at most every `progressInterval` of wall time, `runs.status` always the current figure.
            let now = ContinuousClock.now
            if let last = record.lastProgressBroadcast, now - last < Self.progressInterval {
                runs[id] = record
                return
            }
            record.lastProgressBroadcast = now
            params = RunEventParams(run: id, elapsedS: record.status.elapsedS, plannedS: record.status.plannedS)
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
        case .referenceSilent(let silence):
            if silence != nil { record.silentReferenceParts.insert(part ?? "") } else { record.silentReferenceParts.remove(part ?? "") }
            record.status.awaitingOperator = silence?.prompt
            params = RunEventParams(run: id, detail: silence?.prompt)
            method = NotificationMethod.runReference
            if let silence {
                logger.warning("run \(id) paused: \(silence.prompt)")
                notifier.status("run \(id) paused: reference \(silence.reference) is not answering")
            } else {
                logger.notice("run \(id) resumed: the point is measured again from its start")
            }
        case .dutLost(let slot, let reason):
            if let index = record.status.duts.firstIndex(where: { $0.slot == slot }) { record.status.duts[index].lost = reason }
            params = RunEventParams(run: id, slot: slot, detail: reason)
            method = NotificationMethod.runDevice
            logger.warning("run \(id): slot \(slot) lost: \(reason)")
        case .dutReturned(let slot, let outage):
            if let index = record.status.duts.firstIndex(where: { $0.slot == slot }) { record.status.duts[index].lost = nil }
            params = RunEventParams(run: id, slot: slot, detail: outage.returnSummary)
            method = NotificationMethod.runDevice
            logger.notice("run \(id): slot \(slot) \(outage.returnSummary)")
        }
        runs[id] = record
        broadcast(method, run: id, params: params)
    }

    /// The shortest wall time between two `run.progress` notifications of a run (docs/protocol.md §9.3).
    static let progressInterval = Duration.milliseconds(250)

    private func broadcast<P: Encodable>(_ method: String, run: String, params: P) {
        guard !watchers.isEmpty, let value = try? JSONValue(encoding: params) else { return }
        let notification = EncodedNotification(RPCNotification(method: method, params: value))
        for watcher in watchers.values where watcher.run == nil || watcher.run == run {
            watcher.connection.notify(notification)
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
