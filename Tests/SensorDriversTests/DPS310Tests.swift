import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

extension RegisterFile {
    /// A DPS310 that has finished starting up: id, COEF_RDY and SENSOR_RDY set, coefficients and their source.
    /// Writes are recorded but do not land, so the ready bits stay as set.
    static func dps310(coefficients: [UInt8] = DPS310Tests.v4Coefficients, source: UInt8 = 0x80) -> RegisterFile {
        let file = RegisterFile(name: "test:dps310", storesWrites: false)
        file.registers[0x0D] = DPS310.productID
        file.registers[0x08] = DPS310.coefficientsReady | DPS310.sensorReady
        file.registers.replaceSubrange(0x10...0x21, with: coefficients)
        file.registers[0x28] = source
        return file
    }
}

@Suite struct DPS310Tests {
    /// sensors.md §6 V4: a real coefficient set (Infineon issue #30).
    static let v4Coefficients: [UInt8] = [0x0D, 0xEE, 0xD7, 0x13, 0x7D, 0x8F, 0x24, 0x0C, 0xF7,
                                          0x09, 0x05, 0xA4, 0xDA, 0x1B, 0x00, 0x6F, 0xFA, 0xF7]

    func driver(_ file: RegisterFile) -> DPS310 {
        DPS310(device: I2CDevice(transport: file, address: I2CAddress(0x77)))
    }

    @Test func coefficientsParse() throws {
        let c = try #require(DPS310Coefficients(coef: Self.v4Coefficients))
        #expect([c.c0, c.c1, c.c00, c.c10, c.c01, c.c11, c.c20, c.c21, c.c30]
            == [222, -297, 79832, -56308, -2295, 1444, -9701, 111, -1289])
        #expect(DPS310Coefficients(coef: [0x00]) == nil)
        #expect(DPS310Coefficients.scaleFactor(oversampling: 64) == 1_040_384)
        #expect(DPS310Coefficients.scaleFactor(oversampling: 3) == nil)
    }

    /// V4 through probe, configure (×64), poll and the transport: PSR FA 51 17 (−372 457), TMP 02 51 06
    /// (151 814) give T = 25.000019 °C (exactly 25.000019073486…) and P = 97 995.9497 Pa (exact rational
    /// 97 995.949704…), tolerance 1e-3 Pa as sensors.md §6 states; 1e-9 °C for T (the same Double arithmetic).
    @Test func testVectorV4() throws {
        let file = RegisterFile.dps310()
        let dps = driver(file)
        let identity = try dps.probe()
        #expect(identity == SensorIdentity(model: "DPS310", idRegister: 0x0D, idValue: 0x10, calibration: Self.v4Coefficients))
        let mode = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 8))
        #expect(mode.pressureOversampling == 64 && mode.temperatureOversampling == 1 && mode.notes == "P_SHIFT on")
        file.registers.replaceSubrange(0x00...0x05, with: [0xFA, 0x51, 0x17, 0x02, 0x51, 0x06])
        file.registers[0x08] = 0xF0 | DPS310.continuousPressureAndTemperature
        guard case .reading(let reading) = try dps.poll() else {
            Issue.record("PRS_RDY and TMP_RDY set, but no reading")
            return
        }
        #expect(reading.rawPressure == -372_457 && reading.rawTemperature == 151_814)
        #expect(abs(reading.temperature - 25.000_019_073_486) < 1e-9)
        #expect(abs(reading.pressure - 97_995.9497) < 1e-3)
        // The step is |∂P/∂Praw|: one raw LSB more changes P by that much (to 1e-7 Pa: the curvature over one LSB).
        let c = try #require(DPS310Coefficients(coef: Self.v4Coefficients))
        let next = c.pressure(rawPressure: -372_456, rawTemperature: 151_814, kP: 1_040_384, kT: 524_288)
        #expect(abs(abs(next - reading.pressure) - reading.pressureStep) < 1e-7)
        #expect(reading.pressureStep > 0.04 && reading.pressureStep < 0.06)
    }

    /// The pairing rule: a temperature alone is remembered, not returned; the pressure that follows is.
    @Test func pollWaitsForPressureAfterATemperature() throws {
        let file = RegisterFile.dps310()
        let dps = driver(file)
        _ = try dps.probe()
        _ = try dps.configure(PressureSettings(oversampling: 8, outputDataRate: 32))
        file.registers[0x08] = 0xC0 | DPS310.temperatureReady
        #expect(try dps.poll() == .notReady)
        file.registers[0x08] = 0xC0 | DPS310.pressureReady
        guard case .reading = try dps.poll() else {
            Issue.record("PRS_RDY after a temperature gave no reading")
            return
        }
    }

    /// A pressure before any temperature since configure is dropped: it would pair with a stale temperature.
    @Test func pressureBeforeAnyTemperatureIsDropped() throws {
        let file = RegisterFile.dps310()
        let dps = driver(file)
        _ = try dps.probe()
        _ = try dps.configure(PressureSettings(oversampling: 8, outputDataRate: 32))
        file.registers[0x08] = 0xC0 | DPS310.pressureReady
        #expect(try dps.poll() == .notReady)
    }

    @Test func wrongChipIsNamed() {
        let file = RegisterFile.dps310()
        file.registers[0x0D] = 0x58
        let expected = DriverError.wrongChip(model: "DPS310", register: 0x0D, expected: [0x10], found: 0x58)
        #expect(throws: expected) { try driver(file).probe() }
        #expect(expected.description == "not a DPS310: id register 0x0D reads 0x58, expected 0x10")
    }

    /// Before COEF_RDY/SENSOR_RDY the probe throws at once (the engine probes again) and says why.
    @Test func notReadyIsAClearError() {
        let file = RegisterFile.dps310()
        file.registers[0x08] = DPS310.sensorReady
        let error = #expect(throws: DriverError.self) { try driver(file).probe() }
        guard case .invalidCalibration("DPS310", let reason) = error else {
            Issue.record("expected invalidCalibration, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("COEF_RDY bit 7 = 0") && reason.contains("SENSOR_RDY bit 6 = 1") && reason.contains("40 ms"))
    }

    @Test func blankCoefficientsAreRejected() {
        let file = RegisterFile.dps310(coefficients: [UInt8](repeating: 0x00, count: 18))
        #expect(throws: DriverError.invalidCalibration(model: "DPS310", reason: "COEF 0x10–0x21 reads all 0x00 or all 0xFF")) {
            try driver(file).probe()
        }
    }

    /// The whole write sequence at ×64: MEAS_CFG 0 first, the fix, PRS_CFG rate 8 (code 3) and PRC 6, TMP_CFG
    /// with COEF_SRCE's bit 7, rate 8 and PRC 0, CFG_REG P_SHIFT, then continuous P+T.
    @Test func configureWritesTheDocumentedSequence() throws {
        let file = RegisterFile.dps310()
        let dps = driver(file)
        _ = try dps.probe()
        _ = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 100))
        #expect(file.writes == [[0x08, 0x00], [0x0E, 0xA5], [0x0F, 0x96], [0x62, 0x02], [0x0E, 0x00], [0x0F, 0x00],
                                [0x06, 0x36], [0x07, 0x80 | 0x30], [0x09, 0x04], [0x08, 0x07]])
    }

    /// Rate = the fastest 2^n ≤ request with rate·(busy_P + busy_T) < 1 s, busy = 2.0 + 1.6·OSR ms and T at ×1
    /// (3.6 ms): ×1 7.2 ms → 128; ×2 8.8 → 64; ×4 12.0 → 64; ×8 18.4 → 32; ×16 31.2 → 32 (0.998 s); ×32 56.8 → 16;
    /// ×64 108.0 → 8; ×128 210.4 → 4. CFG_REG gets P_SHIFT (bit 2) exactly when OSR > 8, never bit 4 (the kernel's
    /// mistake) and never T_SHIFT (T is ×1).
    @Test(arguments: [(1, 128.0), (2, 64), (4, 64), (8, 32), (16, 32), (32, 16), (64, 8), (128, 4)])
    func configurePicksRateAndShift(oversampling: Int, rate: Double) throws {
        let file = RegisterFile.dps310()
        let dps = driver(file)
        _ = try dps.probe()
        let mode = try dps.configure(PressureSettings(oversampling: oversampling, outputDataRate: 200))
        #expect(mode.outputDataRate == rate)
        #expect(abs(mode.conversionTime - (0.004 + 0.0016 * Double(oversampling) + 0.0016)) < 1e-12)
        #expect(file.written(0x09) == (oversampling > 8 ? 0x04 : 0x00))
        #expect(file.written(0x06) == UInt8(Int(rate).trailingZeroBitCount) << 4 | UInt8(oversampling.trailingZeroBitCount))
        #expect(file.written(0x07)! & 0x0F == 0)
    }

    /// A lower request is honoured (the fastest 2^n at or below it); below 1 /s nothing fits.
    @Test func configureHonoursTheRequestedRate() throws {
        let file = RegisterFile.dps310()
        let dps = driver(file)
        _ = try dps.probe()
        #expect(try dps.configure(PressureSettings(oversampling: 1, outputDataRate: 10)).outputDataRate == 8)
        #expect(try dps.configure(PressureSettings(oversampling: 1, outputDataRate: 1)).outputDataRate == 1)
        #expect(throws: DriverError.self) { try dps.configure(PressureSettings(oversampling: 1, outputDataRate: 0.5)) }
        #expect(throws: DriverError.self) { try dps.configure(PressureSettings(oversampling: 3, outputDataRate: 8)) }
        #expect(throws: DriverError.self) { try dps.configure(PressureSettings(oversampling: 256, outputDataRate: 8)) }
        #expect(throws: DriverError.self) { try dps.configure(PressureSettings(oversampling: 8, outputDataRate: 8, iirCoefficient: 3)) }
        #expect(DPS310.Configuration(pressureOversampling: 3, temperatureOversampling: 1, rate: 8, externalTemperatureSensor: true) == nil)
        #expect(DPS310.Configuration(pressureOversampling: 8, temperatureOversampling: 1, rate: 256, externalTemperatureSensor: true) == nil)
    }

    /// COEF_SRCE bit 7 clear (coefficients made with the internal sensor) → TMP_CFG bit 7 clear.
    @Test func temperatureSensorFollowsCoefficientSource() throws {
        let file = RegisterFile.dps310(source: 0x00)
        let dps = driver(file)
        _ = try dps.probe()
        _ = try dps.configure(PressureSettings(oversampling: 16, outputDataRate: 32))
        #expect(file.written(0x07) == 0x50)
    }

    @Test func standbyIdles() throws {
        let file = RegisterFile.dps310()
        let dps = driver(file)
        _ = try dps.probe()
        _ = try dps.configure(PressureSettings(oversampling: 2, outputDataRate: 8))
        try dps.standby()
        #expect(file.writes.last == [0x08, 0x00])
        #expect(throws: DriverError.self) { try dps.poll() }
    }
}

/// One simulated DPS310 alone on a simulated bus at 0x77, with the V4 coefficients.
struct DPS310Bench {
    let unit: SingleUnitBench
    let errors: PressureUnitErrors
    var clock: SimulatedClock { unit.clock }
    var bench: SimulatedBench { unit.bench }
    var device: I2CDevice { unit.device }

    init(errors: PressureUnitErrors, seed: UInt64, coefficientSource: UInt8 = 0x80) {
        self.errors = errors
        let model = DPS310Model(coefficients: DPS310Tests.v4Coefficients, errors: errors, random: SeededRandom(seed: seed),
                                coefficientSource: coefficientSource)
        unit = SingleUnitBench(model, address: I2CAddress(0x77))
    }

    /// A driver, probed after the 40 ms start-up.
    func probedDriver() throws -> DPS310 {
        clock.advance(by: 0.05)
        let dps = DPS310(device: device)
        _ = try dps.probe()
        return dps
    }

    /// Polls every `step` seconds until a reading; nil after `limit` seconds.
    func nextReading(_ sensor: DPS310, step: Double, limit: Double = 2) throws -> PressureReading? {
        var waited = 0.0
        while waited < limit {
            clock.advance(by: step)
            waited += step
            if case .reading(let reading) = try sensor.poll() { return reading }
        }
        return nil
    }

    /// True pressure plus the unit's offset and gain error, Pa.
    var expectedPressure: Double {
        let truth = bench.truePressure()
        return truth + errors.systematicError(at: truth)
    }
}

/// The DPS310 driver against the register-level model: readings come back as the model's indicated pressure,
/// and each of the chip's traps, skipped, gives readings that a test catches.
@Suite struct SimulatedDPS310Tests {
    static let errors = PressureUnitErrors(offset: 20, gainErrorPPM: 150, noiseAtX1: 2.5, driftRandomWalk: 0,
                                           temperatureOffset: 0.3)

    /// Five pressures at ×64/8 Hz: |reading − (true + offset + gain·(p − p0))| < 5σ + one step + 0.05 Pa (σ = the
    /// modelled ×64 noise, 0.2 Pa; the step ~0.05 Pa covers the ADC rounding); T within 0.05 °C of the chamber's
    /// 25 °C (±0.02 °C swing) + 0.3 °C offset. For units calibrated with either temperature sensor (COEF_SRCE).
    @Test(arguments: [UInt8(0x80), 0x00])
    func roundTrip(coefficientSource: UInt8) throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 3, coefficientSource: coefficientSource)
        let dps = try sim.probedDriver()
        let mode = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 8))
        #expect(mode.outputDataRate == 8)
        let sigma = DPS310Model.noise(Self.errors, oversampling: 64)
        #expect(abs(sigma - 0.2) < 1e-12)
        for setpoint in [30_000.0, 60_000, 90_000, 101_325, 120_000] {
            sim.bench.command(setpoint: setpoint)
            sim.clock.advance(by: 60)                 // 24 time constants: settled
            let reading = try #require(try sim.nextReading(dps, step: 0.01))
            let expected = sim.expectedPressure
            #expect(abs(reading.pressure - expected) < 5 * sigma + reading.pressureStep + 0.05,
                    "\(setpoint) Pa: read \(reading.pressure), expected \(expected)")
            #expect(abs(reading.temperature - 25.3) < 0.05)
        }
    }

    /// ~1000 readings at a fixed pressure: their standard deviation is √(σ² + q²/12) (σ from the precision table
    /// ratios, q the step) within 10 %, about 4.5 standard errors of a 1000-sample deviation (1/√(2·999) = 2.2 %);
    /// the mean is within 5σ/√N + q of the expected pressure. Seeded, so the numbers are the same on every run.
    @Test(arguments: [1, 16, 64])
    func noiseMatchesTheModel(oversampling: Int) throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 11)
        let dps = try sim.probedDriver()
        let mode = try dps.configure(PressureSettings(oversampling: oversampling, outputDataRate: 128))
        var readings: [PressureReading] = []
        while readings.count < 1000 {
            guard let reading = try sim.nextReading(dps, step: 0.25 / mode.outputDataRate) else { break }
            readings.append(reading)
        }
        #expect(readings.count == 1000)
        let values = readings.map(\.pressure)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        let sigma = DPS310Model.noise(Self.errors, oversampling: oversampling)
        let step = readings.map(\.pressureStep).max()!
        let modelled = (sigma * sigma + step * step / 12).squareRoot()
        #expect(abs(std / modelled - 1) < 0.10, "×\(oversampling): std \(std) Pa, modelled \(modelled) Pa")
        #expect(abs(mean - sim.expectedPressure) < 5 * sigma / Double(values.count).squareRoot() + step)
    }

    /// The model refuses to be read before its start-up ends: the probe at t = 0 throws, 50 ms later it works.
    @Test func probeBeforeStartUpThrows() throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 1)
        let dps = DPS310(device: sim.device)
        #expect(throws: DriverError.self) { try dps.probe() }
        sim.clock.advance(by: 0.05)
        #expect(try dps.probe().calibration == DPS310Tests.v4Coefficients)
    }

    /// Re-programs the running chip behind the driver's back, as a driver that skipped a step would.
    func reprogram(_ device: I2CDevice, _ writes: [(UInt8, UInt8)]) throws {
        for (register, value) in writes { try device.writeRegister(register, value) }
    }

    /// Without P_SHIFT at ×64 the result is 64× larger and wraps in its 24 bits: kilopascals off.
    @Test func missingShiftIsCaught() throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 4)
        let dps = try sim.probedDriver()
        _ = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 8))
        try reprogram(sim.device, [(0x08, 0x00), (0x09, 0x00), (0x08, 0x07)])
        let reading = try #require(try sim.nextReading(dps, step: 0.01))
        #expect(abs(reading.pressure - sim.expectedPressure) > 1000)
    }

    /// TMP_CFG bit 7 not copied from COEF_SRCE: the other sensor reads 5 °C high and the pressure, compensated
    /// with it, is off by ~9 Pa/°C × 5 °C [calc with the V4 coefficients].
    @Test func wrongTemperatureSensorIsCaught() throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 5)
        let dps = try sim.probedDriver()
        _ = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 8))
        try reprogram(sim.device, [(0x08, 0x00), (0x07, 0x30), (0x08, 0x07)])
        let reading = try #require(try sim.nextReading(dps, step: 0.01))
        #expect(abs(reading.temperature - 25.3 - DPS310Model.otherSensorTemperatureError) < 0.05)
        #expect(abs(reading.pressure - sim.expectedPressure) > 20)
    }

    /// Without the 0x0E/0x0F/0x62 fix (lost in a soft reset) the temperature reads ~40 °C high, and the pressure
    /// hundreds of pascals off.
    @Test func missingTemperatureFixIsCaught() throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 6)
        let dps = try sim.probedDriver()
        let configuration = try #require(DPS310.Configuration(pressureOversampling: 64, temperatureOversampling: 1, rate: 8,
                                                              externalTemperatureSensor: true))
        try dps.configure(configuration)
        try reprogram(sim.device, [(0x0C, 0x09)])
        sim.clock.advance(by: 0.05)
        try reprogram(sim.device, [(0x06, configuration.pressureRegister), (0x07, configuration.temperatureRegister),
                                   (0x09, configuration.configurationRegister), (0x08, 0x07)])
        let reading = try #require(try sim.nextReading(dps, step: 0.01))
        #expect(abs(reading.temperature - 25.3 - DPS310Model.unfixedTemperatureError) < 0.05)
        #expect(abs(reading.pressure - sim.expectedPressure) > 100)
    }

    /// A new mode written over a running one, without MEAS_CFG 0 first, is not taken: the chip goes on at ×2,
    /// which the driver, still set for ×2, reads correctly; its own reconfigure to ×64 (0 first) is taken.
    @Test func modeChangeNeedsIdleFirst() throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 7)
        let dps = try sim.probedDriver()
        _ = try dps.configure(PressureSettings(oversampling: 2, outputDataRate: 8))
        try reprogram(sim.device, [(0x06, 0x36), (0x09, 0x04), (0x08, 0x07)])
        let sigma2 = DPS310Model.noise(Self.errors, oversampling: 2)
        let stale = try #require(try sim.nextReading(dps, step: 0.01))
        #expect(abs(stale.pressure - sim.expectedPressure) < 5 * sigma2 + 0.2)
        _ = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 8))
        let fresh = try #require(try sim.nextReading(dps, step: 0.01))
        #expect(abs(fresh.pressure - sim.expectedPressure) < 5 * DPS310Model.noise(Self.errors, oversampling: 64) + 0.1)
    }

    /// Readings arrive at the chosen rate: 8 per simulated second at ×64.
    @Test func readingsFollowTheRate() throws {
        let sim = DPS310Bench(errors: Self.errors, seed: 8)
        let dps = try sim.probedDriver()
        _ = try dps.configure(PressureSettings(oversampling: 64, outputDataRate: 8))
        var count = 0
        for _ in 0..<1000 {                           // poll every 4 ms for 4 s
            sim.clock.advance(by: 0.004)
            if case .reading = try dps.poll() { count += 1 }
        }
        #expect(abs(count - 32) <= 1)
    }
}
