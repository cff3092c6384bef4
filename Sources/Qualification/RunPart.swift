/// One class plan's share of a run: its request (the plan on the slots of its class) and what it holds while it runs,
/// the buses its slots sit on and the reference instruments its class drives. A run of a class plan has one part; a
/// rig plan's run has one per class plan, and parts that hold nothing in common run at the same time.
public struct RunPart: Sendable {
    public var request: RunRequest
    /// Bus and audio-interface ids, and reference-instrument ids, prefixed `bus:` and `reference:`.
    public var resources: Set<String>

    public init(request: RunRequest, rig: Rig) {
        self.request = request
        resources = Set(request.slots.compactMap { slot in rig.slot(slot)?.bus ?? rig.microphones.first { $0.id == slot }?.audio }
                            .map { "bus:" + $0 })
            .union(Self.references(for: request.plan, rig: rig).map { "reference:" + $0.id })
    }

    /// The reference instruments a plan's class drives: a gas plan only the mixer of its gas.
    public static func references(for plan: Plan, rig: Rig) -> [Rig.Reference] {
        switch plan.sensorClass {
        case "acoustic": rig.references.filter { $0.kind == "sound-source" || $0.kind == "reference-microphone" }
        case "magnetic": rig.references.filter { $0.kind == "field-source" }
        case "gas": plan.gas.flatMap { rig.gasReference(for: $0.gas) }.map { [$0] } ?? []
        default: rig.references.filter { $0.kind == "pressure-controller" }
        }
    }

    /// The rig's slots a plan runs on: the microphones for an acoustic plan, the I2C slots of its class otherwise,
    /// and for a gas plan only the parts that answer its gas.
    public static func slots(for plan: Plan, rig: Rig, catalog: ChipCatalog) -> [String] {
        let slots = rig.slotIDs(sensorClass: plan.sensorClass, catalog: catalog)
        guard let gas = plan.gas?.gas else { return slots }
        return slots.filter { rig.slot($0).flatMap { catalog.chip($0.chip) }?.gasSignals[gas] != nil }
    }

    /// "magnetic slots" or "gas slots answering co2", for messages.
    public static func slotKind(_ plan: Plan) -> String {
        "\(plan.sensorClass) slots" + (plan.gas.map { " answering \($0.gas)" } ?? "")
    }

    /// Runs the part's engine on the calling thread (the run's acquisition thread) to its outcome.
    /// `runDirectory` receives raw captures (`raw/`, each also as CSV once the part ends) and audio recordings (`audio/`).
    public func run(rig: Rig, catalog: ChipCatalog, connector: any RigConnector, cancellation: RunCancellation,
                    runDirectory: String?, events: @escaping RunEngine.EventSink) -> RunOutcome {
        var outcome = runEngine(rig: rig, catalog: catalog, connector: connector, cancellation: cancellation,
                                runDirectory: runDirectory, events: events)
        guard let runDirectory else { return outcome }
        for index in outcome.duts.indices {
            guard let capture = outcome.duts[index].rawCapture, capture.hasSuffix(".sqraw") else { continue }
            let csv = String(capture.dropLast(".sqraw".count)) + ".csv"
            do {
                try RawCapture.exportCSV(from: runDirectory + "/" + capture, to: runDirectory + "/" + csv)
                outcome.duts[index].csvCapture = csv
            } catch {
                outcome.duts[index].missing.append("raw capture as CSV: \(error)")
            }
        }
        return outcome
    }

    private func runEngine(rig: Rig, catalog: ChipCatalog, connector: any RigConnector, cancellation: RunCancellation,
                           runDirectory: String?, events: @escaping RunEngine.EventSink) -> RunOutcome {
        let raw = runDirectory.map { $0 + "/raw" }
        switch request.plan.sensorClass {
        case "acoustic":
            return MicrophoneRunEngine(request: request, rig: rig, catalog: catalog, connector: connector, cancellation: cancellation,
                                       recordingDirectory: runDirectory.map { $0 + "/audio" }, events: events).run()
        case "magnetic":
            return MagneticRunEngine(request: request, rig: rig, catalog: catalog, connector: connector, cancellation: cancellation,
                                     captureDirectory: raw, events: events).run()
        case "gas":
            return GasRunEngine(request: request, rig: rig, catalog: catalog, connector: connector, cancellation: cancellation,
                                captureDirectory: raw, events: events).run()
        default:
            return RunEngine(request: request, rig: rig, catalog: catalog, connector: connector, cancellation: cancellation,
                             captureDirectory: raw, events: events).run()
        }
    }

    /// The planned duration of a run of these parts: its longest thread's plans one after the other.
    public static func plannedSeconds(_ parts: [RunPart]) -> Double {
        concurrentGroups(parts).map { $0.reduce(0) { $0 + $1.request.plan.plannedDuration } }.max() ?? 0
    }

    /// Parts in groups that share nothing with each other: each group runs on a thread of its own, its parts one after
    /// the other in the order given (a connected component of the "holds something in common" relation).
    public static func concurrentGroups(_ parts: [RunPart]) -> [[RunPart]] {
        var groups: [(resources: Set<String>, parts: [RunPart])] = []
        for part in parts {
            let touching = groups.indices.filter { !groups[$0].resources.isDisjoint(with: part.resources) }
            var merged = (resources: part.resources, parts: [RunPart]())
            for index in touching {
                merged.resources.formUnion(groups[index].resources)
                merged.parts += groups[index].parts
            }
            merged.parts.append(part)
            for index in touching.reversed() { groups.remove(at: index) }
            groups.insert(merged, at: touching.first ?? groups.count)
        }
        // Within a group, keep the order the parts were listed in.
        let order = Dictionary(uniqueKeysWithValues: parts.enumerated().map { ($0.element.request.plan.name, $0.offset) })
        return groups.map { $0.parts.sorted { order[$0.request.plan.name, default: 0] < order[$1.request.plan.name, default: 0] } }
    }
}

/// A part as it ended.
public struct RunPartResult: Sendable {
    public var part: RunPart
    public var outcome: RunOutcome

    public init(part: RunPart, outcome: RunOutcome) {
        self.part = part
        self.outcome = outcome
    }
}

extension RunOutcome {
    /// One outcome for a run of several parts: every part's DUTs and steps (each step named after its part), the run
    /// clock's seconds of the longest thread, and the state of the run as a whole: cancelled when it was cancelled,
    /// else failed when a part failed, else done.
    public static func combining(_ results: [RunPartResult], id: String, planName: String) -> RunOutcome {
        let outcomes = results.map(\.outcome)
        let state: RunState = outcomes.contains { $0.state == .cancelled } ? .cancelled
            : outcomes.contains { $0.state == .failed } ? .failed
            : outcomes.contains { $0.state == .interrupted } ? .interrupted : .done
        let seconds = Dictionary(results.map { ($0.part.request.plan.name, $0.outcome.runSeconds) }, uniquingKeysWith: +)
        let groups = RunPart.concurrentGroups(results.map(\.part))
        let runSeconds = groups.map { $0.reduce(0) { $0 + (seconds[$1.request.plan.name] ?? 0) } }.max() ?? 0
        let errors = results.compactMap { result in result.outcome.error.map { "\(result.part.request.plan.name): \($0)" } }
        return RunOutcome(
            id: id, state: state, planName: planName, specName: outcomes.first?.specName ?? "",
            simulated: outcomes.contains { $0.simulated }, runSeconds: runSeconds,
            steps: results.flatMap { result in
                result.outcome.steps.map { StepRecord(name: "\(result.part.request.plan.name): \($0.name)", plannedSeconds: $0.plannedSeconds,
                                                      actualSeconds: $0.actualSeconds, detail: $0.detail) }
            },
            duts: outcomes.flatMap(\.duts), referenceIdentity: nil,
            error: errors.isEmpty ? nil : errors.joined(separator: "; "))
    }
}
