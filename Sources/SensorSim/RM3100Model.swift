import SensorDrivers

/// Register-level model of a PNI RM3100 (reference/sensors.md §3.1): REVID, the cycle-count registers (power-on
/// 200 on every axis), TMRC, continuous measurement (CMM) and single measurements (POLL), STATUS DRDY (set by a
/// finished measurement, cleared by reading the results or writing any register) and address auto-increment.
/// Raw counts are made by inverting the driver's own conversion: counts = (field + offset + noise)·gain(CC),
/// rounded and clipped to the signed 24-bit word, so the driver reads the applied field plus the unit's errors.
///
/// Modelling assumptions, none of them datasheet figures:
/// * the noise is white, `noiseAtDefaultCount` µT RMS per axis at CC 200 (datasheet: ~15 nT [S16]), scaling as
///   √(200/CC) (a longer count averages longer);
/// * an axis takes a third of the three-axis time, which scales with the count from 430 Hz at 200
///   (`RM3100.maximumRate(cycleCount:)`); in continuous mode the period is the longer of the TMRC period and the
///   measurement of the enabled axes, and the first set is ready one period after the CMM write.
struct RM3100Model: SimulatedI2CChip {
    private typealias Register = RM3100.Register

    /// A field the unit sees besides the bench coil's (a test's fixed field, a board's hard iron), µT, chip axes.
    var appliedField: FieldVector
    /// The bench coil's field at the last bus access, µT: a conversion reads it as of the access that produced it
    /// (the run discards readings for a settle time after each field step, so the difference never reaches a figure).
    private var coilField = FieldVector(x: 0, y: 0, z: 0)
    /// The unit's scale and cross-axis response to the coil's field.
    var response = FieldResponse.ideal
    /// The unit's offset, µT (magneto-inductive sensors have little; a board's hard iron adds to it).
    let offset: FieldVector
    /// White noise per axis at cycle count 200, µT RMS.
    let noiseAtDefaultCount: Double
    private var random: SeededRandom
    private var registers = [UInt8](repeating: 0, count: 0x40)
    private var pointer: UInt8 = 0
    /// Start of continuous mode and the index of the last set produced (set k completes at start + k·period).
    private var continuousStart: Double?
    private var lastConversion = 0
    /// A single measurement (POLL) in progress: when it completes and which axes it measures.
    private var single: (due: Double, axes: UInt8)?

    init(appliedField: FieldVector = FieldVector(x: 0, y: 0, z: 0), offset: FieldVector = FieldVector(x: 0, y: 0, z: 0),
         noiseAtDefaultCount: Double = 0.015, random: SeededRandom) {
        self.appliedField = appliedField
        self.offset = offset
        self.noiseAtDefaultCount = noiseAtDefaultCount
        self.random = random
        reset()
    }

    /// Power-on values: CC 0x00C8 on every axis, TMRC 0x96, REVID 0x22, everything else 0.
    private mutating func reset() {
        registers = [UInt8](repeating: 0, count: 0x40)
        for register in [Register.cycleCountX, .cycleCountY, .cycleCountZ] {
            registers[Int(register.rawValue) + 1] = UInt8(RM3100.defaultCycleCount)
        }
        registers[Int(Register.continuousRate.rawValue)] = 0x96
        registers[Int(Register.revision.rawValue)] = RM3100.revisionValue
        continuousStart = nil
        lastConversion = 0
        single = nil
    }

    /// Cycle count of axis 0/1/2 (X/Y/Z), at least 1.
    private func cycleCount(axis: Int) -> Int {
        let msb = Int(Register.cycleCountX.rawValue) + 2 * axis
        return Swift.max(Int(registers[msb]) << 8 | Int(registers[msb + 1]), 1)
    }

    /// Seconds to measure the axes whose bits (4/5/6 = X/Y/Z) are set.
    private func measurementTime(axes: UInt8) -> Double {
        (0..<3).filter { axes & (0x10 << UInt8($0)) != 0 }
            .map { 1 / RM3100.maximumRate(cycleCount: cycleCount(axis: $0)) / 3 }
            .reduce(0, +)
    }

    private var continuousPeriod: Double {
        let code = registers[Int(Register.continuousRate.rawValue)]
        let hertz = RM3100.continuousRates.first { $0.code == code }?.hertz ?? 37
        return Swift.max(1 / hertz, measurementTime(axes: registers[Int(Register.continuousMode.rawValue)]))
    }

    // MARK: I2C

    /// A write: the first byte sets the register pointer, further bytes go to consecutive registers. Any register
    /// write clears DRDY (sensors.md §3.1).
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        coilField = response.apply(environment.coil.field(at: time))
        guard let first = bytes.first else { return }
        update(at: time)
        pointer = first & 0x3F
        guard bytes.count > 1 else { return }
        registers[Int(Register.status.rawValue)] &= ~RM3100.dataReady
        for value in bytes.dropFirst() {
            store(value, in: pointer, at: time)
            pointer = (pointer &+ 1) & 0x3F
        }
    }

    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        coilField = response.apply(environment.coil.field(at: time))
        update(at: time)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            out.append(registers[Int(pointer)])
            if (0x24...0x2C).contains(pointer) { registers[Int(Register.status.rawValue)] &= ~RM3100.dataReady }
            pointer = (pointer &+ 1) & 0x3F
        }
        return out
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        switch register {
        case Register.poll.rawValue:
            let axes = value & 0x70
            single = axes == 0 ? nil : (time + measurementTime(axes: axes), axes)
        case Register.continuousMode.rawValue:
            registers[Int(register)] = value & 0x7D
            continuousStart = value & 0x01 != 0 && value & 0x70 != 0 ? time : nil
            lastConversion = 0
        case 0x04...0x09, Register.continuousRate.rawValue:
            registers[Int(register)] = value
        default:
            break                                   // read-only registers ignore writes
        }
    }

    // MARK: Conversions

    /// Produces a finished single measurement and the latest continuous set completed by `time`.
    private mutating func update(at time: Double) {
        if let pending = single, time >= pending.due {
            single = nil
            convert(axes: pending.axes)
        }
        guard let start = continuousStart else { return }
        let latest = Int(((time - start) / continuousPeriod).rounded(.down))
        guard latest > lastConversion else { return }
        lastConversion = latest
        convert(axes: registers[Int(Register.continuousMode.rawValue)] & 0x70)
    }

    private mutating func convert(axes: UInt8) {
        let field = [(appliedField.x + coilField.x), (appliedField.y + coilField.y), (appliedField.z + coilField.z)]
        let offsets = [offset.x, offset.y, offset.z]
        for axis in 0..<3 where axes & (0x10 << UInt8(axis)) != 0 {
            let count = cycleCount(axis: axis)
            let noise = noiseAtDefaultCount * (Double(RM3100.defaultCycleCount) / Double(count)).squareRoot()
            let microtesla = field[axis] + offsets[axis] + noise * random.gaussian()
            let counts = (microtesla * RM3100.gain(cycleCount: count)).rounded()
            let word = UInt32(bitPattern: Int32(Swift.min(Swift.max(counts, -0x80_0000), 0x7F_FFFF)))
            let base = Int(Register.measurement.rawValue) + 3 * axis
            registers[base] = UInt8(word >> 16 & 0xFF)
            registers[base + 1] = UInt8(word >> 8 & 0xFF)
            registers[base + 2] = UInt8(word & 0xFF)
        }
        registers[Int(Register.status.rawValue)] |= RM3100.dataReady
    }
}
