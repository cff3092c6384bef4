import Foundation
import SensorDrivers
import SensorIO

/// The simulated rig's gas side: a 0.1 L flow-through chamber flushed at 1 L/min (τ = 6 s, sensors.md §8.7) fed by two
/// MFC lines on loopback sockets, one diluting a 10 000 ppm CO2 cylinder and one a 20 ppm ethanol cylinder with zero
/// air, and three DUTs behind mux channel 6: an SCD41 (CO2), an SGP41 and an ENS160 (MOx, ethanol).
///
/// The lot's errors are modelling assumptions, not datasheet figures: an SCD41 with a 2 % gain error and a −25 ppm
/// offset (inside its ±(40 ppm + 5 %)), MOx parts with their own sensitivities. The chamber passes the flush check for
/// the SCD41 (τ_ch ≤ 0.1·t63 = 6 s) and fails it for the MOx parts (t63 ≈ 5–10 s): their response times are the
/// chamber's as much as theirs, as a real chamber would show.
extension SimulatedRig {
    public struct GasUnit: Sendable {
        public var slot: String
        public var chip: String
        public var channel: Int
        public var address: I2CAddress
    }

    /// The cylinders the simulated MFC lines dilute.
    public static let gasCylinders: [(gas: String, ppm: Double, certificate: String)] = [
        ("co2", 10_000, "SIM-CYL-CO2-0042"), ("ethanol", 20, "SIM-CYL-ETOH-0017"),
    ]
    public static let gasChamberVolumeLitres = 0.1
    public static let gasTotalFlow = 1.0

    static var gasLot: [GasUnit] {
        [
            GasUnit(slot: "G1", chip: "scd41", channel: 6, address: I2CAddress(0x62)),
            GasUnit(slot: "G2", chip: "sgp41", channel: 6, address: I2CAddress(0x59)),
            GasUnit(slot: "G3", chip: "ens160", channel: 6, address: I2CAddress(0x52)),
        ]
    }

    static func gasModels(_ lot: [GasUnit], random: SeededRandom) -> [(channel: Int?, address: I2CAddress, model: any SimulatedI2CChip)] {
        lot.enumerated().map { index, unit in
            let noise = random.derived(UInt64(index) + 401)
            let model: any SimulatedI2CChip = switch unit.chip {
            case "scd41": SCD41Model(errors: .init(gain: 1.02, offset: -25), random: noise)
            case "sgp41": SGP41Model(errors: .init(gain: 1.0), random: noise)
            default: ENS160Model(random: noise)
            }
            return (unit.channel, unit.address, model)
        }
    }

    /// Serves one simulated MFC line per cylinder on loopback sockets; stop them when done.
    public func startGasMixers() throws -> [SimulatedMassFlowLine] {
        var lines: [SimulatedMassFlowLine] = []
        for (index, cylinder) in Self.gasCylinders.enumerated() {
            do {
                lines.append(try SimulatedMassFlowLine(bench: bench, cylinderGas: cylinder.gas, cylinderPPM: cylinder.ppm,
                                                       seed: seed &+ UInt64(index) &+ 11))
            } catch {
                for line in lines { line.stop() }
                throw SimulatedRigError(description: "cannot serve the simulated MFC line for \(cylinder.gas): \(error)")
            }
        }
        return lines
    }

    /// The rig file's gas part: one mixer reference per line (`links` in `gasCylinders` order, or `manual`) and the slots.
    func gasRigFile(due: String, links: [String]) -> (references: String, slots: String) {
        var references = ""
        for (cylinder, link) in zip(Self.gasCylinders, links) {
            references += """
              - id: mix-\(cylinder.gas)
                kind: gas-mixer
                link: \(link)
                model: Simulated MFC pair (500 sccm span, 2 slpm zero air), \(Int(cylinder.ppm)) ppm \(cylinder.gas) cylinder
                mixer: {gas: \(cylinder.gas), cylinder_ppm: \(cylinder.ppm), total_flow_l_per_min: \(Self.gasTotalFlow), chamber_volume_l: \(Self.gasChamberVolumeLitres),
                        span: {unit: A, full_scale: 500, flow_unit: sccm}, zero: {unit: B, full_scale: 2, flow_unit: slpm}}
                certificate: {id: \(cylinder.certificate), expanded_uncertainty_percent: 1, coverage_factor: 2, due: \(due)}

            """
        }
        var slots = ""
        for unit in gasSensors {
            slots += """
              - id: \(unit.slot)
                bus: bus1
                mux: {id: mux0, channel: \(unit.channel)}
                address: \(unit.address)
                chip: \(unit.chip)

            """
        }
        return (references, slots)
    }
}
