import ControlProtocol
import Foundation
import Synchronization
import Testing

/// 200 clients at once against the real daemon during a simulated run: 100 watch the run, 100 poll `runs.status`
/// 20 times each. The run is `pressure-full` with the technician as the pressure reference, so it measures its
/// warm-up and noise steps and then waits for a reading: it is certainly still going when the clients come, whatever
/// the machine's speed (a `rig-full` run in a debug build on a loaded 2-core machine took many minutes), and
/// cancelling it gives every watcher its `run.finished`. Asserts outcomes only (every request answered with the run's status, every watcher notified and
/// told the run finished, nobody refused); prints the latencies, which depend on the machine.
@Suite(.serialized, .timeLimit(.minutes(5))) struct LoadTests {
    static let watchers = 100
    static let pollers = 100
    static let pollsEach = 20

    /// What one polling client measured.
    struct PollOutcome: Sendable {
        var latencies: [Duration] = []
        var wrongAnswers: [String] = []
        var failure: String?
    }

    /// What one watching client saw.
    struct WatchOutcome: Sendable {
        var notifications = 0
        var overflows = 0
        var finishedState: String?
        var failure: String?
    }

    @Test("200 concurrent clients, half watching, during a simulated run")
    func twoHundredClients() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let daemon = try await LoggedDaemon.start(folder: folder, arguments: ["--simulate", "--manual-reference", "--seed", "1"])
        do {
            try await load(daemon)
        } catch {
            _ = await daemon.stop()
            throw error
        }
        #expect(await daemon.stop() == 0)
    }

    private func load(_ daemon: LoggedDaemon) async throws {
        // A run that lasts until cancelled: it waits for the technician's first reading.
        let control = try await ControlClient.connect(path: daemon.socket)
        let run = try await control.call(Method.runsStart, params: RunStartParams(plan: "pressure-full"), as: RunStatus.self)
        let socket = daemon.socket
        let runID = run.id

        // Watchers report once subscribed (or failed), so the run is cancelled only after every one watches.
        let (subscribed, subscribedSignal) = AsyncStream.makeStream(of: Void.self)
        let watcherTasks = (0..<Self.watchers).map { index in
            Task {
                await onThread("watcher \(index)") { Self.watch(socket: socket, run: runID, subscribed: subscribedSignal) }
            }
        }
        let pollerTasks = (0..<Self.pollers).map { index in
            Task { await onThread("poller \(index)") { Self.poll(socket: socket, run: runID) } }
        }
        var polls: [PollOutcome] = []
        for task in pollerTasks { polls.append(await task.value) }
        var subscribedCount = 0
        for await _ in subscribed {
            subscribedCount += 1
            if subscribedCount == Self.watchers { break }
        }
        let cancelled = try await control.call(Method.runsCancel, params: RunReference(run: runID), as: RunStatus.self)
        #expect(cancelled.id == runID)
        var watches: [WatchOutcome] = []
        for task in watcherTasks { watches.append(await task.value) }
        await control.close()

        // Outcomes.
        #expect(polls.compactMap(\.failure) == [])
        #expect(polls.flatMap(\.wrongAnswers) == [])
        let latencies = polls.flatMap(\.latencies).sorted()
        #expect(latencies.count == Self.pollers * Self.pollsEach)
        #expect(watches.compactMap(\.failure) == [])
        #expect(watches.allSatisfy { $0.notifications > 0 })
        #expect(watches.allSatisfy { $0.finishedState == "cancelled" }, "\(watches.map { $0.finishedState ?? "-" })")
        #expect(!daemon.logText.contains("too many connections"))

        // The numbers, for the record.
        func milliseconds(_ d: Duration) -> String {
            String(format: "%.2f", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
        }
        if !latencies.isEmpty {
            let p50 = latencies[latencies.count / 2]
            let p99 = latencies[min(latencies.count - 1, Int((Double(latencies.count) * 0.99).rounded(.up)) - 1)]
            print("load: \(latencies.count) runs.status answers to \(Self.pollers) clients beside \(Self.watchers) watchers: "
                  + "p50 \(milliseconds(p50)) ms, p99 \(milliseconds(p99)) ms, max \(milliseconds(latencies.last!)) ms; "
                  + "watchers got \(watches.map(\.notifications).reduce(0, +)) notifications, \(watches.map(\.overflows).reduce(0, +)) overflows")
        }
    }

    /// One polling client: connect, `runs.status` 20 times, each timed from the write to the whole response.
    private static func poll(socket: String, run: String) -> PollOutcome {
        var outcome = PollOutcome()
        do {
            let client = try LineSocket(path: socket)
            guard case .notification(let hello) = try client.readMessage(), hello.method == "hello" else {
                outcome.failure = "no hello"
                return outcome
            }
            let clock = ContinuousClock()
            for n in 1...pollsEach {
                let start = clock.now
                try client.send(#"{"jsonrpc":"2.0","id":\#(n),"method":"runs.status","params":{"run":"\#(run)"}}"#)
                let response = try client.readResponse()
                outcome.latencies.append(clock.now - start)
                guard response.id == .number(Int64(n)), let result = response.result,
                      let status = try? result.decode(RunStatus.self), status.id == run else {
                    outcome.wrongAnswers.append("\(response)")
                    continue
                }
            }
        } catch {
            outcome.failure = "\(error)"
        }
        return outcome
    }

    /// One watching client: connect, `watch` the run, read until its `run.finished`.
    private static func watch(socket: String, run: String, subscribed: AsyncStream<Void>.Continuation) -> WatchOutcome {
        var outcome = WatchOutcome()
        var told = false
        func tell() {
            if !told { subscribed.yield() }
            told = true
        }
        defer { tell() }
        do {
            let client = try LineSocket(path: socket, timeout: .seconds(120))
            guard case .notification(let hello) = try client.readMessage(), hello.method == "hello" else {
                outcome.failure = "no hello"
                return outcome
            }
            try client.send(#"{"jsonrpc":"2.0","id":1,"method":"watch","params":{"run":"\#(run)"}}"#)
            func count(_ notification: RPCNotification) {
                outcome.notifications += 1
                if notification.method == NotificationMethod.overflow { outcome.overflows += 1 }
                if notification.method == NotificationMethod.runFinished {
                    outcome.finishedState = notification.params?["state"]?.stringValue
                }
            }
            let response = try client.readResponse(notification: count)
            guard response.result == ["watching": .string(run)] else {
                outcome.failure = "watch answered \(response)"
                return outcome
            }
            tell()
            while outcome.finishedState == nil {
                guard case .notification(let notification) = try client.readMessage() else { continue }
                count(notification)
            }
        } catch {
            outcome.failure = "\(error)"
        }
        return outcome
    }
}
