import Foundation
import SensorDrivers
import SensorIO

/// The built-in simulated rig that `sensorquald --simulate` runs: one simulated I2C adapter with a
/// TCA9548A at 0x70, four BMP390 units behind its channels 0 and 1 at 0x76 and 0x77, and a simulated
/// pressure controller on the shared manifold.
///
/// The four units form a deliberate lot, so a demo shows every verdict: a good unit, a unit with a large but
/// conforming offset, a unit inside the guard band of the ±100 Pa limit, and a noisy unit far off.
public struct SimulatedRig: Sendable {
    /// One simulated DUT and the errors the qualification is expected to find.
    public struct Unit: Sendable {
        public var slot: String
        public var channel: Int
        public var address: I2CAddress
        public var errors: BMP390UnitErrors
        /// The unit's NVM calibration bytes (0x31–0x45).
        public var nvm: [UInt8]
    }

    public static let busName = "sim:i2c-1"
    public static let muxAddress = I2CAddress(0x70)
    public static let controllerIdentity = "SensorQual,SIM-CPC6050,SIM0001,1.0"
    /// The simulated controller's bias, Pa: inside its certificate's U = 8 Pa (k = 2).
    public static let referenceBias = 1.5

    public let seed: UInt64
    public let units: [Unit]
    public let clock: SimulatedClock
    public let bench: SimulatedBench
    public let bus: SimulatedI2CBus
    public let controller: SimulatedPressureController

    /// Builds the rig. The seed sets the noise realisations and the units' NVM trimming; the lot's errors
    /// are fixed so that every seed shows the same kinds of unit.
    public init(seed: UInt64 = 1) {
        self.seed = seed
        let random = SeededRandom(seed: seed)
        let lot: [(String, Int, UInt8, BMP390UnitErrors)] = [
            ("S1", 0, 0x76, .init(offset: 14, gainErrorPPM: 120, noiseAtX1: 1.2, driftRandomWalk: 0.004, temperatureOffset: 0.2)),
            ("S2", 0, 0x77, .init(offset: -47, gainErrorPPM: -310, noiseAtX1: 1.4, driftRandomWalk: 0.004, temperatureOffset: -0.3)),
            ("S3", 1, 0x76, .init(offset: 93, gainErrorPPM: 260, noiseAtX1: 1.3, driftRandomWalk: 0.005, temperatureOffset: 0.1)),
            ("S4", 1, 0x77, .init(offset: -128, gainErrorPPM: 90, noiseAtX1: 2.9, driftRandomWalk: 0.006, temperatureOffset: 0.4)),
        ]
        units = lot.enumerated().map { index, entry in
            var trim = random.derived(UInt64(index) + 1)
            return Unit(slot: entry.0, channel: entry.1, address: I2CAddress(entry.2), errors: entry.3,
                        nvm: Self.nvm(trimmedBy: &trim))
        }
        clock = SimulatedClock()
        bench = SimulatedBench(
            clock: clock, muxAddress: Self.muxAddress,
            units: units.enumerated().map { index, unit in
                (unit.channel, unit.address,
                 BMP390Model(nvm: unit.nvm, errors: unit.errors, random: random.derived(UInt64(index) + 101)))
            },
            referenceRandom: random.derived(999), referenceBias: Self.referenceBias, referenceNoise: 0.3)
        bus = SimulatedI2CBus(name: Self.busName, bench: bench)
        controller = SimulatedPressureController(identity: Self.controllerIdentity, range: 2_000...120_000,
                                                 stabilityBand: 0.5, bench: bench)
    }

    /// A real BMP388 NVM dump (reference/sensors.md §6 V2) with PAR_T1 and PAR_P5 trimmed per unit, as the
    /// factory trims each part differently.
    static func nvm(trimmedBy random: inout SeededRandom) -> [UInt8] {
        var bytes: [UInt8] = [0x23, 0x6B, 0x58, 0x49, 0xF6, 0x5C, 0xFF, 0xCE, 0xF4, 0x23, 0x00,
                              0xEA, 0x63, 0x6E, 0x79, 0xF3, 0xF6, 0xAA, 0x43, 0x12, 0xC4]
        func adjust(_ index: Int, by delta: Int) {
            let value = UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8
            let trimmed = UInt16(truncatingIfNeeded: Int(value) + delta)
            bytes[index] = UInt8(trimmed & 0xFF)
            bytes[index + 1] = UInt8(trimmed >> 8)
        }
        adjust(0, by: Int((random.unit() - 0.5) * 400))     // PAR_T1 ±200 LSB
        adjust(11, by: Int((random.unit() - 0.5) * 200))    // PAR_P5 ±100 LSB
        return bytes
    }

    /// The rig file of this rig, in the same format as `/etc/sensorqual/rig.yaml`. The simulated controller's
    /// certificate is always in date: it was "calibrated" 180 days before `today`, due a year after that.
    public func rigFile(today: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let due = formatter.string(from: today.addingTimeInterval(185 * 86_400))
        var text = """
        # The built-in simulated rig (sensorquald --simulate).
        rig: sim-bench
        description: Simulated bench, 4 × BMP390 behind a TCA9548A, simulated CPC6050-class controller
        buses:
          - id: bus1
            device: \(Self.busName)
            muxes:
              - id: mux0
                chip: tca9548a
                address: 0x70
        references:
          - id: pc1
            kind: pressure-controller
            link: sim:pressure-controller
            model: Simulated CPC6050-class pressure controller
            range_pa: [2000, 120000]
            certificate:
              id: SIM-CAL-2026-0001
              expanded_uncertainty_pa: 8
              coverage_factor: 2
              due: \(due)
            head_height_m: 0
        slots:

        """
        for unit in units {
            text += """
              - id: \(unit.slot)
                bus: bus1
                mux: {id: mux0, channel: \(unit.channel)}
                address: \(unit.address)
                chip: bmp390

            """
        }
        return text
    }
}
