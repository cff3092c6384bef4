import ControlProtocol
import Logging

/// The control socket's access configuration at start: the two groups, from the flags, else the environment
/// (`SENSORQUAL_SOCKET_GROUP`, `SENSORQUAL_OPERATOR_GROUP`), else `sensorqual` and `sensorqual-operators`, looked up
/// once (docs/protocol.md §5).
struct SocketAccess {
    /// Who may call what.
    let policy: AccessPolicy
    /// The group to give the socket file the daemon creates: the socket group when it exists and this process may
    /// give a file to it (root, or a member); else `nil`, and the file keeps the daemon's group.
    let socketFileGroup: UInt32?

    /// Resolves the groups and logs, once, each that is missing and what that means.
    init(socketGroup: String?, operatorGroup: String?, environment: [String: String], logger: Logger) {
        let policy = AccessPolicy.resolving(
            socketGroup: socketGroup ?? environment["SENSORQUAL_SOCKET_GROUP"] ?? AccessPolicy.defaultSocketGroup,
            operatorGroup: operatorGroup ?? environment["SENSORQUAL_OPERATOR_GROUP"] ?? AccessPolicy.defaultOperatorGroup)
        self.policy = policy
        let me = "uid \(policy.daemonUserID)" + (AccountSyscalls.userName(of: policy.daemonUserID).map { " (\($0))" } ?? "")
        if policy.socketGroup.id == nil {
            logger.warning("socket group \(policy.socketGroup.name) does not exist: only root, \(me) and members of \(policy.operatorGroup.name) may use the control socket")
        }
        if policy.operatorGroup.id == nil {
            logger.warning("operator group \(policy.operatorGroup.name) does not exist: only root and \(me) may start or cancel runs or submit references")
        }
        if let id = policy.socketGroup.id, policy.daemonUserID == 0 || AccountSyscalls.processGroups.contains(id) {
            socketFileGroup = id
        } else {
            if policy.socketGroup.id != nil {
                logger.notice("the socket file keeps this process's group: \(me) is not in group \(policy.socketGroup.name)")
            }
            socketFileGroup = nil
        }
        logger.info("control socket access: read for groups \(policy.socketGroup.name), \(policy.operatorGroup.name); runs and references for \(policy.operatorGroup.name); root and \(me) always")
    }
}
