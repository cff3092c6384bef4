/// Little-endian fields of RIFF files (WAV): four-character codes and unsigned integers, read without alignment
/// from a byte array and appended to one.
enum RIFFBytes {
    /// The four-character code at `offset`, e.g. "RIFF", "fmt ", or "?" for bytes that are not printable ASCII.
    static func fourCC<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at offset: Int) -> String
        where Bytes.Index == Int {
        String(decoding: (offset..<(offset + 4)).map { index in
            let byte = bytes[index]
            return (0x20...0x7E).contains(byte) ? byte : UInt8(ascii: "?")
        }, as: UTF8.self)
    }

    static func uint16<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at offset: Int) -> UInt16
        where Bytes.Index == Int {
        UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    static func uint32<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at offset: Int) -> UInt32
        where Bytes.Index == Int {
        UInt32(uint16(bytes, at: offset)) | UInt32(uint16(bytes, at: offset + 2)) << 16
    }

    static func append(fourCC: StaticString, to bytes: inout [UInt8]) {
        fourCC.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    static func append(uint16 value: UInt16, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    static func append(uint32 value: UInt32, to bytes: inout [UInt8]) {
        append(uint16: UInt16(truncatingIfNeeded: value), to: &bytes)
        append(uint16: UInt16(truncatingIfNeeded: value >> 16), to: &bytes)
    }
}
