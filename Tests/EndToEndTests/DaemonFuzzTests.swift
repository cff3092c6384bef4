import ControlProtocol
import Foundation
import SensorSim
import Testing

/// Seeded fuzzing of the real daemon's method table: mutated requests of every method, with the params shapes the
/// daemon reads, sent to `sensorquald --simulate`. Every line gets exactly one response (none for a notification or
/// a blank line), in order and under the expected id; the daemon keeps serving and exits cleanly afterwards.
@Suite(.serialized, .timeLimit(.minutes(3))) struct DaemonFuzzTests {
    static let corpus: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"system.version"}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"rig.describe","params":{}}"#,
        #"{"jsonrpc":"2.0","id":3,"method":"devices.list"}"#,
        #"{"jsonrpc":"2.0","id":4,"method":"runs.status","params":{"run":"20261126-153302-1"}}"#,
        #"{"jsonrpc":"2.0","id":5,"method":"runs.list"}"#,
        #"{"jsonrpc":"2.0","id":6,"method":"runs.cancel","params":{"run":"nope"}}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"reports.get","params":{"run":"../../etc/passwd"}}"#,
        #"{"jsonrpc":"2.0","id":8,"method":"runs.start","params":{"plan":"no-such-plan","spec":"miit-2020","slots":["S1","S1"],"serials":{"S9":"x"},"lot":"L","operator":"o"}}"#,
        #"{"jsonrpc":"2.0","id":9,"method":"reference.submit","params":{"value_pa":100000.5,"run":"r"}}"#,
        #"{"jsonrpc":"2.0","id":10,"method":"reference.submit","params":{"field_ut":[1,2,3]}}"#,
        #"{"jsonrpc":"2.0","id":11,"method":"watch","params":{"run":"r-1"}}"#,
        #"{"jsonrpc":"2.0","id":12,"method":"unwatch"}"#,
        #"{"jsonrpc":"2.0","id":13,"method":"archive.runs","params":{"lot":"L-7","since":"2026-11-26T15:33:02Z","verdict":"fail","limit":5}}"#,
        #"{"jsonrpc":"2.0","id":14,"method":"archive.unit","params":{"serial":"SN1"}}"#,
        #"{"jsonrpc":"2.0","id":"y","method":"archive.yield","params":{"lot":"L-7"}}"#,
        #"{"jsonrpc":"2.0","method":"runs.status"}"#,
    ]

    static let interesting: [String] = [
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\ud800", "null", "true", "-1", "0", "1e400", "-1e-400",
        "9223372036854775808", String(repeating: "9", count: 300), "NaN", "\"Infinity\"", "\u{FEFF}", "é±≤", "\t",
        "\"id\":null,", "\"id\":\"dup\",", "\"params\":[1,2],", "\"method\":\"runs.list\",", "\"limit\":0,", "\"limit\":-5,",
        "\"run\":\"\",", "\"serial\":\"\",", "\"since\":\"2026-13-45\",", "\"verdict\":\"maybe\",",
    ]

    struct Mutator {
        var random: SeededRandom
        mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
        mutating func pick<T>(_ values: [T]) -> T { values[int(0..<values.count)] }

        mutating func line() -> [UInt8] {
            var bytes = Array(pick(DaemonFuzzTests.corpus).utf8)
            if int(0..<10) == 0 { return bytes }
            for _ in 0..<int(1..<4) {
                switch int(0..<9) {
                case 0 where !bytes.isEmpty:
                    let i = int(0..<bytes.count)
                    bytes[i] ^= UInt8(1 << int(0..<8))
                case 1 where !bytes.isEmpty:
                    let start = int(0..<bytes.count)
                    bytes.removeSubrange(start..<min(bytes.count, start + int(1..<10)))
                case 2, 3:
                    // Mostly just after a `{`, where a duplicated key or a bad value lands inside params.
                    let braces = bytes.indices.filter { bytes[$0] == UInt8(ascii: "{") }
                    let at = braces.isEmpty || int(0..<3) == 0 ? int(0..<(bytes.count + 1)) : pick(braces) + 1
                    bytes.insert(contentsOf: Array(pick(DaemonFuzzTests.interesting).utf8), at: at)
                case 4 where !bytes.isEmpty:
                    bytes = Array(bytes.prefix(int(0..<bytes.count)))
                case 5:
                    let depth = pick([30, 61, 62, 63, 511, 2000])
                    bytes = Array(("{\"jsonrpc\":\"2.0\",\"id\":77,\"method\":\"runs.status\",\"params\":{\"run\":"
                                   + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}}").utf8)
                case 6:
                    bytes.insert(contentsOf: pick([[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF]]), at: int(0..<(bytes.count + 1)))
                case 7:
                    bytes = Array(("{\"jsonrpc\":\"2.0\",\"id\":78,\"method\":\"runs.status\",\"params\":{\"run\":\""
                                   + String(repeating: "r", count: pick([100, 65_400, 70_000])) + "\"}}").utf8)
                default:
                    bytes = (0..<int(0..<120)).map { _ in UInt8.random(in: 0...255, using: &random) }
                }
            }
            return bytes.filter { $0 != 0x0A }
        }
    }

    /// The id the server must answer `line` under, `.some(nil)` for an answer with id `null`, or `nil` for no answer,
    /// as the server frames and parses it (docs/protocol.md §2, §3).
    static func expectedAnswer(_ raw: [UInt8]) -> RPCID?? {
        var line = raw
        if line.last == 0x0D { line.removeLast() }
        if line.count > LineFrameDecoder.defaultMaxLineLength { return .some(nil) }
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        do throws(InvalidRPCMessage) {
            switch try RPCMessage(parsing: Data(line)) {
            case .request(let request): return .some(request.id)
            case .notification: return nil
            case .response: return .some(nil)
            }
        } catch {
            return .some(error.id)
        }
    }

    /// What one connection saw.
    struct Outcome: Sendable {
        var lines = 0
        var answers = 0
        var codes: [Int: Int] = [:]
        var mismatches: [String] = []
        var failure: String?
    }

    @Test("mutated requests of every method: one answer per line, in order; the daemon keeps serving")
    func realMethodTable() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let daemon = try await LoggedDaemon.start(folder: folder, arguments: ["--simulate", "--seed", "1"])
        do {
            let socket = daemon.socket
            var outcomes: [Outcome] = []
            // 30 connections one after the other, 90 lines each: under the burst of 100, so every line is executed.
            for connection in 0..<30 {
                outcomes.append(await onThread("fuzz \(connection)") {
                    Self.fuzz(socket: socket, seed: 0x5EED_D000 + UInt64(connection), lines: 90)
                })
            }
            #expect(outcomes.compactMap(\.failure) == [])
            #expect(outcomes.flatMap(\.mismatches) == [])
            var codes: [Int: Int] = [:]
            for outcome in outcomes { codes.merge(outcome.codes, uniquingKeysWith: +) }
            print("daemon fuzz: \(outcomes.map(\.lines).reduce(0, +)) lines, \(outcomes.map(\.answers).reduce(0, +)) answers; "
                  + "by code (0 = result): \(codes.sorted { $0.key < $1.key })")
            // Still serving, and nothing but the expected errors in the log.
            let client = try await ControlClient.connect(path: socket)
            let version = try await client.call(Method.systemVersion, params: nil)
            #expect(version["server"] == "sensorquald")
            await client.close()
            #expect(!daemon.logText.contains("Fatal error"))
        } catch {
            _ = await daemon.stop()
            throw error
        }
        #expect(await daemon.stop() == 0)
    }

    /// One connection: batches of 10 lines, then their answers, then a sentinel request that must be answered next.
    private static func fuzz(socket: String, seed: UInt64, lines: Int) -> Outcome {
        var outcome = Outcome()
        var mutator = Mutator(random: SeededRandom(seed: seed))
        do {
            let client = try LineSocket(path: socket)
            guard case .notification(let hello) = try client.readMessage(), hello.method == "hello" else {
                outcome.failure = "no hello"
                return outcome
            }
            var sent = 0
            while sent < lines {
                var expected: [RPCID?] = []
                var batch: [UInt8] = []
                for _ in 0..<min(10, lines - sent) {
                    let line = mutator.line()
                    if let answer = expectedAnswer(line) { expected.append(answer) }
                    batch += line + [0x0A]
                    sent += 1
                }
                try client.write(batch)
                for id in expected {
                    let response = try client.readResponse()
                    outcome.answers += 1
                    outcome.codes[response.error?.code.rawValue ?? 0, default: 0] += 1
                    if response.id != id { outcome.mismatches.append("seed \(seed): expected id \(String(describing: id)), got \(response)") }
                }
            }
            outcome.lines = sent
            // Nothing more is owed: the next answer is the sentinel's.
            try client.send(#"{"jsonrpc":"2.0","id":"sentinel","method":"system.version"}"#)
            let last = try client.readResponse()
            if last.id != .string("sentinel") { outcome.mismatches.append("seed \(seed): an extra answer \(last)") }
        } catch {
            outcome.failure = "seed \(seed): \(error)"
        }
        return outcome
    }
}
