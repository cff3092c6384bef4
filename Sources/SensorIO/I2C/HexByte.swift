extension UInt8 {
    /// The byte as datasheets and i2c-tools' arguments write a register or an id: `0x3A`.
    public var hexLiteral: String { "0x" + (self < 0x10 ? "0" : "") + String(self, radix: 16, uppercase: true) }
}
