import SensorIO

/// The chips whose calibration and data live in registers, so that a register dump alone gives their reading
/// (`sensorqual decode CHIP --i2cdump FILE`), by catalog chip name. Command chips (MS5611, SCD41, SGP41, the
/// ADS122C04 of a fluxgate) have no register file to dump.
public enum RegisterDecoders {
    public static let chips = ["bmp390", "bmp388", "bmp581", "dps310", "lps22hh", "rm3100", "mmc5983ma", "lis3mdl",
                               "bmm150", "ens160"]

    /// Registers of `chip` whose read has a side effect (clear-on-read status, a FIFO data port): `sensorqual dump`
    /// leaves them unread, blank in its table. Empty for a chip not listed.
    public static func readSensitiveRegisters(chip: String) -> Set<UInt8> {
        switch chip.lowercased() {
        // EVENT (por_detected) and INT_STATUS clear on read; FIFO_DATA pops the FIFO (BMP390 datasheet §5.3).
        case "bmp390", "bmp388": [0x10, 0x11, 0x14]
        default: []
        }
    }

    /// Decodes `dump` as `chip` (a name of `chips`, any case); nil when `decode` does not know the chip.
    public static func decode(chip: String, _ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding? {
        switch chip.lowercased() {
        case "bmp390": try BMP390.decode(dump, as: .bmp390)
        case "bmp388": try BMP390.decode(dump, as: .bmp388)
        default: nil
        }
    }
}
