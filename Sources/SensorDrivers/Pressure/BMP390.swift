import SensorIO

/// Bosch BMP390 / BMP388 barometric pressure sensor over I2C (BMP390 datasheet BST-BMP390-DS002 §4–5;
/// reference/sensors.md §2.1). The driver knows registers and formulas only: no retries, no timing policy.
public final class BMP390: PressureSensor {
    /// Register addresses, datasheet §5 "Global memory map".
    public enum Register: UInt8, Sendable {
        case chipID = 0x00
        case errors = 0x02          // bit0 fatal_err, bit1 cmd_err, bit2 conf_err
        case status = 0x03          // bit4 cmd_rdy, bit5 drdy_press, bit6 drdy_temp
        case data = 0x04            // 0x04–0x06 pressure XLSB/LSB/MSB, 0x07–0x09 temperature
        case event = 0x10           // bit0 por_detected
        case interruptStatus = 0x11 // bit3 drdy; cleared on read
        case interruptControl = 0x19
        case powerControl = 0x1B    // bit0 press_en, bit1 temp_en, bits 5:4 mode
        case oversampling = 0x1C    // bits 2:0 osr_p, bits 5:3 osr_t
        case outputDataRate = 0x1D  // bits 4:0 odr_sel, 200 Hz / 2^odr_sel
        case config = 0x1F          // bits 3:1 iir_filter
        case calibration = 0x31     // NVM_PAR_T1 … NVM_PAR_P11, 21 bytes
        case command = 0x7E         // 0xB6 soft reset
    }

    /// Chip ids at register 0x00.
    public static let chipIDBMP390: UInt8 = 0x60
    public static let chipIDBMP388: UInt8 = 0x50
    /// Soft-reset command for register 0x7E.
    public static let softResetCommand: UInt8 = 0xB6
    /// STATUS bits (datasheet §5.3.4).
    public static let statusPressureReady: UInt8 = 1 << 5
    public static let statusTemperatureReady: UInt8 = 1 << 6
    /// INT_CTRL bits (datasheet §5.3.10).
    public static let interruptDataReady: UInt8 = 1 << 6
    public static let interruptActiveHigh: UInt8 = 1 << 1
    /// ERR_REG conf_err bit (datasheet §5.3.2).
    public static let errorConfiguration: UInt8 = 1 << 2

    public static let driverName = "bmp390"
    public let device: I2CDevice
    /// The unit's calibration, read by `probe()`.
    public private(set) var calibration: BMP390Calibration? {
        didSet { coefficients = calibration?.coefficients }
    }
    /// Its coefficients, what each conversion needs: copied per reading without the NVM array's retain and release.
    private var coefficients: BMP390Calibration.Coefficients?
    /// `poll()`'s STATUS-and-data burst.
    private var burst = StatusBurstPoll(status: Register.status.rawValue, dataCount: 6)

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Reads the chip id (BMP390 or BMP388) and the NVM calibration.
    public func probe() throws(DriverError) -> SensorIdentity {
        let id = try device.registers(Register.chipID.rawValue, count: 1)[0]
        guard id == Self.chipIDBMP390 || id == Self.chipIDBMP388 else {
            throw .wrongChip(model: "BMP390", register: Register.chipID.rawValue,
                             expected: [Self.chipIDBMP390, Self.chipIDBMP388], found: id)
        }
        let calibration = try readCalibration()
        self.calibration = calibration
        return SensorIdentity(model: id == Self.chipIDBMP390 ? "BMP390" : "BMP388", idRegister: Register.chipID.rawValue,
                              idValue: id, calibration: calibration.nvm)
    }

    /// Reads and parses the NVM calibration (0x31–0x45) in one burst.
    public func readCalibration() throws(DriverError) -> BMP390Calibration {
        let bytes = try device.registers(Register.calibration.rawValue, count: BMP390Calibration.byteCount)
        guard let calibration = BMP390Calibration(nvm: bytes), calibration.isPlausible else {
            throw .invalidCalibration(model: "BMP390", reason: "NVM 0x31–0x45 reads all 0x00 or all 0xFF")
        }
        return calibration
    }

    /// Normal mode at the requested pressure oversampling; temperature ×2 from ×16 up (Bosch's recommended
    /// settings, datasheet §3.5), else ×1; the fastest 200/2^n Hz rate the conversion fits.
    public func configure(_ settings: PressureSettings) throws(DriverError) -> PressureMode {
        guard let pressure = BMP390Configuration.Oversampling(rawValue: settings.oversampling) else {
            throw .configurationRejected(model: "BMP390", reason: "oversampling ×\(settings.oversampling) is not one of ×1, ×2, ×4, ×8, ×16, ×32")
        }
        guard let iir = BMP390Configuration.IIRFilter(rawValue: settings.iirCoefficient) else {
            throw .configurationRejected(model: "BMP390", reason: "IIR coefficient \(settings.iirCoefficient) is not 0, 1, 3, 7 … 127")
        }
        let temperature: BMP390Configuration.Oversampling = pressure.factor >= 16 ? .x2 : .x1
        let probe = BMP390Configuration(pressureOversampling: pressure, temperatureOversampling: temperature,
                                        outputDataRate: BMP390Configuration.OutputDataRate(code: 0)!, iirFilter: iir)
        let rates = (0...0x11).map { 200 / Double(1 << $0) }
        guard let hertz = settings.fastestRate(among: rates, conversionTime: probe.measurementTime),
              let rate = BMP390Configuration.OutputDataRate(hertz: hertz) else {
            throw .configurationRejected(model: "BMP390", reason: "no output data rate ≤ \(settings.outputDataRate) Hz fits a conversion at ×\(pressure.factor)")
        }
        var configuration = probe
        configuration.outputDataRate = rate
        try configure(configuration)
        return PressureMode(outputDataRate: rate.hertz, pressureOversampling: pressure.factor,
                            temperatureOversampling: temperature.factor, iirCoefficient: iir.rawValue,
                            conversionTime: configuration.measurementTime)
    }

    /// Writes the measurement configuration and starts normal mode, then checks ERR.conf_err.
    public func configure(_ configuration: BMP390Configuration) throws(DriverError) {
        try device.set(Register.powerControl.rawValue, 0x00)    // sleep while changing settings
        try device.set(Register.oversampling.rawValue,
                       configuration.pressureOversampling.code | configuration.temperatureOversampling.code << 3)
        try device.set(Register.outputDataRate.rawValue, configuration.outputDataRate.code)
        try device.set(Register.config.rawValue, configuration.iirFilter.code << 1)
        // INT pin: drdy_en, push-pull, active high (datasheet §5.3.10): harmless where it is not wired.
        try device.set(Register.interruptControl.rawValue, Self.interruptDataReady | Self.interruptActiveHigh)
        // press_en | temp_en | mode 11 (normal)
        try device.set(Register.powerControl.rawValue, 0x33)
        let errors = try device.registers(Register.errors.rawValue, count: 1)[0]
        if errors & Self.errorConfiguration != 0 {
            throw .configurationRejected(
                model: "BMP390",
                reason: "ERR.conf_err set for OSR ×\(configuration.pressureOversampling.factor)/"
                    + "×\(configuration.temperatureOversampling.factor) at \(configuration.outputDataRate.hertz) Hz")
        }
    }

    /// Whether a new pressure and temperature conversion is waiting in the data registers (STATUS bits 5, 6).
    public func isDataReady() throws(DriverError) -> Bool {
        let status = try device.value(of: Register.status.rawValue)
        let both = Self.statusPressureReady | Self.statusTemperatureReady
        return status & both == both
    }

    /// STATUS and the six data registers in one 7-byte burst from 0x03 (`StatusBurstPoll`): 92 bus clocks instead of
    /// 121 for a STATUS read and then the data, behind a mux 111 instead of 140. The burst holds every data register, so
    /// shadowing keeps pressure and temperature one conversion (datasheet §3.10).
    public func poll() throws(DriverError) -> PressurePoll {
        let both = Self.statusPressureReady | Self.statusTemperatureReady
        let reading = try burst.poll(device, isReady: { $0 & both == both }, readData: readConversion,
                                     decode: { (data) throws(DriverError) in try conversion(Self.raw(fromData: data)) })
        return reading.map { .reading($0) } ?? .notReady
    }

    public func readConversion() throws(DriverError) -> PressureReading {
        try conversion(readRaw())
    }

    private func conversion(_ raw: (pressure: UInt32, temperature: UInt32)) throws(DriverError) -> PressureReading {
        guard let coefficients else { throw .invalidCalibration(model: "BMP390", reason: "read before probe") }
        let reading = BMP390Reading(rawPressure: raw.pressure, rawTemperature: raw.temperature, coefficients: coefficients)
        return PressureReading(pressure: reading.pressure, temperature: reading.temperature,
                               rawPressure: Int64(reading.rawPressure), rawTemperature: Int64(reading.rawTemperature),
                               pressureStep: reading.pressureStep)
    }

    public func standby() throws(DriverError) {
        try device.set(Register.powerControl.rawValue, 0x00)
    }

    /// Burst-reads the six data registers: one transaction, so pressure and temperature belong to the same
    /// conversion (datasheet §3.10 data register shadowing). Values are 24-bit, not shifted.
    public func readRaw() throws(DriverError) -> (pressure: UInt32, temperature: UInt32) {
        try withUnsafeTemporaryAllocation(byteCount: 6, alignment: 1) { (b) throws(DriverError) in
            try device.registers(Register.data.rawValue, into: b)
            return Self.raw(fromData: UnsafeRawBufferPointer(b))
        }
    }

    /// The raw codes of DATA_0…DATA_5: pressure XLSB/LSB/MSB, then temperature.
    private static func raw(fromData b: UnsafeRawBufferPointer) -> (pressure: UInt32, temperature: UInt32) {
        let pressure = UInt32(b[2]) << 16 | UInt32(b[1]) << 8 | UInt32(b[0])
        let temperature = UInt32(b[5]) << 16 | UInt32(b[4]) << 8 | UInt32(b[3])
        return (pressure, temperature)
    }

    /// Reads and compensates one conversion.
    public func read(calibration: BMP390Calibration) throws(DriverError) -> BMP390Reading {
        let raw = try readRaw()
        return BMP390Reading(rawPressure: raw.pressure, rawTemperature: raw.temperature, calibration: calibration)
    }
}

/// One compensated BMP390 conversion.
public struct BMP390Reading: Sendable, Equatable {
    public var rawPressure: UInt32
    public var rawTemperature: UInt32
    /// Pa.
    public var pressure: Double
    /// °C.
    public var temperature: Double
    /// Pressure change of one raw LSB at this point, Pa.
    public var pressureStep: Double

    public init(rawPressure: UInt32, rawTemperature: UInt32, calibration: BMP390Calibration) {
        self.init(rawPressure: rawPressure, rawTemperature: rawTemperature, coefficients: calibration.coefficients)
    }

    public init(rawPressure: UInt32, rawTemperature: UInt32, coefficients: BMP390Calibration.Coefficients) {
        self.rawPressure = rawPressure
        self.rawTemperature = rawTemperature
        temperature = coefficients.temperature(rawTemperature: rawTemperature)
        pressure = coefficients.pressure(rawPressure: rawPressure, temperature: temperature)
        pressureStep = abs(coefficients.pressureStep(rawPressure: Double(rawPressure), temperature: temperature))
    }
}
