import SensorDrivers
import SensorIO

extension SimulatedRig {
    /// Which units the simulated rig holds.
    public enum Lot: String, Sendable, CaseIterable {
        /// One unit of each catalog chip, errors chosen so that a demo shows every verdict (`sensorquald --simulate`).
        case demo
        /// A production rig's size, for `make bench`: 16 BMP390 (two per mux channel, 0x76 and 0x77), 8 magnetometers
        /// (MMC5983MA and LIS3MDL, both able to run at 1 kHz), 8 microphones with a reference microphone on one
        /// nine-channel 24-bit 48 kHz stream, and 8 gas sensors (ENS160 and SGP41, 1 Hz parts). Everything sits behind
        /// the one TCA9548A, as in the demo, but its transfers take no run time: one 400 kHz bus cannot carry 16 × 200 Hz
        /// and 8 × 1 kHz readings (a real rig of this size spreads them over several buses, or SPI), and the bench
        /// measures the computer's pipeline, not the bus.
        case representative
    }

    /// The demo lot's stream: five channels, 32-bit words.
    static let demoAudioFormat = PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 5)
    /// The representative lot's stream: eight microphones and the reference, packed 24-bit.
    static let representativeAudioFormat = PCMStreamFormat(sample: .s24Packed, sampleRate: 48_000, channels: 9)

    /// Sixteen BMP390 units, each with its own offset, gain error, noise and temperature offset drawn from `random`:
    /// a lot within the ±100 Pa limit, none of them chosen to show a verdict.
    static func representativePressureLot(random: SeededRandom) -> [PressureLotEntry] {
        var random = random
        return (0..<16).map { index in
            func uniform(_ range: ClosedRange<Double>) -> Double {
                range.lowerBound + random.unit() * (range.upperBound - range.lowerBound)
            }
            let errors = PressureUnitErrors(offset: uniform(-60...60), gainErrorPPM: uniform(-250...250),
                                            noiseAtX1: uniform(1.2...1.6), driftRandomWalk: 0.004,
                                            temperatureOffset: uniform(-0.4...0.4))
            return ("S\(index + 1)", "bmp390", index / 2, index % 2 == 0 ? 0x76 : 0x77, errors)
        }
    }

    /// Four MMC5983MA (0x30) on mux channels 0–3 and four LIS3MDL (0x1C) on 4–7, with scale errors, leans and
    /// offsets of the demo lot's size.
    static var representativeMagnetometerLot: [MagnetometerUnit] {
        (0..<8).map { index in
            let sign = index % 2 == 0 ? 1.0 : -1.0
            let step = Double(index) * 0.002
            let isMMC = index < 4
            return MagnetometerUnit(
                slot: "B\(index + 1)", chip: isMMC ? "mmc5983ma" : "lis3mdl", channel: index,
                address: I2CAddress(isMMC ? 0x30 : 0x1C),
                scaleErrors: [sign * (0.012 + step), -sign * (0.009 + step), 0.015 - step],
                leans: (sign * 0.004, -0.003 + step, 0.002),
                offset: isMMC ? FieldVector(x: 0, y: 0, z: 0)
                    : FieldVector(x: 1.8 * sign, y: -2.6 + step * 100, z: 0.9))
        }
    }

    /// Four ENS160 (0x52) on mux channels 0–3 and four SGP41 (0x59) on 4–7.
    static var representativeGasLot: [GasUnit] {
        (0..<8).map { index in
            GasUnit(slot: "G\(index + 1)", chip: index < 4 ? "ens160" : "sgp41", channel: index,
                    address: I2CAddress(index < 4 ? 0x52 : 0x59))
        }
    }

    /// The demo's four microphones twice over, on channels 0–7; the reference microphone on channel 8.
    static var representativeMicrophoneLot: [MicrophoneUnit] {
        (microphoneLot + microphoneLot).enumerated().map { index, unit in
            MicrophoneUnit(slot: "M\(index + 1)", chip: unit.chip, channel: index, model: unit.model)
        }
    }

    /// The rig file's `description`.
    var rigDescription: String {
        switch lot {
        case .demo:
            "Simulated bench behind a TCA9548A — 4 × BMP390, BMP581, DPS310, LPS22HH, MS5611 on a CPC6050-class controller; RM3100, MMC5983MA, LIS3MDL, BMM150 and a fluxgate in a shielded coil set; SCD41, SGP41, ENS160 in a flow-through gas chamber"
        case .representative:
            "Simulated production rig behind a TCA9548A — 16 × BMP390 on a CPC6050-class controller; 4 × MMC5983MA and 4 × LIS3MDL in a shielded coil set; 8 microphones on a 9-channel 24-bit 48 kHz interface; 4 × ENS160 and 4 × SGP41 in a flow-through gas chamber"
        }
    }
}
