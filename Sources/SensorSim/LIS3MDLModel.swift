import SensorDrivers

/// Register-level model of an ST LIS3MDL (reference/sensors.md §3.3): WHO_AM_I, the CTRL_REG1…5 reset values,
/// continuous and single conversion (CTRL_REG3 MD) on the DO / FAST_ODR schedule, SOFT_RST, STATUS with per-axis
/// and ZYXDA/ZYXOR bits (an axis's bit is cleared by reading its high byte), the full scales, the temperature
/// output, and the I2C sub-address rule: a transfer auto-increments only when bit 7 of the sub-address is set, so
/// a burst sent to a plain address reads one register over and over, as the chip does (sensors.md §3.3, §7).
/// Raw counts invert the driver's conversion: counts = (field + offset + noise)·sensitivity/100, rounded and
/// clipped to int16; temperature counts = (T − 25)·8.
///
/// Modelling assumptions, none of them datasheet figures:
/// * the noise is white, `noiseUltraHigh` µT RMS per axis in UHP mode (datasheet, unverified: 3.2 mG X/Y and
///   4.1 mG Z at ±4 G), growing by √2 per step down to HP, MP and LP (each halves the averaging), independent of
///   the full scale;
/// * the first conversion is ready one period after the mode starts; a single conversion takes one period of the
///   set rate, after which MD reads 11 (power-down);
/// * BDU is stored but not modelled: a burst read is one transaction and so always one conversion.
struct LIS3MDLModel: BufferReadChip {
    private typealias Register = LIS3MDL.Register

    /// A field the unit sees besides the bench coil's (a test's fixed field, a board's hard iron), µT, chip axes.
    var appliedField: FieldVector
    /// The unit's scale and cross-axis response to the coil's field.
    var response = FieldResponse.ideal
    /// Die temperature, °C.
    var temperature: Double
    /// The unit's offset, µT (Hall/AMR null offset plus a board's hard iron).
    let offset: FieldVector
    /// White noise per axis in UHP mode, µT RMS.
    let noiseUltraHigh: FieldVector
    private var random: SeededRandom
    /// The register file in the model itself: an array was a uniqueness check (and a bounds check through its
    /// buffer) on every register a conversion stores.
    private var registers = InlineArray<0x80, UInt8>(repeating: 0)
    private var pointer: UInt8 = 0
    /// Whether the current transfer's sub-address had bit 7 set.
    private var increments = false
    /// Start of continuous mode and its rate, Hz, set when CTRL_REG1 or CTRL_REG3 is written (the model's every bus
    /// access asks), and the index of the last conversion (conversion k completes at start + k/rate).
    private var continuous: (start: Double, rate: Double)?
    private var lastConversion = 0
    private var singleDue: Double?

    init(appliedField: FieldVector = FieldVector(x: 0, y: 0, z: 0), temperature: Double = 25,
         offset: FieldVector = FieldVector(x: 0, y: 0, z: 0),
         noiseUltraHigh: FieldVector = FieldVector(x: 0.32, y: 0.32, z: 0.41), random: SeededRandom) {
        self.appliedField = appliedField
        self.temperature = temperature
        self.offset = offset
        self.noiseUltraHigh = noiseUltraHigh
        self.random = random
        reset()
    }

    /// Power-on / SOFT_RST values: CTRL_REG1 0x10 (10 Hz, LP), CTRL_REG3 0x03 (power-down), WHO_AM_I 0x3D.
    private mutating func reset() {
        registers = InlineArray(repeating: 0)
        registers[Int(Register.whoAmI.rawValue)] = LIS3MDL.whoAmIValue
        registers[Int(Register.control1.rawValue)] = 0x10
        registers[Int(Register.control3.rawValue)] = LIS3MDL.powerDown
        continuous = nil
        lastConversion = 0
        singleDue = nil
    }

    private func register(_ r: Register) -> UInt8 { registers[Int(r.rawValue)] }

    /// The set conversion rate, Hz: the X/Y mode's FAST_ODR rate, or the DO rate.
    private var rate: Double {
        let control1 = register(.control1)
        let mode = LIS3MDL.OperatingMode(rawValue: Int(control1 >> 5 & 0x03)) ?? .lowPower
        return control1 & LIS3MDL.fastDataRate != 0 ? mode.fastRate : LIS3MDL.dataRates[Int(control1 >> 2 & 0x07)]
    }

    // MARK: I2C

    /// A write: the first byte is the sub-address (bit 7: auto-increment); further bytes go to that register and,
    /// with bit 7 set, the ones after it.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        guard let first = bytes.first else { return }
        update(at: time, coil: environment.coil)
        pointer = first & 0x7F
        increments = first & LIS3MDL.autoIncrement != 0
        for value in bytes.dropFirst() {
            store(value, in: pointer, at: time)
            if increments { pointer = (pointer &+ 1) & 0x7F }
        }
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        update(at: time, coil: environment.coil)
        for index in buffer.indices {
            buffer[index] = load(pointer)
            if increments { pointer = (pointer &+ 1) & 0x7F }
        }
    }

    /// Reading OUT_X_H/OUT_Y_H/OUT_Z_H clears that axis's data-ready and overrun bits; ZYXDA and ZYXOR clear
    /// with the last of them.
    private mutating func load(_ register: UInt8) -> UInt8 {
        let value = registers[Int(register)]
        if register == 0x29 || register == 0x2B || register == 0x2D {
            let axis = (register - 0x29) / 2
            let status = Int(Register.status.rawValue)
            registers[status] &= ~(1 << axis | 0x10 << axis)
            if registers[status] & 0x07 == 0 { registers[status] &= ~LIS3MDL.dataReady }
            if registers[status] & 0x70 == 0 { registers[status] &= ~LIS3MDL.overrun }
        }
        return value
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        switch register {
        case Register.control1.rawValue:
            registers[Int(register)] = value
            restart(at: time)
        case Register.control2.rawValue:
            if value & LIS3MDL.softReset != 0 { reset(); return }
            registers[Int(register)] = value & 0x60          // REBOOT reloads the trim and clears itself at once
        case Register.control3.rawValue:
            registers[Int(register)] = value & 0x27
            restart(at: time)
        case Register.control4.rawValue:
            registers[Int(register)] = value & 0x0E
        case Register.control5.rawValue:
            registers[Int(register)] = value & 0xC0
        case 0x05...0x0A, 0x30, 0x32, 0x33:                  // offset and interrupt registers
            registers[Int(register)] = value
        default:
            break                                            // read-only registers ignore writes
        }
    }

    private mutating func restart(at time: Double) {
        let mode = register(.control3) & 0x03
        continuous = mode == LIS3MDL.continuousMode ? (time, rate) : nil
        lastConversion = 0
        singleDue = mode == LIS3MDL.singleMode ? time + 1 / rate : nil
    }

    // MARK: Conversions

    /// Produces a finished single conversion and the latest continuous one completed by `time`.
    /// A conversion reads the bench coil's field as of the bus access that produced it (the run discards readings for
    /// a settle time after each field step, so the difference never reaches a figure).
    private mutating func update(at time: Double, coil: FieldCoil) {
        if let due = singleDue, time >= due {
            singleDue = nil
            registers[Int(Register.control3.rawValue)] |= LIS3MDL.powerDown
            convert(coilField: response.apply(coil.field(at: time)))
        }
        guard let (start, rate) = continuous else { return }
        let latest = ((time - start) * rate).flooredToInt
        guard latest > lastConversion else { return }
        // Conversions between two accesses were made and overwritten unread: the last one finds them (overrun).
        if latest - lastConversion > 1 { registers[Int(Register.status.rawValue)] |= 0x07 | LIS3MDL.dataReady }
        lastConversion = latest
        convert(coilField: response.apply(coil.field(at: time)))
    }

    private mutating func convert(coilField: FieldVector) {
        let scale = Int(register(.control2) >> 5 & 0x03)
        let countsPerMicrotesla = LIS3MDL.sensitivities[scale] / 100
        let xyMode = Int(register(.control1) >> 5 & 0x03), zMode = Int(register(.control4) >> 2 & 0x03)
        // Each axis draws its noise in turn, x, y then z: the same seed gives the same conversions.
        let x = ((appliedField.x + coilField.x) + offset.x + noiseUltraHigh.x * Self.noiseFactors[xyMode] * random.gaussian())
        let y = ((appliedField.y + coilField.y) + offset.y + noiseUltraHigh.y * Self.noiseFactors[xyMode] * random.gaussian())
        let z = ((appliedField.z + coilField.z) + offset.z + noiseUltraHigh.z * Self.noiseFactors[zMode] * random.gaussian())
        storeWord((x * countsPerMicrotesla).roundedToNearest, at: 0x28)
        storeWord((y * countsPerMicrotesla).roundedToNearest, at: 0x2A)
        storeWord((z * countsPerMicrotesla).roundedToNearest, at: 0x2C)
        if register(.control1) & LIS3MDL.temperatureEnable != 0 {
            storeWord(((temperature - 25) * 8).roundedToNearest, at: 0x2E)
        }
        let status = Int(Register.status.rawValue)
        registers[status] |= (registers[status] & 0x0F) << 4         // unread axes overrun
        registers[status] |= 0x07 | LIS3MDL.dataReady
    }

    /// Stores `counts`, saturated to int16, little-endian at `register` and the one after.
    private mutating func storeWord(_ counts: Double, at register: Int) {
        let word = UInt16(bitPattern: Int16(Swift.min(Swift.max(counts, -32768), 32767)))
        registers[register] = UInt8(word & 0xFF)
        registers[register + 1] = UInt8(word >> 8)
    }

    /// The noise in operating mode OM (0 low-power … 3 ultra-high performance) over the ultra-high performance noise:
    /// √2 per step down, 2^((3 − OM)/2).
    private static let noiseFactors = (0...3).map { Foundation.pow(2, Double(3 - $0) / 2) }
}

import Foundation
