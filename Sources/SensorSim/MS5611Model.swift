import SensorDrivers

/// Command-level model of a TE MS5611-01BA03 (reference/sensors.md §2.5, §7): RESET, PROM_READ, CONVERT D1/D2
/// at the five OSRs with their maximum conversion times, and ADC_READ. D1 and D2 are made by inverting the
/// driver's own integer compensation (`MS5611Calibration`), rounded like the ADC, so a correct driver reads the
/// unit's indicated pressure to within its 1 Pa integer output.
///
/// What a careless driver runs into:
/// - ADC_READ gives 0 when no conversion ran, when the result was already read, and during a conversion.
/// - An ADC_READ or a CONVERT during a conversion does not stop it but spoils its result; a spoiled result
///   reads half its code, a stand-in for the datasheet's "the final result will be wrong" [unverified
///   recollection of the datasheet's ADC read notes]. The CONVERT itself is ignored.
/// - For `resetTime` after RESET the chip reloads its PROM and ignores commands.
struct MS5611Model: SimulatedI2CChip {
    /// PROM reload after RESET, s: below the 3 ms the driver waits, as the datasheet's 2.8 ms reset time
    /// [unverified] is below the kernel's 3–4 ms.
    static let resetTime = 0.0028

    let calibration: MS5611Calibration
    private var unit: SimulatedPressureUnit
    private var reloadingUntil = -Double.infinity
    private var conversion: Conversion?
    /// What the next plain read returns: a PROM word or an ADC result.
    private var output: [UInt8] = []
    /// The latest D2 the chip produced: the pressure cell's temperature as the compensation will see it.
    private var latestD2: Int64?

    struct Conversion {
        var pressure: Bool
        var oversampling: MS5611.Oversampling
        var end: Double
        var spoiled = false
    }

    /// - Parameter prom: the 16 PROM bytes (eight big-endian words with a valid CRC-4 in word 7).
    init(prom: [UInt8], errors: PressureUnitErrors, random: SeededRandom) {
        do throws(DriverError) {
            calibration = try MS5611Calibration(prom: prom)
        } catch {
            preconditionFailure("MS5611 model needs a valid PROM: \(error)")
        }
        unit = SimulatedPressureUnit(errors: errors, random: random)
    }

    /// The white pressure noise at an OSR, Pa: `noiseAtX1` is read as the noise at the lowest OSR, 256, and
    /// falls as √(256/OSR).
    static func noise(_ errors: PressureUnitErrors, oversampling: MS5611.Oversampling) -> Double {
        errors.noise(oversampling: oversampling.rawValue / 256)
    }

    // MARK: I2C

    /// A command byte, each in its own write.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        let chamber = environment.pressure
        guard let command = bytes.first else { return }
        if command == MS5611.Command.reset {
            reloadingUntil = time + Self.resetTime
            conversion = nil
            output = []
            return
        }
        guard time >= reloadingUntil else { return }
        switch command {
        case MS5611.Command.adcRead:
            output = adcResult(at: time, chamber: chamber)
        case MS5611.Command.promRead...(MS5611.Command.promRead + 14) where command & 1 == 0:
            let index = Int(command - MS5611.Command.promRead)
            output = Array(calibration.prom[index...index + 1])
        case MS5611.Command.convertPressure...(MS5611.Command.convertPressure + 8) where command & 1 == 0,
             MS5611.Command.convertTemperature...(MS5611.Command.convertTemperature + 8) where command & 1 == 0:
            if var running = conversion, time < running.end {
                running.spoiled = true
                conversion = running
                return
            }
            let oversampling = MS5611.Oversampling.allCases[Int(command & 0x0F) / 2]
            conversion = Conversion(pressure: command & 0xF0 == MS5611.Command.convertPressure,
                                    oversampling: oversampling, end: time + oversampling.maximumConversionTime)
        default:
            break
        }
    }

    /// A plain read: the answer the last command prepared, zeros past it.
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        (0..<count).map { $0 < output.count ? output[$0] : 0 }
    }

    // MARK: Conversions

    /// ADC_READ: the finished conversion's code (then gone), or 0 with nothing to read or a conversion running.
    private mutating func adcResult(at time: Double, chamber: PressureChamber) -> [UInt8] {
        guard var finished = conversion else { return [0, 0, 0] }
        guard time >= finished.end else {
            finished.spoiled = true
            conversion = finished
            return [0, 0, 0]
        }
        conversion = nil
        var code = finished.pressure ? pressureCode(finished, chamber: chamber) : temperatureCode(finished, chamber: chamber)
        if finished.spoiled { code /= 2 }
        return [UInt8(code >> 16), UInt8((code >> 8) & 0xFF), UInt8(code & 0xFF)]
    }

    private mutating func temperatureCode(_ conversion: Conversion, chamber: PressureChamber) -> Int64 {
        let celsius = unit.indicated(at: conversion.end, chamber: chamber, noise: 0).temperature
        let d2 = rawTemperature(for: celsius)
        latestD2 = d2
        return d2
    }

    private mutating func pressureCode(_ conversion: Conversion, chamber: PressureChamber) -> Int64 {
        let indicated = unit.indicated(at: conversion.end, chamber: chamber,
                                       noise: Self.noise(unit.errors, oversampling: conversion.oversampling))
        let d2 = latestD2 ?? rawTemperature(for: indicated.temperature)
        let terms = calibration.compensate(d1: 0, d2: d2)
        // P = (D1·SENS/2^21 − OFF)/2^15 solved for D1 in reals.
        let d1 = (indicated.pressure * 0x1p15 + Double(terms.offset)) * 0x1p21 / Double(terms.sensitivity)
        return clamp24(d1)
    }

    /// D2 for a temperature: TEMP = 2000 + dT·C6/2^23 (− dT²/2^31 below 20 °C), solved for dT by Newton's
    /// method from the first-order answer, rounded like the ADC.
    private func rawTemperature(for celsius: Double) -> Int64 {
        let target = celsius * 100
        let c6 = Double(calibration.c6)
        var dT = (target - 2000) * 0x1p23 / c6
        if target < 2000 {
            for _ in 0..<6 {
                let f = 2000 + dT * c6 / 0x1p23 - dT * dT / 0x1p31 - target
                dT -= f / (c6 / 0x1p23 - 2 * dT / 0x1p31)
            }
        }
        return clamp24(Double(calibration.c5) * 256 + dT)
    }

    /// A 24-bit ADC code; 0 is what the chip gives for "no result", so a real conversion is at least 1.
    private func clamp24(_ value: Double) -> Int64 {
        Int64(Swift.min(Swift.max(value.rounded(), 1), Double(0xFF_FFFF)))
    }
}
