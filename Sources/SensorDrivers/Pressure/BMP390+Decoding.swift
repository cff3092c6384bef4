import SensorIO

extension BMP390 {
    /// The two parts the driver serves, told apart by CHIP_ID.
    public enum Part: Sendable {
        case bmp390, bmp388

        var model: String { self == .bmp390 ? "BMP390" : "BMP388" }
        var chipID: UInt8 { self == .bmp390 ? BMP390.chipIDBMP390 : BMP390.chipIDBMP388 }
    }

    /// Decodes a BMP390/BMP388 register file (datasheet §5 memory map; sensors.md §2.1): the measurement
    /// configuration, the NVM coefficients 0x31–0x45 as stored, and the conversion in DATA 0x04–0x09 compensated
    /// with them (the driver's own `BMP390Reading`).
    public static func decode(_ dump: I2CDump, as part: Part) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: part.model)
        let id = try registers.identify(register: Register.chipID.rawValue, expected: [part.chipID],
                                        names: [chipIDBMP390: "BMP390", chipIDBMP388: "BMP388"])
        let nvm = try registers.bytes(Register.calibration.rawValue, count: BMP390Calibration.byteCount, for: "calibration NVM")
        guard let calibration = BMP390Calibration(nvm: nvm), calibration.isPlausible else {
            throw RegisterDecodeError(register: Register.calibration.rawValue,
                                      reason: "the \(part.model) calibration NVM 0x31–0x45 reads all 0x00 or all 0xFF: a dead read or an unprogrammed part")
        }
        let data = try registers.bytes(Register.data.rawValue, count: 6, for: "conversion data")
        let rawPressure = UInt32(data[2]) << 16 | UInt32(data[1]) << 8 | UInt32(data[0])
        let rawTemperature = UInt32(data[5]) << 16 | UInt32(data[4]) << 8 | UInt32(data[3])
        let reading = BMP390Reading(rawPressure: rawPressure, rawTemperature: rawTemperature, calibration: calibration)

        var decoding = RegisterDecoding(model: part.model, idRegister: Register.chipID.rawValue, idValue: id)
        decoding.configuration = configuration(registers)
        decoding.calibration = calibrationFields(nvm)
        decoding.setConversion(PressureReading(pressure: reading.pressure, temperature: reading.temperature,
                                               rawPressure: Int64(rawPressure), rawTemperature: Int64(rawTemperature),
                                               pressureStep: reading.pressureStep),
                               pressureRegister: 0x04, temperatureRegister: 0x07)
        if let power = registers.optionalByte(Register.powerControl.rawValue), power & 0x30 != 0x30 {
            decoding.notes.append("PWR_CTRL (0x1B) is not normal mode: DATA holds the last conversion made before")
        }
        if let status = registers.optionalByte(Register.status.rawValue), status & statusPressureReady == 0 {
            decoding.notes.append("STATUS (0x03) drdy_press is clear: DATA was read since its conversion ended (or none ended)")
        }
        return decoding
    }

    /// Mode, oversampling, rate and filter (PWR_CTRL, OSR, ODR, CONFIG) and the error and status bits, where the dump
    /// holds them.
    private static func configuration(_ registers: RegisterSnapshot) -> [DecodedField] {
        var fields: [DecodedField] = []
        if let errors = registers.optionalByte(Register.errors.rawValue) {
            fields.append(DecodedField("fatal_err", .flag(errors & 0x01 != 0), register: 0x02))
            fields.append(DecodedField("cmd_err", .flag(errors & 0x02 != 0), register: 0x02))
            fields.append(DecodedField("conf_err", .flag(errors & errorConfiguration != 0), register: 0x02))
        }
        if let status = registers.optionalByte(Register.status.rawValue) {
            fields.append(DecodedField("cmd_rdy", .flag(status & 0x10 != 0), register: 0x03))
            fields.append(DecodedField("drdy_press", .flag(status & statusPressureReady != 0), register: 0x03))
            fields.append(DecodedField("drdy_temp", .flag(status & statusTemperatureReady != 0), register: 0x03))
        }
        if let interrupt = registers.optionalByte(Register.interruptControl.rawValue) {
            fields.append(DecodedField("int_drdy_en", .flag(interrupt & interruptDataReady != 0), register: 0x19))
        }
        if let power = registers.optionalByte(Register.powerControl.rawValue) {
            let mode = ["sleep", "forced", "forced", "normal"][Int(power >> 4 & 0x03)]
            fields.append(DecodedField("mode", .text(mode), register: 0x1B))
            fields.append(DecodedField("press_en", .flag(power & 0x01 != 0), register: 0x1B))
            fields.append(DecodedField("temp_en", .flag(power & 0x02 != 0), register: 0x1B))
        }
        if let osr = registers.optionalByte(Register.oversampling.rawValue) {
            fields.append(DecodedField("osr_p", .integer(1 << Int64(osr & 0x07)), register: 0x1C))
            fields.append(DecodedField("osr_t", .integer(1 << Int64(osr >> 3 & 0x07)), register: 0x1C))
        }
        if let odr = registers.optionalByte(Register.outputDataRate.rawValue) {
            fields.append(DecodedField("odr_hz", .number(200 / Double(1 << Int(odr & 0x1F))), register: 0x1D))
        }
        if let config = registers.optionalByte(Register.config.rawValue) {
            fields.append(DecodedField("iir_coefficient", .integer((1 << Int64(config >> 1 & 0x07)) - 1), register: 0x1F))
        }
        return fields
    }

    /// The NVM words as Bosch's API names and types them (datasheet §9.1; sensors.md §6 V2 lists them).
    private static func calibrationFields(_ nvm: [UInt8]) -> [DecodedField] {
        func u16(_ i: Int) -> Int64 { Int64(UInt16(nvm[i]) | UInt16(nvm[i + 1]) << 8) }
        func i16(_ i: Int) -> Int64 { Int64(Int16(bitPattern: UInt16(nvm[i]) | UInt16(nvm[i + 1]) << 8)) }
        func i8(_ i: Int) -> Int64 { Int64(Int8(bitPattern: nvm[i])) }
        let words: [(String, Int, Int64)] = [
            ("par_t1", 0, u16(0)), ("par_t2", 2, u16(2)), ("par_t3", 4, i8(4)),
            ("par_p1", 5, i16(5)), ("par_p2", 7, i16(7)), ("par_p3", 9, i8(9)), ("par_p4", 10, i8(10)),
            ("par_p5", 11, u16(11)), ("par_p6", 13, u16(13)), ("par_p7", 15, i8(15)), ("par_p8", 16, i8(16)),
            ("par_p9", 17, i16(17)), ("par_p10", 19, i8(19)), ("par_p11", 20, i8(20)),
        ]
        return words.map { DecodedField($0.0, .integer($0.2), register: Register.calibration.rawValue + UInt8($0.1)) }
    }
}
