import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The ADS122C04 driver on a fake transport (command bytes, code conversion) and the fluxgate driver on the
/// register/command-level model (a known coil field read back; the fluxgate's noise roughly recovered).
@Suite struct ADS122C04Tests {
    private func adc(_ registers: RegisterFile) -> ADS122C04 {
        ADS122C04(device: I2CDevice(transport: registers, address: I2CAddress(0x40)))
    }

    /// Datasheet SBAS751B commands: RESET 0x06, START/SYNC 0x08, POWERDOWN 0x02, RDATA 0x10, RREG 0x20|r<<2,
    /// WREG 0x40|r<<2 (also TI's example code `ads122c04.h`/`.c`).
    @Test func commandBytes() throws {
        let registers = RegisterFile()
        let chip = adc(registers)
        try chip.reset()
        try chip.start()
        try chip.powerDown()
        try chip.write(.config1, 0xC0)
        #expect(registers.writes == [[0x06], [0x08], [0x02], [0x44, 0xC0]])
        #expect(ADS122C04.Register.allCases.map(ADS122C04.readCommand) == [0x20, 0x24, 0x28, 0x2C])
        #expect(ADS122C04.Register.allCases.map(ADS122C04.writeCommand) == [0x40, 0x44, 0x48, 0x4C])
        registers.registers[0x28] = 0x80                         // what RREG CONFIG2 answers on this fake
        #expect(try chip.isDataReady())
        registers.registers.replaceSubrange(0x10...0x12, with: [0x80, 0x00, 0x00])   // what RDATA answers
        #expect(try chip.readCode() == -8_388_608)
    }

    /// CONFIG0 = MUX<<4 | GAIN<<1 | PGA_BYPASS, CONFIG1 = DR<<5 | MODE<<4 | CM<<3 | VREF<<1 | TS; CONFIG2/3 = 0.
    /// AIN0–AIN3 (2) at gain 128, 1000 SPS normal single-shot: 0x2E, 0xC0. AIN1–AVSS (9) forces the bypass: 0x93.
    @Test func configurationRegisters() throws {
        let registers = RegisterFile()
        try adc(registers).configure(ADS122C04.Configuration(mux: 2, gain: 128, dataRateCode: 6))
        #expect(registers.writes == [[0x40, 0x2E], [0x44, 0xC0], [0x48, 0x00], [0x4C, 0x00]])
        #expect(ADS122C04.Configuration(mux: 9, gain: 2, dataRateCode: 0).config0 == 0x93)
        #expect(ADS122C04.Configuration(mux: 0, gain: 1, dataRateCode: 3, mode: .turbo, continuous: true).config1 == 0x78)
        #expect(throws: DriverError.configurationRejected(
            model: "ADS122C04",
            reason: "gain 8 on single-ended input mux 8: the PGA is bypassed there and only gains 1, 2, 4 exist")) {
            try adc(RegisterFile()).configure(ADS122C04.Configuration(mux: 8, gain: 8, dataRateCode: 0))
        }
    }

    /// 0x7FFFFF → +FS − 1 LSB = 2.048·(2^23 − 1)/2^23 = 2.047999755859375 V; 0x800000 → −FS = −2.048 V; LSB =
    /// 2·2.048/(gain·2^24): 244.140625 nV at gain 1, 1.9073486328125 nV at 128 (exact binary fractions).
    @Test func codesToVolts() {
        #expect(ADS122C04.code(fromData: [0x7F, 0xFF, 0xFF]) == 8_388_607)
        #expect(ADS122C04.volts(code: ADS122C04.code(fromData: [0x7F, 0xFF, 0xFF]), gain: 1) == 2.047999755859375)
        #expect(ADS122C04.volts(code: ADS122C04.code(fromData: [0x80, 0x00, 0x00]), gain: 1) == -2.048)
        #expect(ADS122C04.volts(code: ADS122C04.code(fromData: [0x80, 0x00, 0x00]), gain: 4) == -0.512)
        #expect(ADS122C04.volts(code: ADS122C04.code(fromData: [0xFF, 0xFF, 0xFF]), gain: 1) == -2.44140625e-7)
        #expect(ADS122C04.leastSignificantBit(gain: 1) == 2.44140625e-7)
        #expect(ADS122C04.leastSignificantBit(gain: 128) == 1.9073486328125e-9)
        // Table 12: 51213 t_CLK at 1.024 MHz = 50.0127 ms (printed 50.01); 1000 SPS 1061 t_CLK = 1.0361 ms (1.04).
        #expect(abs(ADS122C04.singleShotConversionTime(dataRateCode: 0, mode: .normal) - 0.0500127) < 1e-7)
        #expect(abs(ADS122C04.singleShotConversionTime(dataRateCode: 6, mode: .normal) - 0.0010361) < 1e-7)
    }

    /// The probe writes nothing; 0xFF everywhere (a floating bus) has reserved fields set and is refused.
    @Test func probe() throws {
        let registers = RegisterFile()
        registers.registers[0x24] = 0xC0
        let sensor = FluxgateADC(device: I2CDevice(transport: registers, address: I2CAddress(0x40)), calibration: Self.wide)
        #expect(try sensor.probe() == SensorIdentity(model: "ADS122C04", idRegister: nil, idValue: nil, calibration: [0, 0xC0, 0, 0]))
        #expect(registers.writes.isEmpty)
        let floating = RegisterFile()
        floating.registers = [UInt8](repeating: 0xFF, count: 0x80)
        #expect(throws: DriverError.wrongChip(model: "ADS122C04", register: 0, expected: [0], found: 0xFF)) {
            try FluxgateADC(device: I2CDevice(transport: floating, address: I2CAddress(0x40)), calibration: Self.wide).probe()
        }
    }

    // MARK: Fluxgate on the model

    /// A ±200 µT fluxgate at 0.01 V/µT, its outputs on AIN0, AIN1, AIN2 against a common AIN3 (mux 2, 5, 6).
    static let wide = FluxgateCalibration(voltsPerMicrotesla: FieldVector(x: 0.01, y: 0.01, z: 0.01),
                                          zeroVolts: FieldVector(x: 0.002, y: -0.001, z: 0.0005), inputs: [2, 5, 6], gain: 1)

    private func bench(_ calibration: FluxgateCalibration, noiseDensity: Double = 5, adcNoise: Double,
                       seed: UInt64) -> (SingleUnitBench, FluxgateADC) {
        let model = ADS122C04Model(
            fluxgate: .init(inputs: calibration.inputs, voltsPerMicrotesla: calibration.voltsPerMicrotesla,
                            zeroVolts: calibration.zeroVolts, noiseDensity: noiseDensity),
            adcNoise: adcNoise, random: SeededRandom(seed: seed))
        let bench = SingleUnitBench(model, address: I2CAddress(0x40))
        return (bench, FluxgateADC(device: bench.device, calibration: calibration))
    }

    /// The mode: 20 SPS for 10 readings/s, a reading every 3 × (single-shot time 50.0127 ms + 1 ms of transfers);
    /// counts/µT = 0.01·1·2^23/2.048 = 40960; full scale 2.048/0.01 = 204.8 µT.
    @Test func modeFollowsTheCalibration() throws {
        let (_, sensor) = bench(Self.wide, adcNoise: 0, seed: 1)
        let mode = try sensor.configure(MagneticSettings(outputDataRate: 10))
        func readingRate(code: Int) -> Double { 1 / (3 * (ADS122C04.singleShotConversionTime(dataRateCode: code, mode: .normal) + 0.001)) }
        #expect(abs(mode.outputDataRate - 1 / (3 * 0.0510127)) < 1e-3)
        #expect(abs(mode.outputDataRate - readingRate(code: 0)) < 1e-12)
        #expect(mode.resolution == 1 && abs(mode.fullScale - 204.8) < 1e-9 && mode.countsPerMicrotesla == 40960)
        // 400 readings/s allow 1200 SPS: the fastest normal rate at or below is 1000 SPS (code 6); 100 readings/s allow
        // 300 SPS: 175 SPS (code 3).
        let fast = try sensor.configure(MagneticSettings(outputDataRate: 400))
        #expect(fast.outputDataRate == readingRate(code: 6) && fast.outputDataRate < 1000.0 / 3)
        #expect(try sensor.configure(MagneticSettings(outputDataRate: 100)).outputDataRate == readingRate(code: 3))
        #expect(throws: DriverError.self) { try sensor.configure(MagneticSettings(outputDataRate: 5)) }
    }

    /// The bench coil drives (0.3, −0.2, 0.45) A × 100 µT/A: the readings equal the true field within 2 LSB
    /// (2 × 24.4 nT) + 5σ of the noise (fluxgate 15.8 pT, ADC 1 µV = 100 pT), each of 20; and poll says
    /// `.converting` between the axes, `.notReady` before DRDY.
    @Test func knownCoilFieldReadsBack() throws {
        let (unit, sensor) = bench(Self.wide, adcNoise: 1e-6, seed: 2)
        _ = try sensor.configure(MagneticSettings(outputDataRate: 10))
        for (axis, amperes) in [0.3, -0.2, 0.45].enumerated() { unit.bench.driveCoil(axis: axis, amperes: amperes) }
        let truth = unit.bench.trueField()
        #expect(abs(truth.y + 20) < 0.001)
        guard case .converting(let seconds) = try sensor.poll() else { Issue.record("no conversion started"); return }
        #expect(abs(seconds - 0.0500127) < 1e-6)
        #expect(try sensor.poll() == .notReady)
        unit.clock.advance(by: seconds)
        guard case .converting = try sensor.poll() else { Issue.record("y was not started after x"); return }
        let tolerance = 2 * ADS122C04.leastSignificantBit(gain: 1) / 0.01 + 5 * 1e-4
        for _ in 0..<20 {
            let reading = try nextMagneticReading(sensor, clock: unit.clock)
            #expect(abs(reading.field.x - truth.x) < tolerance, "x \(reading.field.x) vs \(truth.x)")
            #expect(abs(reading.field.y - truth.y) < tolerance, "y \(reading.field.y) vs \(truth.y)")
            #expect(abs(reading.field.z - truth.z) < tolerance, "z \(reading.field.z) vs \(truth.z)")
            #expect(reading.raw.count == 3)
        }
        try sensor.standby()
    }

    /// A sensitive fluxgate (0.1 V/µT) at gain 128 (LSB 19 fT), no ADC noise, 5 pT/√Hz: σ per conversion at 20 SPS
    /// is 5·√10 = 15.81 pT; an axis sampled at 20/3 Hz aliases the band above 3.33 Hz, so its white ASD is
    /// σ/√(f_s/2) = √3·5 = 8.66 pT/√Hz (python: 5e-6*sqrt(10); 5*sqrt(3)). 1500 readings: within 10 % (the standard
    /// error of a standard deviation from 1500 samples is 1.8 %). The precise density test is elsewhere.
    @Test func fluxgateNoiseRoughlyRecovered() throws {
        let sensitive = FluxgateCalibration(voltsPerMicrotesla: FieldVector(x: 0.1, y: 0.1, z: 0.1),
                                            zeroVolts: FieldVector(x: 0, y: 0, z: 0), inputs: [2, 5, 6], gain: 128)
        let (unit, sensor) = bench(sensitive, adcNoise: 0, seed: 3)
        let mode = try sensor.configure(MagneticSettings(outputDataRate: 20.0 / 3))
        #expect(abs(mode.fullScale - 0.16) < 1e-12)
        var x: [Double] = []
        let start = unit.clock.now()
        for _ in 0..<1500 { x.append(try nextMagneticReading(sensor, clock: unit.clock).field.x) }
        let rate = Double(x.count - 1) / (Double(unit.clock.now() - start) * 1e-9)
        let mean = x.reduce(0, +) / Double(x.count)
        let sigma = (x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count - 1)).squareRoot() * 1e6   // pT
        let density = sigma / (rate / 2).squareRoot()
        #expect(abs(sigma - 15.81) < 0.1 * 15.81, "σ = \(sigma) pT")
        #expect(abs(density - 8.66) < 0.1 * 8.66, "ASD = \(density) pT/√Hz at \(rate) readings/s")
        #expect(abs(mean * 1e6 - 400) < 2, "mean \(mean * 1e6) pT vs the shield's 400 pT residual")
    }
}
