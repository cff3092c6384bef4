/// A bound on how deep a YAML text nests, checked before Yams parses it.
///
/// Yams builds its node tree recursively, about 2 kB of stack per level in a debug build: some 4000 nested flow
/// mappings (`{a: {a: …}}`) overflowed an 8 MiB thread stack and killed the process (found by
/// ConfigurationFuzzTests). SensorQual's files nest 6 levels at most, so 100 leaves room and bounds the stack at
/// a few hundred kilobytes, within a dedicated thread's 1 MiB.
///
/// The depth is estimated from the text, without parsing: a line's indentation (each block level needs one more
/// column, or a `- `/`? ` on the same line) plus the flow brackets open outside quotes and comments. It can only
/// overestimate, never miss, a deep nesting.
enum YAMLNesting {
    /// The deepest estimated nesting accepted.
    static let maximumDepth = 100

    /// The first 1-based line whose estimated depth passes ``maximumDepth``, and that depth; `nil` if none does.
    static func excess(in text: String) -> (line: Int, depth: Int)? {
        var flowDepth = 0
        var quote: UInt8?  // The open quote, `'` or `"`, carried across lines.
        var lineNumber = 0
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var index = line.startIndex
            var blockDepth = 0
            if quote == nil {
                // Indentation, then compact block indicators (`- - x`, `? k`).
                while index < line.endIndex, line[index] == UInt8(ascii: " ") || line[index] == UInt8(ascii: "\t") {
                    blockDepth += 1
                    index = line.index(after: index)
                }
                while index < line.endIndex, line[index] == UInt8(ascii: "-") || line[index] == UInt8(ascii: "?") {
                    let next = line.index(after: index)
                    guard next == line.endIndex || line[next] == UInt8(ascii: " ") else { break }
                    blockDepth += 2
                    index = next
                    while index < line.endIndex, line[index] == UInt8(ascii: " ") { index = line.index(after: index) }
                }
            }
            var previous: UInt8 = UInt8(ascii: " ")
            var escaped = false
            scan: while index < line.endIndex {
                let byte = line[index]
                index = line.index(after: index)
                if let open = quote {
                    if escaped {
                        escaped = false
                    } else if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == open {
                        quote = nil
                    }
                    previous = byte
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "'"):
                    // A quote opens a quoted scalar only where a scalar starts, not inside a plain one (`it's`).
                    if previous == UInt8(ascii: " ") || previous == UInt8(ascii: "[") || previous == UInt8(ascii: "{")
                        || previous == UInt8(ascii: ",") || previous == UInt8(ascii: ":") {
                        quote = byte
                    }
                case UInt8(ascii: "#") where previous == UInt8(ascii: " ") || previous == UInt8(ascii: "\t"):
                    break scan
                case UInt8(ascii: "["), UInt8(ascii: "{"):
                    flowDepth += 1
                case UInt8(ascii: "]"), UInt8(ascii: "}"):
                    flowDepth = max(0, flowDepth - 1)
                default:
                    break
                }
                previous = byte
                if blockDepth + flowDepth > maximumDepth { return (lineNumber, blockDepth + flowDepth) }
            }
            if blockDepth + flowDepth > maximumDepth { return (lineNumber, blockDepth + flowDepth) }
        }
        return nil
    }
}
