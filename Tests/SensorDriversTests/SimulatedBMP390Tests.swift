import SensorIO
import SensorSim
import Testing
@testable import SensorDrivers

/// The register-level simulator behind the driver: raw values made by inverting the compensation come back
/// through the driver as the simulated pressure plus the unit's injected errors.
@Suite struct SimulatedBMP390Tests {
    func driver(_ rig: SimulatedRig, unit index: Int) -> BMP390 {
        let unit = rig.units[index]
        let mux = I2CMux(parent: rig.bus, address: SimulatedRig.muxAddress)
        return BMP390(device: I2CDevice(transport: mux.channel(unit.channel), address: unit.address))
    }

    /// Round trip at five pressures: the reading equals true pressure + offset + gain·(p − p0) within 5σ of the
    /// unit's white noise plus its drift (0.004 Pa/√s over < 200 s: < 0.06 Pa), for every unit.
    @Test(arguments: [0, 1, 2, 3])
    func roundTrip(unit index: Int) throws {
        let rig = SimulatedRig(seed: 5)
        let errors = rig.units[index].errors
        let bmp = driver(rig, unit: index)
        #expect(try bmp.probe().idValue == BMP390.chipIDBMP390)
        let calibration = try bmp.readCalibration()
        #expect(calibration.nvm == rig.units[index].calibration)
        let configuration = BMP390Configuration(pressureOversampling: .x16, temperatureOversampling: .x2,
                                                outputDataRate: .init(hertz: 25)!, iirFilter: .off)
        try bmp.configure(configuration)
        for setpoint in [30_000.0, 60_000, 90_000, 101_325, 120_000] {
            try rig.controller.setPoint(setpoint)
            rig.clock.advance(by: 30)                 // 12 time constants: settled to < 1e-5 of the step
            #expect(try bmp.isDataReady())
            let reading = try bmp.read(calibration: calibration)
            let truth = rig.bench.truePressure()
            let expected = truth + errors.systematicError(at: truth)
            let bound = 5 * errors.noise(oversampling: 16) + 0.1
            #expect(abs(reading.pressure - expected) < bound, "\(setpoint) Pa: read \(reading.pressure), expected \(expected)")
            #expect(abs(reading.temperature - (25 + errors.temperatureOffset)) < 0.05)
            // Reading the data clears data-ready until the next conversion.
            #expect(try !bmp.isDataReady())
        }
    }

    /// A reading is one 7-byte burst of STATUS and the data from 0x03. After a burst that found no conversion (it
    /// read the data registers, which clears drdy), STATUS alone until one is there, then the data; then bursts
    /// again. Each reading is the simulated pressure within the unit's noise, whichever way it was read.
    @Test func pollReadsStatusAndDataInOneBurst() throws {
        let rig = SimulatedRig(seed: 5)
        let unit = rig.units[0]
        let log = TransferLog(I2CMux(parent: rig.bus, address: SimulatedRig.muxAddress).channel(unit.channel))
        let bmp = BMP390(device: I2CDevice(transport: log, address: unit.address))
        _ = try bmp.probe()
        try bmp.configure(BMP390Configuration(pressureOversampling: .x16, temperatureOversampling: .x2,
                                              outputDataRate: .init(hertz: 25)!, iirFilter: .off))
        let readings = try log.expectOneBurstPolls(
            burst: .init(register: 0x03, count: 7), status: .init(register: 0x03, count: 1), data: .init(register: 0x04, count: 6),
            nextConversion: { rig.clock.advance(by: 0.05) }) { () throws -> PressureReading? in
            guard case .reading(let reading) = try bmp.poll() else { return nil }
            return reading
        }
        let truth = rig.bench.truePressure()
        let expected = truth + unit.errors.systematicError(at: truth)
        for reading in readings {
            #expect(abs(reading.pressure - expected) < 5 * unit.errors.noise(oversampling: 16) + 0.1)
        }
        #expect(readings.count == 3)
    }

    /// The chip refuses an OSR/ODR pair whose conversion outlasts the period, as the datasheet says (ERR.conf_err).
    @Test func infeasibleConfigurationIsRefusedByTheChip() throws {
        let rig = SimulatedRig(seed: 5)
        let bmp = driver(rig, unit: 0)
        let tooFast = BMP390Configuration(pressureOversampling: .x32, temperatureOversampling: .x2,
                                          outputDataRate: .init(hertz: 50)!, iirFilter: .off)
        #expect(throws: DriverError.configurationRejected(
            model: "BMP390", reason: "ERR.conf_err set for OSR ×32/×2 at 50.0 Hz")) { try bmp.configure(tooFast) }
    }

    /// Conversions arrive at the configured ODR on the simulated clock: 25 conversions per simulated second.
    @Test func conversionsFollowTheOutputDataRate() throws {
        let rig = SimulatedRig(seed: 9)
        let bmp = driver(rig, unit: 1)
        let calibration = try bmp.readCalibration()
        try bmp.configure(BMP390Configuration(pressureOversampling: .x8, temperatureOversampling: .x1,
                                              outputDataRate: .init(hertz: 25)!, iirFilter: .off))
        let start = rig.clock.seconds()
        var count = 0
        var readings: [Double] = []
        for _ in 0..<1000 {                          // poll every 4 ms for 4 s
            rig.clock.advance(by: 0.004)
            if try bmp.isDataReady() {
                count += 1
                readings.append(try bmp.read(calibration: calibration).pressure)
            }
        }
        // Conversions completed since configure: ⌊(elapsed − t_meas)·ODR⌋ + 1 (the bus transfers add time too).
        let elapsed = rig.clock.seconds() - start
        let expected = Int(((elapsed - 0.018_939) * 25).rounded(.down)) + 1
        #expect(abs(count - expected) <= 1, "\(count) conversions in \(elapsed) s")
        #expect(Set(readings).count > 90)            // noise: consecutive conversions differ
    }

    /// A unit that stops acknowledging gives a typed NACK naming bus, address and register.
    @Test func absentUnitIsNoAcknowledge() {
        let rig = SimulatedRig(seed: 5)
        rig.bench.setPresent(false, channel: 0, address: I2CAddress(0x76))
        let bmp = driver(rig, unit: 0)
        do {
            _ = try bmp.probe()
            Issue.record("probe of an absent unit succeeded")
        } catch .bus(let error) {
            #expect(error.cause == .noAcknowledge)
            #expect(error.address == I2CAddress(0x76))
            #expect(error.register == 0x00)
            #expect(error.errno == 6)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
