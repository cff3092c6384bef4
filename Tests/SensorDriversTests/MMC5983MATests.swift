import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The MMC5983MA driver against a register file (decoding, the SET/RESET sequence, identification, the registers
/// `configure` writes) and on the register-level simulator (field and bridge offset separated by SET/RESET).
@Suite struct MMC5983MATests {
    private func driver(_ registers: RegisterFile) -> MMC5983MA {
        MMC5983MA(device: I2CDevice(transport: registers, address: I2CAddress(0x30)))
    }

    /// sensors.md §6 V8: Xout0/1 = 90 00, XYZout2 bits 7:6 = 00 → X = 147456 → (147456 − 131072)/16384 G = 100 µT,
    /// exactly (a power of two apart). Y = Z = 80 00 → null code → 0 µT. Read through poll() in continuous mode.
    @Test func testVectorV8() throws {
        let registers = RegisterFile()
        let mmc = driver(registers)
        _ = try mmc.configure(MagneticSettings(outputDataRate: 50, offsetCancellation: false))
        registers.registers.replaceSubrange(0x00...0x06, with: [0x90, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00])
        registers.registers[0x08] = 0x01
        #expect(try mmc.poll() == .reading(MagneticReading(field: FieldVector(x: 100, y: 0, z: 0), raw: [147_456, 131_072, 131_072])))
        #expect(registers.writes.last == [0x08, 0x01])          // Meas_M_Done cleared by writing 1
    }

    /// The two low bits of each axis come from XYZout2 bits 7:6 (X), 5:4 (Y), 3:2 (Z).
    @Test func lowBitsComeFromXYZout2() {
        let codes = MMC5983MA.codes(fromData: [0x90, 0x00, 0x80, 0x00, 0x7F, 0xFF, 0b11_10_01_00])
        #expect(codes == [147_459, 131_074, 131_069])
        #expect(MMC5983MA.codes(fromData: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0xFC]) == [262_143, 262_143, 3])
    }

    /// sensors.md §3.2: SET = +H + Offset, RESET = −H + Offset → H = (SET − RESET)/2, Offset = (SET + RESET)/2. With
    /// H = 16384 codes (100 µT) and Offset = 1638 codes (9.997559 µT) on X, both come back exactly.
    @Test func setResetSeparatesFieldAndOffset() {
        let null: Int64 = 131_072
        let reading = MMC5983MA.reading(set: [null + 16_384 + 1638, null + 100, null],
                                        reset: [null - 16_384 + 1638, null + 100, null - 2])
        #expect(reading.field == FieldVector(x: 100, y: 0, z: 1.0 / 16384 * 100))
        #expect(reading.offset == FieldVector(x: 1638.0 / 16384 * 100, y: 100.0 / 16384 * 100, z: -1.0 / 16384 * 100))
        #expect(reading.raw.count == 6)
    }

    /// The sequence poll() runs: SET pulse, TM_M (converting 8 ms at BW 0); nothing until Meas_M_Done; read,
    /// clear, RESET pulse, TM_M (converting); then the cancelled reading.
    @Test func pollRunsSetThenReset() throws {
        let registers = RegisterFile(storesWrites: false)
        let mmc = driver(registers)
        let mode = try mmc.configure(MagneticSettings(outputDataRate: 100))
        #expect(mode.outputDataRate == 20)
        registers.writes.removeAll()
        #expect(try mmc.poll() == .converting(0.008))
        #expect(registers.writes == [[0x09, 0x08], [0x09, 0x01]])
        #expect(try mmc.poll() == .notReady)
        registers.registers.replaceSubrange(0x00...0x06, with: [0x94, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00])
        registers.registers[0x08] = 0x01
        registers.writes.removeAll()
        #expect(try mmc.poll() == .converting(0.008))
        #expect(registers.writes == [[0x08, 0x01], [0x09, 0x10], [0x09, 0x01]])
        registers.registers.replaceSubrange(0x00...0x06, with: [0x6C, 0x00, 0x80, 0x00, 0x80, 0x00, 0x00])
        // SET X = 0x94<<10 = 151552, RESET X = 0x6C<<10 = 110592: H = 20480/163.84 = 125 µT, offset 0.
        guard case .reading(let reading) = try mmc.poll() else {
            Issue.record("no reading after the RESET measurement")
            return
        }
        #expect(reading.field == FieldVector(x: 125, y: 0, z: 0))
        #expect(reading.offset == FieldVector(x: 0, y: 0, z: 0))
        #expect(reading.raw == [151_552, 131_072, 131_072, 110_592, 131_072, 131_072])
        registers.writes.removeAll()
        #expect(try mmc.poll() == .converting(0.008))          // the next reading starts over with SET
        #expect(registers.writes == [[0x09, 0x08], [0x09, 0x01]])
    }

    @Test func probe() throws {
        let registers = RegisterFile()
        registers.registers[0x2F] = 0x30
        #expect(try driver(registers).probe() == SensorIdentity(model: "MMC5983MA", idRegister: 0x2F, idValue: 0x30, calibration: []))
        #expect(registers.writes.isEmpty)
    }

    @Test func wrongChipIsNamed() {
        let registers = RegisterFile()
        registers.registers[0x2F] = 0x0C
        #expect(throws: DriverError.wrongChip(model: "MMC5983MA", register: 0x2F, expected: [0x30], found: 0x0C)) {
            try driver(registers).probe()
        }
    }

    /// Control2 off, Control1 BW, Status cleared; without cancellation a SET pulse and Control2 Cmm_en | CM_Freq.
    /// With cancellation the rate is at most half the BW's continuous maximum (two measurements per reading).
    @Test func configureWritesRegisters() throws {
        var registers = RegisterFile()
        var mode = try driver(registers).configure(MagneticSettings(outputDataRate: 1000, resolution: 3, offsetCancellation: false))
        #expect(registers.writes == [[0x0B, 0x00], [0x0A, 0x03], [0x08, 0x01], [0x09, 0x08], [0x0B, 0x0F]])
        #expect(mode == MagneticMode(outputDataRate: 1000, resolution: 3, fullScale: 800, countsPerMicrotesla: 163.84,
                                     notes: "continuous mode after one SET pulse, offset not removed, BW 3"))

        registers = RegisterFile()
        mode = try driver(registers).configure(MagneticSettings(outputDataRate: 300, resolution: 2, offsetCancellation: false))
        #expect(registers.writes.last == [0x0B, 0x0E])          // 225 Hz maximum at BW 2 → 200 Hz
        #expect(mode.outputDataRate == 200)

        registers = RegisterFile()
        mode = try driver(registers).configure(MagneticSettings(outputDataRate: 300, resolution: 2))
        #expect(registers.writes == [[0x0B, 0x00], [0x0A, 0x02], [0x08, 0x01]])
        #expect(mode == MagneticMode(outputDataRate: 100, resolution: 2, fullScale: 800, countsPerMicrotesla: 163.84,
                                     notes: "SET/RESET offset cancellation, BW 2"))
    }

    @Test func impossibleSettingsAreRejected() {
        let mmc = driver(RegisterFile())
        #expect(throws: DriverError.configurationRejected(model: "MMC5983MA", reason: "bandwidth code 4 is not 0…3 (100/200/400/800 Hz)")) {
            try mmc.configure(MagneticSettings(outputDataRate: 10, resolution: 4))
        }
        #expect(throws: DriverError.configurationRejected(model: "MMC5983MA", reason: "full scale ±1600.0 µT exceeds the chip's ±800 µT")) {
            try mmc.configure(MagneticSettings(outputDataRate: 10, fullScale: 1600))
        }
        #expect(throws: DriverError.configurationRejected(model: "MMC5983MA", reason: "no output data rate ≤ 0.5 Hz (the slowest is 1 Hz)")) {
            try mmc.configure(MagneticSettings(outputDataRate: 0.5))
        }
    }

    // MARK: Simulator

    private static let field = FieldVector(x: 100, y: -40, z: 25)
    private static let bridgeOffset = FieldVector(x: 12, y: -7, z: 30)

    private func bench(seed: UInt64) -> (SingleUnitBench, MMC5983MA) {
        let model = MMC5983MAModel(appliedField: Self.field, bridgeOffset: Self.bridgeOffset, random: SeededRandom(seed: seed))
        let bench = SingleUnitBench(model, address: I2CAddress(0x30))
        return (bench, MMC5983MA(device: bench.device))
    }

    private static func errors(_ v: FieldVector, _ truth: FieldVector) -> [Double] {
        [v.x - truth.x, v.y - truth.y, v.z - truth.z]
    }

    /// SET/RESET on the simulator at BW 0 (σ = 0.04 µT per measurement) and BW 3 (0.12 µT): the field and the
    /// bridge offset each have noise σ/√2 and a rounding error of at most half a code (6.1 nT/2) after the
    /// halving, so every one of 100 readings is within 5σ/√2 + 0.5/163.84 µT of the applied field and of the
    /// bridge offset, and the mean of the 100 within 5σ/√200 + 0.5/163.84. Seeded: the same numbers every run.
    @Test(arguments: [0, 3])
    func simulatorRoundTripCancelsTheOffset(bandwidth: Int) throws {
        let (bench, mmc) = bench(seed: 21)
        #expect(try mmc.probe().idValue == 0x30)
        _ = try mmc.configure(MagneticSettings(outputDataRate: 20, resolution: bandwidth))
        let sigma = MMC5983MAModel.noiseByBandwidth[bandwidth]
        let halfCode = 0.5 / 163.84
        var fieldSums = [0.0, 0.0, 0.0], offsetSums = [0.0, 0.0, 0.0], worst = 0.0
        for _ in 0..<100 {
            let reading = try nextMagneticReading(mmc, clock: bench.clock)
            let offset = try #require(reading.offset)
            let fieldError = Self.errors(reading.field, Self.field), offsetError = Self.errors(offset, Self.bridgeOffset)
            worst = max(worst, (fieldError + offsetError).map(abs).max()!)
            for axis in 0..<3 { fieldSums[axis] += fieldError[axis]; offsetSums[axis] += offsetError[axis] }
            // The SET code carries +H + offset, the RESET code −H + offset.
            #expect(abs(Double(reading.raw[0] - reading.raw[3]) / 2 / 163.84 - Self.field.x) < 5 * sigma)
        }
        #expect(worst < 5 * sigma / 2.0.squareRoot() + halfCode, "worst error \(worst) µT")
        for axis in 0..<3 {
            #expect(abs(fieldSums[axis] / 100) < 5 * sigma / 200.0.squareRoot() + halfCode)
            #expect(abs(offsetSums[axis] / 100) < 5 * sigma / 200.0.squareRoot() + halfCode)
        }
    }

    /// Without cancellation the continuous readings are H + offset (after the one SET pulse), within 5σ + half a code.
    @Test func continuousModeKeepsTheOffset() throws {
        let (bench, mmc) = bench(seed: 4)
        _ = try mmc.configure(MagneticSettings(outputDataRate: 50, offsetCancellation: false))
        let truth = FieldVector(x: Self.field.x + Self.bridgeOffset.x, y: Self.field.y + Self.bridgeOffset.y,
                                z: Self.field.z + Self.bridgeOffset.z)
        for _ in 0..<20 {
            let reading = try nextMagneticReading(mmc, clock: bench.clock)
            #expect(reading.offset == nil)
            #expect(Self.errors(reading.field, truth).map(abs).max()! < 5 * 0.04 + 0.5 / 163.84)
        }
    }

    /// Meas_M_Done: clear while a measurement runs (poll right after `.converting` finds nothing: the poll's bus
    /// time is far below 8 ms), set when it ends; a reading takes the two 8 ms measurements.
    @Test func statusFollowsTheMeasurements() throws {
        let (bench, mmc) = bench(seed: 8)
        _ = try mmc.configure(MagneticSettings(outputDataRate: 20))
        let start = bench.clock.seconds()
        #expect(try mmc.poll() == .converting(0.008))
        #expect(try mmc.poll() == .notReady)
        bench.clock.advance(by: 0.008)
        #expect(try mmc.poll() == .converting(0.008))
        #expect(try mmc.poll() == .notReady)
        bench.clock.advance(by: 0.008)
        guard case .reading = try mmc.poll() else {
            Issue.record("no reading after two measurements")
            return
        }
        let elapsed = bench.clock.seconds() - start
        #expect(elapsed > 0.016 && elapsed < 0.018, "\(elapsed) s for one cancelled reading")
    }
}
