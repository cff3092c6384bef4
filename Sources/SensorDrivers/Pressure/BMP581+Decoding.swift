import SensorIO

extension BMP581 {
    /// Decodes a BMP581 register file (BMP5_SensorAPI `bmp5_defs.h`; sensors.md §2.2): the power mode, rate,
    /// oversampling (set and effective), IIR and interrupt set-up, and the conversion in 0x1D–0x22 as the driver
    /// reads it (`reading(fromData:)`). The chip compensates on chip, so there are no calibration coefficients.
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "BMP581")
        let id = try registers.identify(register: Register.chipID.rawValue, expected: [chipIDPrimary, chipIDSecondary])
        let data = try registers.bytes(Register.data.rawValue, count: 6, for: "conversion data")
        let reading = reading(fromData: data)

        // The driver's names: 0x51 is the family's second id, which third-party drivers call the BMP585.
        var decoding = RegisterDecoding(model: id == chipIDPrimary ? "BMP581" : "BMP585",
                                        idRegister: Register.chipID.rawValue, idValue: id)
        decoding.configuration = configuration(registers)
        decoding.setConversion(reading, pressureRegister: 0x20, temperatureRegister: 0x1D)

        if let osr = registers.optionalByte(Register.oversampling.rawValue), osr & pressureEnable == 0 {
            // Without press_en the chip converts temperature only; PRESS_DATA is not a pressure (the Linux bmp580
            // driver reads 0x7F7F7F there as "skipped").
            decoding.pressurePa = nil
            decoding.values = []
            decoding.notes.append("OSR_CONFIG (0x36) press_en is clear: the chip does not measure pressure, so PRESS_DATA holds none")
        }
        if let rate = registers.optionalByte(Register.outputDataRate.rawValue) {
            let mode = PowerMode(rawValue: rate & 0x03)!
            if mode == .standby || mode == .forced {
                decoding.notes.append("ODR_CONFIG (0x37) is \(mode) mode: the data registers hold the last conversion made before")
            }
            if mode == .normal, let effective = registers.optionalByte(Register.effectiveOversampling.rawValue),
               effective & odrIsValid == 0 {
                let set = registers.optionalByte(Register.oversampling.rawValue).map { " instead of ×\(1 << Int($0 >> 3 & 0x07))" } ?? ""
                decoding.notes.append("OSR_EFF (0x38) odr_is_valid is clear: the ODR leaves no time for the set oversampling, so the "
                                      + "chip runs pressure ×\(1 << Int(effective >> 3 & 0x07))\(set)")
            }
        }
        if let status = registers.optionalByte(Register.interruptStatus.rawValue), status & interruptDataReady == 0 {
            decoding.notes.append("INT_STATUS (0x27) drdy is clear: the data were read since their conversion ended (or none ended)")
        }
        return decoding
    }

    /// The interrupt set-up, NVM status, DSP and IIR, oversampling, power mode and rate, where the dump holds them.
    /// INT_STATUS clears on read, so a `sensorqual dump` leaves it blank; i2cdump reads it (and clears it).
    private static func configuration(_ registers: RegisterSnapshot) -> [DecodedField] {
        var fields: [DecodedField] = []
        if let config = registers.optionalByte(Register.interruptConfig.rawValue) {
            fields.append(DecodedField("int_mode_latched", .flag(config & 0x01 != 0), register: 0x14))
            fields.append(DecodedField("int_pol_active_high", .flag(config & 0x02 != 0), register: 0x14))
            fields.append(DecodedField("int_od_open_drain", .flag(config & 0x04 != 0), register: 0x14))
            fields.append(DecodedField("int_en", .flag(config & 0x08 != 0), register: 0x14))
        }
        if let source = registers.optionalByte(Register.interruptSource.rawValue) {
            fields.append(DecodedField("drdy_data_reg_en", .flag(source & interruptDataReady != 0), register: 0x15))
        }
        if let status = registers.optionalByte(Register.interruptStatus.rawValue) {
            fields.append(DecodedField("drdy_data_reg", .flag(status & interruptDataReady != 0), register: 0x27))
            fields.append(DecodedField("por", .flag(status & interruptPowerOnReset != 0), register: 0x27))
        }
        if let status = registers.optionalByte(Register.status.rawValue) {
            fields.append(DecodedField("nvm_rdy", .flag(status & statusNVMReady != 0), register: 0x28))
            fields.append(DecodedField("nvm_err", .flag(status & statusNVMError != 0), register: 0x28))
        }
        if let dsp = registers.optionalByte(Register.dspConfig.rawValue) {
            fields.append(DecodedField("comp_pt_en", .integer(Int64(dsp & dspCompensation)), register: 0x30))
            fields.append(DecodedField("shdw_sel_iir_t", .flag(dsp & dspShadowIIRTemperature != 0), register: 0x30))
            fields.append(DecodedField("shdw_sel_iir_p", .flag(dsp & dspShadowIIRPressure != 0), register: 0x30))
        }
        if let iir = registers.optionalByte(Register.dspIIR.rawValue) {
            fields.append(DecodedField("iir_coefficient_t", .integer(Int64(IIRFilter(code: iir)!.rawValue)), register: 0x31))
            fields.append(DecodedField("iir_coefficient_p", .integer(Int64(IIRFilter(code: iir >> 3)!.rawValue)), register: 0x31))
        }
        if let osr = registers.optionalByte(Register.oversampling.rawValue) {
            fields.append(DecodedField("osr_t", .integer(Int64(Oversampling(code: osr)!.rawValue)), register: 0x36))
            fields.append(DecodedField("osr_p", .integer(Int64(Oversampling(code: osr >> 3)!.rawValue)), register: 0x36))
            fields.append(DecodedField("press_en", .flag(osr & pressureEnable != 0), register: 0x36))
        }
        if let rate = registers.optionalByte(Register.outputDataRate.rawValue) {
            fields.append(DecodedField("mode", .text("\(PowerMode(rawValue: rate & 0x03)!)"), register: 0x37))
            // The ODR paces normal mode only; continuous mode runs as fast as the conversion allows.
            fields.append(DecodedField("odr_hz", .number(outputDataRates[Int(rate >> 2 & 0x1F)]), register: 0x37))
            fields.append(DecodedField("deep_dis", .flag(rate & deepStandbyDisable != 0), register: 0x37))
        }
        if let effective = registers.optionalByte(Register.effectiveOversampling.rawValue) {
            fields.append(DecodedField("osr_t_eff", .integer(Int64(Oversampling(code: effective)!.rawValue)), register: 0x38))
            fields.append(DecodedField("osr_p_eff", .integer(Int64(Oversampling(code: effective >> 3)!.rawValue)), register: 0x38))
            fields.append(DecodedField("odr_is_valid", .flag(effective & odrIsValid != 0), register: 0x38))
        }
        return fields
    }
}
