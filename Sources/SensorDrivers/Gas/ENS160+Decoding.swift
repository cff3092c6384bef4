import SensorIO

extension ENS160 {
    /// Decodes an ENS160 register file (sensors.md §5.4): the operating mode, interrupt configuration, the
    /// compensation written to TEMP_IN/RH_IN, DEVICE_STATUS, and the data set as the driver reads it
    /// (`reading(status:data:pixels:)`): TVOC, eCO2, AQI-UBA, the validity and the four raw pixels as log2(R/Ω) and
    /// as R in Ω; the temperature and humidity the chip used, from DATA_T/DATA_RH. The algorithms run on chip, so
    /// there are no calibration coefficients.
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "ENS160")
        // PART_ID is 0x0160 little-endian over two registers; the identity names the low byte, as the driver's probe does.
        let id = try registers.identify(register: Register.partID.rawValue, expected: [UInt8(partID & 0xFF)])
        let high = try registers.byte(Register.partID.rawValue + 1, for: "id register")
        guard high == UInt8(partID >> 8) else {
            throw RegisterDecodeError(register: Register.partID.rawValue + 1,
                                      reason: "register 0x01 (id, high byte) reads 0x\(hex(high)), not the ENS160's 0x01: "
                                          + "PART_ID 0x\(hex(high))\(hex(id)) is not 0x0160, so this dump is not of an ENS160")
        }
        let status = try registers.byte(Register.deviceStatus.rawValue, for: "device status (validity)")
        let data = try registers.bytes(Register.airQualityIndex.rawValue, count: 5, for: "outputs (DATA_AQI, DATA_TVOC, DATA_ECO2)")
        let pixels = try registers.bytes(Register.rawResistance.rawValue, count: 8, for: "raw pixels (GPR_READ)")
        let used = try registers.bytes(dataTemperatureRegister, count: 4, for: "compensation used (DATA_T, DATA_RH)")
        let reading = reading(status: status, data: data, pixels: pixels)
        let temperatureWord = UInt16(used[0]) | UInt16(used[1]) << 8, humidityWord = UInt16(used[2]) | UInt16(used[3]) << 8

        var decoding = RegisterDecoding(model: "ENS160", idRegister: Register.partID.rawValue, idValue: id)
        decoding.configuration = configuration(registers, status: status)
        // `reading.raw` is [AQI, TVOC, ECO2, R1, R2, R3, R4] (`reading(status:data:pixels:)`).
        decoding.raw = zip(["aqi", "tvoc", "eco2", "r1", "r2", "r3", "r4"], [0x21, 0x22, 0x24, 0x48, 0x4A, 0x4C, 0x4E] as [UInt8])
            .enumerated().map { DecodedField($0.element.0, .integer(reading.raw[$0.offset]), register: $0.element.1) }
        decoding.raw += [DecodedField("temperature", .integer(Int64(temperatureWord)), register: dataTemperatureRegister),
                         DecodedField("humidity", .integer(Int64(humidityWord)), register: dataTemperatureRegister + 2)]
        decoding.temperatureC = celsius(temperatureWord: temperatureWord)
        decoding.values = [DecodedField("humidity_percent", .number(humidityPercent(word: humidityWord)),
                                        register: dataTemperatureRegister + 2),
                           DecodedField("tvoc_ppb", .number(reading.values["tvoc"]!), register: 0x22),
                           DecodedField("eco2_ppm", .number(reading.values["eco2"]!), register: 0x24),
                           DecodedField("aqi", .integer(reading.raw[0]), register: 0x21),
                           DecodedField("validity", .integer(Int64(status >> 2 & 0x03)), register: 0x20)]
        for pixel in 1...4 {
            decoding.values.append(DecodedField("log2_r\(pixel)", .number(reading.values["log2_r\(pixel)"]!),
                                                register: Register.rawResistance.rawValue + UInt8(2 * (pixel - 1))))
        }
        for pixel in 1...4 {
            decoding.values.append(DecodedField("r\(pixel)_ohm", .number(resistance(raw: UInt16(reading.raw[2 + pixel]))),
                                                register: Register.rawResistance.rawValue + UInt8(2 * (pixel - 1))))
        }

        if let why = reading.status {
            decoding.notes.append("DEVICE_STATUS (0x20) validity is \(status >> 2 & 0x03) (\(why)): the outputs do not count "
                                  + "(sensors.md §5.4)")
        }
        if status & statusError != 0 {
            decoding.notes.append("DEVICE_STATUS (0x20) STATER is set: an invalid operating mode or an error")
        }
        if let mode = registers.optionalByte(Register.operatingMode.rawValue), mode != OperatingMode.standard.rawValue {
            decoding.notes.append("OPMODE (0x10) is \(operatingModeName(mode)): the data registers hold the last data set made before")
        }
        if status & newData == 0 {
            decoding.notes.append("DEVICE_STATUS (0x20) NEWDAT is clear: DATA_AQI–DATA_ECO2 were read since the data set "
                                  + "(or none was made)")
        }
        return decoding
    }

    /// DATA_T (0x30–0x31) and DATA_RH (0x32–0x33): the temperature and humidity the algorithms used, in TEMP_IN's
    /// and RH_IN's formats (ENS160 datasheet [S28]; sensors.md §5.4 lists the registers, not their format).
    private static let dataTemperatureRegister: UInt8 = 0x30

    private static func operatingModeName(_ mode: UInt8) -> String {
        switch OperatingMode(rawValue: mode) {
        case .deepSleep: "deep sleep"
        case .idle: "idle"
        case .standard: "standard"
        case .reset: "reset"
        case nil: "0x\(hex(mode)) (not a mode)"
        }
    }

    /// OPMODE, CONFIG, TEMP_IN/RH_IN and DEVICE_STATUS's flags, where the dump holds them.
    private static func configuration(_ registers: RegisterSnapshot, status: UInt8) -> [DecodedField] {
        var fields: [DecodedField] = []
        if let mode = registers.optionalByte(Register.operatingMode.rawValue) {
            fields.append(DecodedField("opmode", .text(operatingModeName(mode)), register: 0x10))
        }
        if let config = registers.optionalByte(Register.configuration.rawValue) {
            fields.append(DecodedField("inten", .flag(config & 0x01 != 0), register: 0x11))
            fields.append(DecodedField("intdat", .flag(config & 0x02 != 0), register: 0x11))
            fields.append(DecodedField("intgpr", .flag(config & 0x08 != 0), register: 0x11))
            fields.append(DecodedField("int_cfg_push_pull", .flag(config & 0x20 != 0), register: 0x11))
            fields.append(DecodedField("intpol_active_high", .flag(config & 0x40 != 0), register: 0x11))
        }
        func word(_ register: UInt8) -> UInt16? {
            guard let low = registers.optionalByte(register), let high = registers.optionalByte(register + 1) else { return nil }
            return UInt16(low) | UInt16(high) << 8
        }
        if let temperature = word(Register.temperatureIn.rawValue) {
            fields.append(DecodedField("temp_in_c", .number(celsius(temperatureWord: temperature)), register: 0x13))
        }
        if let humidity = word(Register.humidityIn.rawValue) {
            fields.append(DecodedField("rh_in_percent", .number(humidityPercent(word: humidity)), register: 0x15))
        }
        fields.append(DecodedField("statas", .flag(status & 0x80 != 0), register: 0x20))
        fields.append(DecodedField("stater", .flag(status & statusError != 0), register: 0x20))
        fields.append(DecodedField("newdat", .flag(status & newData != 0), register: 0x20))
        fields.append(DecodedField("newgpr", .flag(status & newRawData != 0), register: 0x20))
        return fields
    }
}
