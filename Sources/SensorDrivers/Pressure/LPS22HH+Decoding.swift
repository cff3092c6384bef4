import SensorIO

extension LPS22HH {
    /// Decodes an LPS22HH register file (ST `lps22hh_reg.h`; sensors.md §2.4): the rate, low-pass filter, low-noise
    /// mode and status bits, and PRESS_OUT/TEMP_OUT as the driver reads them (`reading(fromData:)`). The chip
    /// compensates on chip, so there are no calibration coefficients.
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "LPS22HH")
        let id = try registers.identify(register: Register.whoAmI.rawValue, expected: [whoAmIValue])
        let reading = reading(fromData: try registers.bytes(Register.data.rawValue, count: 5, for: "output data (PRESS_OUT, TEMP_OUT)"))

        var decoding = RegisterDecoding(model: "LPS22HH", idRegister: Register.whoAmI.rawValue, idValue: id)
        decoding.configuration = configuration(registers)
        decoding.setConversion(reading, pressureRegister: 0x28, temperatureRegister: 0x2B)

        if let control = registers.optionalByte(Register.control1.rawValue), control & 0x70 == 0 {
            decoding.notes.append("CTRL_REG1 (0x10) ODR is 0 (power-down or one-shot): the outputs hold the last conversion made before")
        }
        if let status = registers.optionalByte(Register.status.rawValue), status & pressureAvailable == 0 {
            decoding.notes.append("STATUS (0x27) P_DA is clear: PRESS_OUT was read since its conversion (or none was made)")
        }
        if let offset = registers.optionalByte(rpdsRegister), let high = registers.optionalByte(rpdsRegister + 1), offset | high != 0 {
            decoding.notes.append("RPDS (0x18–0x19) is not 0: the chip applies this one-point pressure offset to PRESS_OUT")
        }
        return decoding
    }

    /// CTRL_REG3 (bit 2: DRDY on the INT pin) and RPDS_L/H, the one-point calibration offset the chip applies to
    /// the pressure (sensors.md §2.4 table).
    private static let control3Register: UInt8 = 0x12
    private static let rpdsRegister: UInt8 = 0x18

    /// CTRL_REG1–3, the pressure offset and STATUS, where the dump holds them. INT_SOURCE (0x24) clears on read and
    /// FIFO_DATA_OUT (0x78–0x7C) pops the FIFO, so a `sensorqual dump` leaves them blank.
    private static func configuration(_ registers: RegisterSnapshot) -> [DecodedField] {
        var fields: [DecodedField] = []
        if let control = registers.optionalByte(Register.control1.rawValue) {
            let code = Int(control >> 4 & 0x07)
            let filter = LowPassFilter(control1: control)
            fields.append(DecodedField("mode", .text(code == 0 ? "power-down" : "continuous"), register: 0x10))
            if code > 0 {
                let hertz = outputDataRates[code - 1]
                fields.append(DecodedField("odr_hz", .number(hertz), register: 0x10))
                fields.append(DecodedField("bandwidth_hz", .number(hertz * filter.bandwidthFraction), register: 0x10))
            }
            fields.append(DecodedField("lpfp", .text(filter == .off ? "off" : "ODR/\(filter.rawValue)"), register: 0x10))
            fields.append(DecodedField("bdu", .flag(control & blockDataUpdate != 0), register: 0x10))
        }
        if let control = registers.optionalByte(Register.control2.rawValue) {
            fields.append(DecodedField("if_add_inc", .flag(control & addressIncrement != 0), register: 0x11))
            fields.append(DecodedField("low_noise_en", .flag(control & lowNoiseEnable != 0), register: 0x11))
            fields.append(DecodedField("one_shot", .flag(control & oneShot != 0), register: 0x11))
        }
        if let control = registers.optionalByte(control3Register) {
            fields.append(DecodedField("int_drdy", .flag(control & 0x04 != 0), register: control3Register))
        }
        if let low = registers.optionalByte(rpdsRegister), let high = registers.optionalByte(rpdsRegister + 1) {
            fields.append(DecodedField("rpds", .integer(Int64(Int16(bitPattern: UInt16(high) << 8 | UInt16(low)))), register: rpdsRegister))
        }
        if let status = registers.optionalByte(Register.status.rawValue) {
            fields.append(DecodedField("p_da", .flag(status & pressureAvailable != 0), register: 0x27))
            fields.append(DecodedField("t_da", .flag(status & temperatureAvailable != 0), register: 0x27))
            fields.append(DecodedField("p_or", .flag(status & pressureOverrun != 0), register: 0x27))
            fields.append(DecodedField("t_or", .flag(status & temperatureOverrun != 0), register: 0x27))
        }
        return fields
    }
}
