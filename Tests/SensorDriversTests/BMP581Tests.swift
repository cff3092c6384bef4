import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The driver against a register file: decoding, identification and the registers `configure` writes.
@Suite struct BMP581Tests {
    private func driver(_ registers: RegisterFile) -> BMP581 {
        BMP581(device: I2CDevice(transport: registers, address: I2CAddress(0x46)))
    }

    /// sensors.md §6 V3: 0x1D–0x22 = 00 00 19 40 F3 62 → 25.000 °C and 101 325.000 Pa, exactly (both are
    /// integers over a power of two). A negative temperature checks the sign extension of the int24.
    @Test func testVectorV3() throws {
        let registers = RegisterFile()
        registers.registers.replaceSubrange(0x1D...0x22, with: [0x00, 0x00, 0x19, 0x40, 0xF3, 0x62])
        let reading = try driver(registers).readConversion()
        #expect(reading == PressureReading(pressure: 101_325, temperature: 25, rawPressure: 0x62F340,
                                           rawTemperature: 0x190000, pressureStep: 1.0 / 64))
        let cold = BMP581.reading(fromData: [0x00, 0x00, 0xF6, 0x40, 0xF3, 0x62])   // −10 °C = −655 360 LSB
        #expect(cold.rawTemperature == -655_360 && cold.temperature == -10)
    }

    /// poll() reads INT_STATUS and reads the data only when drdy (bit 0) is set.
    @Test func pollFollowsDataReady() throws {
        let registers = RegisterFile()
        registers.registers.replaceSubrange(0x1D...0x22, with: [0x00, 0x00, 0x19, 0x40, 0xF3, 0x62])
        let bmp = driver(registers)
        registers.registers[0x27] = 0x10                    // POR only
        #expect(try bmp.poll() == .notReady)
        registers.registers[0x27] = 0x11
        #expect(try bmp.poll() == .reading(BMP581.reading(fromData: [0x00, 0x00, 0x19, 0x40, 0xF3, 0x62])))
    }

    @Test func probeIdentifiesTheFamily() throws {
        let registers = RegisterFile()
        registers.registers[0x01] = 0x50
        registers.registers[0x28] = 0x02                    // NVM_RDY
        #expect(try driver(registers).probe() == SensorIdentity(model: "BMP581", idRegister: 0x01, idValue: 0x50, calibration: []))
        registers.registers[0x01] = 0x51
        #expect(try driver(registers).probe().model == "BMP585")
    }

    @Test func wrongChipIsNamed() {
        let registers = RegisterFile()
        registers.registers[0x01] = 0x60                    // a BMP390's id, at another address
        registers.registers[0x28] = 0x02
        #expect(throws: DriverError.wrongChip(model: "BMP581", register: 0x01, expected: [0x50, 0x51], found: 0x60)) {
            try driver(registers).probe()
        }
    }

    @Test func nvmErrorFailsTheProbe() {
        let registers = RegisterFile()
        registers.registers[0x01] = 0x50
        registers.registers[0x28] = 0x06                    // NVM_RDY and NVM_ERR
        #expect(throws: DriverError.invalidCalibration(
            model: "BMP581", reason: "STATUS 0x28 reads 0x06: NVM not ready or NVM_ERR set")) { try driver(registers).probe() }
    }

    @Test func impossibleSettingsAreRejected() {
        let bmp = driver(RegisterFile())
        #expect(throws: DriverError.configurationRejected(
            model: "BMP581", reason: "oversampling ×3 is not one of ×1, ×2, ×4 … ×128")) {
            try bmp.configure(PressureSettings(oversampling: 3, outputDataRate: 10))
        }
        #expect(throws: DriverError.configurationRejected(
            model: "BMP581", reason: "IIR coefficient 2 is not 0, 1, 3, 7, 15, 31, 63 or 127")) {
            try bmp.configure(PressureSettings(oversampling: 16, outputDataRate: 10, iirCoefficient: 2))
        }
        #expect(throws: DriverError.configurationRejected(
            model: "BMP581", reason: "no output data rate ≤ 0.1 Hz holds a conversion at ×16 (at most 87.0 Hz; slowest 0.125 Hz)")) {
            try bmp.configure(PressureSettings(oversampling: 16, outputDataRate: 0.1))
        }
    }

    /// ×16 asked at 100 Hz: Table 9 gives 87 Hz at most, so ODR code 0x0C (80 Hz). The writes: standby with
    /// deep_dis, DSP_CONFIG read-modify-write, IIR, OSR (press_en | ×16 | T ×1), the interrupt sequence, normal
    /// mode; then OSR_EFF is read back.
    @Test func configureWritesTheRegisters() throws {
        let registers = RegisterFile()
        registers.registers[0x38] = 0x80 | 4 << 3           // OSR_EFF: valid, ×16 / ×1
        let mode = try driver(registers).configure(PressureSettings(oversampling: 16, outputDataRate: 100, iirCoefficient: 3))
        #expect(registers.writes == [[0x37, 0xB0], [0x30, 0x2B], [0x31, 0x12], [0x36, 0x60],
                                     [0x15, 0x00], [0x14, 0x0A], [0x15, 0x01], [0x37, 0xB1]])
        #expect(mode == PressureMode(outputDataRate: 80, pressureOversampling: 16, temperatureOversampling: 1,
                                     iirCoefficient: 3, conversionTime: 1.0 / 87))
    }

    /// A chip that reports a lowered OSR (OSR_EFF.odr_is_valid clear) is a rejected configuration.
    @Test func loweredEffectiveOversamplingIsRejected() {
        let registers = RegisterFile()
        registers.registers[0x38] = 0x01 << 3               // ×2, not valid
        #expect(throws: DriverError.configurationRejected(
            model: "BMP581", reason: "OSR_EFF reads 0x08: the chip runs ×2 instead of ×16 at 80.0 Hz")) {
            try driver(registers).configure(PressureSettings(oversampling: 16, outputDataRate: 100))
        }
    }

    @Test func standbyKeepsTheRateAndDeepStandbyOff() throws {
        let registers = RegisterFile()
        registers.registers[0x37] = 0xB1
        try driver(registers).standby()
        #expect(registers.writes == [[0x37, 0xB0]])
    }
}

/// The driver against the register-level model on a simulated bench.
@Suite struct SimulatedBMP581Tests {
    static let address = I2CAddress(0x46)

    struct Bench {
        let bench: SimulatedBench
        let device: I2CDevice
        let driver: BMP581
        var clock: SimulatedClock { bench.clock }
    }

    func bench(_ errors: PressureUnitErrors, seed: UInt64 = 7) -> Bench {
        let random = SeededRandom(seed: seed)
        let unit = SingleUnitBench(BMP581Model(errors: errors, random: random.derived(1)), address: Self.address, seed: seed)
        let bench = unit.bench, device = unit.device
        return Bench(bench: bench, device: device, driver: BMP581(device: device))
    }

    /// Polls every `step` seconds until a conversion arrives; at most 1000 polls.
    func nextReading(_ rig: Bench, step: Double) throws -> PressureReading {
        for _ in 0..<1000 {
            rig.clock.advance(by: step)
            if case .reading(let reading) = try rig.driver.poll() { return reading }
        }
        throw NoConversion()
    }

    struct NoConversion: Error {}

    /// Power-up state: id, NVM_RDY, POR set and cleared by its first read, and a soft reset sets it again.
    @Test func powerUpRegisters() throws {
        let rig = bench(.init(offset: 0, gainErrorPPM: 0, noiseAtX1: 0.78, driftRandomWalk: 0, temperatureOffset: 0))
        #expect(try rig.driver.probe() == SensorIdentity(model: "BMP581", idRegister: 0x01, idValue: 0x50, calibration: []))
        #expect(try rig.device.readRegister(0x27) == 0x10)
        #expect(try rig.device.readRegister(0x27) == 0x00)
        try rig.device.writeRegister(0x7E, 0xB6)
        #expect(try rig.device.readRegister(0x27) == 0x10)
        #expect(try rig.device.readRegister(0x37) == 0x70)  // standby, 1 Hz, deep standby allowed
    }

    /// Round trip at four pressures: the reading is true pressure + offset + gain·(p − p₀) within 5σ of the
    /// modelled noise at ×16 (Table 9: 0.21 Pa for this unit's 0.78 Pa at ×1) plus 5σ of the drift
    /// (0.002 Pa/√s over the elapsed time). Reading the conversion clears drdy until the next one.
    @Test func roundTrip() throws {
        let errors = PressureUnitErrors(offset: 23, gainErrorPPM: 150, noiseAtX1: 0.78, driftRandomWalk: 0.002,
                                        temperatureOffset: 0.3)
        let rig = bench(errors)
        _ = try rig.driver.probe()
        let mode = try rig.driver.configure(PressureSettings(oversampling: 16, outputDataRate: 100))
        #expect(mode.outputDataRate == 80)
        for setpoint in [30_000.0, 70_000, 101_325, 120_000] {
            rig.bench.command(setpoint: setpoint)
            rig.clock.advance(by: 30)                       // 12 time constants of the manifold
            let reading = try nextReading(rig, step: 0.001)
            let truth = rig.bench.truePressure()
            let bound = 5 * 0.21 + 5 * 0.002 * rig.clock.seconds().squareRoot()
            #expect(abs(reading.pressure - (truth + errors.systematicError(at: truth))) < bound,
                    "\(setpoint) Pa: read \(reading.pressure)")
            #expect(abs(reading.temperature - 25.3) < 0.05)   // chamber swing 0.02 °C, noise 0.002 °C
            #expect(try rig.driver.poll() == .notReady)
        }
    }

    /// The standard deviation of 2000 conversions at fixed pressure matches Table 9 scaled to the unit
    /// (noiseAtX1 = 1 Pa, so σ = table/0.78), with the 1/64 Pa quantisation added in quadrature. Tolerance
    /// 5 %: the estimate's relative standard error is 1/√(2·1999) = 1.6 %, so 5 % is 3 standard errors.
    @Test(arguments: [(1, 240.0), (16, 80.0), (128, 10.0)])
    func noiseFollowsTable9(oversampling: Int, rate: Double) throws {
        let rig = bench(.init(offset: 0, gainErrorPPM: 0, noiseAtX1: 1, driftRandomWalk: 0, temperatureOffset: 0),
                        seed: UInt64(oversampling))
        let mode = try rig.driver.configure(PressureSettings(oversampling: oversampling, outputDataRate: 1000))
        #expect(mode.outputDataRate == rate)
        var values: [Double] = []
        while values.count < 2000 { values.append(try nextReading(rig, step: 0.25 / rate).pressure) }
        let mean = values.reduce(0, +) / Double(values.count)
        let sigma = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        let table = BMP581.Oversampling(rawValue: oversampling)!.typicalNoise / 0.78
        let expected = (table * table + 1.0 / (64 * 64 * 12)).squareRoot()
        #expect(abs(sigma / expected - 1) < 0.05, "σ = \(sigma) Pa, expected \(expected) Pa")
    }

    /// The rate configure picks is the fastest ODR code under Table 9's continuous rate, and the model agrees
    /// (OSR_EFF valid, else configure throws).
    @Test func ratesFollowTable9() throws {
        let rig = bench(.init(offset: 0, gainErrorPPM: 0, noiseAtX1: 0.78, driftRandomWalk: 0, temperatureOffset: 0))
        let picked = try [1, 2, 4, 8, 16, 32, 64, 128].map { osr in
            try rig.driver.configure(PressureSettings(oversampling: osr, outputDataRate: 1000)).outputDataRate
        }
        #expect(picked == [240, 240, 240, 149.3, 80, 45, 20, 10])
    }

    /// Normal mode delivers one conversion per ODR period: 10 s at 80 Hz is 800 conversions (±2 for the
    /// phase of the first and last poll).
    @Test func conversionsFollowTheOutputDataRate() throws {
        let rig = bench(.init(offset: 0, gainErrorPPM: 0, noiseAtX1: 0.78, driftRandomWalk: 0, temperatureOffset: 0))
        _ = try rig.driver.configure(PressureSettings(oversampling: 16, outputDataRate: 80))
        let start = rig.clock.seconds()
        var count = 0
        while rig.clock.seconds() - start < 10 {
            rig.clock.advance(by: 0.002)
            if case .reading = try rig.driver.poll() { count += 1 }
        }
        #expect(abs(count - 800) <= 2, "\(count) conversions")
    }

    /// ×128 at 240 Hz written straight to the registers: the chip keeps the rate, lowers the OSR and clears
    /// OSR_EFF.odr_is_valid; conversions still come at 240 Hz.
    @Test func unsustainableRateLowersTheOversampling() throws {
        let rig = bench(.init(offset: 0, gainErrorPPM: 0, noiseAtX1: 0.78, driftRandomWalk: 0, temperatureOffset: 0))
        try rig.device.writeRegister(0x15, 0x01)            // drdy source
        try rig.device.writeRegister(0x36, 0x40 | 7 << 3 | 3)   // press_en, ×128, T ×8
        try rig.device.writeRegister(0x37, 0x80 | 0x01)     // 240 Hz, normal
        let effective = try rig.device.readRegister(0x38)
        #expect(effective & 0x80 == 0)
        #expect(effective >> 3 & 0x07 < 7)
        var count = 0
        let start = rig.clock.seconds()
        while rig.clock.seconds() - start < 1 {
            rig.clock.advance(by: 0.0005)
            if case .reading = try rig.driver.poll() { count += 1 }
        }
        #expect(abs(count - 240) <= 2)
    }
}
