import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The LIS3MDL driver against a register file (decoding, identification, the registers `configure` writes) and on
/// the register-level simulator (a known applied field read back; the I2C auto-increment bit; STATUS ZYXDA).
@Suite struct LIS3MDLTests {
    /// A register file that answers the whole 8-bit sub-address space, so the output registers can sit where a
    /// burst with the auto-increment bit reads them (0x80 | 0x28 = 0xA8): a driver that forgot the bit reads the
    /// zeros at 0x28 instead.
    private func registerFile() -> RegisterFile {
        let registers = RegisterFile()
        registers.registers = [UInt8](repeating: 0, count: 0x100)
        return registers
    }

    private func driver(_ registers: RegisterFile) -> LIS3MDL {
        LIS3MDL(device: I2CDevice(transport: registers, address: I2CAddress(0x1C)))
    }

    /// sensors.md §6 V10: X = EB EE (L, H) at ±4 G → −4373 → −4373/6842 = −0.6391 G = −63.91 µT (tolerance
    /// 0.00005 G = 0.005 µT, V10's last digit; the double is exact to 1e-12). Y = 15 11 checks +4373, Z = 00 80 the
    /// most negative word; TEMP = 28 00 = 40 → 40/8 + 25 = 30 °C.
    @Test func testVectorV10() throws {
        let registers = registerFile()
        // poll() reads STATUS and the outputs in one burst from 0x80 | 0x27.
        registers.registers.replaceSubrange(0xA7...0xAF, with: [LIS3MDL.dataReady, 0xEB, 0xEE, 0x15, 0x11, 0x00, 0x80, 0x28, 0x00])
        guard case .reading(let reading) = try driver(registers).poll() else {
            Issue.record("ZYXDA set but no reading")
            return
        }
        #expect(reading.raw == [-4373, 4373, -32768])
        #expect(abs(reading.field.x - -63.91) < 0.005)
        #expect(abs(reading.field.x - -4373.0 / 6842 * 100) < 1e-12)
        #expect(reading.field.y == -reading.field.x)
        #expect(abs(reading.field.z - -32768.0 / 6842 * 100) < 1e-12)
        #expect(reading.temperature == 30)
        #expect(reading.offset == nil)
    }

    /// The sensitivity follows the full scale (sensors.md §3.3): −4373 counts at ±16 G (1711 LSB/G) = −255.58 µT.
    @Test func sensitivityFollowsTheFullScale() {
        let reading = LIS3MDL.reading(fromData: [0xEB, 0xEE, 0, 0, 0, 0, 0xF8, 0xFF], scale: 3)
        #expect(abs(reading.field.x - -4373.0 / 1711 * 100) < 1e-12)
        #expect(reading.temperature == 24)                       // −8/8 + 25
    }

    @Test func pollWaitsForDataReady() throws {
        let registers = registerFile()
        registers.registers[0xA7] = 0xF7                        // every bit but ZYXDA, where the burst reads STATUS
        registers.registers[0x27] = 0xF7                        // and where STATUS alone is read
        let lis = driver(registers)
        #expect(try lis.poll() == .notReady)
        #expect(try lis.poll() == .notReady)
    }

    /// A reading is one 9-byte burst of STATUS and the outputs from 0x80 | 0x27. After a burst that found no
    /// conversion (it read the outputs, which clears a conversion completing during it), STATUS alone until one is
    /// there, then the outputs; then bursts again. The readings are the same either way.
    @Test func pollReadsStatusAndOutputsInOneBurst() throws {
        let model = LIS3MDLModel(appliedField: Self.field, temperature: 25, random: SeededRandom(seed: 3))
        let bench = SingleUnitBench(model, address: I2CAddress(0x1C))
        let log = TransferLog(bench.device.transport)
        let lis = LIS3MDL(device: I2CDevice(transport: log, address: I2CAddress(0x1C)))
        _ = try lis.configure(MagneticSettings(outputDataRate: 80, resolution: 3))
        let readings = try log.expectOneBurstPolls(
            burst: .init(register: 0xA7, count: 9), status: .init(register: 0x27, count: 1), data: .init(register: 0xA8, count: 8),
            nextConversion: { bench.clock.advance(by: 1.5 / 80) }) { () throws -> MagneticReading? in
            guard case .reading(let reading) = try lis.poll() else { return nil }
            return reading
        }
        #expect(readings.count == 3)
        for reading in readings {
            #expect(abs(reading.field.z - Self.field.z) < 5 * 0.41 + 0.5 / 68.42)
        }
    }

    @Test func probe() throws {
        let registers = registerFile()
        registers.registers[0x0F] = 0x3D
        #expect(try driver(registers).probe() == SensorIdentity(model: "LIS3MDL", idRegister: 0x0F, idValue: 0x3D, calibration: []))
        #expect(registers.writes.isEmpty)
    }

    @Test func wrongChipIsNamed() {
        let registers = registerFile()
        registers.registers[0x0F] = 0x33
        #expect(throws: DriverError.wrongChip(model: "LIS3MDL", register: 0x0F, expected: [0x3D], found: 0x33)) {
            try driver(registers).probe()
        }
    }

    /// Power-down, CTRL_REG1 (TEMP_EN | OM | DO | FAST_ODR), CTRL_REG2 FS, CTRL_REG4 OMZ, CTRL_REG5 BDU, then
    /// continuous mode. UHP 80 Hz is ST's 0x3E → 0x7C (+0x80 TEMP_EN = 0xFC, sensors.md §3.3); 200 Hz in HP
    /// gets 80 Hz (FAST_ODR HP is 300 Hz); 1000 Hz in LP is FAST_ODR; ±1000 µT rounds up to ±12 G.
    @Test(arguments: [
        (mode: 3, hertz: 100.0, scale: Double?.none, control1: UInt8(0xFC), control2: UInt8(0x00), control4: UInt8(0x0C), rate: 80.0, fullScale: 400.0),
        (mode: 2, hertz: 200, scale: 800, control1: 0xDC, control2: 0x20, control4: 0x08, rate: 80, fullScale: 800),
        (mode: 0, hertz: 1000, scale: 1000, control1: 0x82, control2: 0x40, control4: 0x00, rate: 1000, fullScale: 1200),
        (mode: 1, hertz: 600, scale: 1600, control1: 0xA2, control2: 0x60, control4: 0x04, rate: 560, fullScale: 1600),
        (mode: 3, hertz: 3, scale: nil, control1: 0xE8, control2: 0x00, control4: 0x0C, rate: 2.5, fullScale: 400),
    ])
    func configureWritesRegisters(
        case c: (mode: Int, hertz: Double, scale: Double?, control1: UInt8, control2: UInt8, control4: UInt8, rate: Double, fullScale: Double)
    ) throws {
        let registers = registerFile()
        let lis = driver(registers)
        let mode = try lis.configure(MagneticSettings(outputDataRate: c.hertz, resolution: c.mode, fullScale: c.scale))
        #expect(registers.writes == [[0x22, 0x03], [0x20, c.control1], [0x21, c.control2], [0x23, c.control4],
                                     [0x24, 0x40], [0x22, 0x00]])
        #expect(mode.outputDataRate == c.rate)
        #expect(mode.resolution == c.mode)
        #expect(mode.fullScale == c.fullScale)
        #expect(mode.countsPerMicrotesla == LIS3MDL.sensitivities[lis.scale] / 100)
        #expect(LIS3MDL.fullScales[lis.scale] == c.fullScale)
    }

    @Test func defaultIsLowPowerAtFourGauss() throws {
        let mode = try driver(registerFile()).configure(MagneticSettings(outputDataRate: 10))
        #expect(mode == MagneticMode(outputDataRate: 10, resolution: 0, fullScale: 400, countsPerMicrotesla: 68.42,
                                     notes: "LP mode, ±4 G"))
    }

    @Test func impossibleSettingsAreRejected() {
        let lis = driver(registerFile())
        #expect(throws: DriverError.configurationRejected(model: "LIS3MDL", reason: "operating mode 4 is not 0…3 (LP/MP/HP/UHP)")) {
            try lis.configure(MagneticSettings(outputDataRate: 10, resolution: 4))
        }
        #expect(throws: DriverError.configurationRejected(model: "LIS3MDL", reason: "full scale ±2000.0 µT exceeds the chip's ±1600 µT")) {
            try lis.configure(MagneticSettings(outputDataRate: 10, fullScale: 2000))
        }
        #expect(throws: DriverError.configurationRejected(
            model: "LIS3MDL", reason: "no output data rate ≤ 0.5 Hz (the slowest is 0.625 Hz)")) {
            try lis.configure(MagneticSettings(outputDataRate: 0.5))
        }
    }

    @Test func standbyPowersDown() throws {
        let registers = registerFile()
        try driver(registers).standby()
        #expect(registers.writes == [[0x22, 0x03]])
    }

    // MARK: Simulator

    private static let field = FieldVector(x: 20, y: -35, z: 48)

    private func bench(field: FieldVector = LIS3MDLTests.field, temperature: Double = 25, seed: UInt64) -> (SingleUnitBench, LIS3MDL) {
        let model = LIS3MDLModel(appliedField: field, temperature: temperature, random: SeededRandom(seed: seed))
        let bench = SingleUnitBench(model, address: I2CAddress(0x1C))
        return (bench, LIS3MDL(device: bench.device))
    }

    /// Round trip in UHP (σ 0.32 µT X/Y, 0.41 µT Z: the model's defaults, from the unverified datasheet noise) and
    /// LP (2^1.5 × those, the model's assumption) at ±4 G (LSB 0.0146 µT) and ±16 G (0.0584 µT): each of 200
    /// readings within 5σ + half an LSB of the applied field, their mean within 5σ/√200 + half an LSB. The model's
    /// counts invert the driver's sensitivity, so nothing else separates them. Seeded: the same numbers every run.
    @Test(arguments: [(mode: 3, fullScale: 400.0), (mode: 0, fullScale: 1600)])
    func simulatorRoundTrip(case c: (mode: Int, fullScale: Double)) throws {
        let (bench, lis) = bench(temperature: 31.3, seed: 17)
        #expect(try lis.probe().idValue == 0x3D)
        let mode = try lis.configure(MagneticSettings(outputDataRate: 80, resolution: c.mode, fullScale: c.fullScale))
        #expect(mode.outputDataRate == 80)
        let factor = Foundation.pow(2, Double(3 - c.mode) / 2)
        let sigma = [0.32 * factor, 0.32 * factor, 0.41 * factor]
        let halfStep = 0.5 / mode.countsPerMicrotesla
        let applied = [Self.field.x, Self.field.y, Self.field.z]
        var sums = [0.0, 0.0, 0.0], worst = [0.0, 0.0, 0.0]
        for _ in 0..<200 {
            let reading = try nextMagneticReading(lis, clock: bench.clock)
            let measured = [reading.field.x, reading.field.y, reading.field.z]
            for axis in 0..<3 {
                let error = measured[axis] - applied[axis]
                sums[axis] += error
                worst[axis] = max(worst[axis], abs(error) / sigma[axis])
            }
            // 31.3 °C → (31.3 − 25)·8 = 50.4 → 50 counts → 31.25 °C.
            #expect(reading.temperature == 31.25)
        }
        for axis in 0..<3 {
            #expect(worst[axis] < 5 + halfStep / sigma[axis], "axis \(axis): worst error \(worst[axis]) σ")
            #expect(abs(sums[axis] / 200) < 5 * sigma[axis] / 200.0.squareRoot() + halfStep, "axis \(axis): mean error \(sums[axis] / 200) µT")
        }
    }

    /// The simulator enforces the I2C sub-address rule (sensors.md §3.3, §7): a 6-byte read from plain 0x28 returns
    /// OUT_X_L six times, from 0xA8 the three words. So a driver that forgets bit 7 reads garbage on the model.
    @Test func burstWithoutAutoIncrementRepeatsOneRegister() throws {
        let (bench, lis) = bench(seed: 2)
        _ = try lis.configure(MagneticSettings(outputDataRate: 80, resolution: 3))
        bench.clock.advance(by: 0.02)
        let plain = try bench.device.readRegisters(0x28, count: 6)
        let incremented = try bench.device.readRegisters(0xA8, count: 6)
        #expect(plain == [UInt8](repeating: incremented[0], count: 6))
        let decoded = LIS3MDL.reading(fromData: incremented + [0, 0], scale: 0)
        #expect(abs(decoded.field.z - Self.field.z) < 5 * 0.41 + 0.5 / 68.42)
        #expect(LIS3MDL.reading(fromData: plain + [0, 0], scale: 0).raw[0] != decoded.raw[0])
    }

    /// STATUS: ZYXDA clear right after configure and after a reading (reading the high bytes clears it); one
    /// conversion per period: 80 ± 1 readings in one simulated second at 80 Hz, polling every millisecond; a
    /// conversion left unread raises ZYXOR; power-down stops conversions.
    @Test func dataReadyFollowsTheRate() throws {
        let (bench, lis) = bench(seed: 5)
        _ = try lis.configure(MagneticSettings(outputDataRate: 80, resolution: 3))
        #expect(try lis.poll() == .notReady)
        let start = bench.clock.seconds()
        var count = 0
        while bench.clock.seconds() - start < 1 {
            bench.clock.advance(by: 0.001)
            if case .reading = try lis.poll() {
                count += 1
                #expect(try lis.poll() == .notReady)
            }
        }
        #expect(abs(count - 80) <= 1, "\(count) readings in 1 s")
        bench.clock.advance(by: 2.5 / 80)
        let status = try bench.device.readRegister(0x27)
        #expect(status & LIS3MDL.dataReady != 0 && status & LIS3MDL.overrun != 0, "STATUS 0x\(String(status, radix: 16))")
        _ = try lis.readMeasurement()
        #expect(try bench.device.readRegister(0x27) & 0x88 == 0)
        try lis.standby()
        bench.clock.advance(by: 0.1)
        #expect(try lis.poll() == .notReady)
    }

}

import Foundation
