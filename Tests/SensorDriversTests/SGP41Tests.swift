import Foundation
import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The SGP41 driver: V12's exact bytes, compensation words, 10 s of conditioning and no more, host pacing, and the
/// model's log response read through the driver.
@Suite struct SGP41Tests {
    static let v12: [UInt8] = [0x26, 0x19, 0x80, 0x00, 0xA2, 0x66, 0x66, 0x93]

    /// sensors.md §6 V12: measure_raw_signals at 50 %RH, 25 °C is `26 19 80 00 A2 66 66 93` (RH 0x8000 =
    /// round(32767.5), T 0x6666 = 70·65535/175 = 26214 exactly).
    @Test func testVectorV12() {
        #expect(SGP41.humidityWord(percent: 50) == 0x8000)
        #expect(SGP41.temperatureWord(celsius: 25) == 0x6666)
        #expect(SGP41.measurementCommand(.measureRawSignals, humidityPercent: 50, temperatureC: 25) == Self.v12)
        #expect(SGP41.humidityWord(percent: 0) == 0 && SGP41.humidityWord(percent: 100) == 0xFFFF)
        #expect(SGP41.temperatureWord(celsius: -45) == 0 && SGP41.temperatureWord(celsius: 130) == 0xFFFF)
    }

    private func bench(seed: UInt64 = 5) -> GasBench {
        GasBench(SGP41Model(serialNumber: 0x0000_0F3A_9C41, random: SeededRandom(seed: seed)), address: 0x59)
    }

    /// At the default compensation (no T/RH in the settings) the driver sends exactly V12's bytes once conditioning
    /// is over: execute_conditioning (`26 12` + the same words) at t = 0…9 s, one per second, and
    /// measure_raw_signals from t = 10 s on. Conditioning readings are invalid and carry SRAW_VOC only.
    @Test func conditioningOnlyInTheFirstTenSeconds() throws {
        let bench = bench()
        let log = TimedWriteLog(bench.unit.device.transport, clock: bench.clock)
        let sgp = SGP41(device: I2CDevice(transport: log, address: I2CAddress(0x59)))
        let mode = try sgp.configure(GasSettings(samplingInterval: 1))
        #expect(mode.warmUp == 10 && mode.samplingInterval == 1)
        let readings = try gasReadings(sgp, clock: bench.clock, until: 20)
        let conditioning = log.writes.filter { $0.bytes.starts(with: [0x26, 0x12]) }
        let measuring = log.writes.filter { $0.bytes.starts(with: [0x26, 0x19]) }
        #expect(conditioning.count == 10)
        #expect(conditioning.allSatisfy { $0.time < 10 && $0.bytes == [0x26, 0x12] + Self.v12.dropFirst(2) })
        #expect(abs(conditioning.last!.time - 9) < 0.01)
        #expect(abs(measuring.first!.time - 10) < 0.01)
        #expect(measuring.allSatisfy { $0.bytes == Self.v12 })
        #expect(log.writes.count == conditioning.count + measuring.count)
        #expect(readings.prefix(10).allSatisfy { !$0.reading.valid && $0.reading.status == "conditioning" && $0.reading.values["sraw_nox"] == nil })
        #expect(readings.dropFirst(10).allSatisfy { $0.reading.valid && $0.reading.values["sraw_nox"] != nil })
        // Host pacing: one reading per second, 50 ms after its command.
        let times = readings.map(\.time)
        #expect(zip(times, times.dropFirst()).allSatisfy { abs($1 - $0 - 1) < 0.01 })
    }

    /// With a 3 s interval conditioning runs at 0, 3, 6 and 9 s, and the last step is cut to 1 s so that
    /// measure_raw_signals starts at 10 s, not 12.
    @Test func conditioningIsCutAtTenSeconds() throws {
        let bench = bench()
        let log = TimedWriteLog(bench.unit.device.transport, clock: bench.clock)
        let sgp = SGP41(device: I2CDevice(transport: log, address: I2CAddress(0x59)))
        _ = try sgp.configure(GasSettings(samplingInterval: 3, temperatureC: 30, humidityPercent: 40))
        _ = try gasReadings(sgp, clock: bench.clock, until: 14)
        let starts = log.writes.map { (time: $0.time, code: UInt16($0.bytes[0]) << 8 | UInt16($0.bytes[1])) }
        #expect(starts.filter { $0.code == 0x2612 }.map { ($0.time).rounded() } == [0, 3, 6, 9])
        #expect(abs(starts.first { $0.code == 0x2619 }!.time - 10) < 0.01)
        // 40 %RH → round(26214) = 0x6666, 30 °C → round(28086.43) = 0x6DB6.
        #expect(log.writes.last!.bytes == SensirionCRC.command(0x2619, arguments: [0x6666, 0x6DB6]))
    }

    /// Probe reads the serial number; its six bytes are the identity's calibration.
    @Test func probeReadsTheSerialNumber() throws {
        let bench = bench()
        let sgp = SGP41(device: bench.unit.device)
        #expect(try sgp.probe() == SensorIdentity(model: "SGP41", idRegister: nil, idValue: nil, calibration: [0x00, 0x00, 0x0F, 0x3A, 0x9C, 0x41]))
        #expect(try sgp.configure(GasSettings(samplingInterval: 1)).serialNumber == "0x00000F3A9C41")
    }

    /// The model's MOx log response through the driver: from 10 to 20 ppm ethanol SRAW_VOC falls by
    /// 870·log2(20.1/10.1) = 863.77 ticks (python; the model's 0.1 ppm reference makes it slightly less than 870),
    /// each level the mean of 20 readings after 60 s of settling (noise 3 ticks: tolerance 5 ticks). NO2 raises
    /// SRAW_NOX.
    @Test func srawFallsAbout870TicksPerDoubling() throws {
        let bench = bench()
        let sgp = SGP41(device: bench.unit.device)
        _ = try sgp.configure(GasSettings(samplingInterval: 1))
        func level(_ mixture: [String: Double]) throws -> (voc: Double, nox: Double) {
            bench.deliver(mixture)
            let readings = try gasReadings(sgp, clock: bench.clock, until: bench.seconds + 80).suffix(20).map(\.reading)
            return (readings.map { $0.values["sraw_voc"]! }.reduce(0, +) / 20, readings.map { $0.values["sraw_nox"]! }.reduce(0, +) / 20)
        }
        let low = try level(["ethanol": 10])
        let high = try level(["ethanol": 20])
        #expect(abs(high.voc - low.voc + 863.77) < 5)
        #expect(abs(high.voc - low.voc + 870) < 15)
        let clean = try level([:])
        let no2 = try level(["no2": 0.1])
        #expect(no2.nox - clean.nox > 2000)               // 870·log2(11) = 3009.7 ticks
    }

    @Test func standbyTurnsTheHeaterOff() throws {
        let log = SensirionCommandLog()
        let sgp = SGP41(device: I2CDevice(transport: log, address: I2CAddress(0x59)))
        try sgp.standby()
        #expect(log.writes == [[0x36, 0x15]])
        #expect(throws: DriverError.configurationRejected(model: "SGP41", reason: "poll before configure")) { try sgp.poll() }
    }
}
