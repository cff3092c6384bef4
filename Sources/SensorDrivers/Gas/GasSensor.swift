import SensorIO

/// A gas sensor as the run engine drives it (reference/sensors.md §5, §8.7): an NDIR CO2 sensor that reports a
/// calibrated concentration (SCD41), or a MOx sensor whose raw signal needs calibration (SGP41 SRAW ticks, ENS160
/// pixel resistances). Drivers know commands, registers and formulas only: no retries, no sleeps, no timing
/// policy. A command chip's durations come back as `GasPoll.converting(seconds)` and the engine waits
/// (DESIGN.md §3), as for `PressureSensor` and `MagneticSensor`.
public protocol GasSensor: AnyObject {
    /// The catalog's driver name (`scd41`, `sgp41`, `ens160`).
    static var driverName: String { get }
    /// Identification without side effects where the chip allows it: the serial number (SCD41/SGP41
    /// get_serial_number 0x3682), the sensor variant (SCD41 0x202F), the ENS160 PART_ID. The serial number's
    /// six bytes (CRCs removed) are the identity's `calibration`; `GasMode.serialNumber` carries it as text.
    /// SCD41: get_serial_number is only answered while periodic measurement is stopped; see `SCD41.probe()` for
    /// the one write a probe may make.
    func probe() throws(DriverError) -> SensorIdentity
    /// Puts the chip in the mode the settings ask for and returns the mode actually set. A command chip's
    /// remaining configuration steps (waits, read-backs) run in the first `poll()` calls.
    func configure(_ settings: GasSettings) throws(DriverError) -> GasMode
    /// One step of the measurement: a reading, not ready yet, or "poll again after this many seconds".
    func poll() throws(DriverError) -> GasPoll
    /// Stops measuring (and the SGP41 heater), at the end of a run.
    func standby() throws(DriverError)
}

/// Acquisition settings as a plan asks for them.
public struct GasSettings: Sendable, Equatable, Codable {
    /// Seconds between readings: the SCD41 measures periodically every 5 s (longer intervals use single shots,
    /// see `SCD41.configure`); SGP41 and ENS160 measure every 1 s.
    public var samplingInterval: Double
    /// SCD41 automatic self-calibration. Off for accuracy runs: it pulls the baseline toward 400 ppm (§8.7).
    public var automaticSelfCalibration: Bool
    /// SCD41 set_ambient_pressure: NDIR readings need the chamber pressure (§8.7), Pa; nil leaves the chip's.
    public var ambientPressurePa: Double?
    /// Chamber temperature for the SGP41 compensation words and ENS160 TEMP_IN, °C; nil: 25 °C.
    public var temperatureC: Double?
    /// Chamber humidity for the SGP41 compensation words and ENS160 RH_IN, %RH; nil: 50 %RH.
    public var humidityPercent: Double?

    public init(samplingInterval: Double, automaticSelfCalibration: Bool = false, ambientPressurePa: Double? = nil,
                temperatureC: Double? = nil, humidityPercent: Double? = nil) {
        self.samplingInterval = samplingInterval
        self.automaticSelfCalibration = automaticSelfCalibration
        self.ambientPressurePa = ambientPressurePa
        self.temperatureC = temperatureC
        self.humidityPercent = humidityPercent
    }

    /// Compensation temperature when the plan gives none, °C (the SGP41's default word 0x6666, §5.3).
    public static let defaultTemperatureC = 25.0
    /// Compensation humidity when the plan gives none, %RH (the SGP41's default word 0x8000, §5.3).
    public static let defaultHumidityPercent = 50.0
}

/// The mode a chip was actually put in: the conditions every figure measured in it carries.
public struct GasMode: Sendable, Equatable, Codable {
    /// Seconds between readings.
    public var samplingInterval: Double
    /// What each reading carries, by name.
    public var signals: [GasSignalDescription]
    /// Seconds after `configure` whose readings the engine discards: the SGP41 conditioning (10 s), the ENS160
    /// warm-up (~180 s, sensors.md §5.4), the SCD41 first reading (§8.7).
    public var warmUp: Double
    /// Chip-specific conditions worth stating ("ASC off, ambient pressure 101325 Pa", "standard mode").
    public var notes: String
    /// The unit's serial number as read by `probe()` (Sensirion: 48 bits, `0x` and 12 hex digits); nil when the
    /// chip has none (ENS160) or `probe()` was not run.
    public var serialNumber: String?

    public init(samplingInterval: Double, signals: [GasSignalDescription], warmUp: Double, notes: String,
                serialNumber: String? = nil) {
        self.samplingInterval = samplingInterval
        self.signals = signals
        self.warmUp = warmUp
        self.notes = notes
        self.serialNumber = serialNumber
    }

    /// The description of the signal called `name`.
    public func signal(_ name: String) -> GasSignalDescription? { signals.first { $0.name == name } }
}

/// One signal of a reading: its key in `GasReading.values`, its unit, and what it may be used for.
public struct GasSignalDescription: Sendable, Equatable, Codable {
    public var name: String
    public var unit: String
    public var role: GasSignalRole

    public init(name: String, unit: String, role: GasSignalRole) {
        self.name = name
        self.unit = unit
        self.role = role
    }
}

/// What a signal is good for in a qualification (sensors.md §8.7).
public enum GasSignalRole: String, Sendable, Codable {
    /// A calibrated concentration output (SCD41 co2 ppm): its error against the certified mixture applies.
    case concentration
    /// A raw signal that needs calibration (SGP41 sraw_voc/sraw_nox ticks, ENS160 log2 resistance of each pixel):
    /// LOD via the slope; drift is judged on these (§8.7).
    case raw
    /// An on-chip algorithm's concentration estimate (ENS160 tvoc ppb, eco2 ppm): reported, not qualified.
    case onChip
    /// An adaptive index (VOC/NOx index, AQI-UBA): secondary, never metrology (§5.3, §8.7).
    case index
    /// Temperature °C, humidity %RH.
    case environment
}

/// What one poll found.
public enum GasPoll: Sendable, Equatable {
    /// A new reading.
    case reading(GasReading)
    /// No new measurement yet: poll again later.
    case notReady
    /// A command was sent (or a pause is due): poll again after this many seconds.
    case converting(Double)
}

/// One reading of every signal of the mode.
public struct GasReading: Sendable, Equatable {
    /// Values by signal name, in the mode's units.
    public var values: [String: Double]
    /// False when the chip or the method says the reading must not count: the ENS160 validity field is not 0,
    /// the SCD41's first reading after start, the SGP41's conditioning readings.
    public var valid: Bool
    /// Why a reading is not valid ("warm-up", "initial start-up", "invalid", "conditioning" …); nil when valid.
    public var status: String?
    /// The words as the chip delivered them (CRCs removed), in the driver's documented order.
    public var raw: [Int64]

    public init(values: [String: Double], valid: Bool = true, status: String? = nil, raw: [Int64]) {
        self.values = values
        self.valid = valid
        self.status = status
        self.raw = raw
    }
}

/// The gas sensor drivers by their catalog name (`driver:` in `Devices/<chip>.yaml`).
public enum GasDrivers {
    public static let names = [SCD41.driverName, SGP41.driverName, ENS160.driverName]

    /// A driver for the chip at `device`, or nil when no driver has that name.
    public static func sensor(driver name: String, device: I2CDevice) -> (any GasSensor)? {
        switch name {
        case SCD41.driverName: SCD41(device: device)
        case SGP41.driverName: SGP41(device: device)
        case ENS160.driverName: ENS160(device: device)
        default: nil
        }
    }
}
