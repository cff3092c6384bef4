import Foundation
import NIOCore
import Testing

@testable import ControlProtocol

/// Seeded fuzzing of the request path: random and mutated request lines through the line decoder and the message
/// parser, then through a live server. Deterministic (fixed seeds), bounded by iteration counts, each guarded against a
/// hang by a deadline.
@Suite("Protocol fuzz", .serialized, .timeLimit(.minutes(2)))
struct ProtocolFuzzTests {
    /// Valid lines the mutations start from: every message shape the parser knows.
    static let corpus: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"echo","params":{"a":[1,2.5,"x",true,null,{"b":-3}]}}"#,
        #"{"jsonrpc":"2.0","id":"s-1","method":"add","params":{"a":2,"b":40}}"#,
        #"{"jsonrpc":"2.0","method":"echo","params":[1]}"#,
        #"{"jsonrpc":"2.0","id":7,"method":"runs.start","params":{"plan":"pressure-basic","slots":["S1","S2"],"serials":{"S1":"SN1"},"lot":"L","operator":"o"}}"#,
        #"{"jsonrpc":"2.0","id":8,"method":"runs.status","params":{"run":"20261126-153302-1"}}"#,
        #"{"jsonrpc":"2.0","id":9,"method":"reference.submit","params":{"value_pa":100000.5,"run":"r"}}"#,
        #"{"jsonrpc":"2.0","id":10,"method":"watch"}"#,
        #"{"jsonrpc":"2.0","id":11,"result":{"x":1}}"#,
        #"{"jsonrpc":"2.0","id":12,"error":{"code":-32000,"message":"busy","data":{"run":"r"}}}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"echo"}]"#,
        #"{"jsonrpc":"2.0","id":13,"method":"archive.runs","params":{"lot":"L-7","since":"2026-11-26","verdict":"fail","limit":5}}"#,
        #"{"jsonrpc":"2.0","id":"ünïcödé ±≤°C 🎤","method":"echo","params":["\u00e9\ud83c\udfa4\n\t\"\\"]}"#,
    ]

    /// A fuzz line: a mutation of a corpus line, or a corpus line as it is, or a blank one.
    static func line(_ mutator: inout ByteMutator) -> [UInt8] {
        let base = Array(mutator.pick(corpus).utf8)
        switch mutator.int(0..<20) {
        case 0: return base
        case 1: return mutator.pick([[], Array("  \t ".utf8), [0x0D]])
        default:
            var bytes = base
            for _ in 0..<mutator.int(1..<4) { bytes = mutator.mutate(bytes) }
            return bytes
        }
    }

    @Test("the line decoder splits any byte stream, cut anywhere, exactly as a plain split does")
    func decoderAgainstReference() {
        var mutator = ByteMutator(seed: 0x5EED_0001)
        let limit = 512
        for _ in 0..<800 {
            // A stream of fuzz lines (some over this small limit), with CRs, cut into random chunks.
            var stream: [UInt8] = []
            for _ in 0..<mutator.int(1..<8) {
                stream += mutator.chance(0.1) ? [UInt8](repeating: 0x61, count: mutator.int(400..<1200)) : Self.line(&mutator)
                if mutator.chance(0.2) { stream.append(0x0D) }
                if mutator.chance(0.9) { stream.append(0x0A) }
            }
            var decoder = LineFrameDecoder(maxLineLength: limit)
            var buffer = ByteBuffer()
            var frames: [LineFrame] = []
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + mutator.int(1..<700))
                buffer.writeBytes(stream[offset..<end])
                offset = end
                while let frame = decoder.nextFrame(from: &buffer) { frames.append(frame) }
            }
            if let frame = decoder.finish(&buffer) { frames.append(frame) }
            #expect(frames.map(Self.shape) == Self.reference(stream, limit: limit).map(Self.shape),
                    "stream \(stream.prefix(80))")
        }
    }

    @Test("every fuzz line parses to a message or fails with -32700/-32600, and every answer is one valid line")
    func parser() throws {
        var mutator = ByteMutator(seed: 0x5EED_0002)
        var counts: [String: Int] = [:]
        let iterations = 6000
        // Leak check: the resident size at the end of each 1000 lines after a warm-up of 1000. A leak grows it in
        // every chunk; the allocator's retained pages and the other tests running in this process (the size is the
        // process's) make it jump now and then but not in every chunk. So the smallest growth of a chunk must be under
        // 1 MB: a leak of 1 kB a line or more fails.
        var chunkGrowths: [Int] = []
        var chunkStart = 0
        for iteration in 0..<iterations {
            if iteration >= 1000, iteration % 1000 == 0 {
                let resident = residentBytes()
                if iteration > 1000 { chunkGrowths.append(resident - chunkStart) }
                chunkStart = resident
            }
            let bytes = Self.line(&mutator)
            let response: RPCResponse?
            do throws(InvalidRPCMessage) {
                switch try RPCMessage(parsing: Data(bytes)) {
                case .request(let request):
                    counts["request", default: 0] += 1
                    response = RPCResponse(id: request.id, result: request.params ?? .null)
                case .notification:
                    counts["notification", default: 0] += 1
                    response = nil
                case .response(let parsed):
                    counts["response", default: 0] += 1
                    response = RPCResponse(id: parsed.id, error: .invalidRequest("the server takes requests"))
                }
            } catch {
                #expect(error.error.code == .parseError || error.error.code == .invalidRequest)
                counts[error.error.code == .parseError ? "parseError" : "invalidRequest", default: 0] += 1
                response = error.response
            }
            // What the server would write: exactly one line, which parses back to the same response.
            if let response {
                let line = RPCMessage.response(response).line
                let written = Array(line.readableBytesView)
                #expect(written.last == 0x0A && written.dropLast().firstIndex(of: 0x0A) == nil)
                #expect(try RPCMessage(parsing: Data(written.dropLast())) == .response(response))
            }
        }
        chunkGrowths.append(residentBytes() - chunkStart)
        print("protocol parser fuzz: \(iterations) lines \(counts.sorted { $0.key < $1.key }), "
              + "resident growth per 1000 lines after warm-up \(chunkGrowths.map { $0 / 1024 }) kB")
        #expect(chunkGrowths.min() ?? 0 < 1 << 20, "\(chunkGrowths)")
        // The mix reached every outcome.
        for outcome in ["request", "notification", "response", "parseError", "invalidRequest"] {
            #expect(counts[outcome, default: 0] > 0, "\(outcome)")
        }
    }

    @Test("JSON nested beyond the depth limit is a parse error naming the limit, not a crash")
    func deepNesting() throws {
        #expect(JSONValue.maximumDepth == 64)
        for depth in [61, 62, 63, 64, 512, 10_000, 100_000, 1_000_000] {
            for open in ["[", "{\"a\":"] {
                let close = open == "[" ? "]" : "}"
                // The request object and the params array are two levels.
                let text = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":["
                    + String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth) + "]}"
                do throws(InvalidRPCMessage) {
                    let message = try RPCMessage(parsing: Data(text.utf8))
                    #expect(depth + 2 <= JSONValue.maximumDepth, "depth \(depth) accepted")
                    // The echo of the deepest accepted value encodes too.
                    _ = RPCMessage.response(RPCResponse(id: .number(1), result: message.jsonValue)).line
                } catch {
                    #expect(depth + 2 > JSONValue.maximumDepth, "depth \(depth): \(error.error.message)")
                    #expect(error.error.code == .parseError)
                    #expect(error.error.message == "parse error: arrays and objects nested 65 deep; the limit is 64")
                }
            }
        }
        // Brackets inside strings are not nesting.
        let quoted = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"" + String(repeating: "[{\\\"", count: 2000) + "\"]}"
        #expect(throws: Never.self) { try RPCMessage(parsing: Data(quoted.utf8)) }
    }

    @Test("a live server answers every fuzz line exactly once, in order, and still serves afterwards")
    func liveServer() async throws {
        var mutator = ByteMutator(seed: 0x5EED_0003)
        // Batches of lines, each written at once; the expected answers computed from the same decoder and parser.
        var batches: [(bytes: [UInt8], expected: [RPCID?])] = []
        var lineCount = 0
        for _ in 0..<60 {
            var stream: [UInt8] = []
            for _ in 0..<mutator.int(5..<60) {
                stream += Self.line(&mutator) + [0x0A]
                lineCount += 1
            }
            batches.append((stream, Self.expectedAnswers(stream, limit: LineFrameDecoder.defaultMaxLineLength)))
        }
        // No rate limit here: this test is about the parser and framing, not about the limit.
        let limits = RPCLimits(requestRate: 1e9, requestBurst: 1 << 30)
        let batchList = batches
        let answered = try await withServer(limits: limits, handler: ToyHandler()) { path in
            try await withDeadline("fuzz lines answered", .seconds(60)) {
                let channel = try await connectRaw(path: path)
                return try await channel.executeThenClose { inbound, outbound in
                    var lines = inbound.makeAsyncIterator()
                    guard case .notification(let hello)? = try await lines.next()?.message(), hello.method == "hello" else {
                        throw DeadlineExceeded(what: "hello")
                    }
                    var answered = 0
                    for batch in batchList {
                        try await outbound.write(ByteBuffer(bytes: batch.bytes))
                        for id in batch.expected {
                            // Skip notifications; the next response must answer the next line.
                            var response: RPCResponse?
                            while response == nil {
                                guard let frame = try await lines.next() else { throw DeadlineExceeded(what: "server closed") }
                                if case .response(let r) = try frame.message() { response = r }
                            }
                            #expect(response?.id == id)
                            answered += 1
                        }
                    }
                    // Still serving, on the same connection.
                    try await outbound.write(ByteBuffer(string: #"{"jsonrpc":"2.0","id":"last","method":"add","params":{"a":1,"b":2}}"# + "\n"))
                    while let frame = try await lines.next() {
                        if case .response(let response) = try frame.message() {
                            #expect(response == RPCResponse(id: .string("last"), result: 3))
                            break
                        }
                    }
                    return answered
                }
            }
        }
        print("live server fuzz: \(lineCount) lines in \(batches.count) batches, \(answered) responses")
        #expect(answered > lineCount / 2)
    }

    // MARK: Reference behaviour

    /// The frames a plain split gives: lines without `\n` and one trailing `\r`; longer than `limit`, `tooLong`; an
    /// unterminated non-empty last piece is a line too.
    static func reference(_ stream: [UInt8], limit: Int) -> [LineFrame] {
        var pieces = stream.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        let last = pieces.removeLast()
        var frames: [LineFrame] = []
        for piece in pieces + (last.isEmpty ? [] : [last]) {
            var line = piece
            if line.last == 0x0D { line.removeLast() }
            frames.append(line.count > limit ? .tooLong(line.count) : .line(ByteBuffer(bytes: line)))
        }
        return frames
    }

    /// A frame's kind and content; the length of a `tooLong` depends on how the stream was cut, so it is left out.
    static func shape(_ frame: LineFrame) -> String {
        switch frame {
        case .line(let bytes): "line \(Array(bytes.readableBytesView))"
        case .tooLong: "tooLong"
        }
    }

    /// The ids of the responses a server owes for `stream`, in order: one per over-long or non-blank line that is not
    /// a valid notification.
    static func expectedAnswers(_ stream: [UInt8], limit: Int) -> [RPCID?] {
        reference(stream, limit: limit).compactMap { frame -> RPCID?? in
            guard case .line(let bytes) = frame else { return .some(nil) }
            let line = Array(bytes.readableBytesView)
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
    }
}
