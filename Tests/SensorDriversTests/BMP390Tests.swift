import SensorIO
import Testing
@testable import SensorDrivers

@Suite struct BMP390Tests {
    /// sensors.md §6 V2: a real BMP388 dump.
    static let nvm: [UInt8] = [0x23, 0x6B, 0x58, 0x49, 0xF6, 0x5C, 0xFF, 0xCE, 0xF4, 0x23, 0x00,
                               0xEA, 0x63, 0x6E, 0x79, 0xF3, 0xF6, 0xAA, 0x43, 0x12, 0xC4]
    static let data: [UInt8] = [0x97, 0x9F, 0x6D, 0x73, 0xD8, 0x85]

    /// V2 through the driver and the transport interface: T = 30.499314453874 °C and P = 100 876.00634692 Pa
    /// (pure double; Bosch's float pow gives 100 876.00630965). Tolerance 1e-3 Pa as sensors.md §6 states,
    /// 1e-9 °C for the temperature (the same double arithmetic).
    @Test func testVectorV2() throws {
        let registers = RegisterFile()
        registers.registers[0x00] = 0x50
        registers.registers.replaceSubrange(0x31...0x45, with: Self.nvm)
        registers.registers.replaceSubrange(0x04...0x09, with: Self.data)
        let driver = BMP390(device: I2CDevice(transport: registers, address: I2CAddress(0x77)))
        let identity = try driver.probe()
        #expect(identity.idValue == 0x50 && identity.model == "BMP388" && identity.calibration == Self.nvm)
        let calibration = try driver.readCalibration()
        let raw = try driver.readRaw()
        #expect(raw.pressure == 7_184_279 && raw.temperature == 8_771_699)
        let reading = try driver.read(calibration: calibration)
        #expect(abs(reading.temperature - 30.499314453874) < 1e-9)
        #expect(abs(reading.pressure - 100_876.00634692) < 1e-3)
        // The step is |∂P/∂uP|: one raw LSB more changes P by that much (to 1e-6 Pa: the curvature over one LSB).
        let next = calibration.pressure(rawPressure: raw.pressure + 1, temperature: reading.temperature)
        #expect(abs(abs(next - reading.pressure) - reading.pressureStep) < 1e-6)
        #expect(reading.pressureStep > 0.01 && reading.pressureStep < 0.02)
    }

    /// The coefficient table of sensors.md §6 V2.
    @Test func coefficientsParse() throws {
        let c = try #require(BMP390Calibration(nvm: Self.nvm))
        #expect(c.t1 == 27427 * 256)
        #expect(c.t3 == -10 / 0x1p48)
        #expect(c.p1 == (-164 - 16384) / 0x1p20)
        #expect(c.p2 == (-2866 - 16384) / 0x1p29)
        #expect(c.p5 == 25578 * 8)
        #expect(c.p6 == 31086.0 / 64)
        #expect(c.p9 == 17322 / 0x1p48)
        #expect(c.p11 == -60 / 0x1p65)
        #expect(BMP390Calibration(nvm: [0x00]) == nil)
    }

    @Test func wrongChipIsNamed() {
        let registers = RegisterFile()
        registers.registers[0x00] = 0x58   // a BMP280
        let driver = BMP390(device: I2CDevice(transport: registers, address: I2CAddress(0x76)))
        #expect(throws: DriverError.wrongChip(model: "BMP390", register: 0x00, expected: [0x60, 0x50], found: 0x58)) {
            _ = try driver.probe()
        }
        #expect(DriverError.wrongChip(model: "BMP390", register: 0x00, expected: [0x60, 0x50], found: 0x58).description
            == "not a BMP390: id register 0x00 reads 0x58, expected 0x60 or 0x50")
    }

    /// The generic settings map to the chip's registers: ×16 pressure takes ×2 temperature (Bosch's
    /// recommended settings) and a 36.9 ms conversion, so 50 Hz asked gives 25 Hz, the fastest 200/2^n that fits.
    @Test func settingsPickTheFastestFeasibleRate() throws {
        let registers = RegisterFile()
        registers.registers[0x00] = 0x60
        registers.registers.replaceSubrange(0x31...0x45, with: Self.nvm)
        let driver = BMP390(device: I2CDevice(transport: registers, address: I2CAddress(0x76)))
        _ = try driver.probe()
        let mode = try driver.configure(PressureSettings(oversampling: 16, outputDataRate: 50))
        #expect(mode.outputDataRate == 25 && mode.temperatureOversampling == 2)
        #expect(abs(mode.conversionTime - 0.036_939) < 1e-9)
        #expect(registers.registers[0x1C] == 0x04 | 0x01 << 3)     // osr_p ×16, osr_t ×2
        #expect(registers.registers[0x1D] == 0x03)                  // 200/2³ Hz
        #expect(registers.registers[0x1B] == 0x33)                  // normal mode, P and T on
        #expect(throws: DriverError.configurationRejected(model: "BMP390", reason: "oversampling ×3 is not one of ×1, ×2, ×4, ×8, ×16, ×32")) {
            _ = try driver.configure(PressureSettings(oversampling: 3, outputDataRate: 25))
        }
    }

    @Test func blankNVMIsRejected() {
        let registers = RegisterFile()
        registers.registers.replaceSubrange(0x31...0x45, with: [UInt8](repeating: 0xFF, count: 21))
        let driver = BMP390(device: I2CDevice(transport: registers, address: I2CAddress(0x76)))
        #expect(throws: DriverError.self) { try driver.readCalibration() }
    }

    /// configure() writes OSR, ODR, CONFIG, INT_CTRL (drdy on INT, active high), then normal mode, and reads ERR.
    @Test func configureWritesTheRegisters() throws {
        let registers = RegisterFile()
        let driver = BMP390(device: I2CDevice(transport: registers, address: I2CAddress(0x76)))
        let configuration = BMP390Configuration(pressureOversampling: .x16, temperatureOversampling: .x2,
                                                outputDataRate: .init(hertz: 25)!, iirFilter: .c3)
        try driver.configure(configuration)
        #expect(registers.writes == [[0x1B, 0x00], [0x1C, 0x04 | 0x01 << 3], [0x1D, 0x03], [0x1F, 0x02 << 1], [0x19, 0x42], [0x1B, 0x33]])
        registers.registers[0x02] = 0x04
        #expect(throws: DriverError.self) { try driver.configure(configuration) }
    }

    /// Datasheet §3.9.2: t = 234 + 392 + 16·2000 + 313 + 2·2000 µs = 36 939 µs at ×16/×2, which fits 25 Hz
    /// but not 50 Hz.
    @Test func conversionTime() {
        var c = BMP390Configuration(pressureOversampling: .x16, temperatureOversampling: .x2,
                                    outputDataRate: .init(hertz: 25)!, iirFilter: .off)
        #expect(abs(c.measurementTime - 0.036939) < 1e-12)
        #expect(c.isFeasible)
        c.outputDataRate = .init(hertz: 50)!
        #expect(!c.isFeasible)
        #expect(BMP390Configuration.OutputDataRate(hertz: 30) == nil)
        #expect(BMP390Configuration.OutputDataRate(hertz: 12.5)?.code == 4)
        #expect(BMP390Configuration.IIRFilter.c127.code == 7)
    }
}
