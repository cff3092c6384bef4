import Testing
@testable import SensorIO

@Suite struct I2CDumpTests {
    /// What `i2cdump -r 0x00-0x1f 1 0x77 b` prints for a BMP390 whose 0x0C read failed (i2c-tools 4.3 byte mode: the
    /// prompt, the header, `XX` for the failed read, the ASCII column).
    static let printed = """
        WARNING! This program can confuse your I2C bus, cause data loss and worse!
        I will probe file /dev/i2c-1, address 0x77, mode byte
        Probe range limited to 0x00-0x1f.
        Continue? [Y/n] y
             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef
        00: 60 01 00 70 97 9f 6d 73 d8 85 00 00 XX 00 00 00    `?.p??ms??..X...
        10: 01 00 00 00 00 00 00 02 00 00 00 00 00 00 00 ff    ?......?........

        """

    @Test func readsBytesFailedReadsAndTheRange() throws {
        let dump = try I2CDump(parsing: Self.printed, source: "bmp390.txt")
        #expect(dump.byte(0x00) == 0x60)
        #expect(dump.byte(0x04) == 0x97)
        #expect(dump[0x0C] == .unreadable)
        #expect(dump.byte(0x1F) == 0xFF)
        #expect(dump[0x20] == .notRead)
        #expect(dump[0xFF] == .notRead)
    }

    @Test func printsWhatI2cdumpPrints() throws {
        var dump = I2CDump()
        dump.store([0x60, 0x01, 0x00, 0x70, 0x97, 0x9F, 0x6D, 0x73, 0xD8, 0x85, 0x00, 0x00], from: 0x00)
        dump[0x0C] = .unreadable
        dump.store([0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02], from: 0x0D)
        dump.store(Array(repeating: 0, count: 7) + [0xFF], from: 0x18)
        #expect(dump.text.split(separator: "\n") == Array(Self.printed.split(separator: "\n").dropFirst(4)))
        #expect(try I2CDump(parsing: dump.text, source: "-") == dump)
    }

    @Test func registersNotReadAreBlankAndRowsWithoutAnyAreLeftOut() throws {
        var dump = I2CDump()
        dump.store([0x60, 0x01], from: 0x00)
        dump[0x2F] = .unreadable
        #expect(dump.text == I2CDump.header + "\n00: 60 01" + String(repeating: " ", count: 3 * 14 + 1) + "   `?" + String(repeating: " ", count: 14)
                    + "\n20: " + String(repeating: " ", count: 3 * 15) + "XX    " + String(repeating: " ", count: 15) + "X\n")
        #expect(try I2CDump(parsing: dump.text, source: "-") == dump)
    }

    @Test func aTrimmedLineEndsItsRowEarly() throws {
        let text = I2CDump.header + "\n00: 60 01\n"
        let dump = try I2CDump(parsing: text, source: "-")
        #expect(dump.byte(0x01) == 0x01)
        #expect(dump[0x02] == .notRead)
    }

    @Test(arguments: [
        ("00: 60 01\n", 1, "before i2cdump's header"),
        (I2CDump.header + "\n08: 60\n", 2, "multiple of 0x10"),
        (I2CDump.header + "\n10: 60\n00: 60\n", 3, "comes after row 10"),
        (I2CDump.header + "\n00: 60\n00: 61\n", 3, "appears twice"),
        (I2CDump.header + "\n00: 6g 01\n", 2, "register 0x00: '6g' is not a byte"),
        (I2CDump.header + "\n00: 60,01\n", 2, "two characters and a blank"),
        ("     0,8  1,9  2,a  3,b  4,c  5,d  6,e  7,f\n00: 0160 ", 1, "word-mode dump"),
        (I2CDump.header + "\nError: Read failed\n", 2, "is not a row"),
    ])
    func refusesWithTheLineAndTheReason(text: String, line: Int, reason: String) {
        #expect {
            try I2CDump(parsing: text, source: "dump.txt")
        } throws: { error in
            let error = error as! I2CDumpError
            return error.line == line && error.reason.contains(reason) && "\(error)".hasPrefix("dump.txt:\(line): ")
        }
    }

    @Test func anEmptyFileHasNoTable() {
        #expect(throws: I2CDumpError.self) { try I2CDump(parsing: "Error: Could not open file `/dev/i2c-9'\n", source: "-") }
    }
}
