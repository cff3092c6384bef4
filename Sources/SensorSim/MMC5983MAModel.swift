import SensorDrivers

/// Register-level model of a MEMSIC MMC5983MA (reference/sensors.md §3.2): Product ID, Control0 commands (TM_M,
/// TM_T, SET, RESET; self-clearing), Control1 BW and SW_RST, Control2 continuous mode at CM_Freq, Status
/// Meas_M_Done/Meas_T_Done (write 1 to clear), the 18-bit outputs split over Xout0/Xout1/XYZout2, Tout and
/// address auto-increment.
///
/// SET and RESET pulses flip the AMR bridge's magnetisation: the field term of every later measurement changes
/// sign while the unit's bridge offset stays, Output_SET = +H + Offset and Output_RESET = −H + Offset (§3.2).
/// Codes are made by inverting the driver's conversion: code = 131072 + (±H + offset + noise)·163.84, rounded and
/// clipped to 0…262143.
///
/// Modelling assumptions, none of them datasheet figures:
/// * the noise is white with the datasheet RMS for the BW (0.4/0.6/0.8/1.2 mG = 0.04/0.06/0.08/0.12 µT) per axis
///   and measurement, times the unit's `noiseFactor`;
/// * the magnetisation at power-on is the SET state; a pulse takes no time;
/// * a measurement takes the BW's time (8/4/2/0.5 ms); a temperature measurement 2 ms and reads `temperature`;
/// * continuous mode's first measurement ends one CM_Freq period after the Control2 write.
struct MMC5983MAModel: BufferReadChip {
    private typealias Register = MMC5983MA.Register
    /// Datasheet RMS noise by BW code, µT (sensors.md §3.2).
    static let noiseByBandwidth = [0.04, 0.06, 0.08, 0.12]
    static let temperatureTime = 0.002

    /// A field the unit sees besides the bench coil's (a test's fixed field, a board's hard iron), µT, chip axes.
    var appliedField: FieldVector
    /// The unit's scale and cross-axis response to the coil's field.
    var response = FieldResponse.ideal
    /// The unit's bridge offset, µT: it survives SET and RESET, which is what the sequence removes.
    let bridgeOffset: FieldVector
    /// Noise relative to the datasheet figure.
    let noiseFactor: Double
    /// Die temperature, °C.
    var temperature: Double
    private var random: SeededRandom
    /// The register file in the model itself: an array was a uniqueness check (and a bounds check through its
    /// buffer) on every register a conversion stores.
    private var registers = InlineArray<0x40, UInt8>(repeating: 0)
    private var pointer: UInt8 = 0
    /// +1 after a SET pulse, −1 after a RESET pulse: the sign of the field term.
    private(set) var magnetisation = 1.0
    /// A single measurement in progress: when it ends and the magnetisation it measures with.
    private var single: (due: Double, sign: Double)?
    private var temperatureDue: Double?
    /// Continuous mode's start and CM_Freq rate (Hz), set when Control2 is written: the model's every bus access asks.
    private var continuous: (start: Double, rate: Double)?
    private var lastConversion = 0

    init(appliedField: FieldVector = FieldVector(x: 0, y: 0, z: 0), bridgeOffset: FieldVector = FieldVector(x: 0, y: 0, z: 0),
         noiseFactor: Double = 1, temperature: Double = 25, random: SeededRandom) {
        self.appliedField = appliedField
        self.bridgeOffset = bridgeOffset
        self.noiseFactor = noiseFactor
        self.temperature = temperature
        self.random = random
        reset()
    }

    /// Power-on / SW_RST: outputs at null code, controls 0, Product ID 0x30, OTP read done.
    private mutating func reset() {
        registers = InlineArray(repeating: 0)
        registers[Int(Register.productID.rawValue)] = MMC5983MA.productIDValue
        registers[Int(Register.status.rawValue)] = 0x10
        magnetisation = 1
        single = nil
        temperatureDue = nil
        continuous = nil
        lastConversion = 0
    }

    private var bandwidth: Int { Int(registers[Int(Register.control1.rawValue)] & 0x03) }

    /// The continuous rate, Hz; nil when Cmm_en is off or CM_Freq is 0.
    private var continuousRate: Double? {
        let control2 = registers[Int(Register.control2.rawValue)]
        let code = Int(control2 & 0x07)
        guard control2 & MMC5983MA.continuousEnable != 0, code > 0 else { return nil }
        return MMC5983MA.continuousRates[code - 1]
    }

    // MARK: I2C

    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        guard let first = bytes.first else { return }
        update(at: time, coil: environment.coil)
        pointer = first & 0x3F
        for value in bytes.dropFirst() {
            store(value, in: pointer, at: time)
            pointer = (pointer &+ 1) & 0x3F
        }
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        update(at: time, coil: environment.coil)
        for index in buffer.indices {
            buffer[index] = registers[Int(pointer)]
            pointer = (pointer &+ 1) & 0x3F
        }
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        switch register {
        case Register.status.rawValue:
            registers[Int(register)] &= ~(value & 0x03)         // write 1 to clear the done bits
        case Register.control0.rawValue:
            // Commands: the bits clear themselves, so the register reads 0.
            if value & MMC5983MA.setPulse != 0 { magnetisation = 1 }
            if value & MMC5983MA.resetPulse != 0 { magnetisation = -1 }
            if value & MMC5983MA.startMeasurement != 0 {
                single = (time + MMC5983MA.measurementTimes[bandwidth], magnetisation)
            }
            if value & 0x02 != 0 { temperatureDue = time + Self.temperatureTime }
        case Register.control1.rawValue:
            if value & MMC5983MA.softwareReset != 0 { reset(); return }
            registers[Int(register)] = value & 0x1F
        case Register.control2.rawValue:
            registers[Int(register)] = value
            continuous = continuousRate.map { (time, $0) }
            lastConversion = 0
        case Register.control3.rawValue:
            registers[Int(register)] = value
        default:
            break                                               // read-only registers ignore writes
        }
    }

    // MARK: Conversions

    /// A conversion reads the bench coil's field as of the bus access that produced it (the run discards readings for
    /// a settle time after each field step, so the difference never reaches a figure).
    private mutating func update(at time: Double, coil: FieldCoil) {
        if let pending = single, time >= pending.due {
            single = nil
            convert(sign: pending.sign, coilField: response.apply(coil.field(at: time)))
        }
        if let due = temperatureDue, time >= due {
            temperatureDue = nil
            // T ≈ −75 + 0.8·Tout (sensors.md §3.2), inverted.
            registers[Int(Register.temperature.rawValue)] = UInt8(Swift.min(Swift.max(((temperature + 75) / 0.8).rounded(), 0), 255))
            registers[Int(Register.status.rawValue)] |= 0x02
        }
        guard let (start, rate) = continuous else { return }
        let latest = ((time - start) * rate).flooredToInt
        guard latest > lastConversion else { return }
        lastConversion = latest
        convert(sign: magnetisation, coilField: response.apply(coil.field(at: time)))
    }

    /// One measurement with the field term signed by the magnetisation: the 18-bit codes packed as §3.2 lays them
    /// out, and Meas_M_Done.
    private mutating func convert(sign: Double, coilField: FieldVector) {
        let sigma = Self.noiseByBandwidth[bandwidth] * noiseFactor
        var low: UInt8 = 0
        for axis in 0..<3 {
            let field = appliedField[axis] + coilField[axis]
            let microtesla = sign * field + bridgeOffset[axis] + sigma * random.gaussian()
            let unclipped = Double(MMC5983MA.nullFieldCode) + (microtesla * MMC5983MA.countsPerMicrotesla).roundedToNearest
            let code = Int64(Swift.min(Swift.max(unclipped, Double(MMC5983MA.codeRange.lowerBound)),
                                       Double(MMC5983MA.codeRange.upperBound)))
            registers[2 * axis] = UInt8(code >> 10 & 0xFF)
            registers[2 * axis + 1] = UInt8(code >> 2 & 0xFF)
            low |= UInt8(code & 0x03) << UInt8(6 - 2 * axis)
        }
        registers[6] = low
        registers[Int(Register.status.rawValue)] |= MMC5983MA.measurementDone
    }
}
