import Yams

/// Where in a configuration file a value sits: the mapping keys and sequence indices from the document's root.
/// Kept apart from `codingPath`, whose dictionary keys carry an `intValue` when they look like numbers.
enum KeyPathStep: Hashable, Sendable {
    case key(String)
    case index(Int)
}

/// Every mapping key a decode asked about, by the path of its mapping: what `YAMLFile.decode` compares the file's
/// keys with, so that a misspelt or misplaced key (`adress:`, `comparater:`) is an error instead of a setting
/// silently left at its default.
final class AskedKeys {
    private(set) var keys: [[KeyPathStep]: Set<String>] = [:]

    func record(_ key: String, at path: [KeyPathStep]) { keys[path, default: []].insert(key) }
    func record<S: Sequence<String>>(_ keys: S, at path: [KeyPathStep]) { self.keys[path, default: []].formUnion(keys) }
    func asked(at path: [KeyPathStep]) -> Set<String> { keys[path] ?? [] }
}

/// A `Decoder` that hands every request to `base` and records, in `asked`, each key the decoding code asked about
/// (decode, decodeIfPresent, contains, nested containers, super decoders, and the keys a dictionary enumerates
/// through `allKeys`) at every depth. Values are decoded by the base decoder exactly as without the wrapper, so
/// results and errors are unchanged; only non-scalar values are routed back through a wrapper to keep recording.
struct KeyRecordingDecoder: Decoder {
    let base: any Decoder
    let path: [KeyPathStep]
    let asked: AskedKeys

    init(base: any Decoder, path: [KeyPathStep] = [], asked: AskedKeys) {
        self.base = base
        self.path = path
        self.asked = asked
    }

    var codingPath: [any CodingKey] { base.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { base.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(KeyRecordingKeyedContainer(base: try base.container(keyedBy: type), path: path, asked: asked))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        KeyRecordingUnkeyedContainer(base: try base.unkeyedContainer(), path: path, asked: asked)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        KeyRecordingSingleValueContainer(decoder: self, base: try base.singleValueContainer())
    }

    /// Scalars (strings, numbers, booleans, dates…) hold no keys: the base decodes them directly, with Yams'
    /// own scalar rules.
    static func isScalar<T>(_ type: T.Type) -> Bool { type is any ScalarConstructible.Type }
}

struct KeyRecordingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let base: KeyedDecodingContainer<Key>
    let path: [KeyPathStep]
    let asked: AskedKeys

    var codingPath: [any CodingKey] { base.codingPath }

    /// A dictionary enumerates its keys: each is read as an entry, so each is asked about.
    var allKeys: [Key] {
        let keys = base.allKeys
        asked.record(keys.map(\.stringValue), at: path)
        return keys
    }

    private func ask(_ key: Key) -> [KeyPathStep] {
        asked.record(key.stringValue, at: path)
        return path + [.key(key.stringValue)]
    }

    func contains(_ key: Key) -> Bool {
        _ = ask(key)
        return base.contains(key)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        _ = ask(key)
        return try base.decodeNil(forKey: key)
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { _ = ask(key); return try base.decode(type, forKey: key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { _ = ask(key); return try base.decode(type, forKey: key) }

    /// A nested value is decoded through the base's decoder for `key`, wrapped, so its own keys are recorded too.
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let at = ask(key)
        if KeyRecordingDecoder.isScalar(type) { return try base.decode(type, forKey: key) }
        return try T(from: KeyRecordingDecoder(base: try base.superDecoder(forKey: key), path: at, asked: asked))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        let at = ask(key)
        return KeyedDecodingContainer(KeyRecordingKeyedContainer<NestedKey>(
            base: try base.nestedContainer(keyedBy: type, forKey: key), path: at, asked: asked))
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        let at = ask(key)
        return KeyRecordingUnkeyedContainer(base: try base.nestedUnkeyedContainer(forKey: key), path: at, asked: asked)
    }

    /// `super` is a key like any other to the file: asking for the super decoder asks for it.
    func superDecoder() throws -> any Decoder {
        asked.record("super", at: path)
        return KeyRecordingDecoder(base: try base.superDecoder(), path: path + [.key("super")], asked: asked)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        let at = ask(key)
        return KeyRecordingDecoder(base: try base.superDecoder(forKey: key), path: at, asked: asked)
    }
}

struct KeyRecordingUnkeyedContainer: UnkeyedDecodingContainer {
    var base: any UnkeyedDecodingContainer
    let path: [KeyPathStep]
    let asked: AskedKeys

    var codingPath: [any CodingKey] { base.codingPath }
    var count: Int? { base.count }
    var isAtEnd: Bool { base.isAtEnd }
    var currentIndex: Int { base.currentIndex }

    mutating func decodeNil() throws -> Bool { try base.decodeNil() }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }

    /// An element that is not a scalar is decoded through the base's decoder for it, wrapped (Yams' unkeyed
    /// `superDecoder()` is the current element's decoder, and moves on past it).
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if KeyRecordingDecoder.isScalar(type) { return try base.decode(type) }
        let at = path + [.index(base.currentIndex)]
        return try T(from: KeyRecordingDecoder(base: try base.superDecoder(), path: at, asked: asked))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let at = path + [.index(base.currentIndex)]
        return KeyedDecodingContainer(KeyRecordingKeyedContainer<NestedKey>(
            base: try base.nestedContainer(keyedBy: type), path: at, asked: asked))
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let at = path + [.index(base.currentIndex)]
        return KeyRecordingUnkeyedContainer(base: try base.nestedUnkeyedContainer(), path: at, asked: asked)
    }

    mutating func superDecoder() throws -> any Decoder {
        let at = path + [.index(base.currentIndex)]
        return KeyRecordingDecoder(base: try base.superDecoder(), path: at, asked: asked)
    }
}

/// A single value: scalars come from the base container; anything else decodes itself from the wrapped decoder
/// at the same place (what Yams' own single-value `decode` does with its decoder).
struct KeyRecordingSingleValueContainer: SingleValueDecodingContainer {
    let decoder: KeyRecordingDecoder
    let base: any SingleValueDecodingContainer

    var codingPath: [any CodingKey] { base.codingPath }

    func decodeNil() -> Bool { base.decodeNil() }

    func decode(_ type: Bool.Type) throws -> Bool { try base.decode(type) }
    func decode(_ type: String.Type) throws -> String { try base.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try base.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try base.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try base.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try base.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try base.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try base.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try base.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try base.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try base.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try base.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try base.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try base.decode(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if KeyRecordingDecoder.isScalar(type) { return try base.decode(type) }
        return try T(from: decoder)
    }
}
