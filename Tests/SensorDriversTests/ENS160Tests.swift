import Foundation
import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// The ENS160 driver against a register file (V14, the configuration writes, decoding, PART_ID) and on the
/// register-level simulator (warm-up validity, the pixels' log response).
@Suite struct ENS160Tests {
    private func driver(_ registers: RegisterFile) -> ENS160 {
        ENS160(device: I2CDevice(transport: registers, address: I2CAddress(0x52)))
    }

    /// sensors.md §6 V14: TEMP_IN for 25 °C is 19081 = `89 4A` ((25 + 273.15)·64 = 19081.6, truncated); RH_IN for
    /// 50 % is 25600 = `00 64`; GPR raw 0x8000 is 2^(32768/2048) = 65536 Ω exactly. `configure` writes them
    /// little-endian between OPMODE idle and OPMODE standard.
    @Test func testVectorV14() throws {
        #expect(ENS160.temperatureInput(celsius: 25) == 19081)
        #expect(ENS160.humidityInput(percent: 50) == 25600)
        #expect(ENS160.resistance(raw: 0x8000) == 65536)
        #expect(ENS160.log2Resistance(raw: 0x8000) == 16)
        let registers = RegisterFile()
        let mode = try driver(registers).configure(GasSettings(samplingInterval: 1))
        #expect(registers.writes == [[0x10, 0x01], [0x11, 0x00], [0x13, 0x89, 0x4A], [0x15, 0x00, 0x64], [0x10, 0x02]])
        #expect(mode.samplingInterval == 1 && mode.warmUp == 180)
        #expect(mode.signal("log2_r1")?.role == .raw && mode.signal("tvoc")?.role == .onChip && mode.signal("aqi")?.role == .index)
    }

    /// DEVICE_STATUS NEWDAT and NEWGPR set, validity 0: AQI, TVOC and eCO2 little-endian, and the four pixels as
    /// log2 R. Validity 1 marks the reading invalid ("warm-up"); without NEWGPR it is not ready.
    @Test func pollDecodesTheDataSet() throws {
        let registers = RegisterFile()
        registers.registers[0x20] = 0x83
        registers.registers.replaceSubrange(0x21...0x25, with: [0x02, 0x64, 0x00, 0x58, 0x02])   // AQI 2, 100 ppb, 600 ppm
        registers.registers.replaceSubrange(0x48...0x4F, with: [0x00, 0x80, 0x00, 0x88, 0x00, 0x70, 0xFF, 0xFF])
        guard case .reading(let reading) = try driver(registers).poll() else {
            Issue.record("NEWDAT and NEWGPR set but no reading")
            return
        }
        #expect(reading.raw == [2, 100, 600, 0x8000, 0x8800, 0x7000, 0xFFFF])
        #expect(reading.values["tvoc"] == 100 && reading.values["eco2"] == 600 && reading.values["aqi"] == 2)
        #expect(reading.values["log2_r1"] == 16 && reading.values["log2_r2"] == 17 && reading.values["log2_r3"] == 14)
        #expect(reading.valid && reading.status == nil)
        registers.registers[0x20] = 0x87
        guard case .reading(let warming) = try driver(registers).poll() else { return }
        #expect(!warming.valid && warming.status == "warm-up")
        registers.registers[0x20] = 0x82
        #expect(try driver(registers).poll() == .notReady)
        registers.registers[0x20] = 0xC3
        #expect(throws: DriverError.configurationRejected(model: "ENS160", reason: "DEVICE_STATUS 0xC3 has STATER set (invalid operating mode or error)")) {
            try driver(registers).poll()
        }
    }

    @Test func partIDIsChecked() throws {
        let registers = RegisterFile()
        registers.registers[0x00] = 0x60
        registers.registers[0x01] = 0x01
        #expect(try driver(registers).probe() == SensorIdentity(model: "ENS160", idRegister: 0x00, idValue: 0x60, calibration: []))
        #expect(registers.writes.isEmpty)
        registers.registers[0x00] = 0x61
        #expect(throws: DriverError.wrongChip(model: "ENS160", register: 0x00, expected: [0x60], found: 0x61)) {
            try driver(registers).probe()
        }
        registers.registers[0x00] = 0x60
        registers.registers[0x01] = 0x02
        #expect(throws: DriverError.wrongChip(model: "ENS160", register: 0x01, expected: [0x01], found: 0x02)) {
            try driver(registers).probe()
        }
    }

    private func bench(seed: UInt64 = 3) -> GasBench {
        GasBench(ENS160Model(random: SeededRandom(seed: seed)), address: 0x52)
    }

    /// On the model: validity 1 ("warm-up") for the first 180 s of standard mode, then 0; one reading per second.
    @Test func validityDuringWarmUp() throws {
        let bench = bench()
        let ens = ENS160(device: bench.unit.device)
        #expect(try ens.probe().model == "ENS160")
        _ = try ens.configure(GasSettings(samplingInterval: 1))
        let readings = try gasReadings(ens, clock: bench.clock, until: 200)
        let warming = readings.filter { $0.time < 179.5 }
        let warm = readings.filter { $0.time > 180.5 }
        #expect(warming.count > 170 && warming.allSatisfy { !$0.reading.valid && $0.reading.status == "warm-up" })
        #expect(warm.count > 15 && warm.allSatisfy { $0.reading.valid })
        try ens.standby()
        #expect(try ens.poll() == .notReady)
    }

    /// The pixels' log response: at 1 ppm ethanol (settled) pixel 1 reads log2 R lower by 0.6·log2(1 + 1/0.1) =
    /// 2.0757 than in zero air (python), each the mean of 20 readings (noise 4 raw = 0.002 log2 units; tolerance
    /// 0.01). TVOC follows (1000 ppb).
    @Test func pixelsFollowEthanol() throws {
        let bench = bench()
        let ens = ENS160(device: bench.unit.device)
        _ = try ens.configure(GasSettings(samplingInterval: 1))
        func level(_ mixture: [String: Double]) throws -> (r1: Double, tvoc: Double) {
            bench.deliver(mixture)
            let readings = try gasReadings(ens, clock: bench.clock, until: bench.seconds + 120).suffix(20).map(\.reading)
            return (readings.map { $0.values["log2_r1"]! }.reduce(0, +) / 20, readings.map { $0.values["tvoc"]! }.reduce(0, +) / 20)
        }
        let clean = try level([:])
        let ethanol = try level(["ethanol": 1])
        #expect(abs(clean.r1 - log2(250_000)) < 0.01)
        #expect(abs(ethanol.r1 - clean.r1 + 2.0757) < 0.01)
        #expect(abs(ethanol.tvoc - 1000) < 2 && clean.tvoc == 0)
    }
}
