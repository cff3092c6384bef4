import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode lis3mdl`: a register file holding sensors.md §6 vector V10 decodes to its field at the full
/// scale CTRL_REG2 sets, and a dump of the simulated chip decodes to what the driver read from it.
@Suite struct LIS3MDLDecodingTests {
    /// An LIS3MDL in continuous mode, UHP on all axes at 80 Hz, ±4 G, BDU, temperature on, ZYXDA set, holding V10's
    /// X = EB EE (L, H), with Y = 15 11 (+4373), Z = 00 80 (−32768) and TEMP_OUT 28 00 (40). The registers answer again
    /// at 0x80 | reg, as an i2cdump of the chip shows them (the sub-address bit 7 asks for auto-increment).
    static func dump(whoAmI: UInt8 = 0x3D, fullScale: UInt8 = 0x00) -> I2CDump {
        var registers = [UInt8](repeating: 0, count: 0x80)
        registers[0x0F] = whoAmI
        registers.replaceSubrange(0x20...0x24, with: [0xFC, fullScale, 0x00, 0x0C, 0x40])
        registers[0x27] = 0x0F
        registers.replaceSubrange(0x28...0x2F, with: [0xEB, 0xEE, 0x15, 0x11, 0x00, 0x80, 0x28, 0x00])
        var dump = I2CDump()
        dump.store(registers + registers, from: 0x00)
        dump[0x31] = .notRead
        dump[0xB1] = .notRead
        return dump
    }

    /// V10: −4373 at ±4 G → −4373/6842 = −0.6391 G = −63.91 µT (V10's last digit, 0.00005 G = 0.005 µT; exactly the
    /// driver's −4373/6842·100). TEMP_OUT 40 → 40/8 + 25 = 30 °C.
    @Test func vectorV10() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "LIS3MDL", Self.dump()))
        #expect(decoding.model == "LIS3MDL")
        #expect(decoding.idRegister == 0x0F && decoding.idValue == 0x3D)
        let field = try #require(decoding.field)
        #expect(abs(field.x - -63.91) < 0.005)
        #expect(field.x == -4373.0 / 6842 * 100 && field.y == -field.x && field.z == -32768.0 / 6842 * 100)
        #expect(decoding.temperatureC == 30)
        #expect(decoding.raw == [DecodedField("x", .integer(-4373), register: 0x28), DecodedField("y", .integer(4373), register: 0x2A),
                                 DecodedField("z", .integer(-32768), register: 0x2C), DecodedField("temperature", .integer(40), register: 0x2E)])
        #expect(decoding.calibration.isEmpty)
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["om_xy"] == .text("UHP") && configuration["om_z"] == .text("UHP"))
        #expect(configuration["odr_hz"] == .number(80) && configuration["fast_odr"] == .flag(false))
        #expect(configuration["full_scale_ut"] == .number(400) && configuration["sensitivity_lsb_per_gauss"] == .number(6842))
        #expect(configuration["md"] == .text("continuous") && configuration["bdu"] == .flag(true))
        #expect(configuration["temp_en"] == .flag(true) && configuration["zyxda"] == .flag(true))
        #expect(configuration["offset_x"] == .integer(0) && configuration["ble"] == .flag(false))
        #expect(decoding.notes == ["Registers 0x80–0xFF mirror 0x00–0x7F: on I2C, bit 7 of the sub-address asks for auto-increment (sensors.md §3.3, §7); this decoding reads 0x00–0x7F"])
    }

    /// The full scale comes from CTRL_REG2: the same word at ±16 G is −4373/1711 G. Big-endian outputs (BLE) are
    /// read as such.
    @Test func theFullScaleAndByteOrderAreTheRegisters() throws {
        let sixteen = try #require(try RegisterDecoders.decode(chip: "lis3mdl", Self.dump(fullScale: 0x60)))
        #expect(sixteen.field?.x == -4373.0 / 1711 * 100)
        var swapped = Self.dump()
        swapped.store([0x0E], from: 0x23)                   // BLE
        swapped.store([0xEE, 0xEB], from: 0x28)
        let bigEndian = try #require(try RegisterDecoders.decode(chip: "lis3mdl", swapped))
        #expect(bigEndian.raw.first?.value == .integer(-4373))
        #expect(bigEndian.notes.contains("CTRL_REG4 (0x23) BLE is set: the outputs are big-endian, and are decoded so"))
    }

    @Test func aWrongChipIDIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x0F, reason: "register 0x0F (id) reads 0x33, not the LIS3MDL's 0x3D: this dump is not the LIS3MDL's")) {
            try RegisterDecoders.decode(chip: "lis3mdl", Self.dump(whoAmI: 0x33))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x21] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x21, reason: "register 0x21 is unreadable (XX): the LIS3MDL full scale (CTRL_REG2) needs register 0x21")) {
            try RegisterDecoders.decode(chip: "lis3mdl", dump)
        }
        var partial = Self.dump()
        partial[0x2F] = .notRead
        #expect(throws: RegisterDecodeError(register: 0x2F, reason: "register 0x2F is not in the dump: the LIS3MDL output data (OUT_X–TEMP_OUT) needs registers 0x28–0x2F")) {
            try RegisterDecoders.decode(chip: "lis3mdl", partial)
        }
    }

    /// The simulated chip, configured by the driver (UHP, 80 Hz, ±8 G) at 31.3 °C and read once, then powered down by
    /// the driver: its dump decodes to exactly the driver's reading, field and temperature.
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let model = LIS3MDLModel(appliedField: FieldVector(x: 20, y: -35, z: 48), temperature: 31.3, random: SeededRandom(seed: 17))
        let unit = SingleUnitBench(model, address: I2CAddress(0x1C))
        let lis = LIS3MDL(device: unit.device)
        _ = try lis.probe()
        _ = try lis.configure(MagneticSettings(outputDataRate: 80, resolution: 3, fullScale: 800))
        let reading = try nextMagneticReading(lis, clock: unit.clock)
        try lis.standby()
        let dump = I2CDump.read(unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "lis3mdl"))
        #expect(dump[0x31] == .notRead && dump[0xB1] == .notRead)
        let decoding = try #require(try RegisterDecoders.decode(chip: "lis3mdl", dump))
        #expect(decoding.field == reading.field)
        #expect(decoding.temperatureC == reading.temperature && reading.temperature == 31.25)
        #expect(decoding.raw.prefix(3).map(\.value) == reading.raw.map(DecodedValue.integer))
        #expect(abs(reading.field.z - 48) < 3)              // a real reading, not a blank register file
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["full_scale_ut"] == .number(800) && configuration["md"] == .text("power-down"))
        #expect(decoding.notes.contains("CTRL_REG3 (0x22) MD is power-down: OUT holds the last conversion made before"))
    }
}
