import Foundation
import SensorDrivers
import SensorIO
import SensorSim
import Testing
@testable import Qualification

/// The simulated rig's two lots: the demo's one of each chip, and the representative production-sized rig of
/// `make bench` (`sensorquald --simulated-lot representative`).
@Suite struct SimulatedRigLotTests {
    /// The representative rig's file is a valid rig: 16 BMP390 on the eight mux channels at 0x76 and 0x77, four
    /// MMC5983MA and four LIS3MDL, four ENS160 and four SGP41, and eight microphones with the reference on the last
    /// channel of a nine-channel S24_3LE stream.
    @Test func representativeRigFileParses() throws {
        let simulated = SimulatedRig(seed: 1, lot: .representative)
        let rig = try Rig.parse(text: simulated.rigFile(alsaConfig: "/tmp/asound.conf"), name: "sim", catalog: try Repository.catalog())
        let chips = Dictionary(grouping: rig.slots, by: \.chip).mapValues(\.count)
        #expect(chips == ["bmp390": 16, "mmc5983ma": 4, "lis3mdl": 4, "ens160": 4, "sgp41": 4])
        let pressure = rig.slots.filter { $0.chip == "bmp390" }
        #expect(Set(pressure.map { "\($0.mux?.channel ?? -1)/\($0.address)" }).count == 16)
        #expect(rig.microphones.count == 8)
        let audio = try #require(rig.audioInterfaces.first)
        #expect(audio.format == PCMStreamFormat(sample: .s24Packed, sampleRate: 48_000, channels: 9))
        #expect(simulated.referenceChannel == 8)
        // The demo lot is as it was.
        let demo = SimulatedRig(seed: 1)
        #expect(demo.units.map(\.chip) == ["bmp390", "bmp390", "bmp390", "bmp390", "bmp581", "dps310", "lps22hh", "ms5611"])
        #expect(demo.audioFormat == PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 5) && demo.referenceChannel == 4)
    }

    /// A transfer on the demo rig takes its time on a 400 kHz bus (a one-byte write to the mux: START, address and
    /// data bytes at 9 clocks each, 19 clocks = 47.5 µs); on the representative rig, which one bus could not carry,
    /// it takes none.
    @Test func busTimeOnlyOnTheDemoRig() throws {
        let demo = SimulatedRig(seed: 1)
        try demo.bus.write(address: SimulatedRig.muxAddress, [0x01])
        #expect(demo.clock.now() == 47_500)
        let representative = SimulatedRig(seed: 1, lot: .representative)
        try representative.bus.write(address: SimulatedRig.muxAddress, [0x01])
        _ = try representative.bus.writeRead(address: I2CAddress(0x76), write: [0x00], readCount: 1)
        #expect(representative.clock.now() == 0)
    }

    /// Sixteen BMP390 at 200 Hz for 5 s of noise: every DUT reads every conversion (none missed, 5 s × 200 Hz in the record) and
    /// gets a noise figure of its own unit's size (noise at ×1 of 1.2–1.6 Pa).
    @Test func sixteenPressureUnitsAt200Hz() throws {
        let simulated = SimulatedRig(seed: 5, lot: .representative)
        let plan = try Plan.parse(text: """
            plan: fast
            class: pressure
            acquisition: {odr_hz: 200, oversampling: 1, iir: 0}
            steps:
              - noise: {duration_s: 5, setpoint_pa: 101325}
            """, name: "fast.yaml")
        let request = RunRequest(id: "r", plan: plan, spec: try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml"),
                                 slots: simulated.units.map(\.slot), lot: nil, serials: [:], operatorName: nil)
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: simulated.rigFile(), name: "sim", catalog: catalog)
        let outcome = RunEngine(request: request, rig: rig, catalog: catalog, connector: SimulatedRigConnector(rig: simulated),
                                cancellation: RunCancellation(), events: { _ in }).run()
        #expect(outcome.state == .done, "\(outcome.error ?? "")")
        #expect(outcome.duts.count == 16)
        for (dut, unit) in zip(outcome.duts, simulated.units) {
            #expect(dut.integrity.missedSamples == 0, "\(dut.slot)")
            let noise = try #require(dut.noise, "\(dut.slot)")
            // 5 s at 200 Hz: 1 000 conversion times, of which the record's window catches 999 or 1 000 by phase.
            #expect((999...1_000).contains(noise.sampleCount), "\(dut.slot): \(noise.sampleCount)")
            #expect(abs(noise.rms.value / unit.errors.noiseAtX1 - 1) < 0.2, "\(dut.slot): \(noise.rms.value)")
        }
    }
}
