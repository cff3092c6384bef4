import Foundation
import Testing

@testable import ControlProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The authorization rule of the control socket (docs/protocol.md §5) with constructed credentials: who may call
/// read and state-changing methods, and what a refusal says.
@Suite("Access policy")
struct AccessPolicyTests {
    /// Socket group 2001, operator group 2002, the daemon running as uid 990.
    static let policy = AccessPolicy(
        socketGroup: .init(name: "sensorqual", id: 2001), operatorGroup: .init(name: "sensorqual-operators", id: 2002),
        daemonUserID: 990)

    static let root = PeerCredentials(pid: 10, uid: 0, gid: 0)
    static let daemonUser = PeerCredentials(pid: 11, uid: 990, gid: 990)
    static let operatorMember = PeerCredentials(pid: 12, uid: 1001, gid: 1001, groups: [1001, 2001, 2002], userName: "olga")
    /// In the operator group only, as its primary group, not in the socket group.
    static let operatorByPrimaryGroup = PeerCredentials(pid: 13, uid: 1002, gid: 2002, groups: [2002], userName: "oscar")
    static let reader = PeerCredentials(pid: 14, uid: 1003, gid: 1003, groups: [1003, 2001], userName: "rita")
    static let stranger = PeerCredentials(pid: 15, uid: 1004, gid: 1004, groups: [1004, 27], userName: "sam")

    @Test("state-changing methods are runs.start, runs.cancel, reference.submit/resume and devices.read; the rest read")
    func classification() {
        #expect(MethodAccess.required(for: Method.runsStart) == .operate)
        // A live read configures the chip (its mode registers); a scan and a dump only read.
        #expect(MethodAccess.required(for: Method.devicesRead) == .operate)
        #expect(MethodAccess.required(for: Method.runsCancel) == .operate)
        #expect(MethodAccess.required(for: Method.referenceSubmit) == .operate)
        #expect(MethodAccess.required(for: Method.referenceResume) == .operate)
        for method in [Method.systemVersion, Method.rigDescribe, Method.devicesList, Method.runsStatus, Method.runsList,
                       Method.reportsGet, Method.watch, Method.unwatch, Method.archiveRuns, Method.archiveUnit,
                       Method.archiveYield, Method.devicesScan, Method.devicesDump, Method.devicesReadStop, "no.such.method"] {
            #expect(MethodAccess.required(for: method) == .read, "\(method)")
        }
    }

    @Test("root, the daemon's own user and operators may do everything")
    func everything() {
        for peer in [Self.root, Self.daemonUser, Self.operatorMember, Self.operatorByPrimaryGroup] {
            #expect(Self.policy.allows(.read, peer: peer), "\(peer)")
            #expect(Self.policy.allows(.operate, peer: peer), "\(peer)")
            #expect(throws: Never.self) { try Self.policy.authorize(Method.runsStart, peer: peer) }
        }
    }

    @Test("a socket-group member may read, not change state")
    func reader() throws {
        #expect(Self.policy.allows(.read, peer: Self.reader))
        #expect(!Self.policy.allows(.operate, peer: Self.reader))
        #expect(throws: Never.self) { try Self.policy.authorize(Method.runsStatus, peer: Self.reader) }
        let refusal = try #require(throws: RPCError.self) { try Self.policy.authorize(Method.runsStart, peer: Self.reader) }
        #expect(refusal.code == .unauthorized)
        #expect(refusal.code.rawValue == -32001)
        #expect(refusal.message == "unauthorized: runs.start needs group sensorqual-operators or root; uid 1003 (rita) is not a member")
        #expect(refusal.data == ["method": "runs.start", "needs": ["sensorqual-operators"], "uid": 1003, "user": "rita"])
        for method in [Method.runsCancel, Method.referenceSubmit] {
            #expect(throws: RPCError.self) { try Self.policy.authorize(method, peer: Self.reader) }
        }
    }

    @Test("a peer in neither group may do nothing")
    func stranger() throws {
        #expect(!Self.policy.allows(.read, peer: Self.stranger))
        #expect(!Self.policy.allows(.operate, peer: Self.stranger))
        let refusal = try #require(throws: RPCError.self) { try Self.policy.authorize(Method.devicesList, peer: Self.stranger) }
        #expect(refusal.message == "unauthorized: devices.list needs group sensorqual or group sensorqual-operators or root; uid 1004 (sam) is in none of them")
        #expect(refusal.data?["needs"] == ["sensorqual", "sensorqual-operators"])
        // Credentials that could not be read admit nothing.
        #expect(!Self.policy.allows(.read, peer: nil))
        let anonymous = try #require(throws: RPCError.self) { try Self.policy.authorize(Method.systemVersion, peer: nil) }
        #expect(anonymous.message.hasSuffix("the peer's credentials could not be read"))
    }

    @Test("groups absent from the machine admit nobody but root and the daemon's user")
    func missingGroups() throws {
        let bare = AccessPolicy(socketGroup: .init(name: "sensorqual", id: nil),
                                operatorGroup: .init(name: "sensorqual-operators", id: nil), daemonUserID: 990)
        #expect(bare.allows(.operate, peer: Self.root))
        #expect(bare.allows(.operate, peer: Self.daemonUser))
        for peer in [Self.operatorMember, Self.reader, Self.stranger] {
            #expect(!bare.allows(.read, peer: peer), "\(peer)")
        }
        let refusal = try #require(throws: RPCError.self) { try bare.authorize(Method.runsCancel, peer: Self.operatorMember) }
        #expect(refusal.message.contains("sensorqual-operators (absent on this machine)"))
        // Only the operator group absent: readers still read, nobody else operates.
        let noOperators = AccessPolicy(socketGroup: .init(name: "sensorqual", id: 2001),
                                       operatorGroup: .init(name: "sensorqual-operators", id: nil), daemonUserID: 990)
        #expect(noOperators.allows(.read, peer: Self.reader))
        #expect(!noOperators.allows(.operate, peer: Self.operatorMember))
    }

    @Test("this process resolves as the daemon's user and is allowed everything")
    func resolvingHere() {
        let policy = AccessPolicy.resolving(socketGroup: "sqtest-no-such-group-\(getpid())", operatorGroup: "root")
        #expect(policy.socketGroup.id == nil)
        #expect(policy.operatorGroup.id == 0)
        #expect(policy.daemonUserID == geteuid())
        let me = PeerCredentials(pid: getpid(), uid: geteuid(), gid: getegid())
        #expect(policy.allows(.operate, peer: me))
    }

    @Test("the user database answers for this process's user")
    func accountLookups() {
        #expect(AccountSyscalls.groupID(named: "root") == 0)
        #expect(AccountSyscalls.groupID(named: "sqtest-no-such-group") == nil)
        #expect(AccountSyscalls.userName(of: 0) == "root")
        #expect(AccountSyscalls.groups(ofUser: "root", primary: 0).contains(0))
        #expect(AccountSyscalls.processGroups.contains(getegid()))
    }
}

/// The request-rate limit and the watcher quota (docs/protocol.md §3).
@Suite("Load limits")
struct LoadLimitTests {
    @Test("the token bucket gives a burst, then the rate, and says how long to wait")
    func tokenBucket() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(rate: 50, burst: 100, now: start)
        for _ in 0..<100 { #expect(bucket.take(at: start) == nil) }
        let wait = bucket.take(at: start)
        #expect(wait.map { abs(($0 - .milliseconds(20)) / .nanoseconds(1)) < 1 } == true, "\(String(describing: wait))")
        // 0.5 s later, 25 tokens have come back, and no more.
        let later = start + .milliseconds(500)
        #expect(bucket.available(at: later) == 25)
        for _ in 0..<25 { #expect(bucket.take(at: later) == nil) }
        #expect(bucket.take(at: later) != nil)
        // A long pause refills to the burst, never beyond.
        #expect(bucket.available(at: later + .seconds(3600)) == 100)
        // Time going backwards (it cannot, with ContinuousClock) adds nothing.
        #expect(bucket.available(at: start) == 100)
    }

    @Test("a full watcher quota refuses one more with -32006 naming the limit; leaving frees a place")
    func watcherQuota() throws {
        let quota = WatcherQuota(limit: 2)
        let connections = (1...3).map { RPCConnection(id: UInt64($0), peer: nil, notificationQueueDepth: 4) }
        #expect(try quota.claim(for: connections[0]))
        #expect(try quota.claim(for: connections[1]))
        #expect(try !quota.claim(for: connections[1]), "watching again keeps the place")
        let refused = try #require(throws: RPCError.self) { try quota.claim(for: connections[2]) }
        #expect(refused.code == .overloaded)
        #expect(refused.message == "too many watchers: the limit is 2 watching connections")
        #expect(refused.data == ["limit": 2, "what": "watchers"])
        quota.release(for: connections[0])
        #expect(quota.count == 1)
        #expect(try quota.claim(for: connections[2]))
    }

    @Test("the defaults: 256 connections, 50 requests/s with bursts of 100, 128 watchers")
    func defaults() {
        let limits = RPCLimits()
        #expect(limits.maxConnections == 256)
        #expect(limits.requestRate == 50 && limits.requestBurst == 100)
        #expect(limits.maxWatchers == 128)
        #expect(limits.maxLineLength == 65536 && limits.notificationQueueDepth == 256)
    }

    @Test("over the rate a request gets -32008 under its id, is not executed, and the connection stays usable")
    func rateLimit() async throws {
        // A rate so low that no token comes back during the test: exactly the burst is served.
        try await withServer(limits: RPCLimits(requestRate: 0.01, requestBurst: 5)) { path in
            let client = try await ControlClient.connect(path: path, timeout: RPCServerTests.connectTimeout)
            for n in 0..<5 { #expect(try await client.call("echo", params: [.int(Int64(n))]) == [.int(Int64(n))]) }
            let limited = try await #require(throws: RPCError.self) { try await client.call("echo", params: [9]) }
            #expect(limited.code == .rateLimited && limited.code.rawValue == -32008)
            #expect(limited.data?["burst"] == 5)
            #expect((limited.data?["retry_after_ms"]?.intValue ?? 0) > 0)
            #expect(limited.message.hasPrefix("rate limited: over 0.01 requests per second (bursts of 5)"))
            // A raw line over the rate: answered under its id; a garbage line: answered, id null.
            let raw = try await client.send(raw: #"{"jsonrpc":"2.0","id":"x","method":"echo"}"#)
            #expect(raw.id == .string("x") && raw.error?.code == .rateLimited)
            let garbage = try await client.send(raw: "{not json")
            #expect(garbage.id == nil && garbage.error?.code == .rateLimited)
            // Still open and answering; and the limit is per connection.
            #expect(try await #require(throws: RPCError.self) { try await client.call("echo") }.code == .rateLimited)
            let other = try await ControlClient.connect(path: path, timeout: RPCServerTests.connectTimeout)
            #expect(try await other.call("add", params: ["a": 1, "b": 2]) == 3)
            await other.close()
            await client.close()
        }
    }

    @Test("a created socket file is given the socket group", .enabled(if: getuid() == 0, "chown to another group needs root"))
    func socketFileGroup() async throws {
        // Group 1 (daemon, bin or similar) exists everywhere and is not root's primary group.
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/grouped.sock"
        let server = RPCServer(socketPath: path, socketFileGroup: 1, handler: ToyHandler())
        let (listening, signal) = AsyncStream.makeStream(of: Void.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { signal.finish() }
                try await server.run(onListening: { signal.yield() })
            }
            for await _ in listening { break }
            #expect(try SocketSyscalls.group(ofFileAt: path) == 1)
            #expect(try SocketSyscalls.mode(ofFileAt: path) == 0o660)
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}
