import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode bmm150`: a register file holding the vector of the driver's own test (BMM150Tests: sensors.md §6
/// has none for the BMM150) decodes to its trim and compensated field; a suspended chip is named as such; a dump of
/// the simulated chip decodes to what the driver read from it.
@Suite struct BMM150DecodingTests {
    /// A powered BMM150 in normal mode at 10 Hz, regular preset (REP_XY 4, REP_Z 14), all axes on, holding
    /// BMM150Tests' data (X 150, Y −200, Z 300, RHALL 6200, data ready) and trim.
    static func dump(chipID: UInt8 = 0x32, power: UInt8 = 0x01) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x80), from: 0x00)
        dump.store([chipID], from: 0x40)
        dump.store(BMM150Tests.dataBytes, from: 0x42)
        dump.store([power, 0x00], from: 0x4B)
        dump.store([0x07], from: 0x4E)
        dump.store([0x04, 0x0E], from: 0x51)
        dump.store(BMM150Tests.trimBytes, from: 0x5D)
        dump[0x4A] = .notRead
        return dump
    }

    /// BMM150Tests' vector (sensors.md §3.4 formulas in python3 double): X = 56.3917130304152, Y = −73.4019727426265,
    /// Z = 125.90076032088474 µT, tolerance 1e-9 µT (the driver's own double expression); the trim as that test
    /// lists it, named as Bosch's API names it.
    @Test func driverTestVector() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "BMM150", Self.dump()))
        #expect(decoding.model == "BMM150")
        #expect(decoding.idRegister == 0x40 && decoding.idValue == 0x32)
        let field = try #require(decoding.field)
        #expect(abs(field.x - 56.3917130304152) < 1e-9)
        #expect(abs(field.y - -73.4019727426265) < 1e-9)
        #expect(abs(field.z - 125.90076032088474) < 1e-9)
        #expect(decoding.temperatureC == nil)
        #expect(decoding.raw == [DecodedField("x", .integer(150), register: 0x42), DecodedField("y", .integer(-200), register: 0x44),
                                 DecodedField("z", .integer(300), register: 0x46), DecodedField("rhall", .integer(6200), register: 0x48)])
        let trim = Dictionary(uniqueKeysWithValues: decoding.calibration.map { ($0.name, $0.value) })
        let expected: [String: Int64] = ["dig_x1": 3, "dig_y1": -2, "dig_z4": -35, "dig_x2": 26, "dig_y2": 24, "dig_z2": 761,
                                         "dig_z1": 24747, "dig_xyz1": 6604, "dig_z3": -120, "dig_xy2": -3, "dig_xy1": 29]
        #expect(trim == expected.mapValues { .integer($0) })
        #expect(decoding.calibration.map(\.register) == [0x5D, 0x5E, 0x62, 0x64, 0x65, 0x68, 0x6A, 0x6C, 0x6E, 0x70, 0x71])
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["opmode"] == .text("normal") && configuration["odr_hz"] == .number(10))
        #expect(configuration["repetitions_xy"] == .integer(9) && configuration["repetitions_z"] == .integer(15))
        #expect(configuration["power_control"] == .flag(true) && configuration["data_ready"] == .flag(true))
        #expect(configuration["channel_x_en"] == .flag(true) && configuration["drdy_pin_en"] == .flag(false))
        #expect(decoding.notes.isEmpty)
    }

    /// Bosch's overflow word reads NaN, and is noted.
    @Test func anOverflowIsNoted() throws {
        var dump = Self.dump()
        dump.store([0x00, 0x80], from: 0x42)                // X = −4096
        let decoding = try #require(try RegisterDecoders.decode(chip: "bmm150", dump))
        #expect(try #require(decoding.field).x.isNaN)
        #expect(decoding.notes == ["X reads the overflow word -4096: the field is outside the axis's range, so X is NaN"])
    }

    /// In suspend mode (POWER_CONTROL bit 0 clear) CHIP_ID reads 0: the error says the chip is suspended, not foreign.
    @Test func aWrongOrSuspendedChipIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x40, reason: "register 0x40 (id) reads 0x00 and POWER_CONTROL (0x4B) bit 0 is clear: the BMM150 is in suspend mode, where every register but 0x4B reads 0; set 0x4B to 0x01 and dump again")) {
            try RegisterDecoders.decode(chip: "bmm150", Self.dump(chipID: 0x00, power: 0x00))
        }
        #expect(throws: RegisterDecodeError(register: 0x40, reason: "register 0x40 (id) reads 0x00, not the BMM150's 0x32: this dump is not the BMM150's")) {
            try RegisterDecoders.decode(chip: "bmm150", Self.dump(chipID: 0x00))
        }
        #expect(throws: RegisterDecodeError(register: 0x40, reason: "register 0x40 (id) reads 0x31, not the BMM150's 0x32: this dump is not the BMM150's")) {
            try RegisterDecoders.decode(chip: "bmm150", Self.dump(chipID: 0x31))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x6C] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x6C, reason: "register 0x6C is unreadable (XX): the BMM150 trim (0x5D–0x71) needs registers 0x5D–0x71")) {
            try RegisterDecoders.decode(chip: "bmm150", dump)
        }
        var partial = Self.dump()
        partial[0x49] = .notRead
        #expect(throws: RegisterDecodeError(register: 0x49, reason: "register 0x49 is not in the dump: the BMM150 data (X, Y, Z, RHALL) needs registers 0x42–0x49")) {
            try RegisterDecoders.decode(chip: "bmm150", partial)
        }
        var blank = Self.dump()
        blank.store([0x00, 0x00], from: 0x6C)
        #expect(throws: RegisterDecodeError(register: 0x5D, reason: "the BMM150 trim cannot compensate: dig_xyz1 (0x6C/0x6D) is 0")) {
            try RegisterDecoders.decode(chip: "bmm150", blank)
        }
    }

    /// The simulated chip, woken and configured by the driver (regular preset, 10 Hz) and read once, then put to sleep
    /// by the driver: its dump decodes to exactly the driver's reading (the same words and trim through the same
    /// compensation).
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let model = BMM150Model(appliedField: FieldVector(x: 20, y: -35, z: 48), random: SeededRandom(seed: 23))
        let unit = SingleUnitBench(model, address: I2CAddress(0x10))
        let bmm = BMM150(device: unit.device)
        _ = try bmm.probe()
        _ = try bmm.configure(MagneticSettings(outputDataRate: 10, resolution: 9))
        let reading = try nextMagneticReading(bmm, clock: unit.clock)
        try bmm.standby()
        let dump = I2CDump.read(unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "bmm150"))
        #expect(dump[0x4A] == .notRead)
        let decoding = try #require(try RegisterDecoders.decode(chip: "bmm150", dump))
        #expect(decoding.field == reading.field)
        #expect(decoding.raw.map(\.value) == reading.raw.map(DecodedValue.integer))
        #expect(abs(reading.field.z - 48) < 5)              // a real reading, not a blank register file
        #expect(decoding.configuration.first { $0.name == "opmode" }?.value == .text("sleep"))
        #expect(decoding.notes == ["OP_MODE (0x4C) is sleep mode: the data registers hold the last measurement made before",
                                   "The data-ready bit (0x48 bit 0) is clear: a dump reads X (0x42) before 0x48, which clears it, so this does not say whether the data were fresh"])
    }
}
