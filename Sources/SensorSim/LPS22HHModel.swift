import SensorDrivers

/// Register-level model of an ST LPS22HH (DocID030890; ST `lps22hh_reg.h`; reference/sensors.md §2.4):
/// WHO_AM_I, the CTRL_REG1/2 reset values, continuous mode on the ODR schedule, one-shot, SWRESET, STATUS
/// P_DA/T_DA (cleared by reading PRESS_OUT_H / TEMP_OUT_H) and the overrun bits, block data update, IF_ADD_INC
/// auto-increment, low-noise mode and the output low-pass filter. The chip compensates on chip, so the outputs
/// are the indicated pressure and temperature quantised to 1/4096 hPa and 0.01 °C.
///
/// Modelling assumptions, none of them datasheet figures:
/// * noise: the unit's `noiseAtX1` is the RMS noise in low-noise mode with the LPF off (bandwidth ODR/2);
///   low-current mode is 1.5× noisier;
/// * LOW_NOISE_EN has no effect at 100 and 200 Hz (ST's driver offers low-noise mode up to 75 Hz only; the
///   datasheet wording "used only if ODR is lower than 100 Hz" is recalled, not checked);
/// * the LPF is a first-order recursive filter whose white-noise variance ratio is its bandwidth over ODR/2;
/// * the first sample is ready one ODR period after the start; a one-shot conversion takes 5 ms.
struct LPS22HHModel: SimulatedI2CChip {
    private typealias Register = LPS22HH.Register
    /// Noise in low-current mode relative to low-noise mode.
    static let lowCurrentNoiseFactor = 1.5
    static let oneShotTime = 0.005

    private var unit: SimulatedPressureUnit
    private var registers = [UInt8](repeating: 0, count: 0x80)
    private var pointer: UInt8 = 0
    /// Start of continuous mode and the index of the last conversion (conversion k completes at start + k/ODR).
    private var modeStart: Double?
    private var lastConversion = 0
    private var oneShotDue: Double?
    /// Low-pass filter state, Pa; nil until the first conversion of a mode.
    private var filtered: Double?
    /// Block data update: the outputs are frozen from the first output byte read until PRESS_OUT_H and
    /// TEMP_OUT_H have both been read; a conversion made meanwhile waits in `pending`.
    private var frozen = false
    private var highBytesRead: (pressure: Bool, temperature: Bool) = (false, false)
    private var pending: [UInt8]?

    init(errors: PressureUnitErrors, random: SeededRandom) {
        unit = SimulatedPressureUnit(errors: errors, random: random)
        reset()
    }

    /// Power-on / SWRESET values: everything 0 except WHO_AM_I and CTRL_REG2's IF_ADD_INC.
    private mutating func reset() {
        registers = [UInt8](repeating: 0, count: 0x80)
        registers[Int(Register.whoAmI.rawValue)] = LPS22HH.whoAmIValue
        registers[Int(Register.control2.rawValue)] = LPS22HH.addressIncrement
        modeStart = nil
        lastConversion = 0
        oneShotDue = nil
        filtered = nil
        frozen = false
        highBytesRead = (false, false)
        pending = nil
    }

    private var control1: UInt8 { registers[Int(Register.control1.rawValue)] }
    private var control2: UInt8 { registers[Int(Register.control2.rawValue)] }

    /// The continuous rate, Hz; nil in power-down / one-shot.
    private var outputDataRate: Double? {
        let code = Int(control1 >> 4 & 0x07)
        return code == 0 ? nil : LPS22HH.outputDataRates[code - 1]
    }

    private var autoIncrement: Bool { control2 & LPS22HH.addressIncrement != 0 }

    // MARK: I2C

    /// A write: the first byte sets the register pointer; further bytes go to consecutive registers while
    /// IF_ADD_INC is on, else all to the same one.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        let chamber = environment.pressure
        guard let first = bytes.first else { return }
        update(at: time, chamber: chamber)
        pointer = first & 0x7F
        for value in bytes.dropFirst() {
            store(value, in: pointer, at: time)
            if autoIncrement { pointer = (pointer &+ 1) & 0x7F }
        }
    }

    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        let chamber = environment.pressure
        update(at: time, chamber: chamber)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            out.append(load(pointer))
            if autoIncrement { pointer = (pointer &+ 1) & 0x7F }
        }
        return out
    }

    private mutating func load(_ register: UInt8) -> UInt8 {
        guard (0x28...0x2C).contains(register) else { return registers[Int(register)] }
        if control1 & LPS22HH.blockDataUpdate != 0 { frozen = true }
        let value = registers[Int(register)]
        let status = Int(Register.status.rawValue)
        if register == 0x2A {
            registers[status] &= ~(LPS22HH.pressureAvailable | LPS22HH.pressureOverrun)
            highBytesRead.pressure = true
        } else if register == 0x2C {
            registers[status] &= ~(LPS22HH.temperatureAvailable | LPS22HH.temperatureOverrun)
            highBytesRead.temperature = true
        }
        if frozen, highBytesRead.pressure, highBytesRead.temperature {
            frozen = false
            highBytesRead = (false, false)
            if let pending {
                self.pending = nil
                publish(pending)
            }
        }
        return value
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        switch register {
        case Register.control1.rawValue:
            registers[Int(register)] = value & 0x7F
            modeStart = outputDataRate == nil ? nil : time
            lastConversion = 0
            filtered = nil
        case Register.control2.rawValue:
            if value & LPS22HH.softwareReset != 0 { reset(); return }
            // BOOT (bit 7) reloads the trimming and clears itself at once in the model.
            registers[Int(register)] = value & 0x7B
            if value & LPS22HH.oneShot != 0, outputDataRate == nil { oneShotDue = time + Self.oneShotTime }
        case 0x0B...0x0E, 0x12...0x16, 0x18, 0x19:
            registers[Int(register)] = value
        default:
            break                                   // read-only registers ignore writes
        }
    }

    // MARK: Conversions

    /// Produces the conversions completed by `time`: every one while the LPF has memory to build, else only
    /// the latest.
    private mutating func update(at time: Double, chamber: PressureChamber) {
        if let due = oneShotDue, time >= due {
            oneShotDue = nil
            filtered = nil
            convert(at: due, rate: nil, chamber: chamber)
            registers[Int(Register.control2.rawValue)] &= ~LPS22HH.oneShot
        }
        guard let start = modeStart, let rate = outputDataRate else { return }
        let latest = Int(((time - start) * rate).rounded(.down))
        guard latest > lastConversion else { return }
        let alpha = Self.filterGain(LPS22HH.LowPassFilter(control1: control1))
        let memory = alpha == 1 ? 1 : Int((20 / alpha).rounded(.up))
        for index in Swift.max(lastConversion + 1, latest - memory + 1)...latest {
            convert(at: start + Double(index) / rate, rate: rate, chamber: chamber)
        }
        lastConversion = latest
    }

    /// Gain α of y += α(x − y) whose white-noise variance ratio α/(2 − α) equals the bandwidth over ODR/2.
    static func filterGain(_ filter: LPS22HH.LowPassFilter) -> Double {
        let ratio = filter.bandwidthFraction * 2
        return 2 * ratio / (1 + ratio)
    }

    private mutating func convert(at time: Double, rate: Double?, chamber: PressureChamber) {
        let lowNoise = control2 & LPS22HH.lowNoiseEnable != 0 && (rate ?? 0) < 100
        let noise = unit.errors.noiseAtX1 * (lowNoise ? 1 : Self.lowCurrentNoiseFactor)
        let (pressure, temperature) = unit.indicated(at: time, chamber: chamber, noise: noise)
        let alpha = rate == nil ? 1 : Self.filterGain(LPS22HH.LowPassFilter(control1: control1))
        let output = filtered.map { $0 + alpha * (pressure - $0) } ?? pressure
        filtered = output

        let rawPressure = Int32(Swift.min(Swift.max((output / LPS22HH.pressureStep).rounded(), -0x80_0000), 0x7F_FFFF))
        let rawTemperature = Int16(Swift.min(Swift.max((temperature * 100).rounded(), -0x8000), 0x7FFF))
        let p = UInt32(bitPattern: rawPressure), t = UInt16(bitPattern: rawTemperature)
        let bytes = [UInt8(p & 0xFF), UInt8(p >> 8 & 0xFF), UInt8(p >> 16 & 0xFF), UInt8(t & 0xFF), UInt8(t >> 8)]
        if frozen { pending = bytes } else { publish(bytes) }
    }

    /// Puts a conversion in the outputs and raises P_DA/T_DA, or the overrun bits when the previous one was unread.
    private mutating func publish(_ bytes: [UInt8]) {
        registers.replaceSubrange(0x28...0x2C, with: bytes)
        let status = Int(Register.status.rawValue)
        if registers[status] & LPS22HH.pressureAvailable != 0 { registers[status] |= LPS22HH.pressureOverrun }
        if registers[status] & LPS22HH.temperatureAvailable != 0 { registers[status] |= LPS22HH.temperatureOverrun }
        registers[status] |= LPS22HH.pressureAvailable | LPS22HH.temperatureAvailable
    }
}
