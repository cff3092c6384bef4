import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a small seeded generator, so every fuzz case can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutations of request lines for the protocol fuzz test: the classic byte-level ones (bit flips, deletions,
/// insertions, truncation, splicing) and structure-aware ones aimed at a JSON parser (duplicated keys, deep nesting,
/// huge numbers, invalid UTF-8, over-long lines).
struct ByteMutator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }
    mutating func pick<T>(_ values: [T]) -> T { values[int(0..<values.count)] }

    /// Bytes any parser should meet: JSON punctuation, escapes, invalid UTF-8 and control characters.
    static let interesting: [[UInt8]] = [
        Array("{".utf8), Array("}".utf8), Array("[".utf8), Array("]".utf8), Array("\"".utf8), Array(":".utf8),
        Array(",".utf8), Array("\\".utf8), Array("\\u".utf8), Array("\\ud800".utf8), Array("\\udc00\\ud800".utf8),
        Array("null".utf8), Array("true".utf8), Array("-0".utf8), Array("1e400".utf8), Array("-1e-400".utf8),
        Array("9223372036854775808".utf8), Array("-9223372036854775809".utf8), Array("123456789012345678901234567890.5".utf8),
        Array("NaN".utf8), Array("\"Infinity\"".utf8), Array("0x10".utf8), Array("01".utf8), Array(".5".utf8),
        [0xFF], [0xFE], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x00], [0x0D], [0x09],
        [0x1B], [0x7F], Array("\u{FEFF}".utf8), Array("\u{2028}".utf8),
    ]

    /// One mutation of `line`, never containing `\n` (that would make two lines; the stream generator adds them).
    mutating func mutate(_ line: [UInt8]) -> [UInt8] {
        var bytes = line
        switch int(0..<12) {
        case 0 where !bytes.isEmpty:  // bit flips
            for _ in 0..<int(1..<4) {
                let i = int(0..<bytes.count)
                bytes[i] ^= UInt8(1 << int(0..<8))
            }
        case 1 where !bytes.isEmpty:  // delete a run
            let start = int(0..<bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + int(1..<8)))
        case 2:  // insert interesting bytes
            bytes.insert(contentsOf: pick(Self.interesting), at: int(0..<(bytes.count + 1)))
        case 3 where !bytes.isEmpty:  // truncate
            bytes = Array(bytes.prefix(int(0..<bytes.count)))
        case 4:  // duplicate a key
            let key = pick(["\"id\":\"dup\",", "\"id\":1,", "\"method\":\"echo\",", "\"jsonrpc\":\"1.0\",", "\"params\":7,",
                            "\"id\":null,", "\"result\":1,", "\"error\":{\"code\":1,\"message\":\"m\"},"])
            if let brace = bytes.firstIndex(of: UInt8(ascii: "{")) {
                bytes.insert(contentsOf: Array(key.utf8), at: brace + 1)
            }
        case 5:  // deep nesting, in params or as the whole line
            let depth = pick([10, 60, 61, 62, 63, 100, 511, 5000, 30_000])
            let open = pick(["[", "{\"a\":"])
            let close = open == "[" ? "]" : "}"
            let nest = String(repeating: open, count: depth) + "1" + String(repeating: close, count: chance(0.8) ? depth : depth / 2)
            if chance(0.5) {
                bytes = Array(("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[" + nest + "]}").utf8)
            } else {
                bytes = Array(nest.utf8)
            }
        case 6:  // huge or odd numbers in place of the id or a param
            let number = pick(["1e400", "-1e400", "1e-400", "9223372036854775807", "9223372036854775808", "-0", "0.0",
                               "1.5", String(repeating: "9", count: 400), "1" + String(repeating: "0", count: 5000) + ".5"])
            bytes = Array(("{\"jsonrpc\":\"2.0\",\"id\":\(chance(0.5) ? number : "2"),\"method\":\"add\",\"params\":{\"a\":\(number),\"b\":1}}").utf8)
        case 7:  // invalid UTF-8 inside a string
            let bad: [UInt8] = pick([[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF]])
            if let quote = bytes.lastIndex(of: UInt8(ascii: "\"")) {
                bytes.insert(contentsOf: bad, at: quote)
            } else {
                bytes += bad
            }
        case 8:  // long lines: just under, at and over the limit
            let length = pick([65_000, 65_536 - 60, 65_536, 70_000, 200_000])
            let filler = [UInt8](repeating: UInt8(ascii: "a"), count: max(0, length - 60))
            bytes = Array("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"echo\",\"params\":[\"".utf8) + filler + Array("\"]}".utf8)
        case 9:  // random bytes
            bytes = (0..<int(0..<200)).map { _ in UInt8.random(in: 0...255, using: &random) }
        case 10:  // splice two halves of the line
            let cut = int(0..<(bytes.count + 1))
            bytes = Array(bytes[cut...] + bytes[..<cut])
        default:  // repeat a piece
            if !bytes.isEmpty {
                let start = int(0..<bytes.count)
                let piece = bytes[start..<min(bytes.count, start + int(1..<16))]
                for _ in 0..<int(1..<50) { bytes.insert(contentsOf: piece, at: start) }
            }
        }
        bytes.removeAll { $0 == UInt8(ascii: "\n") }
        return bytes
    }
}

/// The resident set size of this process, in bytes, from /proc/self/statm (0 where there is none).
func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * 4096
}
