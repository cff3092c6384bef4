import SensorIO

extension LIS3MDL {
    /// Decodes an LIS3MDL register file (ST `lis3mdl_reg.h`; sensors.md §3.3): operating modes, rate, full scale,
    /// conversion mode and status, and OUT_X…TEMP_OUT in µT and °C as the driver converts them
    /// (`reading(fromData:scale:)`) at the full scale CTRL_REG2 sets. The chip scales on chip, so there are no
    /// calibration coefficients.
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "LIS3MDL")
        let id = try registers.identify(register: Register.whoAmI.rawValue, expected: [whoAmIValue])
        let scale = Int(try registers.byte(Register.control2.rawValue, for: "full scale (CTRL_REG2)") >> 5 & 0x03)
        var data = try registers.bytes(Register.output.rawValue, count: 8, for: "output data (OUT_X–TEMP_OUT)")
        let bigEndian = registers.optionalByte(Register.control4.rawValue).map { $0 & bigEndianData != 0 } ?? false
        if bigEndian {
            // The driver reads the outputs little-endian (BLE 0); swap each word so its conversion applies.
            for word in 0..<4 { data.swapAt(2 * word, 2 * word + 1) }
        }
        let reading = reading(fromData: data, scale: scale)

        var decoding = RegisterDecoding(model: "LIS3MDL", idRegister: Register.whoAmI.rawValue, idValue: id)
        decoding.configuration = configuration(registers, scale: scale)
        decoding.raw = ["x", "y", "z"].enumerated().map {
            DecodedField($0.element, .integer(reading.raw[$0.offset]), register: Register.output.rawValue + UInt8(2 * $0.offset))
        }
        let temperatureCounts = Int64(Int16(bitPattern: UInt16(data[7]) << 8 | UInt16(data[6])))
        decoding.raw.append(DecodedField("temperature", .integer(temperatureCounts), register: 0x2E))
        decoding.field = reading.field
        decoding.temperatureC = reading.temperature

        decoding.notes.append("Registers 0x80–0xFF mirror 0x00–0x7F: on I2C, bit 7 of the sub-address asks for auto-increment "
                              + "(sensors.md §3.3, §7); this decoding reads 0x00–0x7F")
        if bigEndian {
            decoding.notes.append("CTRL_REG4 (0x23) BLE is set: the outputs are big-endian, and are decoded so")
        }
        if let control = registers.optionalByte(Register.control1.rawValue), control & temperatureEnable == 0 {
            decoding.temperatureC = nil
            decoding.notes.append("CTRL_REG1 (0x20) TEMP_EN is clear: the chip does not measure temperature, so TEMP_OUT holds none")
        }
        if let control = registers.optionalByte(Register.control3.rawValue), control & 0x03 != continuousMode {
            decoding.notes.append("CTRL_REG3 (0x22) MD is \(conversionModes[Int(control & 0x03)]): OUT holds the last conversion "
                                  + "made before")
        }
        if let status = registers.optionalByte(Register.status.rawValue), status & dataReady == 0 {
            decoding.notes.append("STATUS (0x27) ZYXDA is clear: OUT was read since its conversion (or none was made)")
        }
        if let offsets = offsets(registers), offsets.contains(where: { $0 != 0 }) {
            decoding.notes.append("OFFSET_X/Y/Z_REG (0x05–0x0A) are not 0: the chip applies this hard-iron offset to OUT")
        }
        return decoding
    }

    /// CTRL_REG4 bit 1, BLE: big-endian outputs (sensors.md §3.3).
    private static let bigEndianData: UInt8 = 1 << 1
    /// OFFSET_X_REG_L … OFFSET_Z_REG_H: a hard-iron offset in output counts, int16 little-endian (ST `lis3mdl_reg.h`
    /// `LIS3MDL_OFFSET_X_REG_L_M`; not in sensors.md).
    private static let offsetRegister: UInt8 = 0x05
    /// CTRL_REG3 MD: 00 continuous, 01 single, 10 and 11 power-down.
    private static let conversionModes = ["continuous", "single", "power-down", "power-down"]

    private static func offsets(_ registers: RegisterSnapshot) -> [Int64]? {
        let bytes = (0..<6).compactMap { registers.optionalByte(offsetRegister + UInt8($0)) }
        guard bytes.count == 6 else { return nil }
        return (0..<3).map { Int64(Int16(bitPattern: UInt16(bytes[2 * $0 + 1]) << 8 | UInt16(bytes[2 * $0]))) }
    }

    /// The offsets, CTRL_REG1–5 and STATUS, where the dump holds them. INT_SRC (0x31, and its mirror 0xB1) clears on
    /// read, so a `sensorqual dump` leaves it blank.
    private static func configuration(_ registers: RegisterSnapshot, scale: Int) -> [DecodedField] {
        var fields: [DecodedField] = []
        if let offsets = offsets(registers) {
            for (axis, name) in ["x", "y", "z"].enumerated() {
                fields.append(DecodedField("offset_\(name)", .integer(offsets[axis]), register: offsetRegister + UInt8(2 * axis)))
            }
        }
        if let control = registers.optionalByte(Register.control1.rawValue) {
            let mode = OperatingMode(rawValue: Int(control >> 5 & 0x03))!
            let fast = control & fastDataRate != 0
            fields.append(DecodedField("temp_en", .flag(control & temperatureEnable != 0), register: 0x20))
            fields.append(DecodedField("om_xy", .text(mode.name), register: 0x20))
            fields.append(DecodedField("odr_hz", .number(fast ? mode.fastRate : dataRates[Int(control >> 2 & 0x07)]), register: 0x20))
            fields.append(DecodedField("fast_odr", .flag(fast), register: 0x20))
            fields.append(DecodedField("self_test", .flag(control & 0x01 != 0), register: 0x20))
        }
        fields.append(DecodedField("full_scale_ut", .number(fullScales[scale]), register: 0x21))
        fields.append(DecodedField("sensitivity_lsb_per_gauss", .number(sensitivities[scale]), register: 0x21))
        if let control = registers.optionalByte(Register.control3.rawValue) {
            fields.append(DecodedField("md", .text(conversionModes[Int(control & 0x03)]), register: 0x22))
            fields.append(DecodedField("lp", .flag(control & 0x20 != 0), register: 0x22))
        }
        if let control = registers.optionalByte(Register.control4.rawValue) {
            fields.append(DecodedField("om_z", .text(OperatingMode(rawValue: Int(control >> 2 & 0x03))!.name), register: 0x23))
            fields.append(DecodedField("ble", .flag(control & bigEndianData != 0), register: 0x23))
        }
        if let control = registers.optionalByte(Register.control5.rawValue) {
            fields.append(DecodedField("fast_read", .flag(control & 0x80 != 0), register: 0x24))
            fields.append(DecodedField("bdu", .flag(control & blockDataUpdate != 0), register: 0x24))
        }
        if let status = registers.optionalByte(Register.status.rawValue) {
            fields.append(DecodedField("zyxda", .flag(status & dataReady != 0), register: 0x27))
            fields.append(DecodedField("zyxor", .flag(status & overrun != 0), register: 0x27))
        }
        return fields
    }
}
