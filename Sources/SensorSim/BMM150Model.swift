import SensorDrivers

/// Register-level model of a Bosch BMM150 (reference/sensors.md §3.4; BMM150_SensorAPI [S21]): suspend mode at
/// power-on (only POWER_CONTROL answers; everything else reads 0), the power bit and soft reset, CHIP_ID, the trim
/// registers, OP_MODE normal / forced / sleep, the repetition registers, and the data registers with the
/// data-ready bit (0x48 bit0), set by each measurement and cleared when the data registers are read. Address
/// auto-increment is always on (I2C).
///
/// The raw words invert the driver's own compensation (`BMM150Trim`, affine in the raw word at a given RHALL):
/// raw = (B − f(0))/(f(1) − f(0)) with B = field + offset + noise, rounded; an axis outside the 13-bit (X, Y) or
/// 15-bit (Z) word reads Bosch's overflow value (−4096, −16384). RHALL is the unit's `hallResistance`.
///
/// Modelling assumptions, none of them datasheet figures:
/// * the noise is white, `noiseRegular` µT RMS per axis at the regular preset (nXY 9, nZ 15), scaling as
///   √(9/nXY) on X/Y and √(15/nZ) on Z (repetitions average);
/// * a measurement takes `BMM150.measurementTime` (the datasheet's maximum-ODR formula, unverified); in normal mode
///   the period is the longer of that and the set rate's, the first set ready one period after the OP_MODE write;
/// * register access is immediate after the power bit: the 3 ms start-up time is not modelled.
struct BMM150Model: SimulatedI2CChip {
    private typealias Register = BMM150.Register

    /// A typical unit's trim (values of the order of published dumps, with non-zero x1, y1, z3, z4 so every term
    /// of the compensation acts), also the trim of BMM150Tests' vector.
    static let typicalTrim = BMM150Trim(x1: 3, y1: -2, x2: 26, y2: 24, z1: 24747, z2: 761, z3: -120, z4: -35,
                                        xy1: 29, xy2: -3, xyz1: 6604)

    /// A field the unit sees besides the bench coil's (a test's fixed field, a board's hard iron), µT, chip axes.
    var appliedField: FieldVector
    /// The bench coil's field at the last bus access, µT: a conversion reads it as of the access that produced it
    /// (the run discards readings for a settle time after each field step, so the difference never reaches a figure).
    private var coilField = FieldVector(x: 0, y: 0, z: 0)
    /// The unit's scale and cross-axis response to the coil's field.
    var response = FieldResponse.ideal
    /// The unit's RHALL word (Hall-plate resistance; it follows temperature on a real part).
    var hallResistance: UInt16
    let trim: BMM150Trim
    /// The unit's offset, µT.
    let offset: FieldVector
    /// White noise per axis at the regular preset, µT RMS.
    let noiseRegular: FieldVector
    private var random: SeededRandom
    private var registers = [UInt8](repeating: 0, count: 0x80)
    private var pointer: UInt8 = 0
    /// Start of normal mode and the index of the last set (set k completes at start + k·period).
    private var normalStart: Double?
    private var lastConversion = 0
    private var forcedDue: Double?

    init(appliedField: FieldVector = FieldVector(x: 0, y: 0, z: 0), trim: BMM150Trim = BMM150Model.typicalTrim,
         hallResistance: UInt16 = 6200, offset: FieldVector = FieldVector(x: 0, y: 0, z: 0),
         noiseRegular: FieldVector = FieldVector(x: 0.3, y: 0.3, z: 0.6), random: SeededRandom) {
        self.appliedField = appliedField
        self.trim = trim
        self.hallResistance = hallResistance
        self.offset = offset
        self.noiseRegular = noiseRegular
        self.random = random
        registers = [UInt8](repeating: 0, count: 0x80)
    }

    private var powered: Bool { registers[Int(Register.powerControl.rawValue)] & BMM150.powerOn != 0 }

    /// Sleep-mode values after the power bit or a soft reset: CHIP_ID, OP_MODE 0x06, axes 0x07, the trim.
    private mutating func wake() {
        let power = registers[Int(Register.powerControl.rawValue)]
        registers = [UInt8](repeating: 0, count: 0x80)
        registers[Int(Register.powerControl.rawValue)] = power & 0x05
        registers[Int(Register.chipID.rawValue)] = BMM150.chipIDValue
        registers[Int(Register.operationMode.rawValue)] = BMM150.sleepMode
        registers[Int(Register.axes.rawValue)] = BMM150.axesResetValue
        registers.replaceSubrange(0x5D...0x71, with: trim.bytes)
        normalStart = nil
        lastConversion = 0
        forcedDue = nil
    }

    private var repetitions: (xy: Int, z: Int) {
        (1 + 2 * Int(registers[Int(Register.repetitionsXY.rawValue)]), 1 + Int(registers[Int(Register.repetitionsZ.rawValue)]))
    }

    private var measurementTime: Double { BMM150.measurementTime(xy: repetitions.xy, z: repetitions.z) }

    private var period: Double {
        let code = registers[Int(Register.operationMode.rawValue)] >> 3 & 0x07
        let hertz = BMM150.dataRates.first { $0.code == code }?.hertz ?? 10
        return Swift.max(1 / hertz, measurementTime)
    }

    // MARK: I2C

    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        coilField = response.apply(environment.coil.field(at: time))
        guard let first = bytes.first else { return }
        update(at: time)
        pointer = first & 0x7F
        for value in bytes.dropFirst() {
            store(value, in: pointer, at: time)
            pointer = (pointer &+ 1) & 0x7F
        }
    }

    /// Reads from the pointer on; in suspend mode everything but POWER_CONTROL reads 0. Reading any data
    /// register clears data ready once the transfer ends.
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        coilField = response.apply(environment.coil.field(at: time))
        update(at: time)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var touchedData = false
        for _ in 0..<count {
            let isPower = pointer == Register.powerControl.rawValue
            out.append(powered || isPower ? registers[Int(pointer)] : 0)
            if (0x42...0x49).contains(pointer) { touchedData = true }
            pointer = (pointer &+ 1) & 0x7F
        }
        if touchedData, powered { registers[0x48] &= ~BMM150.dataReady }
        return out
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        if register == Register.powerControl.rawValue {
            let wasPowered = powered
            registers[Int(register)] = value & 0x05
            if value & 0x82 == 0x82 || (!wasPowered && powered) { wake() }
            if !powered { normalStart = nil; forcedDue = nil }
            return
        }
        guard powered else { return }                       // suspend: only POWER_CONTROL is writable
        switch register {
        case Register.operationMode.rawValue:
            registers[Int(register)] = value
            let opmode = value & 0x06
            normalStart = opmode == BMM150.normalMode ? time : nil
            lastConversion = 0
            forcedDue = opmode == BMM150.forcedMode ? time + measurementTime : nil
        case 0x4D...0x52:
            registers[Int(register)] = value
        default:
            break                                           // read-only registers ignore writes
        }
    }

    // MARK: Measurements

    private mutating func update(at time: Double) {
        guard powered else { return }
        if let due = forcedDue, time >= due {
            forcedDue = nil
            registers[Int(Register.operationMode.rawValue)] |= BMM150.sleepMode
            measure()
        }
        guard let start = normalStart else { return }
        let latest = Int(((time - start) / period).rounded(.down))
        guard latest > lastConversion else { return }
        lastConversion = latest
        measure()
    }

    private mutating func measure() {
        let rhall = Double(hallResistance)
        let (nXY, nZ) = repetitions
        let xyFactor = (9 / Double(nXY)).squareRoot(), zFactor = (15 / Double(nZ)).squareRoot()
        let b = [(appliedField.x + coilField.x) + offset.x + noiseRegular.x * xyFactor * random.gaussian(),
                 (appliedField.y + coilField.y) + offset.y + noiseRegular.y * xyFactor * random.gaussian(),
                 (appliedField.z + coilField.z) + offset.z + noiseRegular.z * zFactor * random.gaussian()]
        func invert(_ f: (Double) -> Double, _ target: Double) -> Double {
            let f0 = f(0)
            return ((target - f0) / (f(1) - f0)).rounded()
        }
        let rawX = invert({ trim.x(raw: $0, rhall: rhall) }, b[0])
        let rawY = invert({ trim.y(raw: $0, rhall: rhall) }, b[1])
        let rawZ = invert({ trim.z(raw: $0, rhall: rhall) }, b[2])
        func planar(_ raw: Double) -> [UInt8] {
            let word = abs(raw) <= 4095 ? Int16(raw) : Int16(BMM150.overflowXY)
            return [UInt8(truncatingIfNeeded: word & 0x1F) << 3, UInt8(truncatingIfNeeded: word >> 5)]
        }
        let z = abs(rawZ) <= 16383 ? Int16(rawZ) : Int16(BMM150.overflowZ)
        let r = hallResistance & 0x3FFF
        let bytes = planar(rawX) + planar(rawY)
            + [UInt8(truncatingIfNeeded: z & 0x7F) << 1, UInt8(truncatingIfNeeded: z >> 7),
               UInt8(r & 0x3F) << 2 | BMM150.dataReady, UInt8(r >> 6)]
        registers.replaceSubrange(0x42...0x49, with: bytes)
    }
}
