import SensorIO

extension MMC5983MA {
    /// °C of Tout (0x07): −75 + 0.8·Tout (sensors.md §3.2; SparkFun's code uses 200/255 per LSB instead). Tout holds
    /// a temperature only after a TM_T measurement, which Status Meas_T_Done announces.
    public static func celsius(temperatureCode code: UInt8) -> Double {
        -75 + 0.8 * Double(code)
    }

    /// Decodes an MMC5983MA register file (sensors.md §3.2): Status, the three 18-bit codes of 0x00–0x06 in µT as the
    /// driver converts a single measurement (`reading(fromData:)`), and Tout when a temperature measurement is done.
    /// The chip has no calibration registers, and its control registers are write-only, so a dump shows no
    /// configuration: the decoding says so in its notes.
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "MMC5983MA")
        let id = try registers.identify(register: Register.productID.rawValue, expected: [productIDValue])
        let reading = reading(fromData: try registers.bytes(Register.output.rawValue, count: 7, for: "field output (Xout0–XYZout2)"))

        var decoding = RegisterDecoding(model: "MMC5983MA", idRegister: Register.productID.rawValue, idValue: id)
        decoding.raw = ["x", "y", "z"].enumerated().map {
            DecodedField($0.element, .integer(reading.raw[$0.offset]), register: Register.output.rawValue + UInt8(2 * $0.offset))
        }
        decoding.field = reading.field
        let status = registers.optionalByte(Register.status.rawValue)
        if let status {
            decoding.configuration = [DecodedField("meas_m_done", .flag(status & measurementDone != 0), register: 0x08),
                                      DecodedField("meas_t_done", .flag(status & temperatureDone != 0), register: 0x08),
                                      DecodedField("otp_rd_done", .flag(status & 0x10 != 0), register: 0x08)]
        }
        if let tout = registers.optionalByte(Register.temperature.rawValue) {
            decoding.raw.append(DecodedField("tout", .integer(Int64(tout)), register: Register.temperature.rawValue))
            if let status, status & temperatureDone != 0 {
                decoding.temperatureC = celsius(temperatureCode: tout)
            } else {
                decoding.notes.append("Status (0x08) Meas_T_Done is clear: Tout (0x07) is not known to hold a temperature "
                                      + "measurement, so none is given")
            }
        }
        decoding.notes.append("Control 0–3 (0x09–0x0C) are write-only: a dump cannot show the bandwidth, continuous mode or "
                              + "SET/RESET settings, and what those addresses read is not the configuration")
        decoding.notes.append("One measurement carries the bridge offset: it reads +H + offset after a SET pulse and −H + offset "
                              + "after a RESET; only a SET and a RESET measurement together give the field, (SET − RESET)/2 "
                              + "(sensors.md §3.2)")
        if let status, status & measurementDone == 0 {
            decoding.notes.append("Status (0x08) Meas_M_Done is clear: the outputs were read (and the flag cleared) since the "
                                  + "measurement, or none was made")
        }
        return decoding
    }

    /// Status bit 1, Meas_T_Done: a temperature measurement (TM_T) has finished and Tout holds it.
    private static let temperatureDone: UInt8 = 1 << 1
}
