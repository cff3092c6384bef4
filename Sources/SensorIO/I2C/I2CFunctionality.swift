/// What an I2C adapter can do, as the kernel reports it once when the adapter is opened. `LinuxI2CBus` picks
/// `I2C_RDWR` or SMBus block transfers from it, and refuses a transfer the adapter cannot do before sending anything
/// (i2c-tools `check_funcs`).
///
/// The corresponding C call is `ioctl(I2C_FUNCS)`; the bits are the `I2C_FUNC_*` constants of `<linux/i2c.h>`.
public struct I2CFunctionality: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The `I2C_FUNC_*` bits.
    public let rawValue: UInt

    /// Wraps `I2C_FUNC_*` bits.
    public init(rawValue: UInt) { self.rawValue = rawValue }

    /// Plain I2C messages, and so `I2C_RDWR` with repeated START. The corresponding C constant is `I2C_FUNC_I2C`.
    public static let i2c = I2CFunctionality(rawValue: KernelI2C.funcI2C)
    /// 10-bit target addresses. The corresponding C constant is `I2C_FUNC_10BIT_ADDR`.
    public static let tenBitAddress = I2CFunctionality(rawValue: KernelI2C.func10BitAddress)
    /// Message flags that bend the protocol (ignore NAK, no read ACK). The corresponding C constant is
    /// `I2C_FUNC_PROTOCOL_MANGLING`.
    public static let protocolMangling = I2CFunctionality(rawValue: KernelI2C.funcProtocolMangling)
    /// SMBus packet error checking. The corresponding C constant is `I2C_FUNC_SMBUS_PEC`.
    public static let smbusPEC = I2CFunctionality(rawValue: KernelI2C.funcSMBusPEC)
    /// Messages without a START. The corresponding C constant is `I2C_FUNC_NOSTART`.
    public static let noStart = I2CFunctionality(rawValue: KernelI2C.funcNoStart)
    /// SMBus quick command. The corresponding C constant is `I2C_FUNC_SMBUS_QUICK`.
    public static let smbusQuick = I2CFunctionality(rawValue: KernelI2C.funcSMBusQuick)
    /// SMBus receive byte. The corresponding C constant is `I2C_FUNC_SMBUS_READ_BYTE`.
    public static let smbusReadByte = I2CFunctionality(rawValue: KernelI2C.funcSMBusReadByte)
    /// SMBus send byte. The corresponding C constant is `I2C_FUNC_SMBUS_WRITE_BYTE`.
    public static let smbusWriteByte = I2CFunctionality(rawValue: KernelI2C.funcSMBusWriteByte)
    /// SMBus read byte data (one register). The corresponding C constant is `I2C_FUNC_SMBUS_READ_BYTE_DATA`.
    public static let smbusReadByteData = I2CFunctionality(rawValue: KernelI2C.funcSMBusReadByteData)
    /// SMBus write byte data (one register). The corresponding C constant is `I2C_FUNC_SMBUS_WRITE_BYTE_DATA`.
    public static let smbusWriteByteData = I2CFunctionality(rawValue: KernelI2C.funcSMBusWriteByteData)
    /// SMBus read word data. The corresponding C constant is `I2C_FUNC_SMBUS_READ_WORD_DATA`.
    public static let smbusReadWordData = I2CFunctionality(rawValue: KernelI2C.funcSMBusReadWordData)
    /// SMBus write word data. The corresponding C constant is `I2C_FUNC_SMBUS_WRITE_WORD_DATA`.
    public static let smbusWriteWordData = I2CFunctionality(rawValue: KernelI2C.funcSMBusWriteWordData)
    /// SMBus block read, length sent by the device. The corresponding C constant is
    /// `I2C_FUNC_SMBUS_READ_BLOCK_DATA`.
    public static let smbusReadBlockData = I2CFunctionality(rawValue: KernelI2C.funcSMBusReadBlockData)
    /// SMBus block write with a length byte. The corresponding C constant is `I2C_FUNC_SMBUS_WRITE_BLOCK_DATA`.
    public static let smbusWriteBlockData = I2CFunctionality(rawValue: KernelI2C.funcSMBusWriteBlockData)
    /// I2C-style block read of up to 32 bytes after a register byte, with repeated START. The corresponding C
    /// constant is `I2C_FUNC_SMBUS_READ_I2C_BLOCK`.
    public static let smbusReadI2CBlock = I2CFunctionality(rawValue: KernelI2C.funcSMBusReadI2CBlock)
    /// I2C-style block write of up to 32 bytes after a register byte. The corresponding C constant is
    /// `I2C_FUNC_SMBUS_WRITE_I2C_BLOCK`.
    public static let smbusWriteI2CBlock = I2CFunctionality(rawValue: KernelI2C.funcSMBusWriteI2CBlock)

    private static let names: [(I2CFunctionality, String)] = [
        (.i2c, "i2c"), (.tenBitAddress, "tenBitAddress"), (.protocolMangling, "protocolMangling"),
        (.smbusPEC, "smbusPEC"), (.noStart, "noStart"), (.smbusQuick, "smbusQuick"),
        (.smbusReadByte, "smbusReadByte"), (.smbusWriteByte, "smbusWriteByte"),
        (.smbusReadByteData, "smbusReadByteData"), (.smbusWriteByteData, "smbusWriteByteData"),
        (.smbusReadWordData, "smbusReadWordData"), (.smbusWriteWordData, "smbusWriteWordData"),
        (.smbusReadBlockData, "smbusReadBlockData"), (.smbusWriteBlockData, "smbusWriteBlockData"),
        (.smbusReadI2CBlock, "smbusReadI2CBlock"), (.smbusWriteI2CBlock, "smbusWriteI2CBlock"),
    ]

    /// The named capabilities, then any other bits in hex: `[i2c, smbusQuick, 0x10000000]`.
    public var description: String {
        var parts = Self.names.filter { contains($0.0) }.map(\.1)
        let unnamed = Self.names.reduce(rawValue) { $0 & ~$1.0.rawValue }
        if unnamed != 0 { parts.append("0x" + String(unnamed, radix: 16)) }
        return "[" + parts.joined(separator: ", ") + "]"
    }
}
