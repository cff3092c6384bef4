import SensorDrivers
import SensorIO

// The magnetic parts of the rig file: the field source (a coil set and its current source, or the technician with a
// reference magnetometer) and fluxgates read through an I2C ADC.
//
//     references:
//       - id: coil1
//         kind: field-source
//         link: scpi-tcp://192.168.1.40:5025        # or scpi-serial://…, manual, sim:coil
//         model: 3-axis Helmholtz coil HC-300 on a Keysight E36313A
//         scpi: {dialect: keysight-e36300}
//         coil: {constant_ut_per_a: [100.2, 99.8, 100.5], max_current_a: 1, current_accuracy: {percent_of_reading: 0.05, offset_a: 0.0005}}
//         certificate: {id: CAL-1234, expanded_uncertainty_percent: 0.2, coverage_factor: 2, due: 2027-05-01}
//     slots:
//       - {id: B5, bus: bus1, address: 0x40, chip: fluxgate-ads122c04,
//          fluxgate: {volts_per_ut: [0.1, 0.1, 0.1], zero_v: [0, 0, 0], inputs: [0, 1, 2], gain: 1}}

extension Rig {
    /// A field source's coil set (sensors.md §8.5 item 4): the field per ampere on each axis from the coil's
    /// certificate (its relative uncertainty is the certificate's `expanded_uncertainty_percent`), the current the
    /// coils may carry, and the current source's reading accuracy ±(% of reading + offset).
    public struct CoilSettings: Sendable, Equatable, Codable {
        public var constantMicroteslaPerAmpere: [Double]
        public var maximumCurrent: Double
        public var currentAccuracyFraction: Double
        public var currentAccuracyOffset: Double
    }

    /// A fluxgate's three analog outputs on an I2C delta-sigma ADC: V/µT and zero-field output per axis from the
    /// fluxgate's certificate, the ADC input (AIN0–AIN3, single-ended) of each axis and the gain.
    public struct AnalogFluxgate: Sendable, Equatable, Codable {
        public var voltsPerMicrotesla: [Double]
        public var zeroVolts: [Double]
        public var inputs: [Int]
        public var gain: Int
    }
}

extension Rig.Reference {
    /// The coil's calibration as the current source driver takes it; nil when the reference has no coil.
    public var helmholtzCoil: HelmholtzCoil? {
        guard let coil, let certificate, certificate.unit == "%" else { return nil }
        let k = coil.constantMicroteslaPerAmpere
        let u = k.map { abs($0) * certificate.expandedUncertainty / 100 }
        return HelmholtzCoil(constant: FieldVector(x: k[0], y: k[1], z: k[2]), expandedUncertainty: FieldVector(x: u[0], y: u[1], z: u[2]),
                             coverageFactor: certificate.coverageFactor, maximumCurrent: coil.maximumCurrent, certificate: certificate.id)
    }

    /// The source's current-reading accuracy from the rig file.
    public var currentAccuracy: CurrentAccuracy? {
        coil.map { CurrentAccuracy(fractionOfReading: $0.currentAccuracyFraction, offsetAmperes: $0.currentAccuracyOffset) }
    }
}

extension Rig {
    func validateFieldSource(_ reference: Reference, at path: [PathKey], file: YAMLFile) throws(ConfigurationError) {
        let id = reference.id
        guard let certificate = reference.certificate else {
            throw file.error(at: path, "field source \(id): the certificate is missing (the coil constant's, or the reference magnetometer's for manual)")
        }
        if reference.link == "manual" {
            guard certificate.unit == "µT" else {
                throw file.error(at: path + [PathKey("certificate")], "field source \(id): with link manual the technician reads a reference "
                    + "magnetometer; its certificate states expanded_uncertainty_ut")
            }
        } else {
            guard reference.link.hasPrefix("scpi-") || reference.link.hasPrefix("sim:") else {
                throw file.error(at: path + [PathKey("link")], "field source \(id): link '\(reference.link)' is not scpi-tcp://, scpi-serial://, manual or sim:")
            }
            guard let coil = reference.coil else {
                throw file.error(at: path, "field source \(id): a driven coil states coil: {constant_ut_per_a, max_current_a, current_accuracy}")
            }
            guard certificate.unit == "%" else {
                throw file.error(at: path + [PathKey("certificate")], "field source \(id): the coil's certificate states the constant's "
                    + "expanded_uncertainty_percent")
            }
            guard coil.constantMicroteslaPerAmpere.count == 3, coil.constantMicroteslaPerAmpere.allSatisfy({ $0.isFinite && $0 != 0 }) else {
                throw file.error(at: path + [PathKey("coil"), PathKey("constant_ut_per_a")],
                                 "field source \(id): constant_ut_per_a is three non-zero values, µT/A for the x, y and z coils")
            }
            guard coil.maximumCurrent > 0, coil.currentAccuracyFraction >= 0, coil.currentAccuracyOffset >= 0 else {
                throw file.error(at: path + [PathKey("coil")], "field source \(id): max_current_a must be positive and the current accuracy not negative")
            }
            if reference.link.hasPrefix("scpi-") {
                do throws(FieldSourceLink.LinkError) { _ = try FieldSourceLink.commandSet(for: reference) } catch {
                    throw file.error(at: path + [PathKey("scpi")], error.description)
                }
                do throws(InstrumentLinkError) { _ = try InstrumentAddress(parsing: reference.link) } catch {
                    throw file.error(at: path + [PathKey("link")], "field source \(id): \(error)")
                }
            }
        }
        if certificate.expandedUncertainty <= 0 || certificate.coverageFactor <= 0 {
            throw file.error(at: path + [PathKey("certificate")], "field source \(id): certificate uncertainty and coverage factor must be positive")
        }
        if certificate.dueDate == nil {
            throw file.error(at: path + [PathKey("certificate"), PathKey("due")],
                             "field source \(id): certificate due date '\(certificate.due)' is not YYYY-MM-DD")
        }
    }

    /// A fluxgate chip needs its `fluxgate:` block; no other chip takes one.
    func validateFluxgates(file: YAMLFile, catalog: ChipCatalog) throws(ConfigurationError) {
        for (index, slot) in slots.enumerated() {
            let at = [PathKey("slots"), PathKey(index)]
            let needsCalibration = catalog.chip(slot.chip)?.driver == FluxgateADC.driverName
            guard let fluxgate = slot.fluxgate else {
                if needsCalibration {
                    throw file.error(at: at, "slot \(slot.id): a \(slot.chip) needs fluxgate: {volts_per_ut, zero_v, inputs, gain} from the fluxgate's certificate")
                }
                continue
            }
            guard needsCalibration else {
                throw file.error(at: at + [PathKey("fluxgate")], "slot \(slot.id): fluxgate: applies to a fluxgate read through an ADC, not a \(slot.chip)")
            }
            guard fluxgate.voltsPerMicrotesla.count == 3, fluxgate.voltsPerMicrotesla.allSatisfy({ $0.isFinite && $0 != 0 }),
                  fluxgate.zeroVolts.count == 3, fluxgate.zeroVolts.allSatisfy(\.isFinite) else {
                throw file.error(at: at + [PathKey("fluxgate")], "slot \(slot.id): volts_per_ut and zero_v are three finite values each (x, y, z), volts_per_ut non-zero")
            }
            guard fluxgate.inputs.count == 3, Set(fluxgate.inputs).count == 3, fluxgate.inputs.allSatisfy({ (0...3).contains($0) }) else {
                throw file.error(at: at + [PathKey("fluxgate"), PathKey("inputs")], "slot \(slot.id): inputs are three distinct ADC inputs AIN0–AIN3 (0–3)")
            }
            // Single-ended inputs bypass the PGA: gains 1, 2 and 4 only (ADS122C04 datasheet §8.3.2.2).
            guard [1, 2, 4].contains(fluxgate.gain) else {
                throw file.error(at: at + [PathKey("fluxgate"), PathKey("gain")], "slot \(slot.id): gain is 1, 2 or 4 on single-ended inputs, not \(fluxgate.gain)")
            }
        }
    }
}

struct CoilDocument: Decodable {
    var constant_ut_per_a: [Double]
    var max_current_a: Double
    var current_accuracy: Accuracy?

    struct Accuracy: Decodable { var percent_of_reading: Double; var offset_a: Double }

    var coil: Rig.CoilSettings {
        Rig.CoilSettings(constantMicroteslaPerAmpere: constant_ut_per_a, maximumCurrent: max_current_a,
                         currentAccuracyFraction: (current_accuracy?.percent_of_reading ?? 0) / 100,
                         currentAccuracyOffset: current_accuracy?.offset_a ?? 0)
    }
}

struct FluxgateDocument: Decodable {
    var volts_per_ut: [Double]
    var zero_v: [Double]?
    var inputs: [Int]?
    var gain: Int?

    var fluxgate: Rig.AnalogFluxgate {
        Rig.AnalogFluxgate(voltsPerMicrotesla: volts_per_ut, zeroVolts: zero_v ?? [0, 0, 0], inputs: inputs ?? [0, 1, 2], gain: gain ?? 1)
    }
}
