import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The RM3100 driver against a register file (decoding, identification, the registers `configure` writes) and on
/// the register-level simulator (a known applied field read back through the driver).
@Suite struct RM3100Tests {
    private func driver(_ registers: RegisterFile) -> RM3100 {
        RM3100(device: I2CDevice(transport: registers, address: I2CAddress(0x20)))
    }

    /// sensors.md §6 V9: MX = 00 0D AC at CC 200 → 3500 counts → 3500/75 = 46.667 µT (tolerance 0.01 µT). The
    /// driver uses the datasheet's table gain 75 at 200; PNI's fit 0.3671·200 + 1.5 = 75.92 would read 46.10 µT and
    /// the kernel's 0.000133 G/LSB 46.55 µT. MY = FF F2 54 checks the sign extension (−3500), MZ = 80 00 00 the
    /// most negative word.
    @Test func testVectorV9() throws {
        let registers = RegisterFile()
        registers.registers.replaceSubrange(0x24...0x2C, with: [0x00, 0x0D, 0xAC, 0xFF, 0xF2, 0x54, 0x80, 0x00, 0x00])
        registers.registers[0x34] = 0x80
        guard case .reading(let reading) = try driver(registers).poll() else {
            Issue.record("DRDY set but no reading")
            return
        }
        #expect(reading.raw == [3500, -3500, -0x80_0000])
        #expect(abs(reading.field.x - 46.67) < 0.01)
        #expect(abs(reading.field.x - 3500.0 / 75) < 1e-12)
        #expect(reading.field.y == -reading.field.x)
        #expect(reading.offset == nil && reading.temperature == nil)
    }

    /// Table gain at 50/100/200, PNI's linear fit elsewhere (sensors.md §3.1).
    @Test func gainFollowsTheCycleCount() {
        #expect(RM3100.gain(cycleCount: 50) == 20)
        #expect(RM3100.gain(cycleCount: 100) == 38)
        #expect(RM3100.gain(cycleCount: 200) == 75)
        #expect(abs(RM3100.gain(cycleCount: 150) - 56.565) < 1e-9)
        #expect(abs(RM3100.gain(cycleCount: 400) - 148.34) < 1e-9)
    }

    /// poll() reads the measurement only when STATUS DRDY (bit 7) is set.
    @Test func pollWaitsForDataReady() throws {
        let registers = RegisterFile()
        registers.registers[0x34] = 0x7F
        #expect(try driver(registers).poll() == .notReady)
    }

    @Test func probe() throws {
        let registers = RegisterFile()
        registers.registers[0x36] = 0x22
        let rm = driver(registers)
        #expect(try rm.probe() == SensorIdentity(model: "RM3100", idRegister: 0x36, idValue: 0x22, calibration: []))
        #expect(registers.writes.isEmpty)
    }

    @Test func wrongChipIsNamed() {
        let registers = RegisterFile()
        registers.registers[0x36] = 0x30
        #expect(throws: DriverError.wrongChip(model: "RM3100", register: 0x36, expected: [0x22], found: 0x30)) {
            try driver(registers).probe()
        }
    }

    /// CMM off, the cycle count MSB/LSB on all three axes, TMRC, then CMM 0x79. At CC 200 the count allows
    /// ~430 Hz, so a 1000 Hz request gets TMRC 0x93 (300 Hz); at CC 100 (860 Hz) 600 Hz; at CC 400 (215 Hz) a
    /// 50 Hz request gets 37 Hz.
    @Test(arguments: [
        (resolution: Int?.none, hertz: 1000.0, msb: UInt8(0x00), lsb: UInt8(0xC8), tmrc: UInt8(0x93), rate: 300.0, gain: 75.0),
        (resolution: 100, hertz: 1000, msb: 0x00, lsb: 0x64, tmrc: 0x92, rate: 600, gain: 38),
        (resolution: 400, hertz: 50, msb: 0x01, lsb: 0x90, tmrc: 0x96, rate: 37, gain: 0.3671 * 400 + 1.5),
    ])
    func configureWritesRegisters(case c: (resolution: Int?, hertz: Double, msb: UInt8, lsb: UInt8, tmrc: UInt8, rate: Double, gain: Double)) throws {
        let registers = RegisterFile()
        let rm = driver(registers)
        let mode = try rm.configure(MagneticSettings(outputDataRate: c.hertz, resolution: c.resolution))
        #expect(registers.writes == [[0x01, 0x00], [0x04, c.msb], [0x05, c.lsb], [0x06, c.msb], [0x07, c.lsb],
                                     [0x08, c.msb], [0x09, c.lsb], [0x0B, c.tmrc], [0x01, 0x79]])
        #expect(mode.outputDataRate == c.rate)
        #expect(mode.resolution == (c.resolution ?? 200))
        #expect(mode.fullScale == 800)
        #expect(mode.countsPerMicrotesla == c.gain)
        #expect(rm.cycleCount == (c.resolution ?? 200))
    }

    @Test func impossibleSettingsAreRejected() {
        let rm = driver(RegisterFile())
        #expect(throws: DriverError.configurationRejected(model: "RM3100", reason: "cycle count 20 is outside 50…400")) {
            try rm.configure(MagneticSettings(outputDataRate: 10, resolution: 20))
        }
        #expect(throws: DriverError.configurationRejected(model: "RM3100", reason: "full scale ±1000.0 µT exceeds the chip's ±800 µT")) {
            try rm.configure(MagneticSettings(outputDataRate: 10, fullScale: 1000))
        }
        #expect(throws: DriverError.configurationRejected(
            model: "RM3100", reason: "no TMRC rate ≤ 0.01 Hz (the slowest is 0.075 Hz)")) {
            try rm.configure(MagneticSettings(outputDataRate: 0.01))
        }
    }

    @Test func standbyStopsContinuousMode() throws {
        let registers = RegisterFile()
        try driver(registers).standby()
        #expect(registers.writes == [[0x01, 0x00]])
    }

    // MARK: Simulator

    private static let field = FieldVector(x: 20, y: -35, z: 48)

    private func bench(field: FieldVector = RM3100Tests.field, offset: FieldVector = FieldVector(x: 0, y: 0, z: 0),
                       seed: UInt64) -> (SingleUnitBench, RM3100) {
        let model = RM3100Model(appliedField: field, offset: offset, noiseAtDefaultCount: 0.015, random: SeededRandom(seed: seed))
        let bench = SingleUnitBench(model, address: I2CAddress(0x20))
        return (bench, RM3100(device: bench.device))
    }

    /// Round trip at CC 200 (gain 75, LSB 13.3 nT) and CC 100 (gain 38, noise 15 nT·√2 = 21 nT): every one of 200
    /// readings is within 5σ of the model's white noise plus half an LSB of the applied field, and their mean
    /// within 5σ/√200 + half an LSB. The model's raw counts invert the driver's gain, so nothing else separates
    /// them. Seeded: the same numbers every run.
    @Test(arguments: [200, 100])
    func simulatorRoundTrip(cycleCount: Int) throws {
        let (bench, rm) = bench(seed: 11)
        #expect(try rm.probe().idValue == 0x22)
        let mode = try rm.configure(MagneticSettings(outputDataRate: 100, resolution: cycleCount))
        #expect(mode.outputDataRate == 75)
        let sigma = 0.015 * (200 / Double(cycleCount)).squareRoot()
        let halfStep = 0.5 / mode.countsPerMicrotesla
        var sums = [0.0, 0.0, 0.0], worst = 0.0
        for _ in 0..<200 {
            let reading = try nextMagneticReading(rm, clock: bench.clock)
            let error = [reading.field.x - Self.field.x, reading.field.y - Self.field.y, reading.field.z - Self.field.z]
            worst = max(worst, error.map(abs).max()!)
            for axis in 0..<3 { sums[axis] += error[axis] }
            #expect(reading.raw[0] == Int64((reading.field.x * mode.countsPerMicrotesla).rounded()))
        }
        #expect(worst < 5 * sigma + halfStep, "worst error \(worst) µT")
        for axis in 0..<3 {
            #expect(abs(sums[axis] / 200) < 5 * sigma / 200.0.squareRoot() + halfStep, "mean error \(sums[axis] / 200) µT")
        }
    }

    /// The unit's offset adds to the field: the RM3100 has no SET/RESET to remove it.
    @Test func offsetIsReadAsField() throws {
        let (bench, rm) = bench(field: FieldVector(x: 0, y: 0, z: 0), offset: FieldVector(x: 1.5, y: -0.5, z: 0), seed: 3)
        _ = try rm.configure(MagneticSettings(outputDataRate: 37))
        let reading = try nextMagneticReading(rm, clock: bench.clock)
        #expect(abs(reading.field.x - 1.5) < 5 * 0.015 + 0.5 / 75)
        #expect(abs(reading.field.y + 0.5) < 5 * 0.015 + 0.5 / 75)
    }

    /// DRDY: clear right after configure and after a reading (reading the results clears it); one set per TMRC
    /// period: 75 ± 1 readings in one simulated second at 75 Hz, polling every millisecond.
    @Test func dataReadyFollowsTheRate() throws {
        let (bench, rm) = bench(seed: 5)
        _ = try rm.configure(MagneticSettings(outputDataRate: 75))
        #expect(try rm.poll() == .notReady)
        let start = bench.clock.seconds()
        var count = 0
        while bench.clock.seconds() - start < 1 {
            bench.clock.advance(by: 0.001)
            if case .reading = try rm.poll() {
                count += 1
                #expect(try rm.poll() == .notReady)
            }
        }
        #expect(abs(count - 75) <= 1, "\(count) readings in 1 s")
        try rm.standby()
        bench.clock.advance(by: 0.1)
        #expect(try rm.poll() == .notReady)
    }

}
