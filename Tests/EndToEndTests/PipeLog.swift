import Foundation
import Synchronization

/// What a child process writes to a pipe, read to its end by a blocking loop on a thread of its own (not by
/// `readabilityHandler`, whose teardown can crash libdispatch's event loop on Linux: swift-corelibs-libdispatch#949),
/// with waits on the text: a test waits on the event, never on a timer.
final class PipeLog: Sendable {
    private struct State {
        var text = ""
        var ended = false
        var waiters: [(String, CheckedContinuation<Bool, Never>)] = []
    }
    private final class Box: Sendable { let state = Mutex(State()) }
    private let box = Box()

    /// Starts reading `handle` (call once the child runs, so that the pipe's write end is the child's alone).
    func start(reading handle: FileHandle, name: String) {
        let box = box
        let thread = Thread {
            while true {
                let data = handle.availableData
                var ready: [(CheckedContinuation<Bool, Never>, Bool)] = []
                box.state.withLock { state in
                    if data.isEmpty { state.ended = true } else { state.text += String(decoding: data, as: UTF8.self) }
                    state.waiters.removeAll { text, continuation in
                        if state.text.contains(text) { ready.append((continuation, true)); return true }
                        if state.ended { ready.append((continuation, false)); return true }
                        return false
                    }
                }
                for (continuation, found) in ready { continuation.resume(returning: found) }
                if data.isEmpty { return }
            }
        }
        thread.name = name
        thread.stackSize = 512 << 10
        thread.start()
    }

    var text: String { box.state.withLock { $0.text } }

    /// Waits until the text contains `text`; false if the pipe ended first.
    func wait(for text: String) async -> Bool {
        await withCheckedContinuation { continuation in
            let answer: Bool? = box.state.withLock { state in
                if state.text.contains(text) { return true }
                if state.ended { return false }
                state.waiters.append((text, continuation))
                return nil
            }
            if let answer { continuation.resume(returning: answer) }
        }
    }
}

extension ChildProcess {
    /// Starts `path` with its standard error read into `log` as it is written (the thread named `name`), and its
    /// standard output to /dev/null.
    static func start(_ path: String, _ arguments: [String], errorInto log: PipeLog, named name: String) throws -> ChildProcess {
        let pipe = try pipe()
        let child: ChildProcess
        do {
            child = try ChildProcess(path, arguments, error: .handOver(pipe.write))
        } catch {
            close(pipe.read)
            throw error
        }
        log.start(reading: FileHandle(fileDescriptor: pipe.read, closeOnDealloc: true), name: name)
        return child
    }
}
