import Foundation
import Testing
@testable import ControlProtocol

/// `JSONValue(parsing:)` and `JSONValue(encoding:)` read text with `JSONValueReader`: it must give exactly what
/// `JSONDecoder` gives (the known answer) for whatever the encoder writes, and accept nothing JSONDecoder refuses.
@Suite struct JSONValueReaderTests {
    /// The fuzz tests' seeded generator, so a failure names a tree that can be built again.
    struct Random {
        var generator: SplitMix64
        init(state: UInt64) { generator = SplitMix64(seed: state) }
        mutating func next() -> UInt64 { generator.next() }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    static let texts = ["", "S1", "quote \" and backslash \\ and slash /", "tab\tnew\nline\r", "bell \u{07} nul \u{00}",
                        "µT ±100 Pa", "emoji 🎤 and 𝄞", "\u{FEFF}bom", "é vs e\u{301}", "{\"not\": [\"json\"]}"]
    static let numbers: [Double] = [0, -0.0, 1, -1, 0.5, 1e-7, 101_325.25, 1e15, 1e16, 1e300, -1e-300, .leastNonzeroMagnitude,
                                     9_007_199_254_740_992, 9.223372036854775807e18, -9.223372036854775808e18, 1e19,
                                     1.2345678901234567e18, .nan, .infinity, -.infinity, 1.0 / 3]

    /// A random tree of every kind of value, as deep as `depth`.
    static func tree(_ random: inout Random, depth: Int) -> JSONValue {
        switch random.below(depth > 0 ? 9 : 7) {
        case 0: return .null
        case 1: return .bool(random.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: random.next()) >> random.below(64))
        case 3: return .double(numbers[random.below(numbers.count)])
        case 4: return .double(Double(bitPattern: random.next()))
        case 5, 6: return .string(texts[random.below(texts.count)] + String(random.below(1000)))
        case 7: return .array((0..<random.below(5)).map { _ in tree(&random, depth: depth - 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<random.below(5) { members[texts[random.below(texts.count)]] = tree(&random, depth: depth - 1) }
            return .object(members)
        }
    }

    /// What the reader reads is what JSONDecoder reads; where it gives up (whole numbers written with an exponent,
    /// |x| ≥ 1e16, and other numbers JSONDecoder rounds by a rule of its own), `JSONValue(encoding:)` still gives
    /// JSONDecoder's value.
    @Test func readsBackWhatJSONDecoderReads() throws {
        var random = Random(state: 7)
        for _ in 0..<3_000 {
            let value = Self.tree(&random, depth: 4)
            let data = try JSONCoding.makeEncoder().encode(value)
            let decoded = try JSONCoding.makeDecoder().decode(JSONValue.self, from: data)
            if let read = JSONValueReader.value(of: data) { #expect(read == decoded, "\(String(decoding: data, as: UTF8.self))") }
            #expect(try JSONValue(encoding: value) == decoded)
        }
    }

    /// A run's readings and figures, ids, counts and texts: the reader reads them all, without the fallback.
    @Test func readsTheUsualValuesItself() throws {
        let usual: JSONValue = .object([
            "pressure_pa": .double(101_325.015_625), "noise": .double(0.5834), "tiny": .double(1e-7), "third": .double(1.0 / 3),
            "negative": .double(-12.345678901234567), "subnormal": .double(.leastNonzeroMagnitude), "count": .int(.max),
            "least": .int(.min), "whole": .double(2), "texts": .array(Self.texts.map(JSONValue.string)),
            "flags": .array([.bool(true), .bool(false), .null]), "empty": .object([:]), "none": .array([]),
        ])
        let data = try JSONCoding.makeEncoder().encode(usual)
        let read = try #require(JSONValueReader.value(of: data))
        #expect(read == (try JSONCoding.makeDecoder().decode(JSONValue.self, from: data)))
    }

    /// What the daemon encodes most: a run's status, with its figures and nested DUTs.
    @Test func readsARunStatusAsJSONDecoderDoes() throws {
        let text = """
            {"id": "20261127-192329-1", "plan": "bench-mag", "spec": "miit-2020", "state": "measuring", "simulated": true,
             "elapsed_s": 12.5, "planned_s": 159, "started_utc": "2026-11-27T19:23:29.961Z",
             "step": {"index": 2, "count": 3, "name": "noise"},
             "duts": [{"slot": "B1"}, {"slot": "B2", "serial": "MAG-0002", "lost": "NACK (EREMOTEIO)"}]}
            """
        let status = try JSONDecoder().decode(RunStatus.self, from: Data(text.utf8))
        let data = try JSONCoding.makeEncoder().encode(status)
        #expect(JSONValueReader.value(of: data) == (try JSONCoding.makeDecoder().decode(JSONValue.self, from: data)))
        #expect(try JSONValue(encoding: status).decode(RunStatus.self) == status)
    }

    /// Text that is not JSON makes the reader give up, so that JSONDecoder refuses it with its own reason.
    @Test func givesUpOnAnythingElse() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "tru", "\"open", "\"bad \\x escape\"", "\"\\ud800 lone\"", "1 2",
                     "\"raw\ncontrol\"", "[" + String(repeating: "[", count: 70) + String(repeating: "]", count: 71),
                     "01", "+1", "1.", ".5", "-", "1e", "1e+", "--1", "0x10", "NaN", "1e400", "\u{FEFF}{}"] {
            #expect(JSONValueReader.value(of: Data(text.utf8)) == nil, "\(text)")
        }
    }

    /// Requests come from anyone: whatever the reader accepts of seeded byte mutations of valid JSON, JSONDecoder
    /// accepts too, with the same value (what it refuses, the reader gave up on).
    @Test func acceptsNothingJSONDecoderRefuses() throws {
        var random = Random(state: 11)
        let alphabet = Array("{}[],:\"\\ 0123456789-+.eEtrufalsn\u{00}\t\n/ué".utf8)
        var accepted = 0
        for _ in 0..<4_000 {
            var bytes = Array(try JSONCoding.makeEncoder().encode(Self.tree(&random, depth: 3)))
            for _ in 0...random.below(3) where !bytes.isEmpty {
                let at = random.below(bytes.count)
                switch random.below(3) {
                case 0: bytes[at] = alphabet[random.below(alphabet.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[random.below(alphabet.count)], at: at)
                }
            }
            let data = Data(bytes)
            guard let read = JSONValueReader.value(of: data) else { continue }
            accepted += 1
            #expect(read == (try? JSONCoding.makeDecoder().decode(JSONValue.self, from: data)), "\(String(decoding: data, as: UTF8.self))")
        }
        #expect(accepted > 500, "the mutations should leave some texts valid: \(accepted)")
    }
}
