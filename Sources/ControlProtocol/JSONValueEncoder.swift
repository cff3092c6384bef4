#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encodes an `Encodable` value straight into a ``JSONValue``: what `JSONEncoder` (with `JSONCoding.makeEncoder()`'s
/// settings) writes, read back by ``JSONValue/init(parsing:)``, without the text in between. Every result the daemon
/// answers is made this way; through the text, a `runs.status` answer was encoded, parsed and encoded again.
///
/// The same value as the round trip (JSONValueEncoderTests compares them): a whole number that fits in `Int64` is
/// ``JSONValue/int(_:)`` whatever its Swift type (`100.0` too, since the text `100` reads back so), any other number
/// ``JSONValue/double(_:)``, a `Float` by its own shortest decimal form (`0.1`, not 0.10000000149011612); a
/// non-finite number the string `"NaN"`, `"Infinity"` or `"-Infinity"`; `Data` as Base64, `URL` as its absolute
/// string, `Date` by its own encoding (seconds since 2001), as `JSONEncoder`'s defaults do; a value that encodes
/// nothing `{}`.
struct JSONValueEncoder {
    static func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try box(value, path: nil)
    }

    /// The JSON form of one value, `path` its place for error messages.
    fileprivate static func box<T: Encodable>(_ value: T, path: CodingPathLink?) throws -> JSONValue {
        // Types compared, not cast: a dynamic cast per value was a tenth of JSONEncoder's time.
        if T.self == JSONValue.self { return normalized(value as! JSONValue) }
        if T.self == Data.self { return .string((value as! Data).base64EncodedString()) }
        if T.self == URL.self { return .string((value as! URL).absoluteString) }
        let node = EncodingNode()
        try value.encode(to: NodeEncoder(node: node, path: path))
        return node.json
    }

    /// A JSON value as its text reads back: whole doubles as integers, non-finite ones as strings.
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let double): number(double)
        case .array(let elements): .array(elements.map(normalized))
        case .object(let members): .object(members.mapValues(normalized))
        case .null, .bool, .int, .string: value
        }
    }

    /// A number as the text `JSONEncoder` writes for it reads back.
    static func number(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .string(JSONCoding.nonFiniteName(value)) }
        guard value == value.rounded(.towardZero) else { return .double(value) }
        return wholeNumber(value).map(JSONValue.int) ?? .double(value)
    }

    /// The integer a whole double's text reads back as, if it fits in `Int64`. Below 10¹⁶ the text has every digit
    /// (`9007199254740992`); from there on it is the shortest decimal that rounds to the double (`1.2345678901234568e+18`),
    /// and JSONDecoder takes that decimal's own value, 1234567890123456800, not the double's 1234567890123456768.
    private static func wholeNumber(_ value: Double) -> Int64? {
        if value.magnitude < 1e16 { return Int64(value) }
        // "1.2345678901234568e+18": the mantissa's digits, scaled by ten to the exponent less its fraction digits.
        let parts = value.magnitude.description.split(separator: "e")
        guard parts.count == 2, let exponent = Int(parts[1]) else { return nil }
        let mantissa = parts[0].split(separator: ".", maxSplits: 1)
        let fraction = mantissa.count == 2 ? mantissa[1] : ""
        guard exponent >= fraction.count, var magnitude = UInt64(mantissa[0] + fraction) else { return nil }
        for _ in 0..<(exponent - fraction.count) {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            magnitude = product
        }
        if value < 0 { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    static func number<I: BinaryInteger>(_ value: I) -> JSONValue {
        Int64(exactly: value).map(JSONValue.int) ?? .double(Double(value))
    }

    static func number(_ value: Float) -> JSONValue {
        value.isFinite ? number(Double(value.description) ?? Double(value)) : number(Double(value))
    }
}

/// The coding path, linked from the innermost key out: built only when an error asks for it.
fileprivate final class CodingPathLink {
    let parent: CodingPathLink?
    let key: any CodingKey

    init(parent: CodingPathLink?, key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    static func path(_ link: CodingPathLink?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var link = link
        while let current = link {
            keys.append(current.key)
            link = current.parent
        }
        return keys.reversed()
    }
}

/// What one value's `encode(to:)` has written so far: nothing yet, a single value, or a container whose nested
/// containers may still be written to until the value's `encode(to:)` returns.
fileprivate final class EncodingNode {
    enum Member {
        case value(JSONValue)
        case node(EncodingNode)

        var json: JSONValue {
            switch self {
            case .value(let value): value
            case .node(let node): node.json
            }
        }
    }

    enum Kind { case empty, single, object, array }

    var kind = Kind.empty
    var single = JSONValue.null
    var members: [String: Member] = [:]
    var elements: [Member] = []

    var json: JSONValue {
        switch kind {
        case .empty: .object([:])
        case .single: single
        case .object: .object(members.mapValues(\.json))
        case .array: .array(elements.map(\.json))
        }
    }

    func becomeObject() {
        precondition(kind == .empty || kind == .object, "a value encoded a keyed container after another kind")
        kind = .object
    }

    func becomeArray() {
        precondition(kind == .empty || kind == .array, "a value encoded an unkeyed container after another kind")
        kind = .array
    }

    func set(_ value: JSONValue) {
        precondition(kind == .empty || kind == .single, "a value encoded a single value after a container")
        kind = .single
        single = value
    }
}

fileprivate struct NodeEncoder: Encoder {
    let node: EncodingNode
    let path: CodingPathLink?

    var codingPath: [any CodingKey] { CodingPathLink.path(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, path: path))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        node.becomeArray()
        return UnkeyedNodeContainer(node: node, path: path)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, path: path)
    }
}

fileprivate struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let path: CodingPathLink?

    var codingPath: [any CodingKey] { CodingPathLink.path(path) }

    private func put(_ value: JSONValue, _ key: Key) { node.members[key.stringValue] = .value(value) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(JSONValueEncoder.number(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(JSONValueEncoder.number(value), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(JSONValueEncoder.number(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.int(Int64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(JSONValueEncoder.number(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        put(try JSONValueEncoder.box(value, path: CodingPathLink(parent: path, key: key)), key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        child.becomeObject()
        node.members[key.stringValue] = .node(child)
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, path: CodingPathLink(parent: path, key: key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        child.becomeArray()
        node.members[key.stringValue] = .node(child)
        return UnkeyedNodeContainer(node: child, path: CodingPathLink(parent: path, key: key))
    }

    mutating func superEncoder() -> any Encoder { superEncoder(named: "super") }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named name: String) -> any Encoder {
        let child = EncodingNode()
        node.members[name] = .node(child)
        return NodeEncoder(node: child, path: CodingPathLink(parent: path, key: JSONPathKey(name)))
    }
}

fileprivate struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let path: CodingPathLink?

    var codingPath: [any CodingKey] { CodingPathLink.path(path) }
    var count: Int { node.elements.count }

    private func put(_ value: JSONValue) { node.elements.append(.value(value)) }
    private var nextPath: CodingPathLink { CodingPathLink(parent: path, key: JSONPathKey(index: count)) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(JSONValueEncoder.number(value)) }
    mutating func encode(_ value: Float) throws { put(JSONValueEncoder.number(value)) }
    mutating func encode(_ value: Int) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { put(.int(value)) }
    mutating func encode(_ value: UInt) throws { put(JSONValueEncoder.number(value)) }
    mutating func encode(_ value: UInt8) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { put(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { put(JSONValueEncoder.number(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        put(try JSONValueEncoder.box(value, path: nextPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        child.becomeObject()
        let childPath = nextPath
        node.elements.append(.node(child))
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, path: childPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        child.becomeArray()
        let childPath = nextPath
        node.elements.append(.node(child))
        return UnkeyedNodeContainer(node: child, path: childPath)
    }

    mutating func superEncoder() -> any Encoder {
        let child = EncodingNode()
        let childPath = nextPath
        node.elements.append(.node(child))
        return NodeEncoder(node: child, path: childPath)
    }
}

fileprivate struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let path: CodingPathLink?

    var codingPath: [any CodingKey] { CodingPathLink.path(path) }

    mutating func encodeNil() throws { node.set(.null) }
    mutating func encode(_ value: Bool) throws { node.set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.set(.string(value)) }
    mutating func encode(_ value: Double) throws { node.set(JSONValueEncoder.number(value)) }
    mutating func encode(_ value: Float) throws { node.set(JSONValueEncoder.number(value)) }
    mutating func encode(_ value: Int) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int8) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int16) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int32) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { node.set(.int(value)) }
    mutating func encode(_ value: UInt) throws { node.set(JSONValueEncoder.number(value)) }
    mutating func encode(_ value: UInt8) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: UInt16) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: UInt32) throws { node.set(.int(Int64(value))) }
    mutating func encode(_ value: UInt64) throws { node.set(JSONValueEncoder.number(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        node.set(try JSONValueEncoder.box(value, path: path))
    }
}

/// A key of the coding path that no `CodingKeys` names: an array index, or `super`.
fileprivate struct JSONPathKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ name: String) {
        stringValue = name
        intValue = nil
    }

    init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}
