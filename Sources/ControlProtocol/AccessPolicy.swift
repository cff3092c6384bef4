/// What a method needs of its caller (DESIGN.md §4 Authorization, docs/protocol.md §5).
public enum MethodAccess: Sendable, Hashable {
    /// Looks, changes nothing: the socket group, the operator group or root.
    case read
    /// Changes what the rig does (starts or cancels a run, answers for the reference): the operator group or root.
    case operate

    /// The methods that change state. Every other name, including an unknown one (which gets −32601), is `read`;
    /// a new state-changing method (`config.*`, `reference.*`) must be added here.
    public static let stateChanging: Set<String> = [Method.runsStart, Method.runsCancel, Method.referenceSubmit, Method.referenceResume,
                                                   Method.devicesRead]

    /// What `method` needs.
    public static func required(for method: String) -> MethodAccess {
        stateChanging.contains(method) ? .operate : .read
    }
}

/// Who may call what on the control socket: read methods for the socket group, state-changing methods for the
/// operator group, everything for root and for the daemon's own user (DESIGN.md §4, reference/daemon.md §3.3).
///
/// The daemon's own user is always allowed because it owns the daemon's state and socket anyway: it could read the
/// files, signal the daemon and start another one. That is what lets a daemon started by hand in a temporary folder
/// (tests, the demo) serve its own user on a machine without the `sensorqual` groups. A group the machine does not
/// have admits nobody; the rule then falls back to root and the daemon's user, never open (fail closed).
public struct AccessPolicy: Sendable, Equatable {
    /// A group named in the configuration, and its id on this machine (`nil` when it does not exist).
    public struct Group: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var id: UInt32?

        public init(name: String, id: UInt32?) {
            self.name = name
            self.id = id
        }

        /// Looks the group up by name in the user database (`getgrnam`).
        public static func resolving(_ name: String) -> Group {
            Group(name: name, id: AccountSyscalls.groupID(named: name))
        }

        /// `sensorqual`, or `sensorqual (absent on this machine)`.
        public var description: String { id == nil ? "\(name) (absent on this machine)" : name }
    }

    /// Default name of the group that may read (the socket file's group).
    public static let defaultSocketGroup = "sensorqual"
    /// Default name of the group that may change state.
    public static let defaultOperatorGroup = "sensorqual-operators"

    /// The group that may call read methods; the socket file is given to it when the daemon creates the file.
    public var socketGroup: Group
    /// The group that may call every method.
    public var operatorGroup: Group
    /// The user the daemon runs as; always allowed (see the type's documentation).
    public var daemonUserID: UInt32

    /// A policy with groups already resolved (tests construct them; the daemon uses ``resolving(socketGroup:operatorGroup:)``).
    public init(socketGroup: Group, operatorGroup: Group, daemonUserID: UInt32) {
        self.socketGroup = socketGroup
        self.operatorGroup = operatorGroup
        self.daemonUserID = daemonUserID
    }

    /// The policy for this process: the groups looked up by name, the daemon's user its effective uid.
    public static func resolving(
        socketGroup: String = defaultSocketGroup, operatorGroup: String = defaultOperatorGroup
    ) -> AccessPolicy {
        AccessPolicy(socketGroup: .resolving(socketGroup), operatorGroup: .resolving(operatorGroup),
                     daemonUserID: AccountSyscalls.effectiveUserID)
    }

    /// Whether `peer` may call a method needing `access`. A peer whose credentials could not be read may call nothing.
    public func allows(_ access: MethodAccess, peer: PeerCredentials?) -> Bool {
        guard let peer else { return false }
        if peer.uid == 0 || peer.uid == daemonUserID { return true }
        if let id = operatorGroup.id, peer.isMember(of: id) { return true }
        switch access {
        case .operate: return false
        case .read: return socketGroup.id.map { peer.isMember(of: $0) } ?? false
        }
    }

    /// Checks `method` for `peer`.
    ///
    /// - Throws: ``RPCError`` −32001 `unauthorized` naming the method, the group needed and the peer, with
    ///   `data: {"method", "needs": [group names], "uid", "user"?}`.
    public func authorize(_ method: String, peer: PeerCredentials?) throws(RPCError) {
        let access = MethodAccess.required(for: method)
        guard !allows(access, peer: peer) else { return }
        throw RPCError.unauthorized(method: method, needs: groupsAdmitting(access), peer: peer)
    }

    /// The groups that admit callers of methods needing `access`, in the order a message names them.
    public func groupsAdmitting(_ access: MethodAccess) -> [Group] {
        access == .operate ? [operatorGroup] : [socketGroup, operatorGroup]
    }
}

extension RPCError {
    /// −32001 for a `method` that `peer` may not call; `needs` are the groups that would admit it (root always does).
    public static func unauthorized(method: String, needs: [AccessPolicy.Group], peer: PeerCredentials?) -> RPCError {
        let groups = needs.map { "group \($0)" }.joined(separator: " or ")
        let who = peer.map { "\($0.userDescription) is " + (needs.count == 1 ? "not a member" : "in none of them") } ?? "the peer's credentials could not be read"
        var data: [String: JSONValue] = ["method": .string(method), "needs": .array(needs.map { .string($0.name) })]
        if let peer {
            data["uid"] = .int(Int64(peer.uid))
            data["user"] = peer.userName.map { .string($0) }
        }
        return RPCError(code: .unauthorized, message: "unauthorized: \(method) needs \(groups) or root; \(who)",
                        data: .object(data))
    }
}
