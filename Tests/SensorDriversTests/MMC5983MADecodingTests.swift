import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode mmc5983ma`: a register file holding sensors.md §6 vector V8 decodes to its field, and a dump of
/// the simulated chip decodes to the driver's continuous-mode reading, or to the RESET half of a SET/RESET reading.
@Suite struct MMC5983MADecodingTests {
    /// An MMC5983MA holding V8's X = 90 00 (XYZout2 bits 7:6 = 00) with Y and Z at the null code 80 00, Tout 125 and
    /// Status Meas_M_Done, Meas_T_Done and OTP_Rd_Done set.
    static func dump(productID: UInt8 = 0x30) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x40), from: 0x00)
        dump.store([0x90, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00, 0x7D, 0x13], from: 0x00)
        dump.store([productID], from: 0x2F)
        return dump
    }

    /// V8: X = 147 456 → (147 456 − 131 072)/16 384 = +1.000 G = 100 µT, exactly (a power-of-two ratio); Y = Z = 0.
    /// Tout 125 → −75 + 0.8·125 = 25 °C (1e-9: 0.8 is not a binary fraction).
    @Test func vectorV8() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "MMC5983MA", Self.dump()))
        #expect(decoding.model == "MMC5983MA")
        #expect(decoding.idRegister == 0x2F && decoding.idValue == 0x30)
        #expect(decoding.field == FieldVector(x: 100, y: 0, z: 0))
        #expect(decoding.raw == [DecodedField("x", .integer(147_456), register: 0x00), DecodedField("y", .integer(131_072), register: 0x02),
                                 DecodedField("z", .integer(131_072), register: 0x04), DecodedField("tout", .integer(125), register: 0x07)])
        #expect(abs(try #require(decoding.temperatureC) - 25) < 1e-9)
        #expect(decoding.calibration.isEmpty)
        #expect(decoding.configuration == [DecodedField("meas_m_done", .flag(true), register: 0x08),
                                           DecodedField("meas_t_done", .flag(true), register: 0x08),
                                           DecodedField("otp_rd_done", .flag(true), register: 0x08)])
        // The two notes every MMC5983MA decoding carries: write-only controls, and the offset in one measurement.
        #expect(decoding.notes.count == 2)
        #expect(decoding.notes[0].hasPrefix("Control 0–3 (0x09–0x0C) are write-only"))
        #expect(decoding.notes[1].hasPrefix("One measurement carries the bridge offset"))
        var low = Self.dump()
        low.store([0x6F, 0xFF, 0x80, 0x00, 0x80, 0x00, 0xC0], from: 0x00)   // X = 0x1BFFF = 114 687 = null − 16 385
        #expect(try RegisterDecoders.decode(chip: "mmc5983ma", low)?.field?.x == -16_385.0 / 16_384 * 100)
    }

    /// Without Meas_T_Done, Tout is not taken for a temperature.
    @Test func toutWithoutATemperatureMeasurementIsNotATemperature() throws {
        var dump = Self.dump()
        dump.store([0x10], from: 0x08)
        let decoding = try #require(try RegisterDecoders.decode(chip: "mmc5983ma", dump))
        #expect(decoding.temperatureC == nil)
        #expect(decoding.notes.count == 4)
    }

    @Test func aWrongChipIDIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x2F, reason: "register 0x2F (id) reads 0x00, not the MMC5983MA's 0x30: this dump is not the MMC5983MA's")) {
            try RegisterDecoders.decode(chip: "mmc5983ma", Self.dump(productID: 0x00))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x06] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x06, reason: "register 0x06 is unreadable (XX): the MMC5983MA field output (Xout0–XYZout2) needs registers 0x00–0x06")) {
            try RegisterDecoders.decode(chip: "mmc5983ma", dump)
        }
    }

    private static let field = FieldVector(x: 100, y: -40, z: 25)
    private static let bridgeOffset = FieldVector(x: 12, y: -7, z: 30)

    private func bench(seed: UInt64) -> (SingleUnitBench, MMC5983MA) {
        let model = MMC5983MAModel(appliedField: Self.field, bridgeOffset: Self.bridgeOffset, temperature: 30, random: SeededRandom(seed: seed))
        let unit = SingleUnitBench(model, address: I2CAddress(0x30))
        return (unit, MMC5983MA(device: unit.device))
    }

    /// Continuous mode without offset cancellation, stopped by the driver after one reading: the dump decodes to
    /// exactly the driver's reading (field + bridge offset). A temperature measurement (TM_T, which the driver does
    /// not make) then gives Tout: 30 °C → round((30 + 75)/0.8) = round(131.25) = 131 → 29.8 °C.
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let (unit, mmc) = bench(seed: 21)
        _ = try mmc.probe()
        _ = try mmc.configure(MagneticSettings(outputDataRate: 50, resolution: 0, offsetCancellation: false))
        let reading = try nextMagneticReading(mmc, clock: unit.clock)
        try mmc.standby()
        let dump = I2CDump.read(unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "mmc5983ma"))
        let decoding = try #require(try RegisterDecoders.decode(chip: "mmc5983ma", dump))
        #expect(decoding.field == reading.field)
        #expect(decoding.raw.prefix(3).map(\.value) == reading.raw.map(DecodedValue.integer))
        #expect(abs(reading.field.x - (Self.field.x + Self.bridgeOffset.x)) < 0.5)    // a real reading, offset included
        #expect(decoding.temperatureC == nil)

        try unit.device.writeRegister(0x09, 0x02)           // TM_T
        unit.clock.advance(by: 0.003)
        let warm = try #require(try RegisterDecoders.decode(chip: "mmc5983ma", I2CDump.read(unit.device)))
        #expect(abs(try #require(warm.temperatureC) - 29.8) < 1e-9)
    }

    /// With SET/RESET the data registers hold the RESET measurement, −H + offset: the dump decodes to the RESET codes
    /// of the driver's reading, offset − field (1e-9 µT: the driver's halving and the decoder's single conversion
    /// round differently in the last bits).
    @Test func aSetResetDumpHoldsTheResetHalf() throws {
        let (unit, mmc) = bench(seed: 22)
        _ = try mmc.configure(MagneticSettings(outputDataRate: 20, resolution: 1))
        let reading = try nextMagneticReading(mmc, clock: unit.clock)
        let offset = try #require(reading.offset)
        let decoding = try #require(try RegisterDecoders.decode(chip: "mmc5983ma", I2CDump.read(unit.device)))
        #expect(decoding.raw.prefix(3).map(\.value) == reading.raw.suffix(3).map(DecodedValue.integer))
        let field = try #require(decoding.field)
        #expect(abs(field.x - (offset.x - reading.field.x)) < 1e-9)
        #expect(abs(field.y - (offset.y - reading.field.y)) < 1e-9)
        #expect(abs(field.z - (offset.z - reading.field.z)) < 1e-9)
    }
}
