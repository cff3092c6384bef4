import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// `sensorqual decode ens160`: a register file holding sensors.md §6 vector V14 decodes to its compensation
/// temperature and humidity and its pixel resistance, and a dump of the simulated chip decodes to what the driver
/// read from it.
@Suite struct ENS160DecodingTests {
    /// An ENS160 in standard mode with V14's TEMP_IN 89 4A (25 °C) and RH_IN 00 64 (50 %), read back in DATA_T/DATA_RH;
    /// DEVICE_STATUS 0x83 (STATAS, NEWDAT, NEWGPR, validity 0); AQI 2, TVOC 100 ppb, eCO2 600 ppm; GPR_READ R1 = V14's
    /// 0x8000, R2 = 0x8800, R3 = 0x7000, R4 = 0xFFFF.
    static func dump(partID: [UInt8] = [0x60, 0x01], status: UInt8 = 0x83) -> I2CDump {
        var dump = I2CDump()
        dump.store(Array(repeating: 0, count: 0x80), from: 0x00)
        dump.store(partID, from: 0x00)
        dump.store([0x02, 0x00, 0x00, 0x89, 0x4A, 0x00, 0x64], from: 0x10)
        dump.store([status, 0x02, 0x64, 0x00, 0x58, 0x02], from: 0x20)
        dump.store([0x89, 0x4A, 0x00, 0x64], from: 0x30)
        dump.store([0x00, 0x80, 0x00, 0x88, 0x00, 0x70, 0xFF, 0xFF], from: 0x48)
        return dump
    }

    /// V14: 19081 = (T + 273.15)·64 truncated for 25 °C, so DATA_T reads 19081/64 − 273.15 = 24.990625 °C (1e-9; within
    /// the word's 1/64 K of 25 °C); 25600/512 = 50 %RH exactly; GPR raw 0x8000 → 2^16 = 65 536 Ω exactly, log2 R = 16.
    @Test func vectorV14() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "ENS160", Self.dump()))
        #expect(decoding.model == "ENS160")
        #expect(decoding.idRegister == 0x00 && decoding.idValue == 0x60)
        let celsius = try #require(decoding.temperatureC)
        #expect(abs(celsius - 24.990625) < 1e-9 && abs(celsius - 25) < 1.0 / 64)
        let values = Dictionary(uniqueKeysWithValues: decoding.values.map { ($0.name, $0.value) })
        #expect(values["humidity_percent"] == .number(50))
        #expect(values["r1_ohm"] == .number(65_536) && values["log2_r1"] == .number(16))
        #expect(values["r2_ohm"] == .number(131_072) && values["log2_r3"] == .number(14))
        #expect(values["tvoc_ppb"] == .number(100) && values["eco2_ppm"] == .number(600) && values["aqi"] == .integer(2))
        #expect(values["validity"] == .integer(0))
        #expect(decoding.raw.map(\.name) == ["aqi", "tvoc", "eco2", "r1", "r2", "r3", "r4", "temperature", "humidity"])
        #expect(decoding.raw.map(\.value) == ([2, 100, 600, 0x8000, 0x8800, 0x7000, 0xFFFF, 19081, 25600] as [Int64]).map(DecodedValue.integer))
        #expect(decoding.calibration.isEmpty)
        let configuration = Dictionary(uniqueKeysWithValues: decoding.configuration.map { ($0.name, $0.value) })
        #expect(configuration["opmode"] == .text("standard"))
        #expect(configuration["temp_in_c"] == .number(19081.0 / 64 - 273.15) && configuration["rh_in_percent"] == .number(50))
        #expect(configuration["newdat"] == .flag(true) && configuration["stater"] == .flag(false))
        #expect(decoding.notes.isEmpty)
    }

    /// Validity 1 (warm-up) is a value and a note: the outputs do not count.
    @Test func warmUpIsNoted() throws {
        let decoding = try #require(try RegisterDecoders.decode(chip: "ens160", Self.dump(status: 0x87)))
        #expect(decoding.values.first { $0.name == "validity" }?.value == .integer(1))
        #expect(decoding.notes == ["DEVICE_STATUS (0x20) validity is 1 (warm-up): the outputs do not count (sensors.md §5.4)"])
    }

    /// PART_ID is two registers: either byte wrong names its register.
    @Test func aWrongChipIDIsNamed() {
        #expect(throws: RegisterDecodeError(register: 0x00, reason: "register 0x00 (id) reads 0x61, not the ENS160's 0x60: this dump is not the ENS160's")) {
            try RegisterDecoders.decode(chip: "ens160", Self.dump(partID: [0x61, 0x01]))
        }
        #expect(throws: RegisterDecodeError(register: 0x01, reason: "register 0x01 (id, high byte) reads 0x02, not the ENS160's 0x01: PART_ID 0x0260 is not 0x0160, so this dump is not of an ENS160")) {
            try RegisterDecoders.decode(chip: "ens160", Self.dump(partID: [0x60, 0x02]))
        }
    }

    @Test func aMissingRegisterIsNamed() {
        var dump = Self.dump()
        dump[0x4C] = .unreadable
        #expect(throws: RegisterDecodeError(register: 0x4C, reason: "register 0x4C is unreadable (XX): the ENS160 raw pixels (GPR_READ) needs registers 0x48–0x4F")) {
            try RegisterDecoders.decode(chip: "ens160", dump)
        }
        var partial = Self.dump()
        partial[0x32] = .notRead
        #expect(throws: RegisterDecodeError(register: 0x32, reason: "register 0x32 is not in the dump: the ENS160 compensation used (DATA_T, DATA_RH) needs registers 0x30–0x33")) {
            try RegisterDecoders.decode(chip: "ens160", partial)
        }
    }

    /// The simulated chip, configured by the driver (standard mode, 23.4 °C, 41 %RH) and read once after the warm-up,
    /// then put in deep sleep by the driver: its dump decodes to exactly the driver's reading, and to the compensation
    /// the driver wrote.
    @Test func simulatorDumpDecodesToTheDriversReading() throws {
        let bench = GasBench(ENS160Model(random: SeededRandom(seed: 3)), address: 0x52)
        bench.deliver(["ethanol": 0.5])
        let ens = ENS160(device: bench.unit.device)
        _ = try ens.probe()
        _ = try ens.configure(GasSettings(samplingInterval: 1, temperatureC: 23.4, humidityPercent: 41))
        bench.clock.advance(by: 200)                        // past the 180 s warm-up
        let reading = try nextGasReading(ens, clock: bench.clock)
        #expect(reading.valid)
        try ens.standby()
        let dump = I2CDump.read(bench.unit.device, skipping: RegisterDecoders.readSensitiveRegisters(chip: "ens160"))
        let decoding = try #require(try RegisterDecoders.decode(chip: "ens160", dump))
        let values = Dictionary(uniqueKeysWithValues: decoding.values.map { ($0.name, $0.value) })
        for name in ["tvoc", "eco2", "log2_r1", "log2_r2", "log2_r3", "log2_r4"] {
            let unit = ["tvoc": "_ppb", "eco2": "_ppm"][name] ?? ""
            #expect(values[name + unit] == .number(try #require(reading.values[name])), "\(name)")
        }
        #expect(values["aqi"] == .integer(Int64(try #require(reading.values["aqi"]))))
        #expect(values["validity"] == .integer(0))
        #expect(decoding.raw.prefix(7).map(\.value) == reading.raw.map(DecodedValue.integer))
        #expect(try #require(reading.values["tvoc"]) > 100)  // a real reading, not a blank register file
        #expect(decoding.temperatureC == ENS160.celsius(temperatureWord: ENS160.temperatureInput(celsius: 23.4)))
        #expect(values["humidity_percent"] == .number(41))
        #expect(decoding.configuration.first { $0.name == "opmode" }?.value == .text("deep sleep"))
    }
}
