import SensorIO

/// Infineon DPS310 barometric pressure sensor over I2C (reference/sensors.md §1, §2.3, §7; Infineon
/// DPS310-Pressure-Sensor library; Linux `drivers/iio/pressure/dps310.c`). Host-compensated: the driver reads
/// the COEF block once and compensates every conversion in Double. Registers and formulas only: no sleeps,
/// no retries; a chip that is not ready yet makes `probe()` throw, and the engine probes again.
///
/// The three traps of sensors.md §2.3/§7 are handled in `configure(_:)`: the result shift bits (CFG_REG bit 2
/// P_SHIFT, bit 3 T_SHIFT, not the kernel's bit 4) for OSR > 8, the temperature sensor the coefficients were
/// made with (COEF_SRCE bit 7 copied to TMP_CFG bit 7), the undocumented 0x0E/0x0F/0x62 fix, and MEAS_CFG
/// written 0 before a new mode.
public final class DPS310: PressureSensor {
    /// Register addresses (sensors.md §2.3 register table).
    public enum Register: UInt8, Sendable {
        case pressure = 0x00                    // PSR_B2…B0, 24-bit two's complement, MSB first
        case temperature = 0x03                 // TMP_B2…B0
        case pressureConfiguration = 0x06       // PRS_CFG: bits 6:4 PM_RATE, bits 3:0 PM_PRC
        case temperatureConfiguration = 0x07    // TMP_CFG: bit 7 TMP_EXT, bits 6:4 TMP_RATE, bits 3:0 TMP_PRC
        case measurementConfiguration = 0x08    // MEAS_CFG: bits 2:0 MEAS_CTRL, bits 7:4 status
        case configuration = 0x09               // CFG_REG: bit 3 T_SHIFT, bit 2 P_SHIFT
        case interruptStatus = 0x0A             // INT_STS, cleared on read
        case reset = 0x0C
        case productID = 0x0D
        case coefficients = 0x10                // COEF, 18 bytes
        case coefficientSource = 0x28           // COEF_SRCE: bit 7 = sensor the coefficients were made with
    }

    /// PROD_ID 0 in the low nibble, REV_ID 1 in the high nibble.
    public static let productID: UInt8 = 0x10
    /// MEAS_CFG status bits.
    public static let coefficientsReady: UInt8 = 1 << 7
    public static let sensorReady: UInt8 = 1 << 6
    public static let temperatureReady: UInt8 = 1 << 5
    public static let pressureReady: UInt8 = 1 << 4
    /// MEAS_CTRL 0b111: continuous pressure and temperature (background mode).
    public static let continuousPressureAndTemperature: UInt8 = 0x07
    /// CFG_REG result shift bits, required when the oversampling is above ×8 (sensors.md §2.3 "Shift bits").
    public static let pressureShift: UInt8 = 1 << 2
    public static let temperatureShift: UInt8 = 1 << 3
    /// TMP_CFG bit 7 and COEF_SRCE bit 7: 1 = the external (MEMS) temperature sensor.
    public static let externalTemperatureSensor: UInt8 = 1 << 7
    /// Infineon's fix for parts that read ~60 °C at ~20 °C: writes to undocumented registers (sensors.md §2.3
    /// start-up step 3). Applied unconditionally, as Infineon does; Linux skips it when 0x32 bit 1 is set.
    public static let temperatureFix: [(register: UInt8, value: UInt8)] = [
        (0x0E, 0xA5), (0x0F, 0x96), (0x62, 0x02), (0x0E, 0x00), (0x0F, 0x00),
    ]
    /// Measurement rates of the PM_RATE/TMP_RATE fields, per second: 2^0 … 2^7.
    public static let rates: [Double] = (0...7).map { Double(1 << $0) }

    /// Time one measurement keeps the chip busy at an oversampling factor, s: 2.0 ms + 1.6 ms·OSR
    /// (Infineon calcBusyTime, sensors.md §2.3 "Timing").
    public static func busyTime(oversampling: Int) -> Double { 0.0020 + 0.0016 * Double(oversampling) }

    /// A measurement setup: the register values it writes and the time it takes.
    public struct Configuration: Sendable, Equatable {
        /// Pressure oversampling factor, 1, 2, 4 … 128.
        public let pressureOversampling: Int
        /// Temperature oversampling factor, 1, 2, 4 … 128.
        public let temperatureOversampling: Int
        /// Measurements per second of each of pressure and temperature, 1, 2, 4 … 128.
        public let rate: Int
        /// Whether to measure temperature with the external (MEMS) sensor, as COEF_SRCE says.
        public var externalTemperatureSensor: Bool

        /// nil unless both oversampling factors and the rate are powers of two from 1 to 128.
        public init?(pressureOversampling: Int, temperatureOversampling: Int, rate: Int, externalTemperatureSensor: Bool) {
            let fields = [pressureOversampling, temperatureOversampling, rate]
            guard fields.allSatisfy({ $0 >= 1 && $0 <= 128 && $0.nonzeroBitCount == 1 }) else { return nil }
            self.pressureOversampling = pressureOversampling
            self.temperatureOversampling = temperatureOversampling
            self.rate = rate
            self.externalTemperatureSensor = externalTemperatureSensor
        }

        /// PRS_CFG: PM_RATE (log2 rate) in bits 6:4, PM_PRC (log2 OSR) in bits 3:0.
        public var pressureRegister: UInt8 {
            UInt8(rate.trailingZeroBitCount) << 4 | UInt8(pressureOversampling.trailingZeroBitCount)
        }
        /// TMP_CFG: TMP_EXT from COEF_SRCE, TMP_RATE, TMP_PRC.
        public var temperatureRegister: UInt8 {
            (externalTemperatureSensor ? DPS310.externalTemperatureSensor : 0)
                | UInt8(rate.trailingZeroBitCount) << 4 | UInt8(temperatureOversampling.trailingZeroBitCount)
        }
        /// CFG_REG: the shift bits where the oversampling is above ×8; interrupts and FIFO off.
        public var configurationRegister: UInt8 {
            (pressureOversampling > 8 ? DPS310.pressureShift : 0) | (temperatureOversampling > 8 ? DPS310.temperatureShift : 0)
        }
        /// Busy time of one pressure and one temperature measurement, s.
        public var conversionTime: Double {
            DPS310.busyTime(oversampling: pressureOversampling) + DPS310.busyTime(oversampling: temperatureOversampling)
        }
        // Force-unwrapped safely: init admits only the factors the table has.
        var kP: Double { DPS310Coefficients.scaleFactor(oversampling: pressureOversampling)! }
        var kT: Double { DPS310Coefficients.scaleFactor(oversampling: temperatureOversampling)! }
    }

    public static let driverName = "dps310"
    public let device: I2CDevice
    /// The unit's coefficients, read by `probe()`.
    public private(set) var coefficients: DPS310Coefficients?
    /// COEF_SRCE bit 7 as read by `probe()`.
    public private(set) var coefficientsUseExternalSensor = true
    /// The setup `configure(_:)` wrote.
    public private(set) var configuration: Configuration?
    /// Whether a temperature measured since `configure` is in TMP: pressures are compensated with the latest
    /// temperature (sensors.md §2.3 notes), and the first one must postdate the temperature fix.
    private var temperatureMeasured = false

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Checks the product id and that the chip has finished its start-up (MEAS_CFG COEF_RDY and SENSOR_RDY,
    /// set ~40 ms after power-up), then reads COEF and COEF_SRCE. Reads only; never waits.
    public func probe() throws(DriverError) -> SensorIdentity {
        let id = try device.registers(Register.productID.rawValue, count: 1)[0]
        guard id == Self.productID else {
            throw .wrongChip(model: "DPS310", register: Register.productID.rawValue, expected: [Self.productID], found: id)
        }
        let status = try device.registers(Register.measurementConfiguration.rawValue, count: 1)[0]
        let ready = Self.coefficientsReady | Self.sensorReady
        guard status & ready == ready else {
            throw .invalidCalibration(
                model: "DPS310",
                reason: "not ready yet: MEAS_CFG 0x08 reads 0x\(hex(status)) (COEF_RDY bit 7 = \(status >> 7 & 1), "
                    + "SENSOR_RDY bit 6 = \(status >> 6 & 1)); the chip sets both about 40 ms after power-up, probe again")
        }
        let bytes = try device.registers(Register.coefficients.rawValue, count: DPS310Coefficients.byteCount)
        guard let coefficients = DPS310Coefficients(coef: bytes), coefficients.isPlausible else {
            throw .invalidCalibration(model: "DPS310", reason: "COEF 0x10–0x21 reads all 0x00 or all 0xFF")
        }
        let source = try device.registers(Register.coefficientSource.rawValue, count: 1)[0]
        self.coefficients = coefficients
        coefficientsUseExternalSensor = source & Self.externalTemperatureSensor != 0
        return SensorIdentity(model: "DPS310", idRegister: Register.productID.rawValue, idValue: id, calibration: bytes)
    }

    /// Continuous pressure and temperature at the requested pressure oversampling, temperature ×1, both at the
    /// fastest rate of 1, 2, 4 … 128 per second at or below the request with rate × (busy_P + busy_T) < 1 s.
    ///
    /// Temperature ×1: temperature enters the pressure only through the c01/c11/c21 terms, about 9 Pa/°C with
    /// the V4 coefficients [calc], and one ×1 temperature LSB is c1/kT = 5.7e-4 °C, i.e. ~0.005 Pa; ×1 keeps its
    /// busy time at 3.6 ms, so the pressure can run as fast as its own oversampling allows. Infineon's
    /// recommended settings also keep the temperature at ×1 [unverified recollection of the datasheet table].
    public func configure(_ settings: PressureSettings) throws(DriverError) -> PressureMode {
        guard coefficients != nil else {
            throw .configurationRejected(model: "DPS310", reason: "configure before probe: COEF_SRCE is not known yet")
        }
        guard DPS310Coefficients.scaleFactor(oversampling: settings.oversampling) != nil else {
            throw .configurationRejected(model: "DPS310", reason: "oversampling ×\(settings.oversampling) is not one of ×1, ×2, ×4 … ×128")
        }
        guard settings.iirCoefficient == 0 else {
            throw .configurationRejected(model: "DPS310", reason: "the DPS310 has no IIR filter (coefficient \(settings.iirCoefficient) asked)")
        }
        let busy = Self.busyTime(oversampling: settings.oversampling) + Self.busyTime(oversampling: 1)
        // Strictly below 1 s, as Infineon's startMeasureBothCont refuses busy time ≥ 1 s.
        guard let rate = Self.rates.filter({ $0 <= settings.outputDataRate * (1 + 1e-9) && $0 * busy < 1 }).max(),
              let configuration = Configuration(pressureOversampling: settings.oversampling, temperatureOversampling: 1,
                                                rate: Int(rate), externalTemperatureSensor: coefficientsUseExternalSensor) else {
            throw .configurationRejected(
                model: "DPS310",
                reason: "no measurement rate of 1 … 128 /s at or below \(settings.outputDataRate) Hz fits "
                    + "\(busy * 1000) ms of busy time per pressure and temperature at ×\(settings.oversampling)")
        }
        try configure(configuration)
        return PressureMode(outputDataRate: rate, pressureOversampling: configuration.pressureOversampling,
                            temperatureOversampling: configuration.temperatureOversampling, iirCoefficient: 0,
                            conversionTime: busy, notes: configuration.pressureOversampling > 8 ? "P_SHIFT on" : "")
    }

    /// Writes a setup and starts continuous mode: idle first (so the settings take and MEAS_CFG updates, sensors.md
    /// §7), the temperature fix, rates and oversampling, the shift bits, then MEAS_CTRL = 7. The data-ready
    /// interrupt (CFG_REG INT_SEL) stays off: in I2C mode it comes out on SDO, the pin that also straps the
    /// address, and a board that ties SDO to a rail must not have the chip drive it.
    public func configure(_ configuration: Configuration) throws(DriverError) {
        try device.set(Register.measurementConfiguration.rawValue, 0x00)
        for write in Self.temperatureFix { try device.set(write.register, write.value) }
        try device.set(Register.pressureConfiguration.rawValue, configuration.pressureRegister)
        try device.set(Register.temperatureConfiguration.rawValue, configuration.temperatureRegister)
        try device.set(Register.configuration.rawValue, configuration.configurationRegister)
        try device.set(Register.measurementConfiguration.rawValue, Self.continuousPressureAndTemperature)
        self.configuration = configuration
        temperatureMeasured = false
    }

    /// Reads MEAS_CFG; when PRS_RDY is set, burst-reads PSR and TMP and compensates the pressure with the latest
    /// temperature. A pressure that arrives before any temperature measured since `configure` is read (to clear
    /// PRS_RDY) and dropped: it would be compensated with a temperature from before the fix.
    public func poll() throws(DriverError) -> PressurePoll {
        guard configuration != nil else {
            throw .configurationRejected(model: "DPS310", reason: "poll before configure")
        }
        let status = try device.registers(Register.measurementConfiguration.rawValue, count: 1)[0]
        if status & Self.temperatureReady != 0 { temperatureMeasured = true }
        guard status & Self.pressureReady != 0 else { return .notReady }
        let reading = try readConversion()
        return temperatureMeasured ? .reading(reading) : .notReady
    }

    /// Burst-reads PSR and TMP (0x00–0x05, one transaction) and compensates. Reading them clears PRS_RDY and
    /// TMP_RDY.
    public func readConversion() throws(DriverError) -> PressureReading {
        guard let coefficients else { throw .invalidCalibration(model: "DPS310", reason: "read before probe") }
        guard let configuration else {
            throw .configurationRejected(model: "DPS310", reason: "read before configure: kP and kT follow the oversampling set there")
        }
        let b = try device.registers(Register.pressure.rawValue, count: 6)
        return Self.reading(fromData: b, coefficients: coefficients, kP: configuration.kP, kT: configuration.kT)
    }

    /// Decodes PSR and TMP (the six bytes 0x00–0x05, each a 24-bit two's complement word MSB first) and
    /// compensates them with the unit's coefficients at the scale factors of the oversampling they were made at
    /// (sensors.md §2.3, §6 V4).
    public static func reading(fromData b: [UInt8], coefficients: DPS310Coefficients, kP: Double, kT: Double) -> PressureReading {
        let rawPressure = Int64(signExtending24: UInt32(b[0]) << 16 | UInt32(b[1]) << 8 | UInt32(b[2]))
        let rawTemperature = Int64(signExtending24: UInt32(b[3]) << 16 | UInt32(b[4]) << 8 | UInt32(b[5]))
        let p = Double(rawPressure), t = Double(rawTemperature)
        return PressureReading(
            pressure: coefficients.pressure(rawPressure: p, rawTemperature: t, kP: kP, kT: kT),
            temperature: coefficients.temperature(rawTemperature: t, kT: kT),
            rawPressure: rawPressure, rawTemperature: rawTemperature,
            pressureStep: abs(coefficients.pressureSlope(rawPressure: p, rawTemperature: t, kP: kP, kT: kT)))
    }

    /// MEAS_CTRL = 0: idle.
    public func standby() throws(DriverError) {
        try device.set(Register.measurementConfiguration.rawValue, 0x00)
        configuration = nil
    }
}
