import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode bmp581`: a register file holding sensors.md §6 vector V3 decodes to its temperature and
/// pressure, and a dump of the simulated chip decodes to what the driver read from it.
@Suite struct BMP581DecodingTests {
    /// The register file of a BMP581 in normal mode, ×16/×1 at 80 Hz, IIR 3 on both, drdy interrupt on, holding V3's
    /// conversion (0x1D–0x22 = 00 00 19 40 F3 62); INT_STATUS (0x27) and FIFO_DATA (0x29) blank, as `sensorqual dump`
    /// leaves them.
    static func dump(chipID: UInt8 = 0x50) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x80), from: 0x00)
        dump.store([chipID], from: 0x01)
        dump.store([0x0A, 0x01], from: 0x14)
        dump.store([0x00, 0x00, 0x19, 0x40, 0xF3, 0x62], from: 0x1D)
        dump.store([0x02], from: 0x28)
        dump.store([0x2B, 0x12], from: 0x30)
        dump.store([0x60, 0xB1, 0xA0], from: 0x36)
        dump[0x27] = .notRead
        dump[0x29] = .notRead
        return dump
    }

    /// V3: T = 0x190000/2¹⁶ = 25 °C and P = 0x62F340/2⁶ = 101 325 Pa, exactly (integers over powers of two).
    @Test func vectorV3() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "BMP581", Self.dump()))
        #expect(decoding.model == "BMP581")
        #expect(decoding.idRegister == 0x01 && decoding.idValue == 0x50)
        #expect(decoding.temperatureC == 25)
        #expect(decoding.pressurePa == 101_325)
        #expect(decoding.raw == [DecodedField("pressure", .integer(0x62F340), register: 0x20),
                                 DecodedField("temperature", .integer(0x190000), register: 0x1D)])
        #expect(decoding.calibration.isEmpty)
        #expect(decoding.values == [DecodedField("pressure_lsb_pa", .number(1.0 / 64))])
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["mode"] == .text("normal"))
        #expect(configuration["odr_hz"] == .number(80))
        #expect(configuration["osr_p"] == .integer(16) && configuration["osr_t"] == .integer(1))
        #expect(configuration["osr_p_eff"] == .integer(16) && configuration["odr_is_valid"] == .flag(true))
        #expect(configuration["iir_coefficient_p"] == .integer(3) && configuration["iir_coefficient_t"] == .integer(3))
        #expect(configuration["press_en"] == .flag(true) && configuration["deep_dis"] == .flag(true))
        #expect(configuration["nvm_rdy"] == .flag(true) && configuration["drdy_data_reg_en"] == .flag(true))
        #expect(configuration["drdy_data_reg"] == nil)      // INT_STATUS was not read
        #expect(decoding.notes.isEmpty)

        var cold = Self.dump()
        cold.store([0x00, 0x00, 0xF6], from: 0x1D)          // −10 °C = −655 360 LSB: the int24 is signed
        #expect(try RegisterDecoders.decode(chip: "bmp581", cold)?.temperatureC == -10)
        #expect(try RegisterDecoders.decode(chip: "bmp581", Self.dump(chipID: 0x51))?.model == "BMP585")
    }

    @Test func aWrongChipIDIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x01, reason: "register 0x01 (id) reads 0x60, not the BMP581's 0x50 or 0x51: this dump is not the BMP581's")) {
            try RegisterDecoders.decode(chip: "bmp581", Self.dump(chipID: 0x60))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x21] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x21, reason: "register 0x21 is unreadable (XX): the BMP581 conversion data needs registers 0x1D–0x22")) {
            try RegisterDecoders.decode(chip: "bmp581", dump)
        }
        var partial = Self.dump()
        partial[0x01] = .notRead
        #expect(throws: RegisterDecodeError(register: 0x01, reason: "register 0x01 is not in the dump: the BMP581 id register needs register 0x01")) {
            try RegisterDecoders.decode(chip: "bmp581", partial)
        }
    }

    /// Standby, pressure off and a lowered OSR are noted; without press_en there is no pressure.
    @Test func whatTheRegistersCannotGiveIsNoted() throws {
        var dump = Self.dump()
        dump.store([0x20], from: 0x36)                      // press_en clear
        dump.store([0xB0], from: 0x37)                      // standby
        let decoding = try #require(try RegisterDecoders.decode(chip: "bmp581", dump))
        #expect(decoding.pressurePa == nil && decoding.temperatureC == 25)
        #expect(decoding.notes.count == 2)
        #expect(decoding.configuration.first { $0.name == "mode" }?.value == .text("standby"))
        var lowered = Self.dump()
        lowered.store([0x08], from: 0x38)                   // OSR_EFF ×2, not valid
        lowered.store([0x10], from: 0x27)                   // INT_STATUS read by i2cdump: POR, no drdy
        let degraded = try #require(try RegisterDecoders.decode(chip: "bmp581", lowered))
        #expect(degraded.notes == ["OSR_EFF (0x38) odr_is_valid is clear: the ODR leaves no time for the set oversampling, so the chip runs pressure ×2 instead of ×16",
                                   "INT_STATUS (0x27) drdy is clear: the data were read since their conversion ended (or none ended)"])
    }

    /// The simulated chip, configured by the driver (×16, 80 Hz) and read once, then put in standby by the driver:
    /// its dump, read as i2cdump reads it without the read-sensitive registers, decodes to exactly the driver's
    /// reading (the same bytes through the same function).
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let errors = PressureUnitErrors(offset: 23, gainErrorPPM: 150, noiseAtX1: 0.78, driftRandomWalk: 0.002, temperatureOffset: 0.3)
        let unit = SingleUnitBench(BMP581Model(errors: errors, random: SeededRandom(seed: 7).derived(1)), address: I2CAddress(0x46), seed: 7)
        let bmp = BMP581(device: unit.device)
        _ = try bmp.probe()
        let mode = try bmp.configure(PressureSettings(oversampling: 16, outputDataRate: 100, iirCoefficient: 3))
        unit.bench.command(setpoint: 93_000)
        unit.clock.advance(by: 30)
        var reading: PressureReading?
        for _ in 0..<1000 where reading == nil {
            unit.clock.advance(by: 0.001)
            if case .reading(let value) = try bmp.poll() { reading = value }
        }
        let read = try #require(reading)
        try bmp.standby()
        let dump = I2CDump.read(unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "bmp581"))
        #expect(dump[0x27] == .notRead && dump[0x29] == .notRead)
        let decoding = try #require(try RegisterDecoders.decode(chip: "bmp581", dump))
        #expect(decoding.pressurePa == read.pressure && decoding.temperatureC == read.temperature)
        #expect(decoding.raw.map(\.value) == [.integer(read.rawPressure), .integer(read.rawTemperature)])
        #expect(abs(read.pressure - 93_000) < 100)          // a real reading, not a blank register file
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["mode"] == .text("standby"))
        #expect(configuration["odr_hz"] == .number(mode.outputDataRate))
        #expect(configuration["osr_p"] == .integer(Int64(mode.pressureOversampling)))
        #expect(configuration["iir_coefficient_p"] == .integer(3))
        #expect(decoding.notes == ["ODR_CONFIG (0x37) is standby mode: the data registers hold the last conversion made before"])
    }
}
