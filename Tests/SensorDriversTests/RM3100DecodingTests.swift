import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode rm3100`: a register file holding sensors.md §6 vector V9 decodes to its field, each axis at its
/// own cycle count, and a dump of the simulated chip decodes to what the driver read from it.
@Suite struct RM3100DecodingTests {
    /// An RM3100 in continuous XYZ mode (CMM 0x79) at TMRC 0x95 (75 Hz), cycle count 200 on every axis, holding V9's
    /// MX = 00 0D AC, with MY = FF F2 54 (−3500) and MZ = 00 1D 4C (7500).
    static func dump(revision: UInt8 = 0x22) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x40), from: 0x00)
        dump.store([0x00, 0x79], from: 0x00)
        dump.store([0x00, 0xC8, 0x00, 0xC8, 0x00, 0xC8], from: 0x04)
        dump.store([0x95], from: 0x0B)
        dump.store([0x00, 0x0D, 0xAC, 0xFF, 0xF2, 0x54, 0x00, 0x1D, 0x4C], from: 0x24)
        dump.store([revision], from: 0x36)
        return dump
    }

    /// V9: 3500 counts at CC 200 → 3500/75 = 46.67 µT (V9's figure, tolerance 0.01 µT; exactly 3500/75 through the
    /// driver's table gain). Y is −X, Z 7500/75 = 100 µT.
    @Test func vectorV9() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "RM3100", Self.dump()))
        #expect(decoding.model == "RM3100")
        #expect(decoding.idRegister == 0x36 && decoding.idValue == 0x22)
        let field = try #require(decoding.field)
        #expect(abs(field.x - 46.67) < 0.01)
        #expect(field.x == 3500.0 / 75 && field.y == -field.x && field.z == 100)
        #expect(decoding.raw == [DecodedField("x", .integer(3500), register: 0x24), DecodedField("y", .integer(-3500), register: 0x27),
                                 DecodedField("z", .integer(7500), register: 0x2A)])
        #expect(decoding.temperatureC == nil && decoding.calibration.isEmpty)
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["cmm_start"] == .flag(true) && configuration["cmm_axes"] == .text("xyz"))
        #expect(configuration["cycle_count_x"] == .integer(200) && configuration["gain_z_counts_per_ut"] == .number(75))
        #expect(configuration["tmrc_hz"] == .number(75) && configuration["poll_axes"] == .text("none"))
        #expect(configuration["drdy"] == .flag(false))
        #expect(decoding.notes == ["STATUS (0x34) DRDY is clear: a dump reads MX–MZ before STATUS, which clears it, so this does not say whether the measurement was fresh"])
    }

    /// Each axis is converted at its own cycle count: X at 100 reads 3500/38 µT.
    @Test func eachAxisHasItsGain() throws {
        var dump = Self.dump()
        dump.store([0x00, 0x64], from: 0x04)
        let decoding = try #require(try RegisterDecoders.decode(chip: "rm3100", dump))
        #expect(decoding.field?.x == 3500.0 / 38 && decoding.field?.z == 100)
    }

    @Test func aWrongChipIDIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x36, reason: "register 0x36 (id) reads 0x30, not the RM3100's 0x22: this dump is not the RM3100's")) {
            try RegisterDecoders.decode(chip: "rm3100", Self.dump(revision: 0x30))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x07] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x07, reason: "register 0x07 is unreadable (XX): the RM3100 gain (cycle counts CCX–CCZ) needs registers 0x04–0x09")) {
            try RegisterDecoders.decode(chip: "rm3100", dump)
        }
        var partial = Self.dump()
        partial[0x2C] = .notRead
        #expect(throws: RegisterDecodeError(register: 0x2C, reason: "register 0x2C is not in the dump: the RM3100 measurement (MX, MY, MZ) needs registers 0x24–0x2C")) {
            try RegisterDecoders.decode(chip: "rm3100", partial)
        }
    }

    /// The simulated chip, configured by the driver (CC 200, 75 Hz) and read once, then stopped by the driver (CMM 0):
    /// its dump decodes to exactly the driver's reading.
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let model = RM3100Model(appliedField: FieldVector(x: 20, y: -35, z: 48), noiseAtDefaultCount: 0.015, random: SeededRandom(seed: 11))
        let unit = SingleUnitBench(model, address: I2CAddress(0x20))
        let rm = RM3100(device: unit.device)
        _ = try rm.probe()
        _ = try rm.configure(MagneticSettings(outputDataRate: 100, resolution: 200))
        let reading = try nextMagneticReading(rm, clock: unit.clock)
        try rm.standby()
        let dump = I2CDump.read(unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "rm3100"))
        let decoding = try #require(try RegisterDecoders.decode(chip: "rm3100", dump))
        #expect(decoding.field == reading.field)
        #expect(decoding.raw.map(\.value) == reading.raw.map(DecodedValue.integer))
        #expect(abs(reading.field.z - 48) < 0.1)            // a real reading, not a blank register file
        #expect(decoding.configuration.first { $0.name == "cmm_start" }?.value == .flag(false))
        #expect(decoding.notes.first == "CMM (0x01) continuous measurement is off: MX–MZ hold the last measurement made before (by CMM or POLL)")
    }
}
