import SensorDrivers

/// Register-level model of a BMP390 (BST-BMP390-DS002 §5): chip id, NVM, OSR/ODR/CONFIG, PWR_CTRL modes,
/// STATUS and INT_STATUS data-ready bits, ERR.conf_err, soft reset, register auto-increment and the data
/// register shadowing of a burst read. Raw ADC values are made by inverting the chip's own compensation
/// (the driver's `BMP390Calibration`), so the driver's output is the simulated physical value plus the
/// unit's errors, quantised to one LSB like the real ADC.
struct BMP390Model: BufferReadChip {
    let calibration: BMP390Calibration
    private var unit: SimulatedPressureUnit
    /// The register file in the model itself: an array was a uniqueness check (and a bounds check through its
    /// buffer) on every register a conversion stores.
    private var registers = InlineArray<0x80, UInt8>(repeating: 0)
    private var pointer: UInt8 = 0
    /// Normal-mode start time and the index of the last conversion produced.
    private var normalStart: Double?
    private var lastConversion = -1
    /// The data block 0x04–0x09 latched by a burst, byte i at bits 8i…8i+7.
    private var shadow: UInt64?
    /// The raw pressure last made: Newton's method starts from it (`rawPressure`).
    private var lastRawPressure = 7_000_000.0
    /// Index of the last conversion whose INT edge was reported.
    private var lastEdge = -1
    /// OSR and ODR decoded, with the conversion period and time they give: set when 0x1C or 0x1D is written, read at
    /// every bus access (decoding them each time was a tenth of the model's work).
    private var timing = Timing(registers: InlineArray(repeating: 0))

    private struct Timing {
        let configuration: BMP390Configuration
        /// 1/ODR, s.
        let period: Double
        /// One conversion at the OSR, s.
        let measurementTime: Double

        init(registers: InlineArray<0x80, UInt8>) {
            let osr = registers[0x1C]
            configuration = BMP390Configuration(
                pressureOversampling: .init(rawValue: 1 << Int(osr & 0x07)) ?? .x32,
                temperatureOversampling: .init(rawValue: 1 << Int((osr >> 3) & 0x07)) ?? .x32,
                outputDataRate: .init(code: registers[0x1D] & 0x1F) ?? .init(code: 0x11)!,
                iirFilter: .off)
            period = 1 / configuration.outputDataRate.hertz
            measurementTime = configuration.measurementTime
        }
    }

    init(nvm: [UInt8], errors: PressureUnitErrors, random: SeededRandom) {
        guard let calibration = BMP390Calibration(nvm: nvm) else { preconditionFailure("BMP390 NVM must be 21 bytes") }
        self.calibration = calibration
        unit = SimulatedPressureUnit(errors: errors, random: random)
        reset()
    }

    private mutating func reset() {
        registers = InlineArray(repeating: 0)
        registers[0x00] = BMP390.chipIDBMP390
        registers[0x01] = 0x01                      // REV_ID
        registers[0x03] = 0x10                      // cmd_rdy
        registers[0x10] = 0x01                      // por_detected
        registers[0x1C] = 0x02                      // OSR reset value: osr_p ×4
        registers[0x1F] = 0x00
        for (i, byte) in calibration.nvm.enumerated() { registers[0x31 + i] = byte }
        normalStart = nil
        lastConversion = -1
        lastEdge = -1
        shadow = nil
        timing = Timing(registers: registers)
    }

    // MARK: I2C

    /// A write: first byte sets the register pointer; further bytes are (data, address, data …) pairs as the
    /// BMP3 interface defines a multi-byte write (datasheet §6.1.2): the first data byte goes to the pointer.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        let chamber = environment.pressure
        guard let first = bytes.first else { return }
        pointer = first & 0x7F
        shadow = nil
        var index = 1
        var register = pointer
        while index < bytes.count {
            store(bytes[index], in: register, at: time, chamber: chamber)
            index += 1
            if index < bytes.count { register = bytes[index] & 0x7F; index += 1 }
        }
    }

    /// A read from the register pointer with auto-increment.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        update(at: time, chamber: environment.pressure)
        for index in buffer.indices {
            buffer[index] = load(pointer)
            pointer = (pointer &+ 1) & 0x7F
        }
        shadow = nil
    }

    private mutating func load(_ register: UInt8) -> UInt8 {
        switch register {
        case 0x04...0x09:
            // Shadowing: the whole data block is latched at the first data byte of a burst.
            let latched = shadow ?? (0..<6).reduce(0) { $0 | UInt64(registers[0x04 + $1]) << (8 * $1) }
            if shadow == nil {
                shadow = latched
                registers[0x03] &= ~(BMP390.statusPressureReady | BMP390.statusTemperatureReady)
            }
            return UInt8(truncatingIfNeeded: latched >> (8 * (UInt64(register) - 0x04)))
        case 0x10, 0x11:
            let value = registers[Int(register)]
            registers[Int(register)] = 0            // cleared on read
            return value
        default:
            return registers[Int(register)]
        }
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double, chamber: PressureChamber) {
        switch register {
        case 0x7E:
            if value == BMP390.softResetCommand { reset() }
        case 0x1B:
            registers[0x1B] = value & 0x33
            let mode = (value >> 4) & 0x03
            if mode == 0x03 {
                registers[0x02] &= ~BMP390.errorConfiguration
                if timing.configuration.isFeasible {
                    normalStart = time
                    lastConversion = -1
                    lastEdge = -1
                } else {
                    // Datasheet §4.3.2: an OSR/ODR pair whose conversion outlasts the period is refused.
                    registers[0x02] |= BMP390.errorConfiguration
                    registers[0x1B] &= 0x03
                    normalStart = nil
                }
            } else {
                normalStart = nil
            }
        case 0x1C, 0x1D:
            registers[Int(register)] = value
            timing = Timing(registers: registers)
        case 0x1F, 0x19, 0x1A, 0x15, 0x16, 0x17, 0x18:
            registers[Int(register)] = value
        default:
            break                                   // read-only registers ignore writes
        }
    }

    // MARK: Conversions

    /// INT pulses at each conversion end while INT_CTRL.drdy_en (bit 6) is set (datasheet §3.7).
    mutating func dataReadyEdges(through time: Double, environment: BenchEnvironment) -> [Double] {
        guard let start = normalStart, registers[0x19] & 0x40 != 0 else { return [] }
        let (period, measurementTime) = (timing.period, timing.measurementTime)
        let elapsed = time - start - measurementTime
        guard elapsed >= 0 else { return [] }
        let index = (elapsed / period).flooredToInt
        guard index > lastEdge else { return [] }
        let edges = (lastEdge + 1...index).map { start + measurementTime + Double($0) * period }
        lastEdge = index
        return edges
    }

    /// Produces the latest conversion completed by `time`, if a new one completed.
    private mutating func update(at time: Double, chamber: PressureChamber) {
        guard let start = normalStart else { return }
        let (period, measurementTime) = (timing.period, timing.measurementTime)
        let elapsed = time - start - measurementTime
        guard elapsed >= 0 else { return }
        let index = (elapsed / period).flooredToInt
        guard index > lastConversion else { return }
        let conversionTime = start + measurementTime + Double(index) * period
        convert(at: conversionTime, configuration: timing.configuration, chamber: chamber)
        lastConversion = index
        registers[0x03] |= BMP390.statusPressureReady | BMP390.statusTemperatureReady
        registers[0x11] |= 0x08                     // INT_STATUS drdy
    }

    private mutating func convert(at time: Double, configuration: BMP390Configuration, chamber: PressureChamber) {
        let (indicated, indicatedTemperature) = unit.indicated(
            at: time, chamber: chamber, noise: unit.errors.noise(oversampling: configuration.pressureOversampling.factor))
        let uT = rawTemperature(for: indicatedTemperature)
        let t = calibration.temperature(rawTemperature: uT)
        let uP = rawPressure(for: indicated, temperature: t)
        if uP > 0, uP < 0xFF_FFFF { lastRawPressure = Double(uP) }   // a clamped value is no start for Newton
        put24(uP, at: 0x04)
        put24(uT, at: 0x07)
    }

    /// Solves d1·T2 + d1²·T3 = T for the raw temperature (the root near T/T2), rounded like the ADC.
    private func rawTemperature(for celsius: Double) -> UInt32 {
        let a = calibration.t3, b = calibration.t2
        let d1 = abs(a) < 1e-300 ? celsius / b : (-b + (b * b + 4 * a * celsius).squareRoot()) / (2 * a)
        return clamp24(calibration.t1 + d1)
    }

    /// Newton's method on the compensation polynomial, which is monotonic over the 24-bit range. It starts from
    /// the last conversion's raw value, a few LSB away between readings, and stops once a step is below 10⁻⁶ LSB,
    /// far inside the rounding to whole LSB: one to three steps instead of eight from a fixed start.
    private func rawPressure(for pascal: Double, temperature t: Double) -> UInt32 {
        var u = lastRawPressure
        for _ in 0..<8 {
            let step = (calibration.pressure(rawPressure: u, temperature: t) - pascal)
                / calibration.pressureStep(rawPressure: u, temperature: t)
            u -= step
            if step.magnitude < 1e-6 { break }
        }
        return clamp24(u)
    }

    private func clamp24(_ value: Double) -> UInt32 {
        UInt32(Swift.min(Swift.max(value.roundedToNearest, 0), Double(0xFF_FFFF)))
    }

    private mutating func put24(_ value: UInt32, at register: Int) {
        registers[register] = UInt8(value & 0xFF)
        registers[register + 1] = UInt8((value >> 8) & 0xFF)
        registers[register + 2] = UInt8((value >> 16) & 0xFF)
    }
}
