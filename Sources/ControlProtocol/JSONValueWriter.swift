/// Writes a ``JSONValue`` as the control protocol's JSON text, byte by byte, without `Encodable`: the counterpart of
/// ``JSONValueReader``. Every answer and notification line is written here; through `JSONEncoder` a `runs.status`
/// answer of a 40-DUT rig cost the daemon about a third of a millisecond of CPU (make bench, tenth session).
///
/// The text is `JSONEncoder`'s with `JSONCoding.makeEncoder()`'s settings, byte for byte (JSONValueWriterTests): compact,
/// object keys sorted by their UTF-8 bytes, `/` unescaped, `"` `\` and the C0 controls escaped (`\b \f \n \r \t`, the
/// others as `\u00XX`), a whole double without `.0` (`100`, `-0`), any other as Swift's shortest round-trip form
/// (`0.1`, `1e-05`, `1e+16`), and a non-finite double as the string `"NaN"`, `"Infinity"` or `"-Infinity"`.
enum JSONValueWriter {
    /// Appends the text of `value` to `bytes`.
    static func write(_ value: JSONValue, into bytes: inout [UInt8]) {
        switch value {
        case .null: append("null", to: &bytes)
        case .bool(let flag): append(flag ? "true" : "false", to: &bytes)
        case .int(let integer): bytes.append(contentsOf: String(integer).utf8)
        case .double(let number):
            guard number.isFinite else { return writeString(JSONCoding.nonFiniteName(number), into: &bytes) }
            var text = number.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes.append(contentsOf: text.utf8)
        case .string(let text): writeString(text, into: &bytes)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element, into: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &bytes)
                bytes.append(UInt8(ascii: ":"))
                write(member.value, into: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private static func append(_ text: StaticString, to bytes: inout [UInt8]) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func writeString(_ text: String, into bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                continue
            }
            bytes.append(UInt8(ascii: "\\"))
            switch byte {
            case 0x08: bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "t"))
            case 0x0A: bytes.append(UInt8(ascii: "n"))
            case 0x0C: bytes.append(UInt8(ascii: "f"))
            case 0x0D: bytes.append(UInt8(ascii: "r"))
            case 0x00..<0x20:
                append("u00", to: &bytes)
                bytes.append(hexDigits[Int(byte >> 4)])
                bytes.append(hexDigits[Int(byte & 0xF)])
            default: bytes.append(byte)   // " and \ themselves
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
