import Foundation
import Synchronization

/// The report's canonical JSON (docs/report-schema.md): byte for byte what `QualificationReport.encoder()`, Foundation's
/// `JSONEncoder` with snake_case keys, sorted keys, pretty printing, unescaped slashes and non-finite numbers as
/// strings, writes, in a few times less work. A magnetometer run's 0.8 MB report cost Foundation's generic encoder
/// 2–5 % of the whole run's CPU.
///
/// The value is encoded into a tree (`Node`), then written out. What it takes from Foundation rather than repeating:
/// the snake_case spelling of each key, asked of `JSONEncoder` once per distinct key and kept. What it leaves to
/// Foundation: any value it does not write the same way (URL, Data, Decimal, Float, a superclass's encoder): it then
/// reports `nil` and the caller uses `JSONEncoder`.
///
/// Foundation's rules, as this writes them (checked in CanonicalJSONEncoderTests against `JSONEncoder` itself):
/// - keys sorted by `String`'s `<`; a `[String: …]` dictionary's keys are kept as they are, every other key converted;
/// - a double that is a whole number below 2^53 in magnitude is written as that integer ("100", "-0"), any other as
///   its `description` less a trailing ".0"; ±infinity and NaN as the strings "Infinity", "-Infinity", "NaN";
/// - in strings, `"` and `\` escaped, control characters as \b \t \n \f \r or \u00xx, everything else as UTF-8;
/// - two spaces of indent per level, `"key" : value`, and an empty object or array as its brackets around an empty
///   line.
enum CanonicalJSONEncoder {
    /// The canonical text of `value`, or nil when it holds something only `JSONEncoder` writes (see above).
    static func encode<T: Encodable>(_ value: T) throws -> Data? {
        let context = Context()
        let root = try context.node(for: value, convertKeys: true)
        guard !context.unsupported else { return nil }
        var text: [UInt8] = []
        text.reserveCapacity(1 << 16)
        write(root, level: 0, to: &text)
        return Data(text)
    }

    // MARK: The tree

    enum Node {
        case null
        case bool(Bool)
        case integer(String)
        case double(Double)
        case string(String)
        case array(ArrayBox)
        case object(ObjectBox)
    }

    final class ArrayBox {
        var items: [Node] = []
    }

    final class ObjectBox {
        /// Keys as written (converted where they are to be).
        var entries: [String: Node] = [:]
    }

    /// State shared by every encoder of one `encode` call.
    final class Context {
        var unsupported = false
        /// Snake_case spellings met in this call, in front of the process-wide table (no lock per key).
        var keys: [String: String] = [:]

        func node<T: Encodable>(for value: T, convertKeys: Bool) throws -> Node {
            switch value {
            case let value as Double: return .double(value)
            case let value as String: return .string(value)
            case let value as Bool: return .bool(value)
            case let value as Int: return .integer(String(value))
            case let value as Int64: return .integer(String(value))
            case is Float, is URL, is Data, is Decimal:
                // Written by JSONEncoder's own rules (a URL as its string, Data in base64…): left to it.
                unsupported = true
                return .null
            default:
                break
            }
            // A [String: …] dictionary keeps its keys as they are, as in JSONEncoder.
            let keepKeys = value is any StringKeyedDictionary
            let encoder = TreeEncoder(context: self, convertKeys: convertKeys && !keepKeys)
            try value.encode(to: encoder)
            // A value that encoded nothing is an empty object, as in JSONEncoder.
            return encoder.root ?? .object(ObjectBox())
        }

        /// `key` as JSONEncoder's `.convertToSnakeCase` writes it.
        func snakeCase(_ key: String) -> String {
            if let known = keys[key] { return known }
            let converted = SnakeCaseKeys.spelling(of: key)
            keys[key] = converted
            return converted
        }
    }

    // MARK: Writing

    static func write(_ node: Node, level: Int, to text: inout [UInt8]) {
        switch node {
        case .null: text.append(contentsOf: "null".utf8)
        case .bool(let value): text.append(contentsOf: (value ? "true" : "false").utf8)
        case .integer(let digits): text.append(contentsOf: digits.utf8)
        case .double(let value): writeNumber(value, to: &text)
        case .string(let value): writeString(value, to: &text)
        case .array(let box):
            text.append(UInt8(ascii: "["))
            writeMembers(count: box.items.count, level: level, to: &text) { index, text in
                write(box.items[index], level: level + 1, to: &text)
            }
            text.append(UInt8(ascii: "]"))
        case .object(let box):
            let keys = box.entries.keys.sorted()
            text.append(UInt8(ascii: "{"))
            writeMembers(count: keys.count, level: level, to: &text) { index, text in
                writeString(keys[index], to: &text)
                text.append(contentsOf: " : ".utf8)
                write(box.entries[keys[index]]!, level: level + 1, to: &text)
            }
            text.append(UInt8(ascii: "}"))
        }
    }

    /// Between the brackets: each member on a line of its own, indented one level deeper, commas between; an empty
    /// line for none.
    private static func writeMembers(count: Int, level: Int, to text: inout [UInt8],
                                     _ member: (Int, inout [UInt8]) -> Void) {
        text.append(UInt8(ascii: "\n"))
        if count == 0 { text.append(UInt8(ascii: "\n")) }
        for index in 0..<count {
            indent(level + 1, &text)
            member(index, &text)
            if index < count - 1 { text.append(UInt8(ascii: ",")) }
            text.append(UInt8(ascii: "\n"))
        }
        indent(level, &text)
    }

    private static func indent(_ level: Int, _ text: inout [UInt8]) {
        text.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
    }

    static func writeNumber(_ value: Double, to text: inout [UInt8]) {
        guard value.isFinite else {
            writeString(value.isNaN ? "NaN" : (value > 0 ? "Infinity" : "-Infinity"), to: &text)
            return
        }
        if value == value.rounded(.towardZero), value.magnitude < 9_007_199_254_740_992 {
            if value.sign == .minus { text.append(UInt8(ascii: "-")) }
            text.append(contentsOf: String(UInt64(value.magnitude)).utf8)
            return
        }
        // A fraction or a large number: its `description`, less a trailing ".0" (2^53 itself is "9007199254740992.0").
        let spelled = value.description
        text.append(contentsOf: (spelled.hasSuffix(".0") ? spelled.dropLast(2) : spelled[...]).utf8)
    }

    static func writeString(_ value: String, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): text.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): text.append(contentsOf: #"\\"#.utf8)
            case 0x08: text.append(contentsOf: #"\b"#.utf8)
            case 0x09: text.append(contentsOf: #"\t"#.utf8)
            case 0x0A: text.append(contentsOf: #"\n"#.utf8)
            case 0x0C: text.append(contentsOf: #"\f"#.utf8)
            case 0x0D: text.append(contentsOf: #"\r"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                text.append(contentsOf: #"\u00"#.utf8)
                text.append(hex[Int(byte >> 4)])
                text.append(hex[Int(byte & 0xF)])
            default: text.append(byte)
            }
        }
        text.append(UInt8(ascii: "\""))
    }
}

/// A `[String: Value]` dictionary: its keys are not converted.
protocol StringKeyedDictionary {}
extension Dictionary: StringKeyedDictionary where Key == String {}

/// JSONEncoder's `.convertToSnakeCase` spelling of keys, asked of JSONEncoder once per key and kept for the process:
/// the report's types have a few hundred keys.
enum SnakeCaseKeys {
    private static let known = Mutex<[String: String]>([:])

    static func spelling(of key: String) -> String {
        if let spelling = known.withLock({ $0[key] }) { return spelling }
        let spelling = ask(key)
        // Keys come from the report's types, plus the string forms of integer dictionary keys: bounded all the same.
        known.withLock { if $0.count < 10_000 { $0[key] = spelling } }
        return spelling
    }

    /// `{"<key>":0}` through a snake_case JSONEncoder, read back.
    private static func ask(_ key: String) -> String {
        struct Probe: Encodable {
            let key: String
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: AnyKey.self)
                try container.encode(0, forKey: AnyKey(stringValue: key))
            }
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(Probe(key: key)),
              let object = try? JSONDecoder().decode([String: Int].self, from: data),
              let spelling = object.keys.first else { return key }
        return spelling
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

// MARK: - The Encoder

private final class TreeEncoder: Encoder {
    let context: CanonicalJSONEncoder.Context
    let convertKeys: Bool
    var root: CanonicalJSONEncoder.Node?
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(context: CanonicalJSONEncoder.Context, convertKeys: Bool) {
        self.context = context
        self.convertKeys = convertKeys
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let box: CanonicalJSONEncoder.ObjectBox
        if case .object(let existing) = root { box = existing } else {
            box = CanonicalJSONEncoder.ObjectBox()
            root = .object(box)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, box: box))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let box: CanonicalJSONEncoder.ArrayBox
        if case .array(let existing) = root { box = existing } else {
            box = CanonicalJSONEncoder.ArrayBox()
            root = .array(box)
        }
        return UnkeyedContainer(encoder: self, box: box)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }

    func node<T: Encodable>(for value: T) throws -> CanonicalJSONEncoder.Node {
        // Keys inside a value are converted unless the value itself is a [String: …] dictionary (decided there).
        try context.node(for: value, convertKeys: true)
    }

    /// A Float: left to JSONEncoder (its spelling of a Float is its own).
    func unsupportedValue() -> CanonicalJSONEncoder.Node {
        context.unsupported = true
        return .null
    }

    /// A superclass's encoder: left to JSONEncoder.
    func unsupported() -> any Encoder {
        context.unsupported = true
        return TreeEncoder(context: context, convertKeys: convertKeys)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: TreeEncoder
    let box: CanonicalJSONEncoder.ObjectBox
    var codingPath: [any CodingKey] { [] }

    private func name(_ key: Key) -> String {
        encoder.convertKeys ? encoder.context.snakeCase(key.stringValue) : key.stringValue
    }

    mutating func encodeNil(forKey key: Key) throws { box.entries[name(key)] = .null }
    mutating func encode(_ value: Bool, forKey key: Key) throws { box.entries[name(key)] = .bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { box.entries[name(key)] = .string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { box.entries[name(key)] = .double(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { box.entries[name(key)] = .integer(String(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { box.entries[name(key)] = encoder.unsupportedValue() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.entries[name(key)] = try encoder.node(for: value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey> {
        let nested = TreeEncoder(context: encoder.context, convertKeys: encoder.convertKeys)
        let container = nested.container(keyedBy: keyType)
        box.entries[name(key)] = nested.root
        return container
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = TreeEncoder(context: encoder.context, convertKeys: encoder.convertKeys)
        let container = nested.unkeyedContainer()
        box.entries[name(key)] = nested.root
        return container
    }

    mutating func superEncoder() -> any Encoder { encoder.unsupported() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { encoder.unsupported() }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: TreeEncoder
    let box: CanonicalJSONEncoder.ArrayBox
    var codingPath: [any CodingKey] { [] }
    var count: Int { box.items.count }

    mutating func encodeNil() throws { box.items.append(.null) }
    mutating func encode(_ value: Bool) throws { box.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
    mutating func encode(_ value: Double) throws { box.items.append(.double(value)) }
    mutating func encode(_ value: Int) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: Int8) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: Int16) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: Int32) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: Int64) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: UInt) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: UInt8) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: UInt16) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: UInt32) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: UInt64) throws { box.items.append(.integer(String(value))) }
    mutating func encode(_ value: Float) throws { box.items.append(encoder.unsupportedValue()) }
    mutating func encode<T: Encodable>(_ value: T) throws { box.items.append(try encoder.node(for: value)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = TreeEncoder(context: encoder.context, convertKeys: encoder.convertKeys)
        let container = nested.container(keyedBy: keyType)
        box.items.append(nested.root!)
        return container
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = TreeEncoder(context: encoder.context, convertKeys: encoder.convertKeys)
        let container = nested.unkeyedContainer()
        box.items.append(nested.root!)
        return container
    }

    mutating func superEncoder() -> any Encoder { encoder.unsupported() }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { encoder.root = .null }
    mutating func encode(_ value: Bool) throws { encoder.root = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.root = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.root = .double(value) }
    mutating func encode(_ value: Int) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: Int8) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: Int16) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: Int32) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: Int64) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: UInt) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: UInt8) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: UInt16) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: UInt32) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: UInt64) throws { encoder.root = .integer(String(value)) }
    mutating func encode(_ value: Float) throws { encoder.root = encoder.unsupportedValue() }
    mutating func encode<T: Encodable>(_ value: T) throws { encoder.root = try encoder.node(for: value) }
}
