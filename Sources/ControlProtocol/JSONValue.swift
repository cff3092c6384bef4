#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON value, as carried in JSON-RPC params, results and error data.
///
/// Integers are kept apart from floating-point numbers and stay exact over the whole `Int64` range. A JSON number
/// with no fractional part (`1`, `1.0`, `1e2`) that fits in `Int64` decodes as ``int(_:)``; any other number decodes
/// as ``double(_:)``. Since JSON does not tell `1.0` from `1`, a ``double(_:)`` with an integral value comes back as
/// ``int(_:)`` after a round trip; ``doubleValue`` reads both.
///
/// Encoding is total: a non-finite ``double(_:)`` is written as the string `"NaN"`, `"Infinity"` or `"-Infinity"`.
/// ``description`` and ``jsonData()`` give compact one-line JSON with sorted keys.
public enum JSONValue: Sendable, Equatable, Hashable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number with no fractional part that fits in `Int64`, kept exact.
    case int(Int64)
    /// Any other number.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object; key order is not significant and is sorted when encoded.
    case object([String: JSONValue])
}

// MARK: - Codable

extension JSONValue: Codable {
    /// Decodes any JSON value; see the type's documentation for how numbers are classified.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            // Strings before doubles: a decoder that reads "NaN" as a Double must not turn the string into a number.
            self = .string(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    /// Encodes the value; a non-finite double becomes the string `"NaN"`, `"Infinity"` or `"-Infinity"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value):
            if value.isFinite {
                try container.encode(value)
            } else {
                try container.encode(JSONCoding.nonFiniteName(value))
            }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

// MARK: - Conversions

extension JSONValue {
    /// Converts any `Encodable` value to its JSON form, as `JSONEncoder` would write it.
    ///
    /// Non-finite `Double` fields become the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
    /// - Throws: `EncodingError` if `value` cannot be encoded.
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONValueEncoder.encode(value)
    }

    /// Decodes a `Decodable` value from this JSON value, as `JSONDecoder` would from its text.
    ///
    /// - Throws: `DecodingError` if the value does not have the shape `T` needs.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONCoding.makeDecoder().decode(T.self, from: self.jsonData())
    }

    /// Parses one JSON text.
    ///
    /// - Throws: `DecodingError` if `data` is not valid JSON, or nests arrays and objects deeper than
    ///   ``maximumDepth``.
    public init(parsing data: Data) throws {
        if let depth = Self.excessiveDepth(of: data) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: [],
                debugDescription: "arrays and objects nested \(depth) deep; the limit is \(Self.maximumDepth)"))
        }
        // Read without Decodable; JSONDecoder only for what the reader gives up on, to refuse it with its reason.
        self = try JSONValueReader.value(of: data) ?? JSONCoding.makeDecoder().decode(JSONValue.self, from: data)
    }

    /// The deepest nesting of arrays and objects accepted, the outermost included.
    ///
    /// Encoding a value (params are re-encoded to be decoded into their struct) recurses through JSONEncoder at about
    /// 16 kB of stack per level in a debug build: 512 levels, all Foundation's decoder allows, overflowed the 8 MiB
    /// stack of a concurrency thread and killed the process (found by ProtocolFuzzTests). 64 levels stay near 1 MiB;
    /// the deepest message of the protocol, a `reports.get` response, nests about 12 deep.
    public static let maximumDepth = 64

    /// The nesting depth reached, once it passes ``maximumDepth``; `nil` if it never does. Brackets inside strings
    /// do not count. A scan of the bytes, cheaper than the parse it saves.
    static func excessiveDepth(of data: Data) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in data {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maximumDepth { return depth }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
            default:
                break
            }
        }
        return nil
    }

    /// Parses one JSON text.
    ///
    /// - Throws: `DecodingError` if `text` is not valid JSON.
    public init(parsing text: String) throws {
        try self.init(parsing: Data(text.utf8))
    }

    /// Compact one-line UTF-8 JSON with sorted keys and no trailing newline.
    public func jsonData() -> Data {
        Data(jsonBytes())
    }

    /// ``jsonData()`` as bytes (`JSONValueWriter`).
    func jsonBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        JSONValueWriter.write(self, into: &bytes)
        return bytes
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact one-line JSON text with sorted keys.
    public var description: String {
        String(decoding: self.jsonData(), as: UTF8.self)
    }
}

// MARK: - Access

extension JSONValue {
    /// The member named `key` of an object; `nil` if this is not an object or has no such member.
    public subscript(key: String) -> JSONValue? {
        get {
            guard case .object(let members) = self else { return nil }
            return members[key]
        }
        set {
            guard case .object(var members) = self else { return }
            members[key] = newValue
            self = .object(members)
        }
    }

    /// The element at `index` of an array; `nil` if this is not an array or the index is out of range.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    /// Whether this is `null`.
    public var isNull: Bool { self == .null }

    /// The boolean, if this is one.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The integer, if this is ``int(_:)``.
    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The number as a `Double`, if this is ``int(_:)`` or ``double(_:)``.
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The string, if this is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, if this is an object.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }
}

// MARK: - Literals

extension JSONValue: ExpressibleByNilLiteral {
    /// `nil` is JSON `null`.
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// A boolean literal.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// An integer literal, kept exact.
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// A floating-point literal.
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// A string literal.
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// An array literal.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object literal; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: - Coders

/// The one JSON configuration of the control protocol: compact, sorted keys, `/` unescaped, and non-finite
/// doubles as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` both ways.
enum JSONCoding {
    static let nan = "NaN"
    static let infinity = "Infinity"
    static let negativeInfinity = "-Infinity"

    static func nonFiniteName(_ value: Double) -> String {
        value.isNaN ? nan : (value > 0 ? infinity : negativeInfinity)
    }

    /// The encoder whose text `JSONValueWriter` writes and whose values `JSONValueEncoder` builds: the daemon no longer
    /// encodes through it, their tests compare with it. A new encoder for each use keeps callers free of shared state.
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return encoder
    }

    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinity, negativeInfinity: negativeInfinity, nan: nan)
        return decoder
    }
}
