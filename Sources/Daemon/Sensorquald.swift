import ArgumentParser
import ControlProtocol
import Foundation
import Logging
import Qualification
import Reports
import SensorDrivers
import SensorSim
import ServiceLifecycle

/// `sensorquald`: the SensorQual daemon. Loads the rig, probes its slots, serves the control socket and runs
/// qualification plans. Started by systemd (sensorquald.service, socket activation) or by hand.
@main
struct Sensorquald: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "sensorquald",
        abstract: "Qualifies MEMS sensors on a lab test rig; controlled with sensorqual over a Unix socket.",
        discussion: """
            Every path has a flag and an environment variable, so the daemon runs unprivileged in a temporary \
            folder: SENSORQUAL_STATE_DIR, SENSORQUAL_SOCKET, SENSORQUAL_RIG, SENSORQUAL_ARCHIVE, SENSORQUAL_DATA_DIR (the \
            folder holding devices/, plans/ and specs/).
            """,
        version: version)

    @Flag(help: "Run the built-in simulated rig (one DUT of each pressure chip behind a TCA9548A, simulated SCPI pressure controller).")
    var simulate = false

    @Flag(help: "With --simulate: the technician is the reference: the pressure readings and a hand-held acoustic calibrator (answer with `sensorqual reference submit` and `reference quiet`).")
    var manualReference = false

    @Option(help: "Rig file (default /etc/sensorqual/rig.yaml; ignored with --simulate).")
    var rig: String?

    @Option(help: "State folder for run data and reports (default /var/lib/sensorqual).")
    var stateDir: String?

    @Option(help: "Run archive, SQLite (default: archive.sqlite in the state folder).")
    var archive: String?

    @Option(help: "Control socket path (default /run/sensorqual.sock); unused when systemd passes the socket.")
    var socket: String?

    @Option(help: "Device catalog folder (default: devices/ of the data folder).")
    var devicesDir: String?

    @Option(help: "Plan folder (default: /etc/sensorqual/plans, then plans/ of the data folder).")
    var plansDir: String?

    @Option(help: "Spec profile folder (default: /etc/sensorqual/specs, then specs/ of the data folder).")
    var specsDir: String?

    @Option(help: "Spec profile used when a run names none.")
    var defaultSpec = "miit-2020"

    @Option(help: "With --simulate: which units the simulated rig holds: demo (one of each catalog chip, every verdict shown) or representative (a production rig's size: 16 BMP390, 8 magnetometers, 8 microphones, 8 gas sensors; make bench).")
    var simulatedLot: SimulatedRig.Lot = .demo

    @Option(help: "Seed of the simulated rig's noise and trimming (with --simulate).")
    var seed: UInt64 = 1

    @Option(help: "With --simulate: a fault schedule, a YAML list of {slot (or bus, mux_channel, address), fault: nack|timeout|absent, from_s, to_s} on the simulated rig's clock.")
    var simulateFaults: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Group that may read over the control socket; the socket file's group (default sensorqual; env SENSORQUAL_SOCKET_GROUP).")
    var socketGroup: String?

    @Option(help: "Group that may also start and cancel runs and submit references (default sensorqual-operators; env SENSORQUAL_OPERATOR_GROUP).")
    var operatorGroup: String?

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { _ in JournalLogHandler(level: level) }
        SystemdSyscalls.ignoreFileSizeSignal()
        let logger = Logger(label: "sensorquald")
        let environment = ProcessInfo.processInfo.environment
        let configuration: DaemonConfiguration
        do {
            configuration = try loadConfiguration(environment: environment)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(2)
        }
        logger.info("rig \(configuration.rig.name) from \(configuration.rigSource): \(configuration.rig.slots.count) slots")
        // Runs the archive still shows as going were cut short by the previous daemon's end (a crash, SIGKILL).
        do {
            for id in try configuration.archive.markInterrupted(at: Date()) {
                logger.warning("run \(id) interrupted: sensorquald stopped before it ended; its data is kept in \(configuration.runsDirectory)/\(id)")
            }
        } catch {
            logger.critical("\(error)")
            throw ExitCode(2)
        }
        logger.info("run archive \(configuration.archive.path)")

        let devices = await DedicatedThread.run(name: "probe") {
            SlotProber.probe(rig: configuration.rig, catalog: configuration.catalog, connector: configuration.connector)
        }
        for device in devices {
            logger.info("slot \(device.slot): \(device.model) at \(device.bus)\(device.muxChannel.map { " ch\($0)" } ?? "") \(device.address): \(device.state)\(device.detail.map { " (\($0))" } ?? "")")
        }

        let notifier = SystemdNotifier()
        let software = QualificationReport.Software(name: "sensorqual", version: Self.version)
        let scheduler = RunScheduler(configuration: configuration, devices: devices, software: software,
                                     notifier: notifier, logger: logger)
        let access = SocketAccess(socketGroup: socketGroup, operatorGroup: operatorGroup, environment: environment, logger: logger)
        let handler = ControlHandler(configuration: configuration, scheduler: scheduler, version: Self.version, access: access.policy)
        let inherited = SocketActivation.inheritedListener(environment: environment)
        let server = RPCServer(socketPath: configuration.socketPath, inheritedFileDescriptor: inherited,
                               socketFileGroup: access.socketFileGroup, handler: handler)
        let control = ControlService(server: server, notifier: notifier, logger: logger,
                                     readyStatus: "rig \(configuration.rig.name), \(devices.filter { $0.state == "ready" }.count)/\(devices.count) slots ready")

        // Keep-alives only under systemd's watchdog, and only while acquisition moves.
        let watchdog = WatchdogSettings(environment: environment).map {
            Watchdog(settings: $0, scheduler: scheduler, notifier: notifier, logger: logger)
        }
        let group = ServiceGroup(configuration: .init(
            // Shut down in reverse order: the scheduler first, so a run in flight is cancelled and its partial
            // report written while watchers are still connected to hear `run.finished`; then the socket; the
            // watchdog last, fed until the end.
            // Named here: without a name the group spells each service with "\(service)", which for a struct is
            // a reflection of all its fields, a third of the daemon's start-up.
            services: (watchdog.map { [.init(service: $0, serviceName: "watchdog")] } ?? [])
                + [.init(service: ReloadSignal(scheduler: scheduler, notifier: notifier, logger: logger), serviceName: "reload-signal"),
                   .init(service: control, serviceName: "control-socket"), .init(service: scheduler, serviceName: "run-scheduler")],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        // Runs an earlier daemon left unfinished get their partial reports before anyone can ask for them.
        await scheduler.recoverInterruptedRuns()
        try await group.run()
        notifier.stopping()
        logger.info("stopped")
    }

    private func loadConfiguration(environment: [String: String]) throws -> DaemonConfiguration {
        let data = DataDirectory.locate(executable: CommandLine.arguments[0])
        func folders(_ flag: String?, etc: String, data path: String?) -> [String] {
            if let flag { return [flag] }
            return [etc] + (path.map { [$0] } ?? [])
        }
        guard let devices = devicesDir ?? data?.devices else {
            throw ConfigurationError(file: DataDirectory.installed + "/devices", reason: "device catalog not found (use --devices-dir or SENSORQUAL_DATA_DIR)")
        }
        let catalog = try ChipCatalog.load(directory: devices)
        let plans = folders(plansDir, etc: "/etc/sensorqual/plans", data: data?.plans)
        let specs = folders(specsDir, etc: "/etc/sensorqual/specs", data: data?.specs)
        let state = stateDir ?? environment["SENSORQUAL_STATE_DIR"] ?? "/var/lib/sensorqual"
        let socketPath = socket ?? environment["SENSORQUAL_SOCKET"] ?? "/run/sensorqual.sock"
        try FileManager.default.createDirectory(atPath: state + "/runs", withIntermediateDirectories: true)
        // The archive is the record of every run: a daemon that cannot open it refuses to start rather than run
        // unrecorded (docs/archive.md §5).
        let runArchive = try RunArchive(path: archive ?? environment["SENSORQUAL_ARCHIVE"] ?? state + "/archive.sqlite")

        let rigModel: Rig
        let source: String
        let connector: any RigConnector
        var manual: ManualPressureReference?
        var manualField: ManualFieldReference?
        var manualGas: ManualGasReference?
        var calibrator: AcousticCalibrator?
        var rigText: String?
        var rigPath: String?
        var server: SimulatedSCPIServer?
        var chamber: ChamberFeed?
        var coilServer: SimulatedCurrentSourceServer?
        var mixerLines: [SimulatedMassFlowLine] = []
        if simulate {
            let simulated = SimulatedRig(seed: seed, lot: simulatedLot)
            // The simulated controller is reached as a real one: SCPI over a loopback TCP socket.
            if !manualReference { server = try simulated.startSCPIServer() }
            if let simulateFaults { try simulated.injectFaults(from: simulateFaults, controller: server) }
            let link = server?.link ?? "manual"
            // The chamber's microphones are captured as a real interface is: ALSA, here its file plugin on a FIFO.
            let audio = state + "/simulated-audio"
            try? FileManager.default.removeItem(atPath: audio)
            try FileManager.default.createDirectory(atPath: audio, withIntermediateDirectories: true)
            let feed = try ChamberFeed(chamber: simulated.chamber, format: simulated.audioFormat, folder: audio)
            let alsaConfig = audio + "/asound.conf"
            try feed.alsaConfiguration(pcmName: "chamber").write(toFile: alsaConfig, atomically: true, encoding: .utf8)
            feed.start()
            chamber = feed
            // The coil's current source and the gas mixers' MFC lines, also on loopback sockets, unless the technician
            // is the reference.
            if !manualReference {
                coilServer = try SimulatedCurrentSourceServer(source: simulated.currentSource, commands: SimulatedRig.coilCommands)
                mixerLines = try simulated.startGasMixers()
            }
            source = "built-in simulated rig (\(simulatedLot.rawValue) lot, seed \(seed), reference \(link))"
            let text = simulated.rigFile(referenceLink: link, alsaConfig: alsaConfig,
                                         soundSourceLink: manualReference ? "manual" : "sim:sound-source",
                                         fieldSourceLink: coilServer?.link ?? "manual",
                                         gasLinks: manualReference ? SimulatedRig.gasCylinders.map { _ in "manual" } : mixerLines.map(\.link))
            rigText = text
            rigModel = try Rig.parse(text: text, name: DaemonConfiguration.simulatedRigName, catalog: catalog)
            manual = DaemonConfiguration.manualPressure(of: rigModel)
            calibrator = rigModel.reference(kind: "sound-source").flatMap { $0.link == "manual" ? simulated.calibrator(model: $0.model) : nil }
            manualField = DaemonConfiguration.manualField(of: rigModel)
            manualGas = DaemonConfiguration.manualGas(of: rigModel)
            connector = SimulatedRigConnector(rig: simulated, manual: manual, calibrator: calibrator, manualField: manualField,
                                              manualGas: manualGas)
        } else {
            let path = rig ?? environment["SENSORQUAL_RIG"] ?? "/etc/sensorqual/rig.yaml"
            rigPath = path
            source = path
            rigModel = try Rig.load(path: path, catalog: catalog)
            manual = DaemonConfiguration.manualPressure(of: rigModel)
            calibrator = rigModel.reference(kind: "sound-source").flatMap { $0.link == "manual" ? AcousticCalibrator(model: $0.model) : nil }
            manualField = DaemonConfiguration.manualField(of: rigModel)
            manualGas = DaemonConfiguration.manualGas(of: rigModel)
            connector = LinuxRigConnector(manual: manual, calibrator: calibrator, manualField: manualField, manualGas: manualGas)
        }
        let configuration = DaemonConfiguration(stateDirectory: state, socketPath: socketPath, planFolders: plans, specFolders: specs,
                                   defaultSpec: defaultSpec, catalog: catalog, rig: rigModel, rigSource: source,
                                   connector: connector, manualReference: manual, simulatedController: server,
                                   simulatedChamber: chamber, calibrator: calibrator, manualField: manualField, manualGas: manualGas,
                                   simulatedCoil: coilServer, simulatedMixers: mixerLines, archive: runArchive,
                                   sources: .init(devices: devices, rigPath: rigPath, simulatedRigText: rigText))
        // A default spec that does not load is a configuration fault: find it now, not at the first run.
        guard let specPath = configuration.specPath(defaultSpec) else {
            throw ConfigurationError(file: defaultSpec + ".yaml", reason: "default spec profile not found in " + specs.joined(separator: ", "))
        }
        _ = try SpecProfile.load(path: specPath)
        return configuration
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension SimulatedRig.Lot: ExpressibleByArgument {}

/// The control socket as a service: listens until graceful shutdown, then stops accepting and closes each connection
/// once the notifications queued for it are written.
struct ControlService: Service {
    /// How long a client that does not read may hold the stop; far inside the unit's TimeoutStopSec.
    static let closingGrace = Duration.seconds(2)

    let server: RPCServer
    let notifier: SystemdNotifier
    let logger: Logger
    let readyStatus: String

    func run() async throws {
        let notifier = notifier
        let status = readyStatus
        let logger = logger
        let path = server.inheritedFileDescriptor == nil ? server.socketPath : "socket from systemd"
        let server = server
        try await withGracefulShutdownHandler {
            try await server.run(onListening: {
                logger.info("listening on \(path)")
                notifier.ready(status: status)
            })
        } onGracefulShutdown: {
            // The scheduler has stopped by now; its last notifications are still queued for the watchers.
            server.close(within: Self.closingGrace)
        }
    }
}
