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
        // INT_STATUS clears on read (sensors.md §2.2); FIFO_DATA pops the FIFO (BMP5_SensorAPI `BMP5_REG_FIFO_DATA`).
        case "bmp581": [0x27, 0x29]
        // INT_STS clears on read (sensors.md §2.3). With CFG_REG FIFO_EN set PSR pops the FIFO, but the decoding needs
        // it: the decoder notes it instead.
        case "dps310": [0x0A]
        // INT_SOURCE clears on read when latched; FIFO_DATA_OUT_PRESS/TEMP pop the FIFO (ST `lps22hh_reg.h`).
        case "lps22hh": [0x24, 0x78, 0x79, 0x7A, 0x7B, 0x7C]
        // INT_SRC clears on read when latched (ST `lis3mdl_reg.h`), also at 0xB1, since bit 7 of an I2C sub-address
        // only asks for auto-increment (sensors.md §3.3).
        case "lis3mdl": [0x31, 0xB1]
        // The interrupt status clears on read (BMM150_SensorAPI `BMM150_REG_INTERRUPT_STATUS`).
        case "bmm150": [0x4A]
        // RM3100, MMC5983MA, ENS160: reading the results clears a data-ready flag (DRDY, NEWDAT/NEWGPR), but the
        // decoding needs them; none has a clear-on-read status or a FIFO port (MMC5983MA Status clears by a write).
        default: []
        }
    }

    /// Decodes `dump` as `chip` (a name of `chips`, any case); nil when `decode` does not know the chip.
    public static func decode(chip: String, _ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding? {
        switch chip.lowercased() {
        case "bmp390": try BMP390.decode(dump, as: .bmp390)
        case "bmp388": try BMP390.decode(dump, as: .bmp388)
        case "bmp581": try BMP581.decode(dump)
        case "dps310": try DPS310.decode(dump)
        case "lps22hh": try LPS22HH.decode(dump)
        case "rm3100": try RM3100.decode(dump)
        case "mmc5983ma": try MMC5983MA.decode(dump)
        case "lis3mdl": try LIS3MDL.decode(dump)
        case "bmm150": try BMM150.decode(dump)
        case "ens160": try ENS160.decode(dump)
        default: nil
        }
    }
}
