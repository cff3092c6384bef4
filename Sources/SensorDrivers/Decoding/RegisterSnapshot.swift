import SensorIO

/// A register file to decode (an `I2CDump`) read the way a decoder needs it: a run of registers for a named purpose,
/// failing with the first register that is `XX` or blank and what it was needed for.
public struct RegisterSnapshot: Sendable {
    public let dump: I2CDump
    /// The chip, for messages (`BMP390`).
    public let model: String

    public init(_ dump: I2CDump, model: String) {
        self.dump = dump
        self.model = model
    }

    /// `count` registers from `first` on, needed for `purpose` ("calibration NVM", "pressure data").
    public func bytes(_ first: UInt8, count: Int, for purpose: String) throws(RegisterDecodeError) -> [UInt8] {
        precondition(count > 0 && Int(first) + count <= 256, "registers 0x00–0xFF")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        for offset in 0..<count {
            let register = first + UInt8(offset)
            switch dump[register] {
            case .byte(let value): bytes.append(value)
            case .unreadable, .notRead:
                let state = dump[register] == .unreadable ? "unreadable (XX)" : "not in the dump"
                let span = count == 1 ? "register 0x\(hex(first))" : "registers 0x\(hex(first))–0x\(hex(first + UInt8(count - 1)))"
                throw RegisterDecodeError(register: register,
                                          reason: "register 0x\(hex(register)) is \(state): the \(model) \(purpose) needs \(span)")
            }
        }
        return bytes
    }

    /// One register, needed for `purpose`.
    public func byte(_ register: UInt8, for purpose: String) throws(RegisterDecodeError) -> UInt8 {
        try bytes(register, count: 1, for: purpose)[0]
    }

    /// One register, or nil when the dump lacks it: for what a decoding reports when it can (status bits, a
    /// configuration register) and leaves out otherwise.
    public func optionalByte(_ register: UInt8) -> UInt8? { dump.byte(register) }

    /// Checks the id register against the values `model` answers with; the error names the register, what it reads
    /// and, when the value is another chip's of the same driver, which (`names`).
    public func identify(register: UInt8, expected: [UInt8], names: [UInt8: String] = [:]) throws(RegisterDecodeError) -> UInt8 {
        let id = try byte(register, for: "id register")
        guard expected.contains(id) else {
            let other = names[id].map { " (the \($0)'s id)" } ?? ""
            throw RegisterDecodeError(register: register, reason: "register 0x\(hex(register)) (id) reads 0x\(hex(id))\(other), not the \(model)'s "
                                      + expected.map { "0x" + hex($0) }.joined(separator: " or ") + ": this dump is not the \(model)'s")
        }
        return id
    }
}
