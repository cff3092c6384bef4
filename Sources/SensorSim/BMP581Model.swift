import SensorDrivers

/// Register-level model of a BMP581 (BST-BMP581-DS004; BMP5_SensorAPI; reference/sensors.md §2.2): CHIP_ID,
/// STATUS and INT_STATUS after power-up, OSR/ODR/DSP registers, standby, normal, forced and continuous modes,
/// INT_STATUS.drdy (cleared on read), OSR_EFF, soft reset, register auto-increment on reads and writes, and
/// the latching of the data registers during a burst read. The chip compensates on chip, so the data
/// registers are the indicated temperature and pressure quantised to 2⁻¹⁶ °C and 2⁻⁶ Pa.
///
/// An ODR the OSR cannot sustain in normal mode is not refused: the chip keeps the ODR, runs a lower OSR and
/// says so in OSR_EFF (odr_is_valid clear, the effective OSRs in its fields; BMP5_SensorAPI
/// `bmp5_get_osr_odr_eff`, which the Linux driver reads as "operating in a degraded mode"). How far it lowers
/// which OSR is not documented; the model halves the larger of the two until the conversion fits.
struct BMP581Model: SimulatedI2CChip {
    private typealias Register = BMP581.Register
    private var unit: SimulatedPressureUnit
    private var registers = [UInt8](repeating: 0, count: 0x80)
    private var pointer: UInt8 = 0
    /// The data block as latched at the first data byte of a burst read.
    private var shadow: [UInt8]?
    /// Start of the running mode, the index of the last conversion produced, and the OSRs in effect.
    private var modeStart: Double?
    private var lastConversion = -1
    private var effective: (pressure: BMP581.Oversampling, temperature: BMP581.Oversampling) = (.x1, .x1)
    /// IIR filter state (pressure Pa, temperature °C), nil until the first conversion of a mode.
    private var filtered: (pressure: Double, temperature: Double)?

    init(errors: PressureUnitErrors, random: SeededRandom) {
        unit = SimulatedPressureUnit(errors: errors, random: random)
        reset()
    }

    /// Power-on / soft-reset register values. ODR_CONFIG is taken to be 0x70 (1 Hz, standby, deep standby
    /// allowed), the state Bosch's API writes for deep standby; DSP_CONFIG 0x2B (compensation on, IIR to the
    /// data registers) is recalled from the datasheet's register map [unverified].
    private mutating func reset() {
        registers = [UInt8](repeating: 0, count: 0x80)
        registers[Int(Register.chipID.rawValue)] = BMP581.chipIDPrimary
        registers[Int(Register.interruptStatus.rawValue)] = BMP581.interruptPowerOnReset
        registers[Int(Register.status.rawValue)] = BMP581.statusNVMReady
        registers[Int(Register.dspConfig.rawValue)] = 0x2B
        registers[Int(Register.outputDataRate.rawValue)] = 0x70
        modeStart = nil
        lastConversion = -1
        shadow = nil
        filtered = nil
        updateEffectiveOversampling()
    }

    private var powerMode: BMP581.PowerMode {
        BMP581.PowerMode(rawValue: registers[Int(Register.outputDataRate.rawValue)] & 0x03)!
    }

    private var configured: (pressure: BMP581.Oversampling, temperature: BMP581.Oversampling) {
        let osr = registers[Int(Register.oversampling.rawValue)]
        return (BMP581.Oversampling(code: osr >> 3)!, BMP581.Oversampling(code: osr)!)
    }

    private var outputDataRate: Double {
        BMP581.outputDataRates[Int(registers[Int(Register.outputDataRate.rawValue)] >> 2 & 0x1F)]
    }

    // MARK: I2C

    /// A write: the first byte sets the register pointer, further bytes go to consecutive registers (the
    /// BMP5 API writes OSR_CONFIG and ODR_CONFIG in one transfer).
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        let chamber = environment.pressure
        guard let first = bytes.first else { return }
        update(at: time, chamber: chamber)
        pointer = first & 0x7F
        shadow = nil
        for value in bytes.dropFirst() {
            store(value, in: pointer, at: time)
            pointer = (pointer &+ 1) & 0x7F
        }
    }

    /// A read from the register pointer with auto-increment.
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        let chamber = environment.pressure
        update(at: time, chamber: chamber)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            out.append(load(pointer))
            pointer = (pointer &+ 1) & 0x7F
        }
        shadow = nil
        return out
    }

    private mutating func load(_ register: UInt8) -> UInt8 {
        switch register {
        case 0x1D...0x22:
            // The whole data block is latched at the first data byte of a burst, so T and P are one conversion.
            if shadow == nil { shadow = Array(registers[0x1D...0x22]) }
            return shadow![Int(register) - 0x1D]
        case Register.interruptStatus.rawValue:
            let value = registers[Int(register)]
            registers[Int(register)] = 0            // cleared on read
            return value
        default:
            return registers[Int(register)]
        }
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        switch register {
        case Register.command.rawValue:
            if value == BMP581.softResetCommand { reset() }
        case Register.dspConfig.rawValue, Register.dspIIR.rawValue:
            // The DSP registers take writes only in standby (BMP5_SensorAPI `bmp5_set_iir_config`).
            if powerMode == .standby { registers[Int(register)] = value }
        case Register.oversampling.rawValue:
            registers[Int(register)] = value & 0x7F
            startMode(at: time)
        case Register.outputDataRate.rawValue:
            registers[Int(register)] = value
            startMode(at: time)
        case 0x13, Register.interruptConfig.rawValue, Register.interruptSource.rawValue, 0x16, 0x18, 0x2B...0x2D, 0x32...0x35:
            registers[Int(register)] = value
        default:
            break                                   // read-only registers ignore writes
        }
    }

    /// A write to OSR_CONFIG or ODR_CONFIG (re)starts the mode it selects at `time`.
    private mutating func startMode(at time: Double) {
        updateEffectiveOversampling()
        lastConversion = -1
        filtered = nil
        modeStart = powerMode == .standby ? nil : time
    }

    /// OSR_EFF: in normal mode the OSRs the ODR leaves room for; in the other modes the configured ones.
    private mutating func updateEffectiveOversampling() {
        var (pressure, temperature) = configured
        var valid = true
        if powerMode == .normal {
            let period = 1 / outputDataRate
            while BMP581.conversionTime(pressure: pressure, temperature: temperature) > period,
                  pressure != .x1 || temperature != .x1 {
                valid = false
                if pressure.rawValue >= temperature.rawValue, pressure != .x1 {
                    pressure = BMP581.Oversampling(rawValue: pressure.rawValue / 2)!
                } else {
                    temperature = BMP581.Oversampling(rawValue: temperature.rawValue / 2)!
                }
            }
        }
        effective = (pressure, temperature)
        registers[Int(Register.effectiveOversampling.rawValue)] =
            (valid ? BMP581.odrIsValid : 0) | pressure.code << 3 | temperature.code
    }

    // MARK: Conversions

    /// Produces the conversions completed by `time`: every one while the IIR has memory to build, else only
    /// the latest (older ones would be overwritten unread anyway).
    private mutating func update(at time: Double, chamber: PressureChamber) {
        guard let start = modeStart else { return }
        let conversion = BMP581.conversionTime(pressure: effective.pressure, temperature: effective.temperature)
        // Forced mode makes one conversion: a period no elapsed time reaches.
        let period: Double
        switch powerMode {
        case .standby: return
        case .forced: period = .greatestFiniteMagnitude
        case .normal: period = 1 / outputDataRate
        case .continuous: period = conversion
        }
        let elapsed = time - start - conversion
        guard elapsed >= 0 else { return }
        let latest = Int((elapsed / period).rounded(.down))
        guard latest > lastConversion else { return }
        let iir = BMP581.IIRFilter(code: registers[Int(Register.dspIIR.rawValue)] >> 3)!
        // An IIR forgets its start after a few dozen time constants: 20·(c + 1) conversions settle it to e⁻²⁰.
        let memory = iir == .off ? 1 : 20 * (iir.rawValue + 1)
        for index in Swift.max(lastConversion + 1, latest - memory + 1)...latest {
            convert(at: start + conversion + Double(index) * period, chamber: chamber)
        }
        lastConversion = latest
        if registers[Int(Register.interruptSource.rawValue)] & BMP581.interruptDataReady != 0 {
            registers[Int(Register.interruptStatus.rawValue)] |= BMP581.interruptDataReady
        }
        if powerMode == .forced {                   // one conversion, then back to standby
            registers[Int(Register.outputDataRate.rawValue)] &= ~0x03
            modeStart = nil
        }
    }

    /// One conversion: the unit's indicated values with Table 9's noise for the effective OSR, scaled to this
    /// unit by its noise at ×1, through the IIR when it is on, quantised to the output LSBs.
    private mutating func convert(at time: Double, chamber: PressureChamber) {
        let noise = unit.errors.noiseAtX1 * effective.pressure.typicalNoise / BMP581.Oversampling.x1.typicalNoise
        var (pressure, temperature) = unit.indicated(at: time, chamber: chamber, noise: noise)
        let dsp = registers[Int(Register.dspConfig.rawValue)]
        let coefficients = registers[Int(Register.dspIIR.rawValue)]
        // The BMP3 datasheet form of the IIR: y = (c·y₋₁ + x)/(c + 1), c = 1, 3 … 127; the first sample seeds it.
        func filter(_ x: Double, _ previous: Double?, code: UInt8) -> Double {
            let c = Double(BMP581.IIRFilter(code: code)!.rawValue)
            guard let previous else { return x }
            return (c * previous + x) / (c + 1)
        }
        let next = (filter(pressure, filtered?.pressure, code: coefficients >> 3),
                    filter(temperature, filtered?.temperature, code: coefficients))
        filtered = next
        if dsp & BMP581.dspShadowIIRPressure != 0 { pressure = next.0 }
        if dsp & BMP581.dspShadowIIRTemperature != 0 { temperature = next.1 }

        let rawTemperature = Int32(Swift.min(Swift.max((temperature * 65536).rounded(), -0x80_0000), 0x7F_FFFF))
        put24(UInt32(bitPattern: rawTemperature) & 0xFF_FFFF, at: 0x1D)
        if registers[Int(Register.oversampling.rawValue)] & BMP581.pressureEnable != 0 {
            put24(UInt32(Swift.min(Swift.max((pressure * 64).rounded(), 0), 0xFF_FFFF)), at: 0x20)
        } else {
            put24(0x7F_7F7F, at: 0x20)             // the "skipped" pattern the Linux bmp580 driver checks for
        }
    }

    private mutating func put24(_ value: UInt32, at register: Int) {
        registers[register] = UInt8(value & 0xFF)
        registers[register + 1] = UInt8(value >> 8 & 0xFF)
        registers[register + 2] = UInt8(value >> 16 & 0xFF)
    }
}
