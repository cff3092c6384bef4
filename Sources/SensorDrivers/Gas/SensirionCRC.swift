import SensorIO

/// The Sensirion I2C framing shared by the SCD4x and SGP4x (reference/sensors.md §5.1): 16-bit commands sent MSB
/// first, and every 16-bit data word, in either direction, followed by its CRC-8 (polynomial 0x31, init 0xFF,
/// MSB first, no reflection, no final XOR). A word whose CRC does not match is never used: a bit flipped on the
/// bus would otherwise become a plausible concentration.
public enum SensirionCRC {
    /// CRC-8 of `bytes` (sensors.md §5.1: `crc & 0x80 ? (crc << 1) ^ 0x31 : crc << 1` per bit).
    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt8 {
        var crc: UInt8 = 0xFF
        for byte in bytes {
            crc ^= byte
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x31 : crc << 1 }
        }
        return crc
    }

    /// CRC-8 of one word, MSB first (§5.1 check values: 0xBEEF → 0x92).
    public static func checksum(_ word: UInt16) -> UInt8 {
        checksum([UInt8(word >> 8), UInt8(word & 0xFF)])
    }

    /// Words as they travel: MSB, LSB, CRC for each.
    public static func frame(_ words: [UInt16]) -> [UInt8] {
        words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF), checksum($0)] }
    }

    /// A command with its argument words: the 16-bit code without CRC, then each argument framed (§5.1).
    public static func command(_ code: UInt16, arguments: [UInt16] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + frame(arguments)
    }

    /// A received word whose CRC does not match: its index in the answer, its three bytes and the CRC they
    /// should have carried.
    public struct Mismatch: Error, Sendable, Equatable, CustomStringConvertible {
        public var wordIndex: Int
        public var bytes: [UInt8]
        public var expected: UInt8

        public var description: String {
            let text = bytes.map { hex($0) }.joined(separator: " ")
            if bytes.allSatisfy({ $0 == 0xFF }) {
                return "word \(wordIndex) reads FF FF FF: nothing drove the bus (the chip was busy or had no answer)"
            }
            return "word \(wordIndex) bytes \(text) fail their CRC-8 (expected 0x\(hex(expected)))"
        }
    }

    /// The data words of an answer of 3·n bytes, each checked against its CRC; throws the first mismatch.
    public static func words(_ bytes: [UInt8]) throws(Mismatch) -> [UInt16] {
        var words: [UInt16] = []
        words.reserveCapacity(bytes.count / 3)
        var i = 0
        while i + 2 < bytes.count {
            let word = UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            let expected = checksum(word)
            guard expected == bytes[i + 2] else {
                throw Mismatch(wordIndex: i / 3, bytes: Array(bytes[i...i + 2]), expected: expected)
            }
            words.append(word)
            i += 3
        }
        return words
    }
}

extension I2CDevice {
    /// Sends a Sensirion command with its argument words framed (sensors.md §5.1).
    func sensirionCommand(_ code: UInt16, arguments: [UInt16] = []) throws(DriverError) {
        try command(SensirionCRC.command(code, arguments: arguments))
    }

    /// Reads `count` words (3·count bytes) with a plain read and checks every CRC. A bad CRC is a bus protocol
    /// violation naming the chip, the command, the word index and its bytes.
    func sensirionWords(_ count: Int, model: String, command name: String) throws(DriverError) -> [UInt16] {
        let bytes = try response(count: 3 * count)
        do throws(SensirionCRC.Mismatch) {
            return try SensirionCRC.words(bytes)
        } catch {
            throw .bus(I2CError(.protocolViolation, bus: transport.name, address: address,
                                operation: "\(model) \(name) answer: \(error)"))
        }
    }
}
