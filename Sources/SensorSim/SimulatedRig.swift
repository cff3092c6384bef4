import Foundation
import SensorDrivers
import SensorIO

/// The built-in simulated rig that `sensorquald --simulate` runs: one simulated I2C adapter with a
/// TCA9548A at 0x70, four BMP390 units behind channels 0 and 1 and one unit of each other pressure chip
/// (BMP581, LPS22HH on channel 2; DPS310, MS5611 on channel 3), a simulated GPIO chip wiring S1's INT pin
/// and supply, and a simulated pressure controller on the shared manifold.
///
/// The units form a deliberate lot, so a demo shows every verdict against miit-2020: good units, a large
/// but conforming offset, a unit inside the guard band of ±100 Pa, a noisy unit far off, an LPS22HH just
/// above the 0.6 Pa noise limit as its datasheet predicts, and an MS5611 outside both limits.
public struct SimulatedRig: Sendable {
    /// One simulated DUT and the errors the qualification is expected to find.
    public struct Unit: Sendable {
        public var slot: String
        /// Catalog chip name.
        public var chip: String
        public var channel: Int
        public var address: I2CAddress
        public var errors: PressureUnitErrors
        /// The unit's calibration bytes as its driver reads them (BMP390 NVM, DPS310 COEF, MS5611 PROM);
        /// empty for on-chip compensated parts.
        public var calibration: [UInt8]
        /// Offsets on the simulated GPIO chip of the unit's INT pin and supply, when wired.
        public var dataReadyLine: UInt32?
        public var powerLine: UInt32?
    }

    public static let busName = "sim:i2c-1"
    public static let gpioChip = "sim:gpio"
    public static let muxAddress = I2CAddress(0x70)
    public static let controllerIdentity = "SensorQual,SIM-CPC6050,SIM0001,1.0"
    /// The SCPI dialect the simulated controller speaks on its socket.
    public static let controllerDialect = "mensor-cpc6000"
    /// The rig file id of the simulated pressure controller.
    public static let controllerReferenceID = "pc1"
    /// The simulated controller's bias, Pa: inside its certificate's U = 8 Pa (k = 2).
    public static let referenceBias = 1.5
    /// A real DPS310 coefficient set (sensors.md §6 V4, Infineon issue #30).
    static let dps310Coefficients: [UInt8] = [0x0D, 0xEE, 0xD7, 0x13, 0x7D, 0x8F, 0x24, 0x0C, 0xF7,
                                              0x09, 0x05, 0xA4, 0xDA, 0x1B, 0x00, 0x6F, 0xFA, 0xF7]
    /// The MS5611 datasheet example PROM (sensors.md §6 V5) with word 0 = 0 and its CRC-4 nibble in word 7.
    static let ms5611PROM: [UInt8] = [0x00, 0x00, 0x9C, 0xBF, 0x90, 0x3C, 0x5B, 0x15, 0x5A, 0xF2,
                                      0x82, 0xB8, 0x6E, 0x98, 0x45, 0x08]

    public let seed: UInt64
    public let lot: Lot
    public let units: [Unit]
    public let clock: SimulatedClock
    public let bench: SimulatedBench
    public let bus: SimulatedI2CBus
    public let controller: SimulatedPressureController
    /// The acoustic chamber and its microphones (`SimulatedRig+Microphones.swift`).
    public let chamber: AcousticChamber
    public let microphones: [MicrophoneUnit]
    /// The chamber's capture stream: every microphone and, on the last channel, the reference microphone.
    public let audioFormat: PCMStreamFormat
    /// The magnetometers in the shield and the coil's current source (`SimulatedRig+Magnetic.swift`).
    public let magnetometers: [MagnetometerUnit]
    public let currentSource: SimulatedCurrentSource
    /// The gas sensors in the flow-through chamber (`SimulatedRig+Gas.swift`).
    public let gasSensors: [GasUnit]

    /// Builds the rig. The seed sets the noise realisations and the BMP390 units' NVM trimming; the lot's
    /// errors are fixed so that every seed shows the same kinds of unit. `clock` is virtual unless a paced
    /// one is given.
    public init(seed: UInt64 = 1, clock: SimulatedClock = SimulatedClock(), lot: Lot = .demo) {
        self.seed = seed
        self.lot = lot
        let random = SeededRandom(seed: seed)
        let pressureLot = lot == .demo ? Self.demoPressureLot : Self.representativePressureLot(random: random.derived(500))
        units = pressureLot.enumerated().map { index, entry in
            var trim = random.derived(UInt64(index) + 1)
            let calibration: [UInt8] = switch entry.1 {
            case "bmp390": Self.nvm(trimmedBy: &trim)
            case "dps310": Self.dps310Coefficients
            case "ms5611": Self.ms5611PROM
            default: []
            }
            return Unit(slot: entry.0, chip: entry.1, channel: entry.2, address: I2CAddress(entry.3), errors: entry.4,
                        calibration: calibration, dataReadyLine: index == 0 ? 0 : nil, powerLine: index == 0 ? 8 : nil)
        }
        self.clock = clock
        magnetometers = lot == .demo ? Self.magnetometerLot : Self.representativeMagnetometerLot
        gasSensors = lot == .demo ? Self.gasLot : Self.representativeGasLot
        let pressureModels: [(channel: Int?, address: I2CAddress, model: any SimulatedI2CChip)] = units.enumerated().map { index, unit in
                let noise = random.derived(UInt64(index) + 101)
                let model: any SimulatedI2CChip = switch unit.chip {
                case "bmp581": BMP581Model(errors: unit.errors, random: noise)
                case "lps22hh": LPS22HHModel(errors: unit.errors, random: noise)
                // Powered long before the daemon starts: its coefficients and sensor are ready.
                case "dps310": DPS310Model(coefficients: unit.calibration, errors: unit.errors, random: noise, poweredAt: -1)
                case "ms5611": MS5611Model(prom: unit.calibration, errors: unit.errors, random: noise)
                default: BMP390Model(nvm: unit.calibration, errors: unit.errors, random: noise)
                }
                return (unit.channel, unit.address, model)
            }
        bench = SimulatedBench(
            clock: clock, muxAddress: Self.muxAddress,
            units: pressureModels + Self.magnetometerModels(magnetometers, random: random) + Self.gasModels(gasSensors, random: random),
            referenceRandom: random.derived(999), referenceBias: Self.referenceBias, referenceNoise: 0.3,
            busClock: lot == .demo ? SimulatedBench.fastModeClock : nil)
        // The true coil constant: within the certificate's 0.2 % (k = 2) of what it states.
        let k = Self.coilTrueConstant
        bench.setCoilConstant(FieldVector(x: k[0], y: k[1], z: k[2]))
        currentSource = SimulatedCurrentSource(identity: Self.currentSourceIdentity, bench: bench, maximumCurrent: 3, bipolar: true,
                                               seed: seed &+ 5)
        bus = SimulatedI2CBus(name: Self.busName, bench: bench)
        controller = SimulatedPressureController(identity: Self.controllerIdentity, range: 2_000...120_000,
                                                 stabilityBand: 0.5, bench: bench)
        microphones = lot == .demo ? Self.microphoneLot : Self.representativeMicrophoneLot
        audioFormat = lot == .demo ? Self.demoAudioFormat : Self.representativeAudioFormat
        chamber = Self.chamber(microphones: microphones, format: audioFormat, seed: seed)
    }

    /// One pressure unit of a lot: slot, catalog chip, mux channel, address and its errors.
    typealias PressureLotEntry = (slot: String, chip: String, channel: Int, address: UInt8, errors: PressureUnitErrors)

    /// The demo lot's pressure units.
    static var demoPressureLot: [PressureLotEntry] {
        typealias E = PressureUnitErrors
        // noiseAtX1 is each model's noise at its lowest oversampling (DPS310 ×1: 2.5 Pa datasheet precision;
        // MS5611 OSR 256; LPS22HH low-noise mode; BMP581 ×1: Table 9's 0.78 Pa).
        return [
            ("S1", "bmp390", 0, 0x76, E(offset: 14, gainErrorPPM: 120, noiseAtX1: 1.2, driftRandomWalk: 0.004, temperatureOffset: 0.2)),
            ("S2", "bmp390", 0, 0x77, E(offset: -47, gainErrorPPM: -310, noiseAtX1: 1.4, driftRandomWalk: 0.004, temperatureOffset: -0.3)),
            ("S3", "bmp390", 1, 0x76, E(offset: 93, gainErrorPPM: 260, noiseAtX1: 1.3, driftRandomWalk: 0.005, temperatureOffset: 0.1)),
            ("S4", "bmp390", 1, 0x77, E(offset: -128, gainErrorPPM: 90, noiseAtX1: 2.9, driftRandomWalk: 0.006, temperatureOffset: 0.4)),
            ("S5", "bmp581", 2, 0x47, E(offset: 22, gainErrorPPM: 80, noiseAtX1: 0.78, driftRandomWalk: 0.003, temperatureOffset: 0.1)),
            ("S6", "dps310", 3, 0x77, E(offset: -61, gainErrorPPM: 200, noiseAtX1: 2.5, driftRandomWalk: 0.004, temperatureOffset: -0.2)),
            ("S7", "lps22hh", 2, 0x5D, E(offset: 35, gainErrorPPM: -150, noiseAtX1: 0.7, driftRandomWalk: 0.004, temperatureOffset: 0.3)),
            ("S8", "ms5611", 3, 0x76, E(offset: -140, gainErrorPPM: 300, noiseAtX1: 4.8, driftRandomWalk: 0.008, temperatureOffset: -0.5)),
        ]
    }

    /// Serves the simulated controller over a real loopback TCP socket in its SCPI dialect, so that the
    /// daemon reaches it through the same SCPI driver as a real controller. Stop it when done.
    public func startSCPIServer() throws -> SimulatedSCPIServer {
        try SimulatedSCPIServer(controller: controller, commands: SCPICommandSet.presets[Self.controllerDialect]!,
                                endpoint: .tcpLoopback)
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
    /// `referenceLink` is where the controller is reached: `sim:pressure-controller` (in-process, for tests),
    /// a running `SimulatedSCPIServer`'s link, or `manual`.
    /// `fieldSourceLink` is the coil's current source (`sim:coil` in-process, or a `SimulatedCurrentSourceServer`'s
    /// link); `gasLinks` the MFC lines of `startGasMixers()` in `gasCylinders` order (none: the rig has no gas
    /// reference).
    public func rigFile(today: Date = Date(), referenceLink: String = "sim:pressure-controller", alsaConfig: String? = nil,
                        soundSourceLink: String = "sim:sound-source", fieldSourceLink: String = "sim:coil",
                        gasLinks: [String] = []) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        let due = formatter.string(from: today.addingTimeInterval(185 * 86_400))
        var text = """
        # The built-in simulated rig (sensorquald --simulate).
        rig: sim-bench
        description: \(rigDescription)
        buses:
          - id: bus1
            device: \(Self.busName)
            muxes:
              - id: mux0
                chip: tca9548a
                address: 0x70
        references:
          - id: \(Self.controllerReferenceID)
            kind: pressure-controller
            link: \(referenceLink)
            model: Simulated CPC6050-class pressure controller
            range_pa: [2000, 120000]
            certificate:
              id: SIM-CAL-2026-0001
              expanded_uncertainty_pa: 8
              coverage_factor: 2
              due: \(due)
            head_height_m: 0\(referenceLink.hasPrefix("scpi-") ? "\n    scpi: {dialect: \(Self.controllerDialect), timeout_s: 5}" : "")

        """
        let magnetic = magneticRigFile(due: due, fieldSourceLink: fieldSourceLink)
        let gas = gasRigFile(due: due, links: gasLinks)
        text += magnetic.references + gas.references
        // The microphones exist on the rig file only when their stream is fed (`alsaConfig`: the chamber feed's).
        if let alsaConfig {
            let audio = audioRigFile(alsaConfig: alsaConfig, due: due, soundSourceLink: soundSourceLink)
            text += audio.references + audio.sections
        }
        text += "slots:\n"
        for unit in units {
            text += """
              - id: \(unit.slot)
                bus: bus1
                mux: {id: mux0, channel: \(unit.channel)}
                address: \(unit.address)
                chip: \(unit.chip)

            """
            if let line = unit.dataReadyLine { text += "    data_ready: {chip: \(Self.gpioChip), line: \(line)}\n" }
            if let line = unit.powerLine { text += "    power: {chip: \(Self.gpioChip), line: \(line)}\n" }
        }
        text += magnetic.slots + gas.slots
        return text
    }
}
