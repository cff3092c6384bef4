import Foundation
import Logging
import Qualification
import ServiceLifecycle

/// Feeds systemd's watchdog while the daemon works: a keep-alive every quarter of `WATCHDOG_USEC`, withheld while any
/// acquiring thread of a running run has been silent for half of it (a transfer wedged in the kernel, a stuck
/// capture), so systemd restarts a daemon whose acquisition has stopped (reference/daemon.md §3.1). Idle, the
/// daemon is fed as long as this task runs: the Swift concurrency pool and the scheduler actor answer.
struct Watchdog: Service {
    let settings: WatchdogSettings
    let scheduler: RunScheduler
    let notifier: SystemdNotifier
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown { try await feed() }
    }

    private func feed() async throws {
        var stalled: [AcquisitionProgress.Stall] = []
        while true {
            let now = ContinuousClock.now
            let stalls = await scheduler.acquisitionStalls(limit: settings.stallLimit)
            if stalls.isEmpty {
                notifier.watchdog()
                if !stalled.isEmpty { logger.notice("acquisition moves again; watchdog keep-alives resumed") }
            } else if stalls.map(\.name) != stalled.map(\.name) {
                logger.error("acquisition stalled (\(stalls.map(\.description).joined(separator: "; "))): watchdog keep-alives withheld; systemd restarts the daemon unless it moves again")
            }
            stalled = stalls
            try await Task.sleep(until: now + .nanoseconds(settings.interval), clock: .continuous)
        }
    }
}
