import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The driver against a register file: decoding, identification and the registers `configure` writes.
@Suite struct LPS22HHTests {
    private func driver(_ registers: RegisterFile) -> LPS22HH {
        LPS22HH(device: I2CDevice(transport: registers, address: I2CAddress(0x5C)))
    }

    /// sensors.md §6 V7: 0x28–0x2A = 00 50 3F → 0x3F5000/4096 = 1013.000 hPa = 101 300 Pa; 0x2B–0x2C = C4 09
    /// → 2500/100 = 25.00 °C. Exact: 0x3F5000 is a multiple of 4096. Negative values check the sign extension.
    @Test func testVectorV7() throws {
        let registers = RegisterFile()
        registers.registers.replaceSubrange(0x28...0x2C, with: [0x00, 0x50, 0x3F, 0xC4, 0x09])
        let reading = try driver(registers).readConversion()
        #expect(reading == PressureReading(pressure: 101_300, temperature: 25, rawPressure: 0x3F5000,
                                           rawTemperature: 2500, pressureStep: 100.0 / 4096))
        let negative = LPS22HH.reading(fromData: [0x00, 0x00, 0x80, 0x0C, 0xFE])
        #expect(negative.rawPressure == -0x80_0000 && negative.rawTemperature == -500 && negative.temperature == -5)
    }

    /// poll() reads STATUS and reads the outputs only when both P_DA and T_DA are set.
    @Test func pollNeedsPressureAndTemperature() throws {
        let registers = RegisterFile()
        registers.registers.replaceSubrange(0x28...0x2C, with: [0x00, 0x50, 0x3F, 0xC4, 0x09])
        let lps = driver(registers)
        registers.registers[0x27] = 0x01
        #expect(try lps.poll() == .notReady)
        registers.registers[0x27] = 0x03
        #expect(try lps.poll() == .reading(LPS22HH.reading(fromData: [0x00, 0x50, 0x3F, 0xC4, 0x09])))
    }

    @Test func probe() throws {
        let registers = RegisterFile()
        registers.registers[0x0F] = 0xB3
        #expect(try driver(registers).probe() == SensorIdentity(model: "LPS22HH", idRegister: 0x0F, idValue: 0xB3, calibration: []))
    }

    @Test func wrongChipIsNamed() {
        let registers = RegisterFile()
        registers.registers[0x0F] = 0xB1                    // an LPS22HB
        #expect(throws: DriverError.wrongChip(model: "LPS22HH", register: 0x0F, expected: [0xB3], found: 0xB1)) {
            try driver(registers).probe()
        }
    }

    @Test func impossibleSettingsAreRejected() {
        let lps = driver(RegisterFile())
        #expect(throws: DriverError.configurationRejected(
            model: "LPS22HH", reason: "oversampling ×16: the chip has no oversampling register, so only ×1 is accepted; "
                + "lower its noise with low-noise mode and the LPF")) {
            try lps.configure(PressureSettings(oversampling: 16, outputDataRate: 25))
        }
        #expect(throws: DriverError.configurationRejected(
            model: "LPS22HH", reason: "LPF setting 4 is not 0 (off), 9 (ODR/9) or 20 (ODR/20)")) {
            try lps.configure(PressureSettings(oversampling: 1, outputDataRate: 25, iirCoefficient: 4))
        }
        #expect(throws: DriverError.configurationRejected(
            model: "LPS22HH", reason: "no output data rate ≤ 0.5 Hz (the slowest is 1 Hz)")) {
            try lps.configure(PressureSettings(oversampling: 1, outputDataRate: 0.5))
        }
    }

    /// The fastest rate at or below the request: low-noise mode stops at 75 Hz, low-current mode goes to 200 Hz.
    @Test(arguments: [(true, 200.0, 75.0), (true, 60, 50), (true, 1, 1), (false, 150, 100), (false, 1000, 200), (false, 24.9, 10)])
    func rateChoice(lowNoise: Bool, requested: Double, expected: Double) throws {
        let mode = try driver(RegisterFile()).configure(
            PressureSettings(oversampling: 1, outputDataRate: requested, lowNoise: lowNoise))
        #expect(mode.outputDataRate == expected)
    }

    /// Power-down, CTRL_REG2 (IF_ADD_INC | LOW_NOISE_EN), then CTRL_REG1 = ODR 25 Hz (3) | EN_LPFP | BDU.
    @Test func configureWritesTheRegisters() throws {
        let registers = RegisterFile()
        let mode = try driver(registers).configure(PressureSettings(oversampling: 1, outputDataRate: 30, iirCoefficient: 9))
        #expect(registers.writes == [[0x10, 0x00], [0x11, 0x12], [0x10, 0x3A]])
        #expect(mode == PressureMode(outputDataRate: 25, pressureOversampling: 1, temperatureOversampling: 1,
                                     iirCoefficient: 9, conversionTime: 0.04, notes: "low-noise mode, LPF ODR/9"))
        let fast = try driver(registers).configure(
            PressureSettings(oversampling: 1, outputDataRate: 200, iirCoefficient: 20, lowNoise: false))
        #expect(fast.notes == "low-current mode, LPF ODR/20")
        #expect(registers.writes.suffix(3) == [[0x10, 0x00], [0x11, 0x10], [0x10, 0x7E]])
    }

    @Test func standbyPowersDown() throws {
        let registers = RegisterFile()
        registers.registers[0x10] = 0x3A
        try driver(registers).standby()
        #expect(registers.writes == [[0x10, 0x0A]])
    }
}

/// The driver against the register-level model on a simulated bench.
@Suite struct SimulatedLPS22HHTests {
    static let address = I2CAddress(0x5C)

    struct Bench {
        let bench: SimulatedBench
        let device: I2CDevice
        let driver: LPS22HH
        var clock: SimulatedClock { bench.clock }
    }

    struct NoConversion: Error {}

    func bench(_ errors: PressureUnitErrors, seed: UInt64 = 11) -> Bench {
        let random = SeededRandom(seed: seed)
        let unit = SingleUnitBench(LPS22HHModel(errors: errors, random: random.derived(1)), address: Self.address, seed: seed)
        let bench = unit.bench, device = unit.device
        return Bench(bench: bench, device: device, driver: LPS22HH(device: device))
    }

    static let quiet = PressureUnitErrors(offset: 0, gainErrorPPM: 0, noiseAtX1: 1, driftRandomWalk: 0, temperatureOffset: 0)

    func nextReading(_ rig: Bench, step: Double) throws -> PressureReading {
        for _ in 0..<1000 {
            rig.clock.advance(by: step)
            if case .reading(let reading) = try rig.driver.poll() { return reading }
        }
        throw NoConversion()
    }

    /// Reset values: WHO_AM_I, CTRL_REG1 power-down, CTRL_REG2 IF_ADD_INC; SWRESET restores them.
    @Test func resetValues() throws {
        let rig = bench(Self.quiet)
        #expect(try rig.driver.probe().idValue == 0xB3)
        #expect(try rig.device.readRegisters(0x10, count: 2) == [0x00, 0x10])
        try rig.device.writeRegister(0x10, 0x3A)
        try rig.device.writeRegister(0x11, 0x04)            // SWRESET
        #expect(try rig.device.readRegisters(0x10, count: 2) == [0x00, 0x10])
    }

    /// Round trip at four pressures in low-noise mode at 25 Hz, LPF off: true pressure + offset + gain·(p − p₀)
    /// within 5σ of the unit's noise (0.65 Pa) plus 5σ of the drift. Reading the outputs clears P_DA and T_DA.
    @Test func roundTrip() throws {
        let errors = PressureUnitErrors(offset: -31, gainErrorPPM: -200, noiseAtX1: 0.65, driftRandomWalk: 0.002,
                                        temperatureOffset: -0.4)
        let rig = bench(errors)
        _ = try rig.driver.probe()
        _ = try rig.driver.configure(PressureSettings(oversampling: 1, outputDataRate: 25))
        for setpoint in [30_000.0, 70_000, 101_325, 120_000] {
            rig.bench.command(setpoint: setpoint)
            rig.clock.advance(by: 30)
            let reading = try nextReading(rig, step: 0.002)
            let truth = rig.bench.truePressure()
            let bound = 5 * 0.65 + 5 * 0.002 * rig.clock.seconds().squareRoot()
            #expect(abs(reading.pressure - (truth + errors.systematicError(at: truth))) < bound,
                    "\(setpoint) Pa: read \(reading.pressure)")
            #expect(abs(reading.temperature - 24.6) < 0.04)  // swing 0.02 °C, noise 0.002 °C, LSB 0.01 °C
            #expect(try rig.device.readRegister(0x27) & 0x03 == 0)
            #expect(try rig.driver.poll() == .notReady)
        }
    }

    /// Block data update: after PRESS_OUT_XL…H are read alone, the outputs hold still across later conversions
    /// until TEMP_OUT_H is read too; the conversion held back then shows, with P_DA and T_DA set again.
    @Test func blockDataUpdateHoldsTheOutputs() throws {
        let rig = bench(Self.quiet)
        _ = try rig.driver.configure(PressureSettings(oversampling: 1, outputDataRate: 75))
        rig.clock.advance(by: 0.05)
        let pressure = try rig.device.readRegisters(0x28, count: 3)
        rig.clock.advance(by: 0.1)                          // 7 more conversions
        #expect(try rig.device.readRegister(0x27) & 0x03 == 0x02)   // P_DA cleared by PRESS_OUT_H; T_DA still set
        let all = try rig.device.readRegisters(0x28, count: 5)
        #expect(Array(all.prefix(3)) == pressure)
        #expect(try rig.device.readRegister(0x27) & 0x03 == 0x03)
        #expect(try rig.device.readRegisters(0x28, count: 3) != pressure)
    }

    /// A reading is one 6-byte burst of STATUS and the outputs from 0x27. After a burst that found no conversion (it
    /// read the outputs, which clears P_DA and T_DA), STATUS alone until one is there, then the outputs; then bursts
    /// again. Each reading is the chamber's pressure within the unit's noise, whichever way it was read.
    @Test func pollReadsStatusAndOutputsInOneBurst() throws {
        let unit = SingleUnitBench(LPS22HHModel(errors: Self.quiet, random: SeededRandom(seed: 11).derived(1)), address: Self.address)
        let log = TransferLog(unit.device.transport)
        let lps = LPS22HH(device: I2CDevice(transport: log, address: Self.address))
        _ = try lps.configure(PressureSettings(oversampling: 1, outputDataRate: 25))
        let readings = try log.expectOneBurstPolls(
            burst: .init(register: 0x27, count: 6), status: .init(register: 0x27, count: 1), data: .init(register: 0x28, count: 5),
            nextConversion: { unit.clock.advance(by: 0.05) }) { () throws -> PressureReading? in
            guard case .reading(let reading) = try lps.poll() else { return nil }
            return reading
        }
        #expect(readings.count == 3)
        for reading in readings { #expect(abs(reading.pressure - 101_325) < 6) }
    }

    /// IF_ADD_INC off: a burst repeats the same register.
    @Test func addressIncrementCanBeTurnedOff() throws {
        let rig = bench(Self.quiet)
        try rig.device.writeRegister(0x11, 0x00)
        #expect(try rig.device.readRegisters(0x0F, count: 3) == [0xB3, 0xB3, 0xB3])
    }

    /// One-shot in power-down: one conversion, then ONE_SHOT clears itself.
    @Test func oneShot() throws {
        let rig = bench(Self.quiet)
        try rig.device.writeRegister(0x11, 0x11)
        #expect(try rig.device.readRegister(0x27) & 0x03 == 0)
        rig.clock.advance(by: 0.01)
        #expect(try rig.device.readRegister(0x27) & 0x03 == 0x03)
        #expect(try rig.device.readRegister(0x11) == 0x10)
        let reading = try rig.driver.readConversion()
        #expect(abs(reading.pressure - 101_325) < 6)
    }

    /// 10 s at 25 Hz is 250 conversions (±1 for the phase of the last poll).
    @Test func conversionsFollowTheOutputDataRate() throws {
        let rig = bench(Self.quiet)
        _ = try rig.driver.configure(PressureSettings(oversampling: 1, outputDataRate: 25))
        let start = rig.clock.seconds()
        var count = 0
        while rig.clock.seconds() - start < 10 {
            rig.clock.advance(by: 0.005)
            if case .reading = try rig.driver.poll() { count += 1 }
        }
        #expect(abs(count - 250) <= 1, "\(count) conversions")
    }

    /// The standard deviation of 2000 readings at fixed pressure (the first 100 dropped while the LPF fills)
    /// matches the modelled noise of each mode for a unit with 1 Pa in low-noise mode, LPF off:
    /// low-current 1.5 Pa; LPF ODR/9 √(2/9) Pa; ODR/20 √(1/10) Pa; the LSB (100/4096 Pa) in quadrature.
    /// Tolerance: 5 % without the LPF (3 standard errors of 1.6 %); 12 % with it, where consecutive readings
    /// correlate (r = 7/11 and 9/11) and the standard error grows to 2.4 % and 3.5 %.
    @Test(arguments: [(true, 0, 1.0, 0.05), (false, 0, 1.5, 0.05), (true, 9, (2.0 / 9).squareRoot(), 0.12),
                      (true, 20, 0.1.squareRoot(), 0.12)])
    func noiseFollowsTheMode(lowNoise: Bool, filter: Int, sigma expected: Double, tolerance: Double) throws {
        let rig = bench(Self.quiet, seed: UInt64(filter) + (lowNoise ? 1 : 2))
        let mode = try rig.driver.configure(
            PressureSettings(oversampling: 1, outputDataRate: 75, iirCoefficient: filter, lowNoise: lowNoise))
        let values = try (0..<2000).map { _ in try nextReading(rig, step: 0.25 / mode.outputDataRate).pressure }
        let ratio = sigmaRatio(Array(values.dropFirst(100)), expected)
        #expect(abs(ratio - 1) < tolerance, "σ/expected = \(ratio)")
    }

    /// LOW_NOISE_EN at 200 Hz, written straight to the registers: the chip runs in low-current mode there,
    /// so the noise is the low-current 1.5 Pa.
    @Test func lowNoiseIsIgnoredAt200Hz() throws {
        let rig = bench(Self.quiet, seed: 3)
        try rig.device.writeRegister(0x11, 0x12)
        try rig.device.writeRegister(0x10, 0x72)            // 200 Hz, BDU
        let values = try (0..<2000).map { _ in try nextReading(rig, step: 0.001).pressure }
        let ratio = sigmaRatio(values, 1.5)
        #expect(abs(ratio - 1) < 0.05, "σ/1.5 Pa = \(ratio)")
    }

    /// Sample standard deviation over the expected σ with the output LSB added in quadrature.
    func sigmaRatio(_ values: [Double], _ expected: Double) -> Double {
        let mean = values.reduce(0, +) / Double(values.count)
        let sigma = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        let step = 100.0 / 4096
        return sigma / (expected * expected + step * step / 12).squareRoot()
    }
}
