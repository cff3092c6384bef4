import Foundation

/// Tells systemd how the daemon is doing (`Type=notify`): READY=1 once the rig is loaded and the socket
/// listens, STATUS= with the current run, STOPPING=1 at shutdown. Silent when not started by systemd.
struct SystemdNotifier: Sendable {
    let socketPath: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"]
    }

    func send(_ fields: [String: String]) {
        guard let socketPath else { return }
        let message = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        _ = SystemdSyscalls.notify(socketPath: socketPath, message: message)
    }

    func ready(status: String) { send(["READY": "1", "STATUS": status]) }
    func status(_ text: String) { send(["STATUS": text]) }
    func stopping() { send(["STOPPING": "1", "STATUS": "stopping"]) }
    /// The watchdog keep-alive; sent only while acquisition moves (`Watchdog`).
    func watchdog() { send(["WATCHDOG": "1"]) }
    /// Reloading the configuration (SIGHUP); `ready(status:)` ends it.
    func reloading() { send(["RELOADING": "1", "STATUS": "reloading the configuration"]) }
}

/// systemd's watchdog for this process: `WATCHDOG_USEC`, when `WATCHDOG_PID` is unset or is this process
/// (sd_watchdog_enabled(3)).
struct WatchdogSettings: Equatable {
    /// The time after which systemd acts when no keep-alive came, ns.
    var timeout: Int64

    init?(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], Int32(pid) != SystemdSyscalls.processID() { return nil }
        timeout = microseconds * 1000
    }

    /// Keep-alives go out four times per timeout: twice the rate sd_watchdog_enabled(3) recommends, so one late
    /// tick of a busy machine is not a restart.
    var interval: Int64 { timeout / 4 }
    /// An acquiring thread silent for half the timeout is stalled: keep-alives stop, and systemd acts at most one
    /// timeout later unless it moves again.
    var stallLimit: Int64 { timeout / 2 }
}

/// The listening socket systemd passed (`LISTEN_FDS`, first fd 3), when this process is the one meant.
enum SocketActivation {
    static let firstFileDescriptor: Int32 = 3

    static func inheritedListener(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32? {
        guard let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == SystemdSyscalls.processID(),
              let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1 else { return nil }
        return firstFileDescriptor
    }
}
