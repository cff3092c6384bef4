import Foundation
import Yams

/// A YAML configuration file, parsed once, that decodes into a `Decodable` type and places every error
/// (syntax, a missing or mistyped key, a semantic check) on its file and line.
struct YAMLFile {
    let name: String
    let text: String
    let root: Node

    /// Reads and parses `path`.
    init(path: String) throws(ConfigurationError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: path, reason: "cannot read: \(error.localizedDescription)")
        }
        try self.init(name: path, text: text)
    }

    /// Parses `text`; `name` is what errors call the file.
    init(name: String, text: String) throws(ConfigurationError) {
        self.name = name
        self.text = text
        if let excess = YAMLNesting.excess(in: text) {
            throw ConfigurationError(file: name, line: excess.line, reason: "nested about \(excess.depth) levels deep "
                                     + "(indentation and brackets); the limit is \(YAMLNesting.maximumDepth)")
        }
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: name, line: 1, reason: "the file is empty")
            }
            root = node
        } catch let error as ConfigurationError {
            throw error
        } catch let error as YamlError {
            throw ConfigurationError(file: name, line: Self.line(of: error), reason: "not valid YAML: \(Self.problem(of: error))")
        } catch {
            throw ConfigurationError(file: name, reason: "not valid YAML: \(error)")
        }
    }

    /// Decodes the whole document, strictly: a key the decoding never asked about is an error at its line, since
    /// a misspelt key (`adress:`) or one in the wrong place would otherwise leave its setting silently at the default.
    func decode<T: Decodable>(_ type: T.Type) throws(ConfigurationError) -> T {
        let asked = AskedKeys()
        let value: T
        do {
            value = try YAMLDecoder().decode(Recorded<T>.self, from: text, userInfo: [Recorded<T>.askedKeys: asked]).value
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw ConfigurationError(file: name, reason: "\(error)")
        }
        if let unknown = firstUnknownKey(in: root, at: [], asked: asked) { throw unknown }
        return value
    }

    /// The document decoded through a `KeyRecordingDecoder` around Yams' own decoder, which is only reachable from
    /// inside a decode: the record travels in `userInfo`.
    private struct Recorded<Value: Decodable>: Decodable {
        static var askedKeys: CodingUserInfoKey { CodingUserInfoKey(rawValue: "sensorqual.askedKeys")! }
        var value: Value
        init(from decoder: any Decoder) throws {
            guard let asked = decoder.userInfo[Self.askedKeys] as? AskedKeys else {
                value = try Value(from: decoder)
                return
            }
            value = try Value(from: KeyRecordingDecoder(base: decoder, asked: asked))
        }
    }

    /// The first mapping key, in document order, that no decoding code asked about. A merge key (`<<`) is not a
    /// setting: Yams folds the merged keys into the mapping, where they are asked about.
    private func firstUnknownKey(in node: Node, at path: [KeyPathStep], asked: AskedKeys) -> ConfigurationError? {
        switch node {
        case .scalar:
            return nil
        case .sequence(let sequence):
            for (index, element) in sequence.enumerated() {
                if let unknown = firstUnknownKey(in: element, at: path + [.index(index)], asked: asked) { return unknown }
            }
            return nil
        case .mapping(let mapping):
            let known = asked.asked(at: path)
            for (key, value) in mapping {
                let text = key.string ?? "\(key)"
                if text == "<<" { continue }
                guard known.contains(text) else {
                    let place = Self.pathText(path.map { PathKey($0) } + [PathKey(text)])
                    let list = known.isEmpty ? "none" : known.sorted().joined(separator: ", ")
                    return ConfigurationError(file: name, line: key.mark?.line ?? value.mark?.line ?? line(at: path.map { PathKey($0) }),
                                              reason: "\(place): unknown key '\(text)' (known here: \(list))")
                }
                if let unknown = firstUnknownKey(in: value, at: path + [.key(text)], asked: asked) { return unknown }
            }
            return nil
        }
    }

    /// An error at the node reached by `path` (keys and sequence indices), or the nearest ancestor that exists.
    func error(at path: [any CodingKey], _ reason: String) -> ConfigurationError {
        ConfigurationError(file: name, line: line(at: path), reason: reason)
    }

    func line(at path: [any CodingKey]) -> Int? {
        var node = root
        var line = root.mark?.line
        for key in path {
            let next: Node?
            if let index = key.intValue, let sequence = node.sequence {
                next = index < sequence.count ? sequence[index] : nil
            } else {
                next = node.mapping?.first(where: { $0.key.string == key.stringValue })?.value
            }
            guard let next else { break }
            node = next
            line = next.mark?.line ?? line
        }
        return line
    }

    private func describe(_ error: DecodingError) -> ConfigurationError {
        switch error {
        case .keyNotFound(let key, let context):
            return self.error(at: context.codingPath, "\(Self.pathText(context.codingPath + [key])): required key is missing")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let underlying = context.underlyingError.map { ": \($0)" } ?? ""
            return self.error(at: context.codingPath,
                              "\(Self.pathText(context.codingPath)): \(context.debugDescription)\(underlying)")
        @unknown default:
            return ConfigurationError(file: name, reason: "\(error)")
        }
    }

    static func pathText(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "document" : text
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        default: "\(error)"
        }
    }
}

/// A coding key made from a string or an index, to name a place in a file for `YAMLFile.error(at:_:)`.
struct PathKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init(_ index: Int) { stringValue = "[\(index)]"; intValue = index }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(intValue) }
    init(_ step: KeyPathStep) {
        switch step {
        case .key(let key): self.init(key)
        case .index(let index): self.init(index)
        }
    }
}

/// Decodes an I2C address or register written as 0x76, 118 or "0x76".
struct HexByte: Decodable, Sendable {
    let value: UInt8
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self), (0...0xFF).contains(number) {
            value = UInt8(number)
            return
        }
        let text = try container.decode(String.self).lowercased()
        let parsed = text.hasPrefix("0x") ? UInt8(text.dropFirst(2), radix: 16) : UInt8(text)
        guard let parsed else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a byte (use 0x76 or 118)")
        }
        value = parsed
    }
}
