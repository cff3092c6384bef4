import SensorIO
import Testing
@testable import SensorSim

/// Which unit a transfer reaches through the simulated TCA9548A: the one at the address off the mux or behind an
/// enabled channel; two at once answer together, so neither is heard (a NACK), as on a real bus with an address clash.
@Suite("Simulated bench routing")
struct SimulatedBenchRoutingTests {
    static let mux = I2CAddress(0x70)
    static let shared = I2CAddress(0x5C)
    static let whoAmI: UInt8 = 0x0F

    /// The bus of a bench with two LPS22HH at 0x5C on channels 0 and 1, a third at 0x5D on channel 1.
    static func bus() -> SimulatedI2CBus {
        let errors = PressureUnitErrors(offset: 0, gainErrorPPM: 0, noiseAtX1: 0.65, driftRandomWalk: 0, temperatureOffset: 0)
        func unit(_ channel: Int, _ address: UInt8, seed: UInt64) -> (channel: Int?, address: I2CAddress, model: any SimulatedI2CChip) {
            (channel, I2CAddress(address), LPS22HHModel(errors: errors, random: SeededRandom(seed: seed)))
        }
        let bench = SimulatedBench(clock: SimulatedClock(), muxAddress: mux,
                                   units: [unit(0, 0x5C, seed: 1), unit(1, 0x5C, seed: 2), unit(1, 0x5D, seed: 3)],
                                   referenceRandom: SeededRandom(seed: 0), referenceBias: 0, referenceNoise: 0)
        return SimulatedI2CBus(name: "sim:routing", bench: bench)
    }

    func whoAmI(_ bus: SimulatedI2CBus, _ address: I2CAddress) throws(I2CError) -> UInt8 {
        try I2CDevice(transport: bus, address: address).readRegister(Self.whoAmI)
    }

    /// Why reading WHO_AM_I at `address` fails, nil if it does not.
    func failure(_ bus: SimulatedI2CBus, _ address: I2CAddress) -> I2CError.Cause? {
        do {
            _ = try whoAmI(bus, address)
            return nil
        } catch {
            return error.cause
        }
    }

    @Test("one enabled channel reaches its unit; none reaches nothing behind the mux")
    func oneChannel() throws {
        let bus = Self.bus()
        #expect(failure(bus, Self.shared) == .noAcknowledge)
        try bus.write(address: Self.mux, [0b01])
        #expect(try whoAmI(bus, Self.shared) == 0xB3)
        #expect(failure(bus, I2CAddress(0x5D)) == .noAcknowledge)
        try bus.write(address: Self.mux, [0b10])
        #expect(try whoAmI(bus, Self.shared) == 0xB3)
        #expect(try whoAmI(bus, I2CAddress(0x5D)) == 0xB3)
    }

    @Test("two enabled channels with a unit at the same address: neither answers, the unique address still does")
    func clashingAddresses() throws {
        let bus = Self.bus()
        try bus.write(address: Self.mux, [0b11])
        #expect(failure(bus, Self.shared) == .noAcknowledge)
        #expect(try whoAmI(bus, I2CAddress(0x5D)) == 0xB3)
    }
}
