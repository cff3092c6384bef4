import SensorDrivers

/// Register-level model of an Infineon DPS310 (reference/sensors.md §2.3): product id, COEF and COEF_SRCE,
/// PRS_CFG/TMP_CFG/CFG_REG, MEAS_CFG modes and status bits, INT_STS, soft reset and register auto-increment.
/// Raw codes are made by inverting the driver's own compensation (`DPS310Coefficients`), quantised like the
/// ADC to one LSB, so a correct driver reads the unit's indicated pressure.
///
/// The chip's traps are modelled so that a driver that misses one reads wrong values:
/// - COEF_RDY and SENSOR_RDY rise `readyDelay` after power-up; until then COEF reads 0 and MEAS_CTRL writes
///   are ignored.
/// - Results are Psc·(2·OSR − 1)·2^19, shifted right by 6 bits when CFG_REG P_SHIFT/T_SHIFT is
///   set; the driver's kP/kT table assumes the shift exactly from ×16 up, so a missing shift reads 64× too far
///   out and overflows the 24-bit register (it wraps, two's complement).
/// - The temperature fix: until 0x62 ← 0x02 is written with 0x0E/0x0F unlocked, temperatures read
///   `unfixedTemperatureError` high ("~60 °C at ~20 °C", sensors.md §2.3).
/// - TMP_CFG bit 7 must match COEF_SRCE bit 7; the other sensor reads `otherSensorTemperatureError` high.
/// Both temperature faults also spoil the pressure: its raw code follows the true temperature.
/// - A new MEAS_CTRL mode is taken only from idle (MEAS_CFG "doesn't update correctly unless first written
///   with 0", sensors.md §7); the mode captures PRS_CFG, TMP_CFG and CFG_REG when it starts.
struct DPS310Model: SimulatedI2CChip {
    /// COEF_RDY and SENSOR_RDY delay after power-up or soft reset, s (Linux: "available 40ms after the device
    /// has started").
    static let readyDelay = 0.040
    /// Temperature error of a part that did not get the fix, °C (sensors.md §2.3: ~60 °C at ~20 °C).
    static let unfixedTemperatureError = 40.0
    /// Temperature error when measuring with the sensor the coefficients were not made for, °C: a model value,
    /// no datasheet figure.
    static let otherSensorTemperatureError = 5.0
    /// Pressure precision (Pa RMS) by oversampling code 0…7 as sensors.md §2.3 recalls the datasheet table
    /// ([unverified] there); ×128 is not in the table and is taken equal to ×64. Only the ratios are used.
    static let precision: [Double] = [2.5, 1.0, 0.5, 0.4, 0.35, 0.3, 0.2, 0.2]

    let coefficients: DPS310Coefficients
    /// COEF_SRCE bit 7: 1 when the coefficients were made with the external (MEMS) temperature sensor.
    let externalSensorCalibrated: Bool
    private var unit: SimulatedPressureUnit
    private var registers = [UInt8](repeating: 0, count: 0x80)
    private var pointer: UInt8 = 0
    private var poweredAt: Double
    private var temperatureFixed = false
    private var mode: Mode?
    private var lastPressure = -1
    private var lastTemperature = -1
    private var lastEdge = -1
    /// Scaled temperature Tsc of the latest measurement as the right sensor saw it: what the pressure cell's
    /// raw code follows.
    private var latestTemperature: Double?

    /// - Parameters:
    ///   - coefficients: the 18 COEF bytes (0x10–0x21).
    ///   - coefficientSource: the COEF_SRCE byte (0x28); bit 7 set = external sensor.
    ///   - poweredAt: bench time of power-up, s.
    init(coefficients bytes: [UInt8], errors: PressureUnitErrors, random: SeededRandom,
         coefficientSource: UInt8 = 0x80, poweredAt: Double = 0) {
        guard let coefficients = DPS310Coefficients(coef: bytes) else { preconditionFailure("DPS310 COEF must be 18 bytes") }
        self.coefficients = coefficients
        externalSensorCalibrated = coefficientSource & 0x80 != 0
        unit = SimulatedPressureUnit(errors: errors, random: random)
        self.poweredAt = poweredAt
        reset(at: poweredAt)
        registers[0x28] = coefficientSource
    }

    /// The white pressure noise at an oversampling factor, Pa: the unit's ×1 noise scaled by the precision table.
    static func noise(_ errors: PressureUnitErrors, oversampling: Int) -> Double {
        errors.noiseAtX1 * precision[oversampling.trailingZeroBitCount] / precision[0]
    }

    private mutating func reset(at time: Double) {
        let source = registers[0x28]
        registers = [UInt8](repeating: 0, count: 0x80)
        registers[0x0D] = DPS310.productID
        registers[0x28] = source
        registers[0x32] = 0x00                      // bit 1 clear: this part needs the temperature fix
        poweredAt = time
        temperatureFixed = false
        mode = nil
        lastPressure = -1
        lastTemperature = -1
        lastEdge = -1
        latestTemperature = nil
    }

    private func isReady(at time: Double) -> Bool { time >= poweredAt + Self.readyDelay }

    // MARK: I2C

    /// A write: the first byte sets the register pointer, further bytes go to consecutive registers.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        let chamber = environment.pressure
        guard let first = bytes.first else { return }
        update(at: time, chamber: chamber)
        pointer = first & 0x7F
        for (offset, value) in bytes.dropFirst().enumerated() {
            store(value, in: (pointer &+ UInt8(offset)) & 0x7F, at: time)
        }
    }

    /// A read from the register pointer with auto-increment.
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        let chamber = environment.pressure
        update(at: time, chamber: chamber)
        var out: [UInt8] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            out.append(load(pointer, at: time))
            pointer = (pointer &+ 1) & 0x7F
        }
        return out
    }

    private mutating func load(_ register: UInt8, at time: Double) -> UInt8 {
        switch register {
        case 0x00...0x02:
            registers[0x08] &= ~DPS310.pressureReady       // cleared when the result is read
            return registers[Int(register)]
        case 0x03...0x05:
            registers[0x08] &= ~DPS310.temperatureReady
            return registers[Int(register)]
        case 0x08:
            let ready = isReady(at: time) ? DPS310.coefficientsReady | DPS310.sensorReady : 0
            return registers[0x08] | ready
        case 0x0A:
            let value = registers[0x0A]
            registers[0x0A] = 0                             // INT_STS clears on read
            return value
        case 0x10...0x21:
            return isReady(at: time) ? coefficients.bytes[Int(register) - 0x10] : 0
        default:
            return registers[Int(register)]
        }
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        switch register {
        case 0x06, 0x07, 0x09, 0x0E, 0x0F:
            registers[Int(register)] = value
        case 0x62:
            registers[0x62] = value
            if value == 0x02 && registers[0x0E] == 0xA5 && registers[0x0F] == 0x96 { temperatureFixed = true }
        case 0x08:
            startMode(value & 0x07, at: time)
        case 0x0C:
            if value & 0x0F == 0x09 { reset(at: time) }     // soft reset: a new power-up
        default:
            break                                           // read-only or not modelled
        }
    }

    private mutating func startMode(_ control: UInt8, at time: Double) {
        if control == 0 {
            registers[0x08] &= ~0x07
            mode = nil
            return
        }
        // Only from idle, only once the sensor is ready, only the documented modes (1, 2, 5, 6, 7).
        guard registers[0x08] & 0x07 == 0, isReady(at: time), [1, 2, 5, 6, 7].contains(control) else { return }
        registers[0x08] = (registers[0x08] & ~0x07 & ~(DPS310.pressureReady | DPS310.temperatureReady)) | control
        mode = Mode(control: control, start: time, pressure: registers[0x06], temperature: registers[0x07],
                    configuration: registers[0x09])
        lastPressure = -1
        lastTemperature = -1
        lastEdge = -1
    }

    // MARK: Measurements

    /// The SDO/INT pin pulses at each pressure result while the mode runs with CFG_REG INT_SEL PRS (bit 4) set.
    /// The driver leaves it off: in I2C mode SDO also straps the address, and a board that ties it to a rail
    /// must not have the chip drive it.
    mutating func dataReadyEdges(through time: Double, environment: BenchEnvironment) -> [Double] {
        guard let mode, mode.interruptOnPressure, let index = mode.latestPressure(at: time), index > lastEdge else { return [] }
        let edges = (lastEdge + 1...index).map { mode.pressureCompletion($0) }
        lastEdge = index
        return edges
    }

    /// Produces the measurements completed by `time`: the latest of each kind, the temperature that preceded a
    /// pressure first, as the chip sequences them.
    private mutating func update(at time: Double, chamber: PressureChamber) {
        guard let mode else { return }
        if let p = mode.latestPressure(at: time), p > lastPressure {
            let completed = mode.pressureCompletion(p)
            if let t = mode.latestTemperature(at: completed), t > lastTemperature {
                measureTemperature(at: mode.temperatureCompletion(t), mode: mode, chamber: chamber)
                lastTemperature = t
            }
            measurePressure(at: completed, mode: mode, chamber: chamber)
            lastPressure = p
        }
        if let t = mode.latestTemperature(at: time), t > lastTemperature {
            measureTemperature(at: mode.temperatureCompletion(t), mode: mode, chamber: chamber)
            lastTemperature = t
        }
        if !mode.isContinuous && mode.isDone(at: time) {
            registers[0x08] &= ~0x07                        // command mode returns to idle by itself
            self.mode = nil
        }
    }

    private mutating func measureTemperature(at time: Double, mode: Mode, chamber: PressureChamber) {
        let celsius = unit.indicated(at: time, chamber: chamber, noise: 0).temperature
        let scale = mode.temperatureScale
        let clean = ((celsius - Double(coefficients.c0) * 0.5) / Double(coefficients.c1) * scale).rounded()
        latestTemperature = clean / scale
        var error = 0.0
        if !temperatureFixed { error += Self.unfixedTemperatureError }
        if mode.externalSensor != externalSensorCalibrated { error += Self.otherSensorTemperatureError }
        put24(clean + error / Double(coefficients.c1) * scale, at: 0x03)
        registers[0x08] |= DPS310.temperatureReady
        if registers[0x09] & 0x20 != 0 { registers[0x0A] |= 0x02 }   // INT_SEL TMP → INT_STS INT_TMP
    }

    private mutating func measurePressure(at time: Double, mode: Mode, chamber: PressureChamber) {
        let noise = Self.noise(unit.errors, oversampling: mode.pressureOversampling)
        let indicated = unit.indicated(at: time, chamber: chamber, noise: noise)
        let t = latestTemperature ?? (indicated.temperature - Double(coefficients.c0) * 0.5) / Double(coefficients.c1)
        put24(scaledPressure(for: indicated.pressure, temperature: t) * mode.pressureScale, at: 0x00)
        registers[0x08] |= DPS310.pressureReady
        if registers[0x09] & 0x10 != 0 { registers[0x0A] |= 0x01 }   // INT_SEL PRS → INT_STS INT_PRS
    }

    /// Newton's method for Psc on the cubic compensation at Tsc (monotonic over the sensor's range), from the
    /// linear guess.
    private func scaledPressure(for pascal: Double, temperature t: Double) -> Double {
        var p = (pascal - Double(coefficients.c00)) / Double(coefficients.c10)
        for _ in 0..<8 {
            let f = coefficients.pressure(rawPressure: p, rawTemperature: t, kP: 1, kT: 1) - pascal
            p -= f / coefficients.pressureSlope(rawPressure: p, rawTemperature: t, kP: 1, kT: 1)
        }
        return p
    }

    /// Rounds like the ADC and keeps the low 24 bits, as the 24-bit result register does with a value that
    /// does not fit.
    private mutating func put24(_ value: Double, at register: Int) {
        let code = UInt32(truncatingIfNeeded: Int64(value.rounded())) & 0xFF_FFFF
        registers[register] = UInt8(code >> 16)
        registers[register + 1] = UInt8((code >> 8) & 0xFF)
        registers[register + 2] = UInt8(code & 0xFF)
    }
}

extension DPS310Model {
    /// A measurement mode as MEAS_CTRL started it, with the settings it captured.
    struct Mode {
        var control: UInt8
        var start: Double
        var pressureOversampling: Int
        var temperatureOversampling: Int
        var pressureRate: Double
        var temperatureRate: Double
        var pressureShift: Bool
        var temperatureShift: Bool
        var externalSensor: Bool
        var interruptOnPressure: Bool

        init(control: UInt8, start: Double, pressure: UInt8, temperature: UInt8, configuration: UInt8) {
            self.control = control
            self.start = start
            pressureOversampling = 1 << Int(pressure & 0x07)
            temperatureOversampling = 1 << Int(temperature & 0x07)
            pressureRate = Double(1 << Int((pressure >> 4) & 0x07))
            temperatureRate = Double(1 << Int((temperature >> 4) & 0x07))
            pressureShift = configuration & DPS310.pressureShift != 0
            temperatureShift = configuration & DPS310.temperatureShift != 0
            externalSensor = temperature & DPS310.externalTemperatureSensor != 0
            interruptOnPressure = configuration & 0x10 != 0
        }

        var isContinuous: Bool { control & 0x04 != 0 }
        var measuresPressure: Bool { control & 0x01 != 0 }
        var measuresTemperature: Bool { control & 0x02 != 0 }
        var pressureBusy: Double { DPS310.busyTime(oversampling: pressureOversampling) }
        var temperatureBusy: Double { DPS310.busyTime(oversampling: temperatureOversampling) }

        /// Result scale: (2·OSR − 1)·2^19, shifted right 6 bits by the shift bit.
        static func scale(oversampling: Int, shifted: Bool) -> Double {
            Double(2 * oversampling - 1) * 524_288 / (shifted ? 64 : 1)
        }
        var pressureScale: Double { Self.scale(oversampling: pressureOversampling, shifted: pressureShift) }
        var temperatureScale: Double { Self.scale(oversampling: temperatureOversampling, shifted: temperatureShift) }

        /// A setup whose busy time exceeds a second per second runs slower by that factor.
        var stretch: Double {
            Swift.max(1, (measuresPressure ? pressureRate * pressureBusy : 0)
                + (measuresTemperature ? temperatureRate * temperatureBusy : 0))
        }

        func temperatureCompletion(_ index: Int) -> Double {
            start + Double(index) * stretch / temperatureRate + temperatureBusy
        }

        /// Each pressure follows its period's temperature when both are measured.
        func pressureCompletion(_ index: Int) -> Double {
            start + Double(index) * stretch / pressureRate + (measuresTemperature ? temperatureBusy : 0) + pressureBusy
        }

        func latestTemperature(at time: Double) -> Int? {
            guard measuresTemperature else { return nil }
            return latest(first: temperatureCompletion(0), period: stretch / temperatureRate, at: time)
        }

        func latestPressure(at time: Double) -> Int? {
            guard measuresPressure else { return nil }
            return latest(first: pressureCompletion(0), period: stretch / pressureRate, at: time)
        }

        /// Command modes make one measurement.
        private func latest(first: Double, period: Double, at time: Double) -> Int? {
            guard time >= first else { return nil }
            return isContinuous ? Int(((time - first) / period).rounded(.down)) : 0
        }

        func isDone(at time: Double) -> Bool {
            time >= (measuresPressure ? pressureCompletion(0) : temperatureCompletion(0))
        }
    }
}
