import SensorIO

/// A barometric pressure chip as the run engine drives it, whatever its interface: register-mapped with
/// host compensation (BMP390, DPS310), register-mapped with on-chip compensation (BMP581, LPS22HH) or
/// command-based with timed conversions (MS5611). Drivers know registers, commands and formulas only: no
/// retries, no sleeps, no timing policy; the engine owns time (DESIGN.md §3).
public protocol PressureSensor: AnyObject {
    /// The catalog's driver name (`bmp390`, `dps310` …).
    static var driverName: String { get }

    /// Reads the identification (id register, or the PROM CRC where the chip has no id) and the unit's
    /// calibration, and returns them; throws `wrongChip` or `invalidCalibration` for a part that is not right.
    func probe() throws(DriverError) -> SensorIdentity

    /// Starts continuous conversions (or, for command-based chips, arms the driver's conversion cycle) with
    /// the requested oversampling and the fastest output data rate at or below the requested one that the
    /// chip can sustain at that oversampling. Returns the mode actually set; throws `configurationRejected`
    /// for an oversampling the chip does not have or a rate it cannot reach.
    func configure(_ settings: PressureSettings) throws(DriverError) -> PressureMode

    /// Checks for a new conversion and reads it when there is one. Command-based chips advance their
    /// conversion cycle here and ask to be called again after the conversion time.
    func poll() throws(DriverError) -> PressurePoll

    /// Reads the conversion a data-ready edge announced, without checking the status register first.
    func readConversion() throws(DriverError) -> PressureReading

    /// Stops conversions (sleep/standby/power-down), at the end of a run.
    func standby() throws(DriverError)
}

/// What identifies one unit: the id register and value read, and the calibration bytes (NVM, COEF, PROM)
/// that make the unit's compensation, kept in the report. On-chip compensated parts have none.
public struct SensorIdentity: Sendable, Equatable {
    /// Model as identified (`BMP390` or `BMP388` from the same driver).
    public var model: String
    public var idRegister: UInt8?
    public var idValue: UInt8?
    public var calibration: [UInt8]

    public init(model: String, idRegister: UInt8?, idValue: UInt8?, calibration: [UInt8]) {
        self.model = model
        self.idRegister = idRegister
        self.idValue = idValue
        self.calibration = calibration
    }
}

/// Acquisition settings as a plan asks for them, in the datasheets' own numbers.
public struct PressureSettings: Sendable, Equatable, Codable {
    /// Pressure oversampling factor as the chip's datasheet numbers it (×1…×128; 256…4096 for the MS5611).
    public var oversampling: Int
    /// Highest output data rate wanted, Hz.
    public var outputDataRate: Double
    /// IIR low-pass coefficient (0 = off) on chips that have one; LPS22HH: 0 off, 9 = ODR/9, 20 = ODR/20.
    public var iirCoefficient: Int
    /// LPS22HH low-noise mode (limits the rate to 75 Hz); ignored by chips without one.
    public var lowNoise: Bool

    public init(oversampling: Int, outputDataRate: Double, iirCoefficient: Int = 0, lowNoise: Bool = true) {
        self.oversampling = oversampling
        self.outputDataRate = outputDataRate
        self.iirCoefficient = iirCoefficient
        self.lowNoise = lowNoise
    }
}

/// The mode a chip was actually put in: the conditions every figure measured in it carries (sensors.md §8.2).
public struct PressureMode: Sendable, Equatable, Codable {
    public var outputDataRate: Double
    public var pressureOversampling: Int
    public var temperatureOversampling: Int
    public var iirCoefficient: Int
    /// Time for one pressure (and temperature) conversion, s.
    public var conversionTime: Double
    /// Chip-specific conditions worth stating (`low-noise mode`, `P_SHIFT on`), or empty.
    public var notes: String

    public init(outputDataRate: Double, pressureOversampling: Int, temperatureOversampling: Int, iirCoefficient: Int,
                conversionTime: Double, notes: String = "") {
        self.outputDataRate = outputDataRate
        self.pressureOversampling = pressureOversampling
        self.temperatureOversampling = temperatureOversampling
        self.iirCoefficient = iirCoefficient
        self.conversionTime = conversionTime
        self.notes = notes
    }

    /// Nanoseconds between conversions.
    public var periodNanoseconds: Int64 { Int64((1e9 / outputDataRate).rounded()) }
}

/// What one poll found.
public enum PressurePoll: Sendable, Equatable {
    /// A new conversion, read.
    case reading(PressureReading)
    /// No new conversion yet.
    case notReady
    /// A command-based chip started a conversion: poll again after this many seconds.
    case converting(Double)
}

/// One compensated conversion.
public struct PressureReading: Sendable, Equatable {
    /// Pa.
    public var pressure: Double
    /// °C.
    public var temperature: Double
    /// The raw ADC codes as the chip delivered them (sign-extended where the format is signed).
    public var rawPressure: Int64
    public var rawTemperature: Int64
    /// Pressure change of one raw LSB at this point, Pa: the quantisation step.
    public var pressureStep: Double

    public init(pressure: Double, temperature: Double, rawPressure: Int64, rawTemperature: Int64, pressureStep: Double) {
        self.pressure = pressure
        self.temperature = temperature
        self.rawPressure = rawPressure
        self.rawTemperature = rawTemperature
        self.pressureStep = pressureStep
    }
}

/// The pressure drivers by their catalog name (`driver:` in `Devices/<chip>.yaml`).
public enum PressureDrivers {
    public static let names = [BMP390.driverName, BMP581.driverName, DPS310.driverName, LPS22HH.driverName, MS5611.driverName]

    /// A driver for the chip at `device`, or nil when no driver has that name.
    public static func sensor(driver name: String, device: I2CDevice) -> (any PressureSensor)? {
        switch name {
        case BMP390.driverName: BMP390(device: device)
        case BMP581.driverName: BMP581(device: device)
        case DPS310.driverName: DPS310(device: device)
        case LPS22HH.driverName: LPS22HH(device: device)
        case MS5611.driverName: MS5611(device: device)
        default: nil
        }
    }
}

extension PressureSettings {
    /// The fastest of `rates` (Hz) at or below the requested rate whose period fits `conversionTime`; nil if none.
    public func fastestRate(among rates: [Double], conversionTime: Double) -> Double? {
        rates.filter { $0 <= outputDataRate * (1 + 1e-9) && conversionTime <= 1 / $0 }.max()
    }
}
