import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode lps22hh`: a register file holding sensors.md §6 vector V7 decodes to its pressure and
/// temperature, and a dump of the simulated chip decodes to what the driver read from it.
@Suite struct LPS22HHDecodingTests {
    /// An LPS22HH in continuous mode at 25 Hz, LPF ODR/9, BDU, low-noise mode, P_DA and T_DA set, holding V7's
    /// PRESS_OUT 00 50 3F and TEMP_OUT C4 09; INT_SOURCE and the FIFO outputs blank, as `sensorqual dump` leaves them.
    static func dump(whoAmI: UInt8 = 0xB3) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x80), from: 0x00)
        dump.store([whoAmI, 0x3A, 0x12, 0x00], from: 0x0F)
        dump.store([0x03, 0x00, 0x50, 0x3F, 0xC4, 0x09], from: 0x27)
        dump[0x24] = .notRead
        for register in UInt8(0x78)...0x7C { dump[register] = .notRead }
        return dump
    }

    /// V7: 0x3F5000/4096 = 1013.000 hPa = 101 300 Pa and 2500/100 = 25.00 °C, exactly (the step 100/4096 Pa is a
    /// binary fraction, so the product is exact).
    @Test func vectorV7() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "LPS22HH", Self.dump()))
        #expect(decoding.model == "LPS22HH")
        #expect(decoding.idRegister == 0x0F && decoding.idValue == 0xB3)
        #expect(decoding.pressurePa == 101_300)
        #expect(decoding.temperatureC == 25)
        #expect(decoding.raw == [DecodedField("pressure", .integer(0x3F5000), register: 0x28),
                                 DecodedField("temperature", .integer(2500), register: 0x2B)])
        #expect(decoding.calibration.isEmpty)
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["mode"] == .text("continuous") && configuration["odr_hz"] == .number(25))
        #expect(configuration["lpfp"] == .text("ODR/9") && configuration["bandwidth_hz"] == .number(25.0 / 9))
        #expect(configuration["bdu"] == .flag(true) && configuration["low_noise_en"] == .flag(true))
        #expect(configuration["if_add_inc"] == .flag(true) && configuration["rpds"] == .integer(0))
        #expect(configuration["p_da"] == .flag(true) && configuration["t_da"] == .flag(true))
        #expect(decoding.notes.isEmpty)
        var cold = Self.dump()
        cold.store([0x18, 0xFC], from: 0x2B)                // −1000 = −10.00 °C: TEMP_OUT is signed
        #expect(try RegisterDecoders.decode(chip: "lps22hh", cold)?.temperatureC == -10)
    }

    @Test func aWrongChipIDIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x0F, reason: "register 0x0F (id) reads 0xB1, not the LPS22HH's 0xB3: this dump is not the LPS22HH's")) {
            try RegisterDecoders.decode(chip: "lps22hh", Self.dump(whoAmI: 0xB1))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x2A] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x2A, reason: "register 0x2A is unreadable (XX): the LPS22HH output data (PRESS_OUT, TEMP_OUT) needs registers 0x28–0x2C")) {
            try RegisterDecoders.decode(chip: "lps22hh", dump)
        }
    }

    @Test func powerDownAndStaleDataAreNoted() throws {
        var dump = Self.dump()
        dump.store([0x0A], from: 0x10)                      // ODR 0
        dump.store([0x00], from: 0x27)
        dump.store([0x10, 0x00], from: 0x18)                // RPDS 16
        let decoding = try #require(try RegisterDecoders.decode(chip: "lps22hh", dump))
        #expect(decoding.notes.count == 3)
        #expect(decoding.configuration.first { $0.name == "mode" }?.value == .text("power-down"))
        #expect(!decoding.configuration.contains { $0.name == "odr_hz" })
    }

    /// The simulated chip, configured by the driver (25 Hz, low noise) and read once, then powered down by the driver:
    /// its dump decodes to exactly the driver's reading.
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let errors = PressureUnitErrors(offset: -31, gainErrorPPM: -200, noiseAtX1: 0.65, driftRandomWalk: 0.002, temperatureOffset: -0.4)
        let unit = SingleUnitBench(LPS22HHModel(errors: errors, random: SeededRandom(seed: 11).derived(1)), address: I2CAddress(0x5C), seed: 11)
        let lps = LPS22HH(device: unit.device)
        _ = try lps.probe()
        _ = try lps.configure(PressureSettings(oversampling: 1, outputDataRate: 25, iirCoefficient: 9))
        unit.bench.command(setpoint: 85_000)
        unit.clock.advance(by: 30)
        var reading: PressureReading?
        for _ in 0..<1000 where reading == nil {
            unit.clock.advance(by: 0.002)
            if case .reading(let value) = try lps.poll() { reading = value }
        }
        let read = try #require(reading)
        try lps.standby()
        let dump = I2CDump.read(unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "lps22hh"))
        #expect(dump[0x24] == .notRead && dump[0x78] == .notRead)
        let decoding = try #require(try RegisterDecoders.decode(chip: "lps22hh", dump))
        #expect(decoding.pressurePa == read.pressure && decoding.temperatureC == read.temperature)
        #expect(decoding.raw.map(\.value) == [.integer(read.rawPressure), .integer(read.rawTemperature)])
        #expect(abs(read.pressure - 85_000) < 100)          // a real reading, not a blank register file
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["mode"] == .text("power-down") && configuration["lpfp"] == .text("ODR/9"))
        #expect(configuration["low_noise_en"] == .flag(true))
        #expect(decoding.notes.first == "CTRL_REG1 (0x10) ODR is 0 (power-down or one-shot): the outputs hold the last conversion made before")
    }
}
