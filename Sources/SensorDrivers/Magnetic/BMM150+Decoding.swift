import SensorIO

extension BMM150 {
    /// Decodes a BMM150 register file (BMM150_SensorAPI `bmm150_defs.h`; sensors.md §3.4): power control, operation
    /// mode and rate, axes and repetitions, the trim registers 0x5D–0x71 as stored, and X/Y/Z compensated with them
    /// and the RHALL delivered with the reading (the driver's `reading(fromData:trim:)`). The chip has no
    /// temperature register.
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "BMM150")
        let power = registers.optionalByte(Register.powerControl.rawValue)
        // Suspend mode (power-on, POWER_CONTROL bit 0 clear): only 0x4B answers, every other register reads 0x00.
        if registers.optionalByte(Register.chipID.rawValue) == 0x00, let power, power & powerOn == 0 {
            throw RegisterDecodeError(register: Register.chipID.rawValue,
                                      reason: "register 0x40 (id) reads 0x00 and POWER_CONTROL (0x4B) bit 0 is clear: the BMM150 "
                                          + "is in suspend mode, where every register but 0x4B reads 0; set 0x4B to 0x01 and dump again")
        }
        let id = try registers.identify(register: Register.chipID.rawValue, expected: [chipIDValue])
        let trimBytes = try registers.bytes(Register.trim.rawValue, count: BMM150Trim.byteCount, for: "trim (0x5D–0x71)")
        let trim = BMM150Trim(bytes: trimBytes)!     // the count is the one the initialiser takes
        if let reason = trim.implausibility {
            throw RegisterDecodeError(register: Register.trim.rawValue, reason: "the BMM150 trim cannot compensate: \(reason)")
        }
        let data = try registers.bytes(Register.data.rawValue, count: 8, for: "data (X, Y, Z, RHALL)")
        let reading = reading(fromData: data, trim: trim)

        var decoding = RegisterDecoding(model: "BMM150", idRegister: Register.chipID.rawValue, idValue: id)
        decoding.configuration = configuration(registers, dataReady: data[6] & dataReady != 0)
        decoding.calibration = [
            ("dig_x1", 0x5D, Int64(trim.x1)), ("dig_y1", 0x5E, Int64(trim.y1)), ("dig_z4", 0x62, Int64(trim.z4)),
            ("dig_x2", 0x64, Int64(trim.x2)), ("dig_y2", 0x65, Int64(trim.y2)), ("dig_z2", 0x68, Int64(trim.z2)),
            ("dig_z1", 0x6A, Int64(trim.z1)), ("dig_xyz1", 0x6C, Int64(trim.xyz1)), ("dig_z3", 0x6E, Int64(trim.z3)),
            ("dig_xy2", 0x70, Int64(trim.xy2)), ("dig_xy1", 0x71, Int64(trim.xy1)),
        ].map { DecodedField($0.0, .integer($0.2), register: UInt8($0.1)) }
        decoding.raw = zip(["x", "y", "z", "rhall"], [0x42, 0x44, 0x46, 0x48] as [UInt8]).enumerated().map {
            DecodedField($0.element.0, .integer(reading.raw[$0.offset]), register: $0.element.1)
        }
        decoding.field = reading.field

        if reading.raw[3] == 0 {
            decoding.notes.append("RHALL (0x48–0x49) reads 0: no axis can be compensated, so X, Y and Z are NaN")
        } else {
            for (index, axis) in ["X", "Y", "Z"].enumerated() where reading.raw[index] == (index < 2 ? overflowXY : overflowZ) {
                decoding.notes.append("\(axis) reads the overflow word \(reading.raw[index]): the field is outside the axis's range, "
                                      + "so \(axis) is NaN")
            }
        }
        if let mode = registers.optionalByte(Register.operationMode.rawValue), mode & 0x06 != normalMode {
            decoding.notes.append("OP_MODE (0x4C) is \(operationModes[Int(mode >> 1 & 0x03)]) mode: the data registers hold the last "
                                  + "measurement made before")
        }
        if data[6] & dataReady == 0 {
            // i2cdump reads X (0x42) before 0x48, and reading a data register clears the bit.
            decoding.notes.append("The data-ready bit (0x48 bit 0) is clear: a dump reads X (0x42) before 0x48, which clears it, "
                                  + "so this does not say whether the data were fresh")
        }
        return decoding
    }

    /// OP_MODE opmode bits 2:1 (`normalMode`, `forcedMode`, `sleepMode`; 10 is reserved).
    private static let operationModes = ["normal", "forced", "reserved (10)", "sleep"]

    /// Power control, operation mode and rate, axes, repetitions and the data-ready bit, where the dump holds them.
    /// The interrupt status (0x4A) clears on read, so a `sensorqual dump` leaves it blank.
    private static func configuration(_ registers: RegisterSnapshot, dataReady ready: Bool) -> [DecodedField] {
        var fields = [DecodedField("data_ready", .flag(ready), register: 0x48)]
        if let power = registers.optionalByte(Register.powerControl.rawValue) {
            fields.append(DecodedField("power_control", .flag(power & powerOn != 0), register: 0x4B))
        }
        if let mode = registers.optionalByte(Register.operationMode.rawValue) {
            let code = mode >> 3 & 0x07
            fields.append(DecodedField("opmode", .text(operationModes[Int(mode >> 1 & 0x03)]), register: 0x4C))
            fields.append(DecodedField("odr_hz", .number(dataRates.first { $0.code == code }!.hertz), register: 0x4C))
            fields.append(DecodedField("self_test", .flag(mode & 0x01 != 0), register: 0x4C))
        }
        if let axes = registers.optionalByte(Register.axes.rawValue) {
            fields.append(DecodedField("channel_x_en", .flag(axes & 0x08 == 0), register: 0x4E))
            fields.append(DecodedField("channel_y_en", .flag(axes & 0x10 == 0), register: 0x4E))
            fields.append(DecodedField("channel_z_en", .flag(axes & 0x20 == 0), register: 0x4E))
            fields.append(DecodedField("drdy_pin_en", .flag(axes & 0x80 != 0), register: 0x4E))
        }
        // nXY = 1 + 2·REP_XY, nZ = 1 + REP_Z (the driver's `configure` writes them so).
        if let xy = registers.optionalByte(Register.repetitionsXY.rawValue) {
            fields.append(DecodedField("repetitions_xy", .integer(1 + 2 * Int64(xy)), register: 0x51))
        }
        if let z = registers.optionalByte(Register.repetitionsZ.rawValue) {
            fields.append(DecodedField("repetitions_z", .integer(1 + Int64(z)), register: 0x52))
        }
        return fields
    }
}
