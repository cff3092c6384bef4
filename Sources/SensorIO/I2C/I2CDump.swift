/// A chip's register file as i2c-tools' `i2cdump -y BUS ADDR b` prints it (byte mode): 256 cells, each a byte, a
/// failed read (`XX`) or a register that was not read (blank, outside `i2cdump -r FIRST-LAST`).
///
/// The text both ways: `init(parsing:source:)` reads what a technician pastes or attaches (the prompt and warnings
/// i2cdump prints before the table are skipped), `text` prints the table exactly as i2cdump does, so a dump taken
/// by `sensorqual dump` and one taken by i2cdump read the same.
public struct I2CDump: Sendable, Equatable {
    /// One register of the dump.
    public enum Cell: Sendable, Equatable {
        case byte(UInt8)
        /// The read failed (`XX`).
        case unreadable
        /// Not read (blank).
        case notRead
    }

    public private(set) var cells: [Cell]

    /// A dump with no register read.
    public init() {
        cells = Array(repeating: .notRead, count: 256)
    }

    public subscript(register: UInt8) -> Cell {
        get { cells[Int(register)] }
        set { cells[Int(register)] = newValue }
    }

    /// Stores `bytes` as read from `first` on (a burst, or consecutive single reads).
    public mutating func store(_ bytes: [UInt8], from first: UInt8) {
        precondition(Int(first) + bytes.count <= 256, "registers 0x00–0xFF")
        for (offset, byte) in bytes.enumerated() { cells[Int(first) + offset] = .byte(byte) }
    }

    /// The byte read from `register`, or nil when it is `XX` or blank.
    public func byte(_ register: UInt8) -> UInt8? {
        if case .byte(let value) = cells[Int(register)] { return value }
        return nil
    }

    /// Reads `device`'s registers 0x00–0xFF one by one, as `i2cdump -y BUS ADDR b` does (SMBus read byte data: the
    /// register address written, a repeated START, one byte read); a failed read is `XX`. The registers in
    /// `skipping` are left unread (blank): those whose read has a side effect (a FIFO that pops, a status that
    /// clears), which i2cdump would disturb.
    public static func read(_ device: I2CDevice, skipping: Set<UInt8> = []) -> I2CDump {
        var dump = I2CDump()
        for register in UInt8(0)...UInt8(0xFF) where !skipping.contains(register) {
            do throws(I2CError) {
                dump[register] = .byte(try device.readRegister(register))
            } catch {
                dump[register] = .unreadable
            }
        }
        return dump
    }

    // MARK: The i2cdump table

    /// i2cdump's header line in byte mode.
    static let header = "     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef"

    /// The table as i2cdump prints it (i2c-tools `i2cdump.c`, byte mode): the header, then one line per row of 16
    /// that holds a register read (rows wholly outside the range are left out, as `-r` does), each cell `%02x `,
    /// `XX ` or three blanks, then three blanks and the ASCII column: `.` for 0x00 and 0xFF, `?` for other
    /// non-printing bytes, `X` for a failed read, a blank for a register not read.
    public var text: String {
        var lines = [Self.header]
        for row in stride(from: 0, to: 256, by: 16) {
            let cells = self.cells[row..<row + 16]
            guard cells.contains(where: { $0 != .notRead }) else { continue }
            var line = hex(UInt8(row)) + ": "
            var ascii = ""
            for cell in cells {
                switch cell {
                case .byte(let value):
                    line += hex(value) + " "
                    ascii.append(value == 0x00 || value == 0xFF ? "." : (0x20..<0x7F).contains(value) ? Character(UnicodeScalar(value)) : "?")
                case .unreadable:
                    line += "XX "
                    ascii.append("X")
                case .notRead:
                    line += "   "
                    ascii.append(" ")
                }
            }
            lines.append(line + "   " + ascii)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses i2cdump byte-mode output. Lines before the table (the "WARNING! This program can confuse your I2C
    /// bus" prompt, "No size specified") are skipped; each row `RR: ` is followed by 16 cells of three characters
    /// (two hex digits, `XX`, or blanks); the ASCII column is not read. A row that is malformed, out of order or
    /// repeated is refused with its line and the reason.
    /// - Parameter source: the file name (`-` for standard input) that errors name.
    public init(parsing text: String, source: String) throws(I2CDumpError) {
        self.init()
        var sawHeader = false
        var lastRow = -1
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            let number = index + 1
            func failure(_ reason: String) -> I2CDumpError { I2CDumpError(source: source, line: number, reason: reason) }
            let trimmed = line.trimmingWhitespace
            if trimmed.hasPrefix("0,8") {
                throw failure("this is a word-mode dump (i2cdump … w); decode reads byte mode: i2cdump -y BUS ADDR b")
            }
            if trimmed.hasPrefix("0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f") {
                sawHeader = true
                continue
            }
            // A table row: two hex digits, a colon, a blank.
            let characters = Array(line)
            guard characters.count >= 4, characters[2] == ":", let row = Int(String(characters[0..<2]), radix: 16) else {
                if sawHeader && !trimmed.isEmpty {
                    throw failure("'\(trimmed.prefix(40))' is not a row of an i2cdump table (RR: followed by 16 cells)")
                }
                continue    // the prompt and notes before the table, blank lines
            }
            guard sawHeader else { throw failure("a table row before i2cdump's header line (\(Self.header.trimmingWhitespace.prefix(20))…)") }
            guard row % 16 == 0 else { throw failure("row \(hex(UInt8(row))) does not start at a multiple of 0x10") }
            guard row > lastRow else {
                throw failure(row == lastRow ? "row \(hex(UInt8(row))) appears twice" : "row \(hex(UInt8(row))) comes after row \(hex(UInt8(lastRow)))")
            }
            lastRow = row
            // Cells: columns 4 + 3k, k = 0…15; a line whose trailing blanks were trimmed ends early.
            for column in 0..<16 {
                let start = 4 + 3 * column
                let cellText = start < characters.count ? String(characters[start..<min(start + 2, characters.count)]) : ""
                let separator = start + 2 < characters.count ? characters[start + 2] : " "
                guard separator == " " else {
                    throw failure("register 0x\(hex(UInt8(row + column))): cells are two characters and a blank, found '\(separator)' after '\(cellText)'")
                }
                let register = UInt8(row + column)
                switch cellText {
                case "XX": self[register] = .unreadable
                case "", " ", "  ": self[register] = .notRead
                default:
                    guard cellText.count == 2, let value = UInt8(cellText, radix: 16) else {
                        throw failure("register 0x\(hex(register)): '\(cellText)' is not a byte (two hex digits), XX or blank")
                    }
                    self[register] = .byte(value)
                }
            }
        }
        guard lastRow >= 0 else {
            throw I2CDumpError(source: source, line: nil, reason: "no i2cdump table (a header line and rows such as '00: 60 01 …'); make one with i2cdump -y BUS ADDR b")
        }
    }
}

/// Why an i2cdump text could not be read: the file, the line (1-based) and the reason.
public struct I2CDumpError: Error, Sendable, Equatable, CustomStringConvertible {
    public var source: String
    public var line: Int?
    public var reason: String

    public init(source: String, line: Int?, reason: String) {
        self.source = source
        self.line = line
        self.reason = reason
    }

    public var description: String { source + (line.map { ":\($0)" } ?? "") + ": " + reason }
}

/// Two lower-case hex digits, as i2cdump prints bytes.
private func hex(_ value: UInt8) -> String {
    (value < 0x10 ? "0" : "") + String(value, radix: 16)
}

extension StringProtocol {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
