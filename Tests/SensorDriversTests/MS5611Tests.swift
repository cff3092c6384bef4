import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// An MS5611 on a fake transport: answers PROM reads from a PROM and ADC reads from a queue (0 when empty, as
/// the chip does with no conversion), and records every command. A combined write-read is a test failure:
/// the chip takes plain writes and plain reads only (sensors.md §7).
final class MS5611CommandLog: I2CTransport {
    let name = "test:ms5611"
    var prom: [UInt8]
    var adc: [UInt32] = []
    var commands: [UInt8] = []
    var combinedTransactions = 0
    private var answer: [UInt8] = []

    init(prom: [UInt8] = MS5611Tests.prom) { self.prom = prom }

    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        combinedTransactions += 1
        return [UInt8](repeating: 0, count: readCount)
    }

    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        guard let command = bytes.first else { return }
        commands.append(command)
        if command >= 0xA0 && command <= 0xAE {
            let i = Int(command - 0xA0)
            answer = Array(prom[i...i + 1])
        } else if command == 0x00 {
            let code = adc.isEmpty ? 0 : adc.removeFirst()
            answer = [UInt8(code >> 16), UInt8((code >> 8) & 0xFF), UInt8(code & 0xFF)]
        }
    }

    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] { Array(answer.prefix(count)) }
}

@Suite struct MS5611Tests {
    /// sensors.md §6 V5 coefficients C1…C6 = 40127, 36924, 23317, 23282, 33464, 28312 (9CBF 903C 5B15 5AF2 82B8
    /// 6E98), with word 0 = 0x0000 and word 7 = 0x4508: its high byte is factory data chosen here, its low
    /// nibble 8 the CRC-4 of the eight words [calc].
    static let prom: [UInt8] = [0x00, 0x00, 0x9C, 0xBF, 0x90, 0x3C, 0x5B, 0x15, 0x5A, 0xF2, 0x82, 0xB8, 0x6E, 0x98, 0x45, 0x08]

    static func prom(word7: UInt16) -> [UInt8] {
        Array(prom[0..<14]) + [UInt8(word7 >> 8), UInt8(word7 & 0xFF)]
    }

    func driver(_ log: MS5611CommandLog) -> MS5611 {
        MS5611(device: I2CDevice(transport: log, address: I2CAddress(0x77)))
    }

    /// V5, the datasheet example: D1 = 9085466, D2 = 8569150 → dT 2366, TEMP 2007, OFF 2420281617,
    /// SENS 1315097036, P 100009, exactly (integer arithmetic). TEMP ≥ 2000: no second order.
    @Test func testVectorV5() throws {
        let c = try MS5611Calibration(prom: Self.prom)
        #expect([c.c1, c.c2, c.c3, c.c4, c.c5, c.c6] == [40127, 36924, 23317, 23282, 33464, 28312])
        let r = c.compensate(d1: 9_085_466, d2: 8_569_150)
        #expect(r.dT == 2366 && r.temperature == 2007 && r.offset == 2_420_281_617 && r.sensitivity == 1_315_097_036)
        #expect(r.pressure == 100_009)
        #expect(r.t2 == 0 && r.offset2 == 0 && r.sensitivity2 == 0)
        // One D1 count is SENS/2^36 Pa = 0.0191 Pa.
        #expect(abs(r.pressurePerCount - 1_315_097_036 / 68_719_476_736.0) < 1e-15)
    }

    /// The second order, below 20 °C, against this hand computation (floors, as arithmetic shifts do):
    ///   D2 = 8270493, D1 = 9085466
    ///   dT    = 8270493 − 33464·256 = 8270493 − 8566784 = −296291
    ///   TEMP  = 2000 + ⌊−296291·28312 / 2^23⌋ = 2000 + ⌊−8388590792 / 8388608⌋ = 2000 + ⌊−999.998⌋ = 1000
    ///   OFF   = 36924·2^16 + ⌊23282·(−296291) / 2^7⌋ = 2419851264 + ⌊−53892555.17⌋ = 2365958708
    ///   SENS  = 40127·2^15 + ⌊23317·(−296291) / 2^8⌋ = 1314881536 + ⌊−26986786.12⌋ = 1287894749
    ///   T2    = ⌊296291² / 2^31⌋ = ⌊87788356681 / 2147483648⌋ = ⌊40.88⌋ = 40
    ///   OFF2  = ⌊5·(1000 − 2000)² / 2⌋ = 2500000 ;  SENS2 = ⌊5·(1000 − 2000)² / 4⌋ = 1250000 (TEMP ≥ −1500)
    ///   TEMP  = 1000 − 40 = 960 ;  OFF = 2363458708 ;  SENS = 1286644749
    ///   P     = ⌊(⌊9085466·1286644749 / 2^21⌋ − 2363458708) / 2^15⌋
    ///         = ⌊(⌊11689767121118034 / 2097152⌋ − 2363458708) / 32768⌋ = ⌊(5574115334 − 2363458708) / 32768⌋
    ///         = ⌊3210656626 / 32768⌋ = ⌊97981.46⌋ = 97981 Pa, at 9.60 °C
    @Test func secondOrderBelowTwentyDegrees() throws {
        let c = try MS5611Calibration(prom: Self.prom)
        let r = c.compensate(d1: 9_085_466, d2: 8_270_493)
        #expect(r.dT == -296_291)
        #expect(r.t2 == 40 && r.offset2 == 2_500_000 && r.sensitivity2 == 1_250_000)
        #expect(r.temperature == 960 && r.offset == 2_363_458_708 && r.sensitivity == 1_286_644_749)
        #expect(r.pressure == 97_981)
    }

    /// V6: the AN520 example PROM's CRC-4 is 0xB; and the simulated PROM's is the 8 in its word 7.
    @Test func crcVectorV6() {
        #expect(MS5611Calibration.crc4([0x3132, 0x3334, 0x3536, 0x3738, 0x3940, 0x4142, 0x4344, 0x4500]) == 0xB)
        #expect(MS5611Calibration.crc4(MS5611Calibration.words(Self.prom)) == 0x8)
    }

    @Test func badPROMIsNamed() {
        #expect(throws: DriverError.invalidCalibration(model: "MS5611", reason: "PROM CRC-4 mismatch: computed 0x8, stored 0x9")) {
            try MS5611Calibration(prom: Self.prom(word7: 0x4509))
        }
        #expect(throws: DriverError.invalidCalibration(model: "MS5611", reason: "PROM reads all 0x0000")) {
            try MS5611Calibration(prom: [UInt8](repeating: 0x00, count: 16))
        }
        #expect(throws: DriverError.invalidCalibration(model: "MS5611", reason: "PROM reads all 0xFFFF: nothing drives the bus, or not an MS5611")) {
            try MS5611Calibration(prom: [UInt8](repeating: 0xFF, count: 16))
        }
        // With word 7 = 0x0000 these words' CRC is 0 [calc]: matching, but a blank nibble, refused like the kernel.
        #expect(throws: DriverError.invalidCalibration(model: "MS5611", reason: "PROM CRC-4 stored in word 7 is 0 (computed 0x0)")) {
            try MS5611Calibration(prom: Self.prom(word7: 0x0000))
        }
        #expect(DriverError.invalidCalibration(model: "MS5611", reason: "PROM CRC-4 mismatch: computed 0x8, stored 0x9").description
            == "MS5611 calibration is invalid: PROM CRC-4 mismatch: computed 0x8, stored 0x9")
    }

    /// Probe reads the eight words with 0xA0…0xAE, each a plain write then a plain read, and no RESET.
    @Test func probeReadsThePROM() throws {
        let log = MS5611CommandLog()
        let identity = try driver(log).probe()
        #expect(identity == SensorIdentity(model: "MS5611", idRegister: nil, idValue: nil, calibration: Self.prom))
        #expect(log.commands == [0xA0, 0xA2, 0xA4, 0xA6, 0xA8, 0xAA, 0xAC, 0xAE])
        #expect(log.combinedTransactions == 0)
        log.prom = Self.prom(word7: 0x4503)
        #expect(throws: DriverError.self) { try driver(log).probe() }
    }

    /// The cycle through the command log with V5's codes: RESET at configure, a wait-only poll, CONVERT D2 (0x58
    /// at OSR 4096), ADC_READ + CONVERT D1 (0x48), ADC_READ → P 100009 Pa, 20.07 °C.
    @Test func pollCycleIssuesTheCommands() throws {
        let log = MS5611CommandLog()
        let ms = driver(log)
        _ = try ms.probe()
        log.commands = []
        _ = try ms.configure(PressureSettings(oversampling: 4096, outputDataRate: 20))
        #expect(log.commands == [0x1E])
        #expect(try ms.poll() == .converting(0.003))
        #expect(log.commands == [0x1E])
        #expect(try ms.poll() == .converting(0.009_04))
        #expect(log.commands == [0x1E, 0x58])
        log.adc = [8_569_150, 9_085_466]
        #expect(try ms.poll() == .converting(0.009_04))
        #expect(log.commands == [0x1E, 0x58, 0x00, 0x48])
        let expected = PressureReading(pressure: 100_009, temperature: 20.07, rawPressure: 9_085_466, rawTemperature: 8_569_150,
                                       pressureStep: 1)
        #expect(try ms.poll() == .reading(expected))
        #expect(log.commands == [0x1E, 0x58, 0x00, 0x48, 0x00])
        // Back to idle: the next poll starts a new D2.
        #expect(try ms.poll() == .converting(0.009_04))
        #expect(log.commands.last == 0x58)
        #expect(log.combinedTransactions == 0)
    }

    /// An ADC read of 0 voids the conversion: the driver waits a full conversion time, then re-issues the same
    /// CONVERT (D1 here, keeping its D2), and never turns the 0 into a reading.
    @Test func zeroADCRestartsTheConversion() throws {
        let log = MS5611CommandLog()
        let ms = driver(log)
        _ = try ms.probe()
        _ = try ms.configure(PressureSettings(oversampling: 256, outputDataRate: 20))
        _ = try ms.poll()                                   // reset wait
        _ = try ms.poll()                                   // CONVERT D2
        log.adc = [8_569_150, 0]
        #expect(try ms.poll() == .converting(0.000_6))      // D2 read, CONVERT D1
        log.commands = []
        #expect(try ms.poll() == .converting(0.000_6))      // D1 read 0: wait, no command
        #expect(log.commands == [0x00])
        #expect(try ms.poll() == .converting(0.000_6))      // re-issue CONVERT D1 at OSR 256
        #expect(log.commands == [0x00, 0x40])
        log.adc = [9_085_466]
        guard case .reading(let reading) = try ms.poll() else {
            Issue.record("no reading after the restart")
            return
        }
        #expect(reading.pressure == 100_009 && reading.rawTemperature == 8_569_150)
    }

    /// Rate: the request, capped at 1 / (2·(t_conv,max + 1 ms)); conversion time 2·t_conv,max.
    @Test(arguments: [(256, 0.000_60), (512, 0.001_17), (1024, 0.002_28), (2048, 0.004_54), (4096, 0.009_04)])
    func configureReportsTheMode(oversampling: Int, conversion: Double) throws {
        let log = MS5611CommandLog()
        let ms = driver(log)
        _ = try ms.probe()
        let fast = try ms.configure(PressureSettings(oversampling: oversampling, outputDataRate: 1000))
        #expect(abs(fast.outputDataRate - 1 / (2 * (conversion + 0.001))) < 1e-9)
        #expect(abs(fast.conversionTime - 2 * conversion) < 1e-15)
        #expect(fast.pressureOversampling == oversampling && fast.temperatureOversampling == oversampling)
        #expect(try ms.configure(PressureSettings(oversampling: oversampling, outputDataRate: 10)).outputDataRate == 10)
        #expect(log.commands.last == 0x1E)
    }

    @Test func unsupportedRequestsAreRejected() throws {
        let ms = driver(MS5611CommandLog())
        #expect(throws: DriverError.self) { try ms.configure(PressureSettings(oversampling: 4096, outputDataRate: 10)) } // before probe
        _ = try ms.probe()
        #expect(throws: DriverError.self) { try ms.configure(PressureSettings(oversampling: 300, outputDataRate: 10)) }
        #expect(throws: DriverError.self) { try ms.configure(PressureSettings(oversampling: 4096, outputDataRate: 10, iirCoefficient: 1)) }
        #expect(throws: DriverError.self) { try ms.poll() }
        #expect(throws: DriverError.configurationRejected(
            model: "MS5611", reason: "the MS5611 has no data-ready output: drive it with poll(), which times its conversions")) {
            try ms.readConversion()
        }
    }
}

/// One simulated MS5611 alone on a simulated bus at 0x77.
struct MS5611Bench {
    let unit: SingleUnitBench
    let errors: PressureUnitErrors
    var clock: SimulatedClock { unit.clock }
    var bench: SimulatedBench { unit.bench }
    var device: I2CDevice { unit.device }

    init(errors: PressureUnitErrors, seed: UInt64) {
        self.errors = errors
        unit = SingleUnitBench(MS5611Model(prom: MS5611Tests.prom, errors: errors, random: SeededRandom(seed: seed)),
                               address: I2CAddress(0x77))
    }

    /// Polls, waiting exactly what each `.converting` asks, until a reading (at most `steps` polls).
    func nextReading(_ sensor: MS5611, steps: Int = 8) throws -> PressureReading? {
        for _ in 0..<steps {
            switch try sensor.poll() {
            case .reading(let reading): return reading
            case .converting(let wait): clock.advance(by: wait)
            case .notReady: return nil
            }
        }
        return nil
    }

    var expectedPressure: Double {
        let truth = bench.truePressure()
        return truth + errors.systematicError(at: truth)
    }
}

/// The MS5611 driver against the command-level model.
@Suite struct SimulatedMS5611Tests {
    static let errors = PressureUnitErrors(offset: -35, gainErrorPPM: 200, noiseAtX1: 6.5, driftRandomWalk: 0,
                                           temperatureOffset: -0.4)

    func configured(_ sim: MS5611Bench, oversampling: Int = 4096) throws -> MS5611 {
        let ms = MS5611(device: sim.device)
        #expect(try ms.probe().calibration == MS5611Tests.prom)
        _ = try ms.configure(PressureSettings(oversampling: oversampling, outputDataRate: 40))
        return ms
    }

    /// The cycle with the clock advanced by exactly what each step asks: .converting(reset), then .converting,
    /// .converting, .reading; the reading is the expected pressure within 5σ (σ = 6.5/√16 = 1.625 Pa at 4096)
    /// + 1 Pa (the integer output floors).
    @Test func pollCycleOnTheSimulatedClock() throws {
        let sim = MS5611Bench(errors: Self.errors, seed: 2)
        let ms = try configured(sim)
        #expect(try ms.poll() == .converting(MS5611.resetTime))
        sim.clock.advance(by: MS5611.resetTime)
        for _ in 0..<2 {
            #expect(try ms.poll() == .converting(0.009_04))
            sim.clock.advance(by: 0.009_04)
            #expect(try ms.poll() == .converting(0.009_04))
            sim.clock.advance(by: 0.009_04)
            guard case .reading(let reading) = try ms.poll() else {
                Issue.record("third poll of the cycle gave no reading")
                return
            }
            let sigma = MS5611Model.noise(Self.errors, oversampling: .x4096)
            #expect(abs(reading.pressure - sim.expectedPressure) < 5 * sigma + 1)
            #expect(abs(reading.temperature - 24.6) < 0.05)
        }
    }

    /// Polling too early (1 ms into a 9.04 ms conversion) reads 0 from the chip, which also spoils that
    /// conversion: the driver gives no reading for it, waits, re-issues, and the reading that follows is right.
    @Test(arguments: [1, 2])
    func earlyReadGivesNoBogusReading(earlyStep: Int) throws {
        let sim = MS5611Bench(errors: Self.errors, seed: 3)
        let ms = try configured(sim)
        sim.clock.advance(by: try #require(waitOf(ms.poll())))          // reset
        for step in 1...2 {
            let wait = try #require(waitOf(ms.poll()))
            sim.clock.advance(by: step == earlyStep ? 0.001 : wait)
        }
        // The early step's read: 0 from the chip, so another wait, and no reading.
        var polls = 0
        var reading: PressureReading?
        while reading == nil && polls < 8 {
            switch try ms.poll() {
            case .reading(let r): reading = r
            case .converting(let wait): sim.clock.advance(by: wait)
            case .notReady: Issue.record("an MS5611 poll never says notReady")
            }
            polls += 1
        }
        let r = try #require(reading)
        // After the void read: (re-issue), (read, or read D2 and start D1), …: three polls to the reading.
        #expect(polls == 3)
        let sigma = MS5611Model.noise(Self.errors, oversampling: .x4096)
        #expect(abs(r.pressure - sim.expectedPressure) < 5 * sigma + 1)
        #expect(abs(r.temperature - 24.6) < 0.05)
    }

    private func waitOf(_ poll: PressurePoll) -> Double? {
        if case .converting(let wait) = poll { return wait }
        return nil
    }

    /// Five pressures: each reading within 5σ + 1 Pa of true + offset + gain error.
    @Test func roundTrip() throws {
        let sim = MS5611Bench(errors: Self.errors, seed: 4)
        let ms = try configured(sim)
        let sigma = MS5611Model.noise(Self.errors, oversampling: .x4096)
        for setpoint in [30_000.0, 60_000, 90_000, 101_325, 120_000] {
            sim.bench.command(setpoint: setpoint)
            sim.clock.advance(by: 60)
            let reading = try #require(try sim.nextReading(ms))
            #expect(abs(reading.pressure - sim.expectedPressure) < 5 * sigma + 1,
                    "\(setpoint) Pa: read \(reading.pressure), expected \(sim.expectedPressure)")
        }
    }

    /// ~1000 readings at fixed pressure: std = √(σ² + 1/12) (σ = noiseAtX1·√(256/OSR), 1/12 Pa² from the 1 Pa
    /// integer output) within 10 % (≈ 4.5 standard errors for N = 1000); the mean sits 0.5 Pa below the
    /// expected pressure, the average loss of the final floor, within 5σ/√N + 0.02 Pa.
    @Test(arguments: [MS5611.Oversampling.x256, .x4096])
    func noiseMatchesTheModel(oversampling: MS5611.Oversampling) throws {
        let sim = MS5611Bench(errors: Self.errors, seed: 12)
        let ms = try configured(sim, oversampling: oversampling.rawValue)
        var values: [Double] = []
        for _ in 0..<1000 {
            guard let reading = try sim.nextReading(ms) else { break }
            values.append(reading.pressure)
        }
        #expect(values.count == 1000)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
        let sigma = MS5611Model.noise(Self.errors, oversampling: oversampling)
        let modelled = (sigma * sigma + 1.0 / 12).squareRoot()
        #expect(abs(std / modelled - 1) < 0.10, "OSR \(oversampling.rawValue): std \(std) Pa, modelled \(modelled) Pa")
        #expect(abs(mean - (sim.expectedPressure - 0.5)) < 5 * sigma / Double(values.count).squareRoot() + 0.02)
    }

    /// Commands within the reset time are ignored by the chip, so a CONVERT sent too soon reads back 0 and the
    /// driver recovers by itself.
    @Test func convertDuringResetIsRecovered() throws {
        let sim = MS5611Bench(errors: Self.errors, seed: 5)
        let ms = try configured(sim)
        _ = try ms.poll()                                   // reset wait asked, but not waited
        let reading = try #require(try sim.nextReading(ms))
        let sigma = MS5611Model.noise(Self.errors, oversampling: .x4096)
        #expect(abs(reading.pressure - sim.expectedPressure) < 5 * sigma + 1)
    }
}
