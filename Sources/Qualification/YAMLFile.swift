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

    /// Decodes the whole document.
    func decode<T: Decodable>(_ type: T.Type) throws(ConfigurationError) -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch let error as DecodingError {
            throw describe(error)
        } catch {
            throw ConfigurationError(file: name, reason: "\(error)")
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
