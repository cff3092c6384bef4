// A simulated instrument's end of a real wire: a loopback TCP listener (SCPIServerSyscalls.swift) framed by SensorIO's
// own `LineFramedDescriptor`, so each driver is tested through the kernel exactly as on a bench.
import Foundation
import SensorIO
import Synchronization

/// Serves one simulated instrument on 127.0.0.1: one client at a time, one line at a time, each line answered by
/// `respond` (nil: no reply, as an instrument gives none to a command) on a thread of the server's own; `stop()` ends
/// it. The coil's current source and the MFC line are their replies only.
final class LoopbackLineServer: Sendable {
    /// The listening port.
    let port: UInt16
    private let shared = Shared()
    private let finished = DispatchSemaphore(value: 0)
    private let name: String

    /// What the serving thread and the others share: the stop flag and the log.
    private final class Shared: Sendable {
        struct State {
            var stopRequested = false
            var received: [String] = []
        }
        let state = Mutex(State())
    }

    /// How long one wait lasts before the stop flag is looked at again, ns.
    static let slice: Int64 = 20_000_000
    static let replyTimeout: Int64 = 1_000_000_000
    /// Lines kept for `receivedLines`.
    static let logLimit = 1000

    /// Opens the listener and starts serving.
    ///
    /// - Throws: `SimulatedSCPIServer.StartError` when the socket cannot be set up.
    init(name: String, terminator: LineTerminator, respond: @escaping @Sendable (String) -> String?) throws(SimulatedSCPIServer.StartError) {
        let (listener, port) = try SCPIServerSyscalls.listenOnLoopback()
        self.port = port
        self.name = name
        let finished = self.finished
        let thread = Thread { [shared] in
            var client: LineFramedDescriptor?
            while !shared.state.withLock({ $0.stopRequested }) {
                if let channel = client {
                    if !Self.serve(channel, respond: respond, log: shared) {
                        channel.close()
                        client = nil
                    }
                } else if let fd = SCPIServerSyscalls.accept(listener, waitingMilliseconds: Int32(Self.slice / 1_000_000)) {
                    client = LineFramedDescriptor(descriptor: fd, kind: .socket, name: "\(name) connection", terminator: terminator)
                }
            }
            client?.close()
            InstrumentSyscalls.close(listener)
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    deinit { stop() }

    /// The lines received so far, trimmed, oldest first (the last `logLimit`).
    var receivedLines: [String] { shared.state.withLock { $0.received } }

    /// Stops serving, closes the sockets and joins the thread. Calling it again does nothing.
    func stop() {
        let first = shared.state.withLock { state in
            defer { state.stopRequested = true }
            return !state.stopRequested
        }
        guard first else { return }
        let joined = finished.wait(timeout: .now() + SimulatedSCPIServer.stopTimeout) == .success
        precondition(joined, "the \(name)'s thread did not stop within \(SimulatedSCPIServer.stopTimeout) s")
    }

    /// Reads one line (waiting at most a slice) and answers it; false when the client is gone.
    private static func serve(_ channel: LineFramedDescriptor, respond: (String) -> String?, log: Shared) -> Bool {
        let line: String
        do throws(InstrumentLinkError) {
            line = try channel.readLine(deadline: MonotonicClock().now() + slice)
        } catch {
            switch error.cause {
            case .timedOut, .lineTooLong: return true
            default: return false
            }
        }
        let text = line.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return true }
        log.state.withLock { state in
            if state.received.count == logLimit { state.received.removeFirst() }
            state.received.append(text)
        }
        guard let reply = respond(text) else { return true }
        do throws(InstrumentLinkError) {
            try channel.send(line: reply, deadline: MonotonicClock().now() + replyTimeout)
            return true
        } catch {
            return false
        }
    }
}
