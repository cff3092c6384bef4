import ControlProtocol
import Foundation
import Logging
import Qualification
import Reports

/// The daemon's method table on the control socket (docs/protocol.md).
///
/// Every request is authorized first (``AccessPolicy``, docs/protocol.md §5): a refusal is −32001 to the client and
/// a warning in the log with the peer's uid and pid.
struct ControlHandler: RPCMethodHandler {
    let configuration: DaemonConfiguration
    let scheduler: RunScheduler
    let version: String
    /// Who may call what.
    let access: AccessPolicy
    /// The connections that watch, at most ``RPCLimits/maxWatchers``.
    var watchers = WatcherQuota(limit: RPCLimits().maxWatchers)
    var logger = Logger(label: "sensorquald")

    func hello() async -> JSONValue {
        let configuration = await scheduler.configuration
        return (try? JSONValue(encoding: HelloParams(server: "sensorquald", version: version, protocol: .current,
                                              rig: configuration.rig.name, simulated: configuration.connector.isSimulated)))
            ?? .null
    }

    func handle(method: String, params: JSONValue?, connection: RPCConnection) async throws(RPCError) -> JSONValue {
        do throws(RPCError) {
            try access.authorize(method, peer: connection.peer)
        } catch {
            let peer = connection.peer
            let who = (peer.map { $0.userDescription } ?? "uid unknown") + " pid " + (peer.map { String($0.pid) } ?? "unknown")
            logger.warning("refused \(method) to \(who): \(error.message)")
            throw error
        }
        switch method {
        case Method.systemVersion:
            return try encode(VersionResult(server: "sensorquald", version: version, protocol: .current))
        case Method.rigDescribe:
            return try encode(Self.rigDescription(await scheduler.configuration))
        case Method.devicesList:
            return try encode(DeviceList(devices: await scheduler.deviceList()))
        case Method.devicesScan:
            let scan = params == nil ? ScanParams() : try params.decodeParams(as: ScanParams.self)
            let configuration = await scheduler.configuration
            let buses = try BenchTools.buses(scan.bus, rig: configuration.rig)
            let resources = Set(buses.map { "bus:" + $0.id })
            try await scheduler.claimBench(resources, holder: "a scan")
            let scanned = await DedicatedThread.run(name: "scan") {
                BenchTools.scan(buses, rig: configuration.rig, catalog: configuration.catalog, connector: configuration.connector)
            }
            await scheduler.releaseBench(resources)
            return try encode(ScanResult(buses: scanned))
        case Method.devicesDump:
            let configuration = await scheduler.configuration
            let (slot, _) = try Self.benchSlot(try params.decodeParams(as: SlotParams.self).slot, configuration)
            let resources: Set = ["bus:" + slot.bus]
            try await scheduler.claimBench(resources, holder: "a dump of slot \(slot.id)")
            let dumped = await DedicatedThread.run(name: "dump \(slot.id)") { () -> Result<DumpResult, RPCError> in
                do throws(RPCError) {
                    return .success(try BenchTools.dump(slot, rig: configuration.rig, catalog: configuration.catalog, connector: configuration.connector))
                } catch { return .failure(error) }
            }
            await scheduler.releaseBench(resources)
            return try encode(try dumped.get())
        case Method.devicesRead:
            let read = try params.decodeParams(as: ReadParams.self)
            if let rate = read.rateHz, !(rate > 0 && rate <= 10_000) {
                throw RPCError.invalidParams("rate_hz: \(rate) is not a rate between 0 and 10000 Hz")
            }
            let configuration = await scheduler.configuration
            let (slot, chip) = try Self.benchSlot(read.slot, configuration)
            let resources: Set = ["bus:" + slot.bus]
            let scheduler = self.scheduler
            let id = connection.id
            let (_, started) = try await LiveRead.start(
                read, slot: slot, chip: chip, configuration: configuration, connection: connection,
                claim: { session throws(RPCError) in try await scheduler.claimLiveRead(session, connection: id, resources: resources) },
                finished: { Task { await scheduler.endLiveRead(connection: id, resources: resources) } })
            return try encode(started)
        case Method.devicesReadStop:
            guard let slot = await scheduler.stopLiveRead(connection: connection.id) else {
                throw RPCError(code: .notFound, message: "this connection has no live read to stop")
            }
            return ["stopped": .string(slot)]
        case Method.runsStart:
            let start = try params.decodeParams(as: RunStartParams.self)
            return try encode(try await scheduler.start(start))
        case Method.runsStatus:
            return try encode(try await scheduler.status(try reference(params).run))
        case Method.runsList:
            return try encode(await scheduler.list())
        case Method.runsCancel:
            return try encode(try await scheduler.cancel(try reference(params).run))
        case Method.reportsGet:
            let (run, path) = try await scheduler.reportPath(try reference(params).run)
            let report = await DedicatedThread.run(name: "report read") { Result { try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: path))) } }
            switch report {
            case .success(let value): return try encode(ReportResult(run: run, path: path, report: value))
            case .failure(let error): throw RPCError.internalError("cannot read \(path): \(error)")
            }
        case Method.referenceSubmit:
            return try encode(try await scheduler.submitReference(try params.decodeParams(as: ReferenceSubmitParams.self)))
        case Method.referenceResume:
            return try encode(try await scheduler.resume(try reference(params).run))
        case Method.watch:
            let watch = params == nil ? WatchParams() : try params.decodeParams(as: WatchParams.self)
            let isNewWatcher = try watchers.claim(for: connection)
            do throws(RPCError) {
                try await scheduler.watch(connection, run: watch.run)
            } catch {
                // A refused watch (no such run) leaves an earlier subscription as it was, and frees a new place.
                if isNewWatcher { watchers.release(for: connection) }
                throw error
            }
            return ["watching": watch.run.map { .string($0) } ?? "all"]
        case Method.unwatch:
            await scheduler.unwatch(connection)
            watchers.release(for: connection)
            return ["watching": false]
        case Method.archiveRuns:
            let query = try archiveQuery(params.decodeParams(as: ArchiveRunsParams.self))
            let runs = try await archived { archive throws(ArchiveError) in
                try archive.runs(lot: query.lot, since: query.since, verdict: query.verdict, limit: query.limit)
            }
            return try encode(ArchivedRunList(runs: runs))
        case Method.archiveUnit:
            let serial = try params.decodeParams(as: ArchiveUnitParams.self).serial
            guard !serial.isEmpty else { throw RPCError.invalidParams("serial: must not be empty") }
            let history = try await archived { archive throws(ArchiveError) in try archive.unitHistory(serial: serial) }
            guard !history.runs.isEmpty else { throw RPCError(code: .notFound, message: "no unit '\(serial)' in the run archive") }
            return try encode(history)
        case Method.archiveYield:
            let lot = try params.decodeParams(as: ArchiveYieldParams.self).lot
            guard !lot.isEmpty else { throw RPCError.invalidParams("lot: must not be empty") }
            let yield = try await archived { archive throws(ArchiveError) in try archive.lotYield(lot: lot) }
            guard yield.runs > 0 else { throw RPCError(code: .notFound, message: "no run of lot '\(lot)' in the run archive") }
            return try encode(yield)
        default:
            throw RPCError.methodNotFound(method)
        }
    }

    func connectionClosed(_ connection: RPCConnection) async {
        await scheduler.stopLiveRead(connection: connection.id, reason: "closed")
        await scheduler.unwatch(connection)
        watchers.release(for: connection)
    }

    /// `archive.runs` params checked: each bad one named with the reason.
    private func archiveQuery(_ params: ArchiveRunsParams) throws(RPCError) -> (lot: String?, since: Date?, verdict: String?, limit: Int) {
        var since: Date?
        if let text = params.since {
            guard let date = ArchiveTime.parse(text) else {
                throw RPCError.invalidParams("since: '\(text)' is not an ISO 8601 date (2026-11-26) or date-time (2026-11-26T15:33:02Z)")
            }
            since = date
        }
        if let verdict = params.verdict, !RunArchive.verdictFilters.contains(verdict) {
            throw RPCError.invalidParams("verdict: '\(verdict)' is not one of " + RunArchive.verdictFilters.joined(separator: ", "))
        }
        let limit = params.limit ?? ArchiveRunsParams.defaultLimit
        guard (1...ArchiveRunsParams.maximumLimit).contains(limit) else {
            throw RPCError.invalidParams("limit: \(limit) is not between 1 and \(ArchiveRunsParams.maximumLimit)")
        }
        return (params.lot, since, params.verdict, limit)
    }

    /// An archive query, on a thread of its own: SQLite blocks, the socket's tasks must not.
    private func archived<T: Sendable>(_ query: @escaping @Sendable (RunArchive) throws(ArchiveError) -> T) async throws(RPCError) -> T {
        let archive = configuration.archive
        let result = await DedicatedThread.run(name: "archive read") { () -> Result<T, ArchiveError> in
            do throws(ArchiveError) { return .success(try query(archive)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error): throw RPCError.internalError(error.description)
        }
    }

    /// The I2C slot a bench tool names, with its catalog chip; a microphone or an unknown slot is refused.
    private static func benchSlot(_ id: String, _ configuration: DaemonConfiguration) throws(RPCError) -> (Rig.Slot, ChipDescription) {
        let rig = configuration.rig
        guard let slot = rig.slot(id) else {
            if rig.microphones.contains(where: { $0.id == id }) {
                throw RPCError.invalidParams("slot \(id) is a microphone on an audio channel: it has no I2C registers")
            }
            throw RPCError(code: .notFound, message: "no slot '\(id)' in rig \(rig.name); its slots: " + rig.slots.map(\.id).joined(separator: ", "))
        }
        guard let chip = configuration.catalog.chip(slot.chip) else {
            throw RPCError.invalidParams("slot \(id) names chip '\(slot.chip)', which the device catalog does not have")
        }
        return (slot, chip)
    }

    private func reference(_ params: JSONValue?) throws(RPCError) -> RunReference {
        params == nil ? RunReference() : try params.decodeParams(as: RunReference.self)
    }

    private func encode<T: Encodable>(_ value: T) throws(RPCError) -> JSONValue {
        do { return try JSONValue(encoding: value) } catch { throw RPCError.internalError("cannot encode result: \(error)") }
    }

    /// The rig of the configuration in force (a reload may have changed it since the daemon started).
    private static func rigDescription(_ configuration: DaemonConfiguration) -> RigDescription {
        let rig = configuration.rig
        return RigDescription(
            name: rig.name, description: rig.description, simulated: configuration.connector.isSimulated,
            source: configuration.rigSource,
            slots: rig.slots.map { slot in
                .init(slot: slot.id, bus: rig.bus(slot.bus)?.device ?? slot.bus, muxChannel: slot.mux?.channel,
                      address: slot.address.description, chip: slot.chip,
                      model: configuration.catalog.chip(slot.chip)?.model ?? slot.chip)
            } + rig.microphones.map { microphone in
                .init(slot: microphone.id, bus: rig.audioInterface(microphone.audio)?.pcm ?? microphone.audio, muxChannel: nil,
                      address: "ch\(microphone.channel)", chip: microphone.chip,
                      model: configuration.catalog.chip(microphone.chip)?.model ?? microphone.chip)
            },
            references: rig.references.map {
                .init(id: $0.id, kind: $0.kind, model: $0.model, link: $0.link, certificate: $0.certificate?.id,
                      expandedUncertainty: $0.certificate?.expandedUncertainty, unit: $0.certificate?.unit,
                      coverageFactor: $0.certificate?.coverageFactor, due: $0.certificate?.due)
            })
    }
}
