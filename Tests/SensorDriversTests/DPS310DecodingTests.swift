import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode dps310`: a register file holding sensors.md §6 vector V4 decodes to its coefficients,
/// temperature and pressure, the shift-bit and temperature-sensor traps are noted, and a dump of the simulated chip
/// decodes to what the driver read from it.
@Suite struct DPS310DecodingTests {
    /// A DPS310 in continuous pressure and temperature mode, 8/s each, pressure ×64 with P_SHIFT (V4's PRS_PRC = 6),
    /// temperature ×1 (TMP_PRC = 0) with the external sensor as COEF_SRCE says, holding V4's PSR FA 51 17 and
    /// TMP 02 51 06. MEAS_CFG reads PRS_RDY and TMP_RDY clear, as a dump that read PSR first sees them.
    static func dump(productID: UInt8 = 0x10, configuration: UInt8 = 0x04, temperatureSetup: UInt8 = 0xB0) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x80), from: 0x00)
        dump.store([0xFA, 0x51, 0x17, 0x02, 0x51, 0x06, 0x36, temperatureSetup, 0xC7, configuration], from: 0x00)
        dump[0x0A] = .notRead
        dump.store([productID], from: 0x0D)
        dump.store(DPS310Tests.v4Coefficients, from: 0x10)
        dump.store([0x80], from: 0x28)
        return dump
    }

    /// V4: T = 25.000019 °C (exactly 25.000019073486…; 1e-9 °C, the same Double arithmetic as the driver's) and
    /// P = 97 995.9497 Pa (sensors.md §6 tolerance 1e-3 Pa); the coefficients as V4 lists them.
    @Test func vectorV4() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "DPS310", Self.dump()))
        #expect(decoding.model == "DPS310")
        #expect(decoding.idRegister == 0x0D && decoding.idValue == 0x10)
        #expect(abs(try #require(decoding.temperatureC) - 25.000_019_073_486) < 1e-9)
        #expect(abs(try #require(decoding.pressurePa) - 97_995.9497) < 1e-3)
        #expect(decoding.raw == [DecodedField("pressure", .integer(-372_457), register: 0x00),
                                 DecodedField("temperature", .integer(151_814), register: 0x03)])
        // sensors.md V4: c0=222, c1=−297, c00=79832, c10=−56308, c01=−2295, c11=1444, c20=−9701, c21=111, c30=−1289.
        #expect(decoding.calibration.map(\.name) == ["c0", "c1", "c00", "c10", "c01", "c11", "c20", "c21", "c30"])
        #expect(decoding.calibration.map(\.value) == ([222, -297, 79832, -56308, -2295, 1444, -9701, 111, -1289] as [Int64]).map(DecodedValue.integer))
        #expect(decoding.calibration.map(\.register) == [0x10, 0x11, 0x13, 0x15, 0x18, 0x1A, 0x1C, 0x1E, 0x20])
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["osr_p"] == .integer(64) && configuration["kp"] == .number(1_040_384))
        #expect(configuration["osr_t"] == .integer(1) && configuration["kt"] == .number(524_288))
        #expect(configuration["pm_rate_hz"] == .number(8) && configuration["tmp_rate_hz"] == .number(8))
        #expect(configuration["meas_ctrl"] == .text("continuous pressure and temperature"))
        #expect(configuration["p_shift"] == .flag(true) && configuration["t_shift"] == .flag(false))
        #expect(configuration["tmp_ext"] == .flag(true) && configuration["tmp_coef_srce"] == .flag(true))
        #expect(configuration["coef_rdy"] == .flag(true) && configuration["prs_rdy"] == .flag(false))
        #expect(decoding.notes == ["MEAS_CFG (0x08) PRS_RDY is clear: a dump reads PSR before MEAS_CFG, which clears it, so this does not say whether PSR was fresh"])
    }

    @Test func aWrongChipIDIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x0D, reason: "register 0x0D (id) reads 0x00, not the DPS310's 0x10: this dump is not the DPS310's")) {
            try RegisterDecoders.decode(chip: "dps310", Self.dump(productID: 0x00))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x15] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x15, reason: "register 0x15 is unreadable (XX): the DPS310 coefficients (COEF) needs registers 0x10–0x21")) {
            try RegisterDecoders.decode(chip: "dps310", dump)
        }
        var partial = Self.dump()
        partial[0x07] = .notRead
        #expect(throws: RegisterDecodeError(register: 0x07, reason: "register 0x07 is not in the dump: the DPS310 oversampling setting (PRS_CFG, TMP_CFG) needs registers 0x06–0x07")) {
            try RegisterDecoders.decode(chip: "dps310", partial)
        }
        var blank = Self.dump()
        blank.store(Array(repeating: 0, count: 18), from: 0x10)
        #expect(throws: RegisterDecodeError(register: 0x10, reason: "the DPS310 coefficients COEF 0x10–0x21 read all 0x00 or all 0xFF: a dead read, or read before COEF_RDY")) {
            try RegisterDecoders.decode(chip: "dps310", blank)
        }
    }

    /// The two traps that spoil the values without an error on the chip (sensors.md §2.3, §7): P_SHIFT clear at ×64,
    /// and TMP_EXT that differs from COEF_SRCE.
    @Test func theTrapsAreNoted() throws {
        let unshifted = try #require(try RegisterDecoders.decode(chip: "dps310", Self.dump(configuration: 0x00)))
        #expect(unshifted.notes.first == "CFG_REG (0x09) P_SHIFT is clear at ×64: above ×8 the result overflows its 24 bits unless shifted, so PSR and the pressure are wrong")
        let internalSensor = try #require(try RegisterDecoders.decode(chip: "dps310", Self.dump(temperatureSetup: 0x30)))
        #expect(internalSensor.notes.first == "TMP_CFG (0x07) TMP_EXT selects the internal (ASIC) temperature sensor, but COEF_SRCE (0x28) says the coefficients were made with the external (MEMS) one: the temperature, and the pressure through it, are off")
        #expect(internalSensor.configuration.first { $0.name == "tmp_ext" }?.value == .flag(false))
    }

    /// The simulated chip (V4's coefficients), probed, configured by the driver (×64, 8 Hz) and read once, then put
    /// idle by the driver: its dump decodes to exactly the driver's reading (the same bytes through the same
    /// compensation at the same kP and kT).
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let errors = PressureUnitErrors(offset: 20, gainErrorPPM: 150, noiseAtX1: 2.5, driftRandomWalk: 0, temperatureOffset: 0.3)
        let unit = SingleUnitBench(DPS310Model(coefficients: DPS310Tests.v4Coefficients, errors: errors, random: SeededRandom(seed: 3)),
                                   address: I2CAddress(0x77))
        unit.clock.advance(by: 0.05)                        // COEF_RDY and SENSOR_RDY rise 40 ms after power-up
        let dps = DPS310(device: unit.device)
        _ = try dps.probe()
        _ = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 8))
        unit.bench.command(setpoint: 90_000)
        unit.clock.advance(by: 60)
        var reading: PressureReading?
        for _ in 0..<1000 where reading == nil {
            unit.clock.advance(by: 0.01)
            if case .reading(let value) = try dps.poll() { reading = value }
        }
        let read = try #require(reading)
        try dps.standby()
        let dump = I2CDump.read(unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "dps310"))
        #expect(dump[0x0A] == .notRead)
        let decoding = try #require(try RegisterDecoders.decode(chip: "dps310", dump))
        #expect(decoding.pressurePa == read.pressure && decoding.temperatureC == read.temperature)
        #expect(decoding.raw.map(\.value) == [.integer(read.rawPressure), .integer(read.rawTemperature)])
        #expect(decoding.values == [DecodedField("pressure_lsb_pa", .number(read.pressureStep))])
        #expect(abs(read.pressure - 90_000) < 100)          // a real reading, not a blank register file
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["meas_ctrl"] == .text("idle"))
        #expect(configuration["osr_p"] == .integer(64) && configuration["p_shift"] == .flag(true))
        #expect(decoding.notes.first == "MEAS_CFG (0x08) MEAS_CTRL is idle: PSR and TMP hold the last results made before")
    }
}
