import SensorIO

extension RM3100 {
    /// Decodes an RM3100 register file (sensors.md §3.1): continuous-mode and single-measurement settings, the cycle
    /// count of each axis and the gain it gives, TMRC, STATUS, and MX/MY/MZ in µT through the driver's
    /// `microtesla(counts:cycleCount:)`, each axis at its own cycle count. The gain is the only calibration and comes
    /// from the cycle count, so there are no coefficients; the chip has no temperature register.
    public static func decode(_ dump: I2CDump) throws(RegisterDecodeError) -> RegisterDecoding {
        let registers = RegisterSnapshot(dump, model: "RM3100")
        let id = try registers.identify(register: Register.revision.rawValue, expected: [revisionValue])
        let countBytes = try registers.bytes(Register.cycleCountX.rawValue, count: 6, for: "gain (cycle counts CCX–CCZ)")
        let cycleCounts = (0..<3).map { Int(countBytes[2 * $0]) << 8 | Int(countBytes[2 * $0 + 1]) }
        if let axis = cycleCounts.firstIndex(of: 0) {
            let register = Register.cycleCountX.rawValue + UInt8(2 * axis)
            throw RegisterDecodeError(register: register, reason: "the RM3100 cycle count of \(["X", "Y", "Z"][axis]) "
                                      + "(0x\(hex(register))–0x\(hex(register + 1))) reads 0: no gain follows from it")
        }
        let counts = counts(fromData: try registers.bytes(Register.measurement.rawValue, count: 9, for: "measurement (MX, MY, MZ)"))
        let field = (0..<3).map { microtesla(counts: counts[$0], cycleCount: cycleCounts[$0]) }

        var decoding = RegisterDecoding(model: "RM3100", idRegister: Register.revision.rawValue, idValue: id)
        decoding.configuration = configuration(registers, cycleCounts: cycleCounts)
        decoding.raw = ["x", "y", "z"].enumerated().map {
            DecodedField($0.element, .integer(counts[$0.offset]), register: Register.measurement.rawValue + UInt8(3 * $0.offset))
        }
        decoding.field = FieldVector(x: field[0], y: field[1], z: field[2])

        if let mode = registers.optionalByte(Register.continuousMode.rawValue), mode & 0x01 == 0 || mode & 0x70 == 0 {
            decoding.notes.append("CMM (0x01) continuous measurement is off: MX–MZ hold the last measurement made before "
                                  + "(by CMM or POLL)")
        }
        if let status = registers.optionalByte(Register.status.rawValue), status & dataReady == 0 {
            // i2cdump reads MX–MZ (0x24–0x2C) before STATUS (0x34), and reading the results clears DRDY (sensors.md §3.1).
            decoding.notes.append("STATUS (0x34) DRDY is clear: a dump reads MX–MZ before STATUS, which clears it, so this does "
                                  + "not say whether the measurement was fresh")
        }
        if let code = registers.optionalByte(Register.continuousRate.rawValue),
           let rate = continuousRates.first(where: { $0.code == code })?.hertz,
           let limit = cycleCounts.map({ maximumRate(cycleCount: $0) }).min(), limit < rate {
            decoding.notes.append("TMRC (0x0B) asks \(rate) Hz, but the cycle count allows about \(limit.rounded()) Hz: the "
                                  + "count overrides TMRC (sensors.md §3.1)")
        }
        return decoding
    }

    /// POLL, CMM, the cycle counts with their gains, TMRC and STATUS, where the dump holds them (the cycle counts
    /// always: the decoding needs them).
    private static func configuration(_ registers: RegisterSnapshot, cycleCounts: [Int]) -> [DecodedField] {
        func axes(_ bits: UInt8) -> String {
            let names = zip(["x", "y", "z"], [0x10, 0x20, 0x40] as [UInt8]).filter { bits & $0.1 != 0 }.map(\.0)
            return names.isEmpty ? "none" : names.joined()
        }
        var fields: [DecodedField] = []
        if let poll = registers.optionalByte(Register.poll.rawValue) {
            fields.append(DecodedField("poll_axes", .text(axes(poll)), register: 0x00))
        }
        if let mode = registers.optionalByte(Register.continuousMode.rawValue) {
            fields.append(DecodedField("cmm_start", .flag(mode & 0x01 != 0), register: 0x01))
            fields.append(DecodedField("cmm_drdm", .integer(Int64(mode >> 2 & 0x03)), register: 0x01))
            fields.append(DecodedField("cmm_axes", .text(axes(mode)), register: 0x01))
        }
        for (axis, name) in ["x", "y", "z"].enumerated() {
            let register = Register.cycleCountX.rawValue + UInt8(2 * axis)
            fields.append(DecodedField("cycle_count_\(name)", .integer(Int64(cycleCounts[axis])), register: register))
            fields.append(DecodedField("gain_\(name)_counts_per_ut", .number(gain(cycleCount: cycleCounts[axis])), register: register))
        }
        if let code = registers.optionalByte(Register.continuousRate.rawValue) {
            if let rate = continuousRates.first(where: { $0.code == code }) {
                fields.append(DecodedField("tmrc_hz", .number(rate.hertz), register: 0x0B))
            } else {
                fields.append(DecodedField("tmrc", .text("reserved (0x\(hex(code)))"), register: 0x0B))
            }
        }
        if let status = registers.optionalByte(Register.status.rawValue) {
            fields.append(DecodedField("drdy", .flag(status & dataReady != 0), register: 0x34))
        }
        return fields
    }
}
