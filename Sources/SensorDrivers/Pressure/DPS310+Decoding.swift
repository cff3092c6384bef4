import SensorIO

extension DPS310 {
    /// FIFO_STS: bit 1 FIFO_FULL, bit 0 FIFO_EMPTY (sensors.md §2.3 register table).
    private static let fifoStatusRegister: UInt8 = 0x0B

    /// Decodes a DPS310 register file (sensors.md §2.3): the rates and oversampling of PRS_CFG/TMP_CFG, the mode and
    /// status bits of MEAS_CFG, CFG_REG, the coefficients COEF 0x10–0x21 as stored, and PSR/TMP compensated with them
    /// at the scale factors of the oversampling set (the driver's `reading(fromData:coefficients:kP:kT:)`).
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "DPS310")
        let id = try registers.identify(register: Register.productID.rawValue, expected: [productID])
        let coef = try registers.bytes(Register.coefficients.rawValue, count: DPS310Coefficients.byteCount, for: "coefficients (COEF)")
        guard let coefficients = DPS310Coefficients(coef: coef), coefficients.isPlausible else {
            throw RegisterDecodeError(register: Register.coefficients.rawValue,
                                      reason: "the DPS310 coefficients COEF 0x10–0x21 read all 0x00 or all 0xFF: a dead read, "
                                          + "or read before COEF_RDY")
        }
        // kP and kT follow the oversampling the conversion was made at (sensors.md §2.3 scale factor table).
        let setup = try registers.bytes(Register.pressureConfiguration.rawValue, count: 2, for: "oversampling setting (PRS_CFG, TMP_CFG)")
        let pressureOversampling = 1 << Int(setup[0] & 0x0F), temperatureOversampling = 1 << Int(setup[1] & 0x0F)
        guard let kP = DPS310Coefficients.scaleFactor(oversampling: pressureOversampling) else {
            throw RegisterDecodeError(register: Register.pressureConfiguration.rawValue,
                                      reason: "register 0x06 (PRS_CFG) PM_PRC is \(setup[0] & 0x0F), a reserved code: the DPS310 "
                                          + "oversamples ×1…×128 (0–7)")
        }
        guard let kT = DPS310Coefficients.scaleFactor(oversampling: temperatureOversampling) else {
            throw RegisterDecodeError(register: Register.temperatureConfiguration.rawValue,
                                      reason: "register 0x07 (TMP_CFG) TMP_PRC is \(setup[1] & 0x0F), a reserved code: the DPS310 "
                                          + "oversamples ×1…×128 (0–7)")
        }
        let data = try registers.bytes(Register.pressure.rawValue, count: 6, for: "results (PSR, TMP)")
        let reading = reading(fromData: data, coefficients: coefficients, kP: kP, kT: kT)

        var decoding = RegisterDecoding(model: "DPS310", idRegister: Register.productID.rawValue, idValue: id)
        decoding.configuration = configuration(registers, kP: kP, kT: kT)
        decoding.calibration = [
            ("c0", 0x10, coefficients.c0), ("c1", 0x11, coefficients.c1), ("c00", 0x13, coefficients.c00),
            ("c10", 0x15, coefficients.c10), ("c01", 0x18, coefficients.c01), ("c11", 0x1A, coefficients.c11),
            ("c20", 0x1C, coefficients.c20), ("c21", 0x1E, coefficients.c21), ("c30", 0x20, coefficients.c30),
        ].map { DecodedField($0.0, .integer(Int64($0.2)), register: UInt8($0.1)) }
        decoding.setConversion(reading, pressureRegister: 0x00, temperatureRegister: 0x03)
        decoding.notes = notes(registers, pressureOversampling: pressureOversampling, temperatureOversampling: temperatureOversampling,
                               temperatureSensor: setup[1] & externalTemperatureSensor)
        return decoding
    }

    /// What a reader must know: the result shift bits against the oversampling and the temperature sensor against
    /// COEF_SRCE (sensors.md §2.3, §7: each spoils the values silently), the mode, and the FIFO.
    private static func notes(_ registers: RegisterSnapshot, pressureOversampling: Int, temperatureOversampling: Int,
                              temperatureSensor: UInt8) -> [String] {
        var notes: [String] = []
        if let config = registers.optionalByte(Register.configuration.rawValue) {
            for (name, bit, oversampling, result) in [("P_SHIFT", pressureShift, pressureOversampling, "PSR and the pressure"),
                                                      ("T_SHIFT", temperatureShift, temperatureOversampling, "TMP and the temperature")] {
                let shifted = config & bit != 0
                if oversampling > 8, !shifted {
                    notes.append("CFG_REG (0x09) \(name) is clear at ×\(oversampling): above ×8 the result overflows its 24 bits "
                                 + "unless shifted, so \(result) are wrong")
                } else if oversampling <= 8, shifted {
                    notes.append("CFG_REG (0x09) \(name) is set at ×\(oversampling): the result is shifted right 6 bits, which the "
                                 + "scale factor for ×8 and below does not assume, so \(result) are wrong")
                }
            }
            if config & 0x02 != 0 {
                notes.append("CFG_REG (0x09) FIFO_EN is set: PSR is the FIFO's output, so the dump popped one entry and shows the "
                             + "oldest result, not the latest")
            }
        }
        if let source = registers.optionalByte(Register.coefficientSource.rawValue),
           source & externalTemperatureSensor != temperatureSensor {
            let sensor = { (bit: UInt8) in bit != 0 ? "external (MEMS)" : "internal (ASIC)" }
            notes.append("TMP_CFG (0x07) TMP_EXT selects the \(sensor(temperatureSensor)) temperature sensor, but COEF_SRCE (0x28) "
                         + "says the coefficients were made with the \(sensor(source & externalTemperatureSensor)) one: the "
                         + "temperature, and the pressure through it, are off")
        }
        if let status = registers.optionalByte(Register.measurementConfiguration.rawValue) {
            if status & 0x07 == 0 {
                notes.append("MEAS_CFG (0x08) MEAS_CTRL is idle: PSR and TMP hold the last results made before")
            }
            if status & coefficientsReady == 0 {
                notes.append("MEAS_CFG (0x08) COEF_RDY is clear: COEF may not have been loaded when the dump was taken")
            }
            if status & pressureReady == 0 {
                // i2cdump reads PSR (0x00) before MEAS_CFG (0x08), and reading PSR clears PRS_RDY.
                notes.append("MEAS_CFG (0x08) PRS_RDY is clear: a dump reads PSR before MEAS_CFG, which clears it, so this does "
                             + "not say whether PSR was fresh")
            }
        }
        return notes
    }

    /// The rates and oversampling, the mode and status bits, interrupts and shift bits, FIFO status and the
    /// coefficient source, where the dump holds them. INT_STS clears on read, so a `sensorqual dump` leaves it blank.
    private static func configuration(_ registers: RegisterSnapshot, kP: Double, kT: Double) -> [DecodedField] {
        var fields: [DecodedField] = []
        if let prs = registers.optionalByte(Register.pressureConfiguration.rawValue) {
            fields.append(DecodedField("pm_rate_hz", .number(rates[Int(prs >> 4 & 0x07)]), register: 0x06))
            fields.append(DecodedField("osr_p", .integer(1 << Int64(prs & 0x0F)), register: 0x06))
            fields.append(DecodedField("kp", .number(kP), register: 0x06))
        }
        if let tmp = registers.optionalByte(Register.temperatureConfiguration.rawValue) {
            fields.append(DecodedField("tmp_ext", .flag(tmp & externalTemperatureSensor != 0), register: 0x07))
            fields.append(DecodedField("tmp_rate_hz", .number(rates[Int(tmp >> 4 & 0x07)]), register: 0x07))
            fields.append(DecodedField("osr_t", .integer(1 << Int64(tmp & 0x0F)), register: 0x07))
            fields.append(DecodedField("kt", .number(kT), register: 0x07))
        }
        if let meas = registers.optionalByte(Register.measurementConfiguration.rawValue) {
            let modes: [UInt8: String] = [0: "idle", 1: "pressure command", 2: "temperature command", 5: "continuous pressure",
                                          6: "continuous temperature", 7: "continuous pressure and temperature"]
            fields.append(DecodedField("meas_ctrl", .text(modes[meas & 0x07] ?? "reserved (\(meas & 0x07))"), register: 0x08))
            fields.append(DecodedField("prs_rdy", .flag(meas & pressureReady != 0), register: 0x08))
            fields.append(DecodedField("tmp_rdy", .flag(meas & temperatureReady != 0), register: 0x08))
            fields.append(DecodedField("sensor_rdy", .flag(meas & sensorReady != 0), register: 0x08))
            fields.append(DecodedField("coef_rdy", .flag(meas & coefficientsReady != 0), register: 0x08))
        }
        if let config = registers.optionalByte(Register.configuration.rawValue) {
            fields.append(DecodedField("int_hl", .flag(config & 0x80 != 0), register: 0x09))
            fields.append(DecodedField("int_fifo", .flag(config & 0x40 != 0), register: 0x09))
            fields.append(DecodedField("int_tmp", .flag(config & 0x20 != 0), register: 0x09))
            fields.append(DecodedField("int_prs", .flag(config & 0x10 != 0), register: 0x09))
            fields.append(DecodedField("t_shift", .flag(config & temperatureShift != 0), register: 0x09))
            fields.append(DecodedField("p_shift", .flag(config & pressureShift != 0), register: 0x09))
            fields.append(DecodedField("fifo_en", .flag(config & 0x02 != 0), register: 0x09))
        }
        if let status = registers.optionalByte(Register.interruptStatus.rawValue) {
            fields.append(DecodedField("int_fifo_full", .flag(status & 0x04 != 0), register: 0x0A))
            fields.append(DecodedField("int_tmp_sts", .flag(status & 0x02 != 0), register: 0x0A))
            fields.append(DecodedField("int_prs_sts", .flag(status & 0x01 != 0), register: 0x0A))
        }
        if let fifo = registers.optionalByte(fifoStatusRegister) {
            fields.append(DecodedField("fifo_full", .flag(fifo & 0x02 != 0), register: fifoStatusRegister))
            fields.append(DecodedField("fifo_empty", .flag(fifo & 0x01 != 0), register: fifoStatusRegister))
        }
        if let source = registers.optionalByte(Register.coefficientSource.rawValue) {
            fields.append(DecodedField("tmp_coef_srce", .flag(source & externalTemperatureSensor != 0), register: 0x28))
        }
        return fields
    }
}
