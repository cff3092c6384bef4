import Logging
import Qualification
import ServiceLifecycle
import UnixSignals

/// SIGHUP (`systemctl reload sensorquald`): reads the catalog, rig, plan and spec files again and hands the new
/// configuration to the scheduler, or keeps the one in force when any file does not load, naming it (DESIGN.md §5).
/// systemd hears `RELOADING=1` at the start and `READY=1` with the outcome in `STATUS=` at the end.
struct ReloadSignal: Service {
    let scheduler: RunScheduler
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            await reload()
        }
    }

    private func reload() async {
        notifier.reloading()
        let current = await scheduler.configuration
        logger.notice("SIGHUP: reloading the catalog, rig, plan and spec files")
        let result = await DedicatedThread.run(name: "reload") { () -> Result<DaemonConfiguration, ConfigurationError> in
            do throws(ConfigurationError) { return .success(try current.reloaded()) } catch { return .failure(error) }
        }
        switch result {
        case .success(let next):
            let summary = "rig \(next.rig.name) (\(next.rig.slots.count + next.rig.microphones.count) slots), "
                + "\(next.catalog.chips.count) catalog chips"
            // The unit's sandbox opens the network for the rig file's TCP instruments when systemd starts the daemon
            // (sensorqual-generator); a reload cannot change it.
            let tcp = { (rig: Rig) in Set(rig.references.map(\.link).filter { $0.hasPrefix("scpi-tcp://") }) }
            if tcp(next.rig) != tcp(current.rig) {
                logger.warning("the rig's TCP instruments changed: the service's network allowance follows only after `systemctl daemon-reload && systemctl restart sensorquald`")
            }
            let deferred = await scheduler.reload(next)
            logger.notice("configuration reloaded: \(summary)\(deferred ? "; slots are probed once the runs going on release their buses" : "")")
            notifier.ready(status: "configuration reloaded: " + summary)
        case .failure(let error):
            logger.error("reload refused, the configuration in force is kept: \(error)")
            notifier.ready(status: "reload refused (\(error)); the configuration in force is kept")
        }
    }
}
