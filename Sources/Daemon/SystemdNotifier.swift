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
