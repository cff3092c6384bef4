#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads JSON text into a ``JSONValue`` byte by byte, without `Decodable`. Every request's line, result and
/// notification goes through a `JSONValue`; through `JSONDecoder` that took three quarters of the daemon's time for a
/// `runs.status` (make bench).
///
/// Strict RFC 8259 (numbers by the grammar, strings valid UTF-8 with their escapes, no trailing text), and it gives
/// up (nil) on anything else and on nesting deeper than ``JSONValue/maximumDepth``: the caller then asks `JSONDecoder`,
/// which refuses the text with its own reason, so malformed input is judged and worded as before. Numbers are classified
/// as ``JSONValue/init(from:)`` does: a number with no fraction or exponent that fits in `Int64` is
/// ``JSONValue/int(_:)``, one with a fraction or exponent and a value that is not whole is ``JSONValue/double(_:)``;
/// the reader gives up on the rest (see `readNumber`). Duplicate keys: the last one wins, as in `JSONDecoder`.
struct JSONValueReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    /// The value of `data`, or nil when it is not JSON as an encoder writes it.
    static func value(of data: Data) -> JSONValue? {
        data.withUnsafeBytes { bytes -> JSONValue? in
            var reader = JSONValueReader(bytes: bytes)
            guard let value = reader.readValue(depth: 0) else { return nil }
            reader.skipWhitespace()
            // Not a ternary: JSONValue is ExpressibleByNilLiteral, so `… ? value : nil` would read as `.null`.
            guard reader.position == bytes.count else { return nil }
            return value
        }
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func readValue(depth: Int) -> JSONValue? {
        guard depth < JSONValue.maximumDepth else { return nil }
        skipWhitespace()
        guard let byte = current else { return nil }
        switch byte {
        case UInt8(ascii: "{"): return readObject(depth: depth)
        case UInt8(ascii: "["): return readArray(depth: depth)
        case UInt8(ascii: "\""): return readString().map(JSONValue.string)
        case UInt8(ascii: "t"): return readLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return readLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return readLiteral("null", .null)
        default: return readNumber()
        }
    }

    private mutating func readLiteral(_ text: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = text.utf8CodeUnitCount
        guard position + count <= bytes.count else { return nil }
        for offset in 0..<count where bytes[position + offset] != text.utf8Start[offset] { return nil }
        position += count
        return value
    }

    private mutating func readObject(depth: Int) -> JSONValue? {
        position += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = readString() else { return nil }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            position += 1
            guard let value = readValue(depth: depth + 1) else { return nil }
            members[key] = value
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: return nil
            }
        }
    }

    private mutating func readArray(depth: Int) -> JSONValue? {
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            guard let value = readValue(depth: depth + 1) else { return nil }
            elements.append(value)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default: return nil
            }
        }
    }

    /// A string from its opening quote; the UTF-8 between escapes is taken as it is.
    private mutating func readString() -> String? {
        position += 1
        var utf8: [UInt8] = []
        var runStart = position
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                let run = UnsafeRawBufferPointer(rebasing: bytes[runStart..<position])
                position += 1
                if utf8.isEmpty { return String(validating: run, as: UTF8.self) }
                utf8.append(contentsOf: run)
                return String(validating: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                utf8.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<position]))
                position += 1
                guard let escaped = readEscape() else { return nil }
                utf8.append(contentsOf: String(escaped).utf8)
                runStart = position
            case 0..<0x20:
                return nil                                      // a raw control character: not JSON
            default:
                position += 1
            }
        }
        return nil
    }

    /// The character of an escape after its backslash; a UTF-16 surrogate pair is read as one.
    private mutating func readEscape() -> Character? {
        guard let byte = current else { return nil }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            guard let unit = readHexUnit() else { return nil }
            if UTF16.isLeadSurrogate(unit) {
                guard current == UInt8(ascii: "\\"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "u") else { return nil }
                position += 2
                guard let trail = readHexUnit(), UTF16.isTrailSurrogate(trail) else { return nil }
                let scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(trail) - 0xDC00)
                return Unicode.Scalar(scalar).map(Character.init)
            }
            return Unicode.Scalar(unit).map(Character.init)
        default: return nil
        }
    }

    private mutating func readHexUnit() -> UInt16? {
        guard position + 4 <= bytes.count else { return nil }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }

    private mutating func readNumber() -> JSONValue? {
        let start = position
        while let byte = current, Self.isNumberByte(byte) { position += 1 }
        let span = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
        guard Self.isJSONNumber(span) else { return nil }
        let text = String(decoding: span, as: UTF8.self)
        let integral = !span.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        if integral {
            // Too long for Int64: JSONDecoder's business.
            return Int64(text).map(JSONValue.int)
        }
        // A fraction or exponent. JSONDecoder reads a whole decimal value ("1.0", "1e2", "1e+16") as an integer, by a
        // rule of its own for digits beyond a Double's; an encoder writes whole numbers without either, but for
        // |x| ≥ 1e16. Those, and numbers that underflow to zero or overflow, are left to it.
        guard let value = Double(text), value.isFinite, value != 0, value != value.rounded(.towardZero) else { return nil }
        return .double(value)
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private static func isJSONNumber(_ text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        func digits() -> Int {
            let first = index
            while index < text.count, text[index] >= UInt8(ascii: "0"), text[index] <= UInt8(ascii: "9") { index += 1 }
            return index - first
        }
        if index < text.count, text[index] == UInt8(ascii: "-") { index += 1 }
        guard index < text.count else { return false }
        if text[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < text.count, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == text.count
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
             UInt8(ascii: "e"), UInt8(ascii: "E"): true
        default: false
        }
    }
}
