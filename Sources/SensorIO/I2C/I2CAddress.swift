/// A 7-bit I2C target address, as i2c-tools prints it (`0x76`).
public struct I2CAddress: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt8

    /// Returns nil for values outside the 7-bit range 0x00–0x7F.
    public init?(rawValue: UInt8) {
        guard rawValue <= 0x7F else { return nil }
        self.rawValue = rawValue
    }

    /// For literals known to be valid at compile time (catalog defaults, tests).
    public init(_ value: UInt8) {
        precondition(value <= 0x7F, "I2C address 0x\(String(value, radix: 16)) is not 7-bit")
        self.rawValue = value
    }

    public var description: String { "0x" + (rawValue < 0x10 ? "0" : "") + String(rawValue, radix: 16) }

    /// Decodes "0x76" (as written everywhere a person reads it) or the number 118.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value: UInt8?
        if let text = try? container.decode(String.self) {
            value = text.lowercased().hasPrefix("0x") ? UInt8(text.dropFirst(2), radix: 16) : UInt8(text)
        } else {
            value = try container.decode(UInt8.self)
        }
        guard let value, let address = I2CAddress(rawValue: value) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 7-bit I2C address")
        }
        self = address
    }

    /// Encodes as "0x76", the form i2c-tools and datasheets use.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
