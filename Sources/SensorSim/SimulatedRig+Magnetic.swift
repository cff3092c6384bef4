import Foundation
import SensorDrivers
import SensorIO

/// The simulated rig's magnetic side: a three-axis Helmholtz coil set inside a magnetic shield, driven by a
/// three-channel current source on a loopback SCPI socket, and five DUTs behind mux channels 4 and 5: one of each
/// catalog magnetometer and a reference-grade fluxgate read through an ADS122C04.
///
/// A deliberate lot against miit-2020's 1 pT resolution: every MEMS part misses it by 10³–10⁵, as §4 predicts;
/// the fluxgate comes within a factor of ten, as §8.6 says a fluxgate can. Each unit has its own offset and a
/// sensitivity matrix (scale errors of a few tenths of a percent to a few percent, axes leaning by a few mrad) for
/// the field-step plan to find; none of them is a datasheet figure.
extension SimulatedRig {
    /// One magnetometer of the lot and what the plan should find.
    public struct MagnetometerUnit: Sendable {
        public var slot: String
        public var chip: String
        public var channel: Int
        public var address: I2CAddress
        /// Scale errors per axis (0.01 = +1 %) and the axis leans, rad (`FieldResponse.unit`).
        public var scaleErrors: [Double]
        public var leans: (xy: Double, xz: Double, yz: Double)
        /// The unit's own offset, µT (board hard iron, bridge offset).
        public var offset: FieldVector
    }

    /// The coil constant, µT/A per axis, as its certificate states it; the bench's true constant differs by less than
    /// the certificate's 0.2 % (k = 2).
    public static let coilCertificateConstant = [100.05, 99.93, 100.12]
    public static let coilCertificateUncertaintyPercent = 0.2
    /// The bench's true coil constant, µT/A: what a unit's field steps are really made of.
    public static let coilTrueConstant = [100.09, 99.88, 100.15]
    public static let currentSourceIdentity = "SensorQual,SIM-E36312A,SIM0002,1.0"
    /// The fluxgate's output, V/µT, as its certificate and the rig file state it (±51 µT within the ADC's ±2.048 V).
    public static let fluxgateVoltsPerMicrotesla = 0.04

    static var magnetometerLot: [MagnetometerUnit] {
        [
            MagnetometerUnit(slot: "B1", chip: "rm3100", channel: 4, address: I2CAddress(0x20), scaleErrors: [0.012, -0.008, 0.015],
                             leans: (0.004, -0.003, 0.002), offset: FieldVector(x: 0.35, y: -0.21, z: 0.12)),
            MagnetometerUnit(slot: "B2", chip: "mmc5983ma", channel: 4, address: I2CAddress(0x30), scaleErrors: [-0.021, 0.017, 0.009],
                             leans: (-0.006, 0.005, 0.003), offset: FieldVector(x: 0, y: 0, z: 0)),
            MagnetometerUnit(slot: "B3", chip: "lis3mdl", channel: 4, address: I2CAddress(0x1C), scaleErrors: [0.031, -0.024, 0.018],
                             leans: (0.008, 0.006, -0.005), offset: FieldVector(x: 1.8, y: -2.6, z: 0.9)),
            MagnetometerUnit(slot: "B4", chip: "bmm150", channel: 4, address: I2CAddress(0x10), scaleErrors: [0.026, 0.034, -0.041],
                             leans: (-0.009, 0.007, 0.004), offset: FieldVector(x: -3.1, y: 1.4, z: 2.2)),
            MagnetometerUnit(slot: "B5", chip: "fluxgate-ads122c04", channel: 5, address: I2CAddress(0x40),
                             scaleErrors: [0.0005, -0.0004, 0.0006], leans: (0.0002, -0.0001, 0.0001), offset: FieldVector(x: 0.002, y: -0.001, z: 0.003)),
        ]
    }

    /// The register-level models of the lot.
    static func magnetometerModels(_ lot: [MagnetometerUnit], random: SeededRandom)
        -> [(channel: Int?, address: I2CAddress, model: any SimulatedI2CChip)] {
        lot.enumerated().map { index, unit in
            let noise = random.derived(UInt64(index) + 301)
            let response = FieldResponse.unit(scaleErrors: unit.scaleErrors, xy: unit.leans.xy, xz: unit.leans.xz, yz: unit.leans.yz)
            var model: any SimulatedI2CChip
            switch unit.chip {
            case "rm3100":
                var m = RM3100Model(offset: unit.offset, random: noise)
                m.response = response
                model = m
            case "mmc5983ma":
                var m = MMC5983MAModel(bridgeOffset: FieldVector(x: 12, y: -8, z: 5), random: noise)
                m.response = response
                model = m
            case "lis3mdl":
                var m = LIS3MDLModel(offset: unit.offset, random: noise)
                m.response = response
                model = m
            case "bmm150":
                var m = BMM150Model(offset: unit.offset, random: noise)
                m.response = response
                model = m
            default:
                let v = fluxgateVoltsPerMicrotesla
                var m = ADS122C04Model(
                    fluxgate: .init(inputs: [0x08, 0x09, 0x0A], voltsPerMicrotesla: FieldVector(x: v, y: v, z: v),
                                    zeroVolts: FieldVector(x: 0, y: 0, z: 0), appliedField: unit.offset),
                    adcNoise: 0, random: noise)
                m.response = response
                model = m
            }
            return (unit.channel, unit.address, model)
        }
    }

    /// The dialect the simulated current source speaks: the E36300's, bipolar (a ±3 A source).
    public static var coilCommands: CoilCurrentCommands {
        (try? CoilCurrentCommands.keysightE36300.overriding(["bipolar": "true"])) ?? .keysightE36300
    }

    /// The rig file's magnetic part: the coil source's reference and the slots.
    func magneticRigFile(due: String, fieldSourceLink: String) -> (references: String, slots: String) {
        let k = Self.coilCertificateConstant.map { String($0) }.joined(separator: ", ")
        // The technician reads a reference fluxgate (its certificate in µT); a driven coil states its constant.
        let certificate = fieldSourceLink == "manual"
            ? "{id: SIM-FLUX-2026-0004, expanded_uncertainty_ut: 0.02, coverage_factor: 2, due: \(due)}"
            : "{id: SIM-COIL-2026-0003, expanded_uncertainty_percent: \(Self.coilCertificateUncertaintyPercent), coverage_factor: 2, due: \(due)}"
        let references = """
          - id: coil1
            kind: field-source
            link: \(fieldSourceLink)
            model: Simulated 3-axis Helmholtz coil in a mu-metal shield, E36312A-class current source
            coil: {constant_ut_per_a: [\(k)], max_current_a: 1, current_accuracy: {percent_of_reading: 0.05, offset_a: 0.0005}}
            certificate: \(certificate)\(fieldSourceLink.hasPrefix("scpi-") ? "\n    scpi: {dialect: keysight-e36300, timeout_s: 5, commands: {bipolar: \"true\"}}" : "")

        """
        var slots = ""
        for unit in magnetometers {
            slots += """
              - id: \(unit.slot)
                bus: bus1
                mux: {id: mux0, channel: \(unit.channel)}
                address: \(unit.address)
                chip: \(unit.chip)

            """
            if unit.chip == "fluxgate-ads122c04" {
                let v = Self.fluxgateVoltsPerMicrotesla
                slots += "    fluxgate: {volts_per_ut: [\(v), \(v), \(v)], zero_v: [0, 0, 0], inputs: [0, 1, 2], gain: 1}\n"
            }
        }
        return (references, slots)
    }
}
