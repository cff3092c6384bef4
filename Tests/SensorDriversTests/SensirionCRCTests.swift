import Testing
@testable import SensorDrivers

/// The Sensirion CRC-8 (polynomial 0x31, init 0xFF, no reflection, no final XOR) and the word framing
/// (reference/sensors.md §5.1).
@Suite struct SensirionCRCTests {
    /// All nine check values of sensors.md §5.1 [calc], exactly.
    @Test(arguments: [
        (UInt16(0xBEEF), UInt8(0x92)), (0x0000, 0x81), (0x8000, 0xA2), (0x6666, 0x93), (0x01F4, 0x33),
        (0x6667, 0xA2), (0x5EB9, 0x3C), (0x03F5, 0xDB), (0x05DA, 0x29),
    ])
    func checkValues(word: UInt16, crc: UInt8) {
        #expect(SensirionCRC.checksum(word) == crc)
        #expect(SensirionCRC.checksum([UInt8(word >> 8), UInt8(word & 0xFF)]) == crc)
    }

    /// A command's code goes without CRC, each argument word with its own (§6 V12).
    @Test func framing() throws {
        #expect(SensirionCRC.command(0x2619, arguments: [0x8000, 0x6666]) == [0x26, 0x19, 0x80, 0x00, 0xA2, 0x66, 0x66, 0x93])
        #expect(SensirionCRC.frame([0x01F4, 0x6667]) == [0x01, 0xF4, 0x33, 0x66, 0x67, 0xA2])
        #expect(try SensirionCRC.words([0x01, 0xF4, 0x33, 0x66, 0x67, 0xA2, 0x5E, 0xB9, 0x3C]) == [0x01F4, 0x6667, 0x5EB9])
    }

    /// A bad CRC names the word's index, its bytes and the CRC they should carry.
    @Test func mismatchNamesTheWord() {
        #expect(throws: SensirionCRC.Mismatch(wordIndex: 2, bytes: [0x5E, 0xB9, 0x3D], expected: 0x3C)) {
            try SensirionCRC.words([0x01, 0xF4, 0x33, 0x66, 0x67, 0xA2, 0x5E, 0xB9, 0x3D])
        }
        let mismatch = SensirionCRC.Mismatch(wordIndex: 2, bytes: [0x5E, 0xB9, 0x3D], expected: 0x3C)
        #expect(mismatch.description == "word 2 bytes 5E B9 3D fail their CRC-8 (expected 0x3C)")
        #expect(SensirionCRC.Mismatch(wordIndex: 0, bytes: [0xFF, 0xFF, 0xFF], expected: 0xAC).description.contains("nothing drove the bus"))
    }
}
