import Foundation
import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The SCD41 driver against a canned command log (V11, the exact command sequence, CRC and ASC errors) and on the
/// command-level simulator (serial number, ASC read back, a CO2 step seen through the model's lag, ASC's pull).
@Suite struct SCD41Tests {
    static let v11: [UInt8] = [0x01, 0xF4, 0x33, 0x66, 0x67, 0xA2, 0x5E, 0xB9, 0x3C]

    private func log(measurement: [UInt8] = v11, selfCalibration: UInt16 = 0) -> SensirionCommandLog {
        let log = SensirionCommandLog()
        log.answers[0x2313] = SensirionCRC.frame([selfCalibration])
        log.answers[0xE4B8] = SensirionCRC.frame([0x8006])
        log.answers[0xEC05] = measurement
        return log
    }

    private func driver(_ log: SensirionCommandLog) -> SCD41 {
        SCD41(device: I2CDevice(transport: log, address: I2CAddress(0x62)))
    }

    /// Polls until a reading, collecting the waits asked for.
    private func reading(_ scd: SCD41, waits: inout [Double]) throws -> GasReading {
        for _ in 0..<20 {
            switch try scd.poll() {
            case .reading(let reading): return reading
            case .converting(let seconds): waits.append(seconds)
            case .notReady: waits.append(-1)
            }
        }
        throw DriverError.configurationRejected(model: "test", reason: "no reading")
    }

    /// sensors.md §6 V11: `01 F4 33 66 67 A2 5E B9 3C` → CO2 500 ppm, T = −45 + 175·26215/65535 = 25.0027 °C,
    /// RH = 100·24249/65535 = 37.0016 % (tolerance 1e-4; python: 25.002670328831925, 37.00160219729916), all CRCs
    /// valid. The commands are plain writes: stop, then after 500 ms ASC 0 (`00 00 81`), ambient pressure 1013 hPa
    /// (`03 F5 DB`, a §5.1 check value), get ASC, start periodic, get_data_ready (`80 06`: ready), read_measurement.
    @Test func testVectorV11() throws {
        let log = log()
        let scd = driver(log)
        let mode = try scd.configure(GasSettings(samplingInterval: 5, automaticSelfCalibration: false, ambientPressurePa: 101_325))
        var waits: [Double] = []
        let first = try reading(scd, waits: &waits)
        #expect(log.writes == [[0x3F, 0x86], [0x24, 0x16, 0x00, 0x00, 0x81], [0xE0, 0x00, 0x03, 0xF5, 0xDB], [0x23, 0x13],
                               [0x21, 0xB1], [0xE4, 0xB8], [0xEC, 0x05]])
        #expect(log.combinedTransactions == 0)
        #expect(waits == [0.5, 0.001, 0.001, 0.001, 5, 0.001, 0.001])
        #expect(scd.automaticSelfCalibrationReadBack == false)
        #expect(first.raw == [500, 0x6667, 0x5EB9])
        #expect(first.values["co2"] == 500)
        #expect(abs(first.values["temperature"]! - 25.0027) < 1e-4)
        #expect(abs(first.values["humidity"]! - 37.0016) < 1e-4)
        #expect(!first.valid && first.status == "first reading after start")
        let second = try reading(scd, waits: &waits)
        #expect(second.valid && second.status == nil && second.values == first.values)
        #expect(mode.samplingInterval == 5 && mode.signal("co2")?.role == .concentration)
        #expect(mode.notes == "ASC off, ambient pressure 101300 Pa, periodic measurement every 5 s")
    }

    /// A flipped bit in word 1 (CRC A2 → A3) is an error naming the command, the word and its bytes.
    @Test func badCRCNamesTheWord() throws {
        var bad = Self.v11
        bad[5] = 0xA3
        let scd = driver(log(measurement: bad))
        _ = try scd.configure(GasSettings(samplingInterval: 5))
        var waits: [Double] = []
        #expect(throws: DriverError.bus(I2CError(.protocolViolation, bus: "test:sensirion", address: I2CAddress(0x62),
                                                 operation: "SCD41 read_measurement answer: word 1 bytes 66 67 A3 fail their CRC-8 (expected 0xA2)"))) {
            _ = try reading(scd, waits: &waits)
        }
    }

    /// ASC that reads back other than it was set is a configuration error.
    @Test func selfCalibrationReadBackMismatch() throws {
        let scd = driver(log(selfCalibration: 1))
        _ = try scd.configure(GasSettings(samplingInterval: 5, automaticSelfCalibration: false))
        var waits: [Double] = []
        #expect(throws: DriverError.configurationRejected(model: "SCD41", reason: "ASC reads back 1 after setting it to 0")) {
            _ = try reading(scd, waits: &waits)
        }
    }

    /// Intervals over 5 s use paced single shots: measure_single_shot, 5 s, read_measurement, then the rest of the
    /// interval.
    @Test func singleShotPacing() throws {
        let log = log()
        log.answers[0x219D] = []
        let scd = driver(log)
        let mode = try scd.configure(GasSettings(samplingInterval: 30))
        #expect(mode.samplingInterval == 30 && mode.notes.hasSuffix("single shot every 30.0 s"))
        var waits: [Double] = []
        _ = try reading(scd, waits: &waits)
        _ = try reading(scd, waits: &waits)
        #expect(log.writes.map { UInt16($0[0]) << 8 | UInt16($0[1]) } == [0x3F86, 0x2416, 0x2313, 0x219D, 0xEC05, 0x219D, 0xEC05])
        #expect(waits.count == 8 && abs(waits[5] - 24.998) < 1e-9 && waits[6] == 5)
    }

    // MARK: Simulator

    private func bench(seed: UInt64 = 7) -> GasBench {
        GasBench(SCD41Model(serialNumber: 0x5EA1_0C2B_4107, random: SeededRandom(seed: seed)), address: 0x62)
    }

    /// Probe reads the serial number and variant; ASC is written 0 and read back 0; the first reading is flagged and
    /// carries the model's first-reading error (+150 ppm on 0 ppm of zero air, noise 5 ppm).
    @Test func probeAndConfigureOnTheModel() throws {
        let bench = bench()
        let scd = SCD41(device: bench.unit.device)
        #expect(try scd.probe() == SensorIdentity(model: "SCD41", idRegister: nil, idValue: nil, calibration: [0x5E, 0xA1, 0x0C, 0x2B, 0x41, 0x07]))
        let mode = try scd.configure(GasSettings(samplingInterval: 5, automaticSelfCalibration: false, ambientPressurePa: 101_325))
        #expect(mode.serialNumber == "0x5EA10C2B4107")
        let first = try nextGasReading(scd, clock: bench.clock)
        #expect(scd.automaticSelfCalibrationReadBack == false)
        #expect(!first.valid && abs(first.values["co2"]! - 150) < 20)
        #expect(abs(first.values["temperature"]! - 25) < 0.01 && abs(first.values["humidity"]! - 50) < 0.01)
        let second = try nextGasReading(scd, clock: bench.clock)
        #expect(second.valid && abs(second.values["co2"]!) < 20)
        #expect(abs(bench.seconds - 10.5) < 0.2)       // stop 0.5 s, then a reading every 5 s
    }

    /// A chip left measuring does not answer get_serial_number: probe stops it (its one write) and says to probe
    /// again; 500 ms later the probe succeeds.
    @Test func probeStopsAMeasuringChip() throws {
        let bench = bench()
        let running = SCD41(device: bench.unit.device)
        _ = try running.configure(GasSettings(samplingInterval: 5))
        _ = try nextGasReading(running, clock: bench.clock)
        let scd = SCD41(device: bench.unit.device)
        do {
            _ = try scd.probe()
            Issue.record("a measuring chip answered get_serial_number")
        } catch {
            #expect("\(error)".contains("probe again after 500 ms"))
            #expect("\(error)".contains("word 0 reads FF FF FF"))
        }
        bench.clock.advance(by: 0.5)
        #expect(try scd.probe().model == "SCD41")
    }

    /// A 400 → 1400 ppm step (ASC off): each reading follows the chamber (τ 6 s) and the model's element (τ63 60 s)
    /// in cascade, 400 + 1000·f(t) with f(t) = 1 − (60·e^(−t/60) − 6·e^(−t/6))/54 (tolerance 20 ppm, 4σ of the
    /// 5 ppm noise). f(30 s) = 0.327, so the chamber alone (99.3 % by then) would read far higher; 63 % is reached at
    /// 66.3 s, so the first reading above 1032 ppm comes 60–75 s after the step.
    @Test func co2StepFollowsTheLag() throws {
        let bench = bench()
        let scd = SCD41(device: bench.unit.device)
        _ = try scd.probe()
        _ = try scd.configure(GasSettings(samplingInterval: 5, automaticSelfCalibration: false, ambientPressurePa: 101_325))
        bench.deliver(["co2": 400])
        let settled = try gasReadings(scd, clock: bench.clock, until: 600).suffix(10)
        for (_, reading) in settled { #expect(abs(reading.values["co2"]! - 400) < 20) }
        let step = bench.seconds
        bench.deliver(["co2": 1400])
        let response = try gasReadings(scd, clock: bench.clock, until: step + 300)
        var worst = 0.0
        for (time, reading) in response {
            let t = time - step
            let f = 1 - (60 * exp(-t / 60) - 6 * exp(-t / 6)) / 54
            worst = max(worst, abs(reading.values["co2"]! - (400 + 1000 * f)))
        }
        #expect(worst < 20)
        let t63 = try #require(response.first { $0.reading.values["co2"]! >= 1032 }).time - step
        #expect(t63 > 60 && t63 < 75)
        let at30 = try #require(response.first { $0.time - step >= 30 })
        #expect(at30.reading.values["co2"]! < 400 + 0.45 * 1000)
    }

    /// ASC on pulls a steady 1000 ppm toward 400 ppm (the model's 1 h time constant: ≈ 764 ppm after 30 min);
    /// ASC off keeps it at 1000 ppm ± 20.
    @Test func selfCalibrationIsVisibleWhenOn() throws {
        var last: [Bool: Double] = [:]
        for asc in [false, true] {
            let bench = bench(seed: 11)
            let scd = SCD41(device: bench.unit.device)
            bench.deliver(["co2": 1000])
            _ = try scd.configure(GasSettings(samplingInterval: 5, automaticSelfCalibration: asc))
            let readings = try gasReadings(scd, clock: bench.clock, until: 1800)
            #expect(scd.automaticSelfCalibrationReadBack == asc)
            last[asc] = readings.suffix(12).map { $0.reading.values["co2"]! }.reduce(0, +) / 12
        }
        #expect(abs(last[false]! - 1000) < 20)
        #expect(last[true]! < 850)
    }
}
