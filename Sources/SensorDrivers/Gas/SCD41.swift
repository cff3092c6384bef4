import SensorIO

/// Sensirion SCD41 photoacoustic NDIR CO2 sensor with an SHT4x temperature/humidity sensor, over I2C at 0x62
/// (reference/sensors.md §1, §5.1, §5.2, §7; Sensirion embedded driver [S22], Linux `scd4x.c` [S23]).
///
/// Command-based: a 16-bit command, then after its maximum duration a plain read of CRC-framed words; most
/// configuration is only accepted while periodic measurement is stopped, and stopping takes 500 ms. The driver
/// never sleeps: `configure` sends stop_periodic_measurement and queues the rest (wait 500 ms, ASC, ambient
/// pressure, read ASC back, start), which the first `poll()` calls run one step each, returning `.converting`
/// with each step's duration for the engine to wait.
///
/// Sampling: an interval of 5 s or less runs periodic measurement (a reading every 5 s); a longer one runs
/// single shots (measure_single_shot, 5 s each) paced by the driver at the interval, so the chip is not left
/// measuring between readings. Low-power periodic (30 s) is not used: single shots at 30 s give the same rate
/// with the same measurement as the 5 s mode.
public final class SCD41: GasSensor {
    /// Command codes and their maximum durations (sensors.md §5.2 table).
    public enum Command: UInt16, Sendable {
        case startPeriodicMeasurement = 0x21B1
        case readMeasurement = 0xEC05
        case stopPeriodicMeasurement = 0x3F86
        case setAmbientPressure = 0xE000            // the same code without argument reads it back
        case setAutomaticSelfCalibration = 0x2416
        case getAutomaticSelfCalibration = 0x2313
        case startLowPowerPeriodicMeasurement = 0x21AC
        case getDataReadyStatus = 0xE4B8
        case getSerialNumber = 0x3682
        case getSensorVariant = 0x202F
        case measureSingleShot = 0x219D
        case reinit = 0x3646
        case powerDown = 0x36E0
        case wakeUp = 0x36F6
    }

    /// Time stop_periodic_measurement takes before the chip accepts another command, s (§5.2).
    public static let stopDuration = 0.5
    /// Duration of the short commands (getters, setters, read_measurement), s (§5.2: 1 ms).
    public static let shortCommandDuration = 0.001
    /// Periodic measurement period and single-shot duration, s (§5.2).
    public static let measurementPeriod = 5.0
    /// get_sensor_variant: `word & 0xF000` is 0x1000 for an SCD41 (§5.2).
    public static let variantMask: UInt16 = 0xF000
    public static let variantSCD41: UInt16 = 0x1000
    /// set_ambient_pressure accepts 700–1200 hPa [Sensirion SCD4x datasheet; unverified in sensors.md].
    public static let ambientPressureRange = 70_000.0...120_000.0

    /// CO2 in ppm: the word itself (§5.2).
    public static func co2(word: UInt16) -> Double { Double(word) }
    /// T = −45 + 175·word/65535 °C (§5.2; the Sensirion integer code's /65536 differs by ≈ 3 m°C).
    public static func temperature(word: UInt16) -> Double { -45 + 175 * Double(word) / 65535 }
    /// RH = 100·word/65535 %RH (§5.2).
    public static func humidity(word: UInt16) -> Double { 100 * Double(word) / 65535 }
    /// The set_ambient_pressure argument: Pa/100, rounded (§5.2).
    public static func ambientPressureWord(pascals: Double) -> UInt16 { UInt16((pascals / 100).rounded()) }

    /// The values of read_measurement's three words: co2 ppm, temperature °C, humidity %RH (§5.2, §6 V11).
    public static func values(fromWords words: [UInt16]) -> [String: Double] {
        guard words.count == 3 else { return [:] }
        return ["co2": co2(word: words[0]), "temperature": temperature(word: words[1]), "humidity": humidity(word: words[2])]
    }

    public static let signals = [
        GasSignalDescription(name: "co2", unit: "ppm", role: .concentration),
        GasSignalDescription(name: "temperature", unit: "°C", role: .environment),
        GasSignalDescription(name: "humidity", unit: "%RH", role: .environment),
    ]

    public static let driverName = "scd41"
    public let device: I2CDevice
    /// The 48-bit serial number `probe()` read.
    public private(set) var serialNumber: UInt64?
    /// The ASC state the chip reported after `configure` set it (get_automatic_self_calibration_enabled).
    public private(set) var automaticSelfCalibrationReadBack: Bool?

    /// A queued configuration step, run by `poll()`.
    enum Step: Equatable {
        case wait(Double)
        case send(Command, [UInt16])
        case confirmSelfCalibration(expected: Bool)
        case start
    }

    enum Phase: Equatable {
        case stopped
        case configuring
        case periodicIdle, periodicCheckingReady, periodicReading
        case shotIdle, shotMeasuring, shotReading, shotPause
    }

    private(set) var phase = Phase.stopped
    private var steps: [Step] = []
    private var singleShot = false
    private var interval = SCD41.measurementPeriod
    private var firstReadingPending = true

    public init(device: I2CDevice) {
        self.device = device
    }

    /// get_serial_number (3 words) and get_sensor_variant. Both are only answered while the chip is idle. A chip
    /// left in periodic measurement does not answer (a NACK; the simulator's read gives FF bytes): then, and only
    /// then, probe sends stop_periodic_measurement, its one write, and throws saying to probe again after 500 ms.
    /// Stopping unconditionally would leave the chip busy for 500 ms after every probe, and the driver cannot
    /// wait before asking for the serial number.
    /// A chip whose firmware does not know get_sensor_variant is reported as `SCD4x`.
    public func probe() throws(DriverError) -> SensorIdentity {
        let serial: [UInt16]
        do throws(DriverError) {
            try device.sensirionCommand(Command.getSerialNumber.rawValue)
            serial = try device.sensirionWords(3, model: "SCD41", command: "get_serial_number")
        } catch {
            try device.sensirionCommand(Command.stopPeriodicMeasurement.rawValue)
            phase = .stopped
            throw .configurationRejected(model: "SCD41", reason: "no answer to get_serial_number (\(error)); it is only "
                + "answered while periodic measurement is stopped, so stop_periodic_measurement was sent: probe again after 500 ms")
        }
        var model = "SCD41"
        do throws(DriverError) {
            try device.sensirionCommand(Command.getSensorVariant.rawValue)
            let variant = try device.sensirionWords(1, model: "SCD41", command: "get_sensor_variant")[0]
            guard variant & Self.variantMask == Self.variantSCD41 else {
                // The variant is a 16-bit answer, not a register: report its high byte against the command's.
                throw DriverError.wrongChip(model: "SCD41", register: UInt8(Command.getSensorVariant.rawValue >> 8),
                                            expected: [UInt8(Self.variantSCD41 >> 8)], found: UInt8((variant & Self.variantMask) >> 8))
            }
        } catch {
            if case .wrongChip = error { throw error }
            model = "SCD4x"
        }
        let bytes = serial.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        serialNumber = serial.reduce(0) { $0 << 16 | UInt64($1) }
        return SensorIdentity(model: model, idRegister: nil, idValue: nil, calibration: bytes)
    }

    /// Sends stop_periodic_measurement and queues: wait 500 ms, set_automatic_self_calibration_enabled (0 for
    /// accuracy runs, §8.7), set_ambient_pressure when given, get_automatic_self_calibration_enabled and its check,
    /// then start_periodic_measurement (interval ≤ 5 s) or paced single shots (longer intervals). The first
    /// reading after the start is marked invalid: Sensirion says to discard the first single shot after power-up
    /// (§5.2, §8.7), and the driver cannot tell a power-up from a restart, so it discards the first of every start.
    public func configure(_ settings: GasSettings) throws(DriverError) -> GasMode {
        guard settings.samplingInterval.isFinite, settings.samplingInterval > 0 else {
            throw .configurationRejected(model: "SCD41", reason: "sampling interval \(settings.samplingInterval) s is not positive")
        }
        var pressureNote = "ambient pressure not set (chip default)"
        if let pascals = settings.ambientPressurePa {
            guard Self.ambientPressureRange.contains(pascals) else {
                throw .configurationRejected(model: "SCD41", reason: "ambient pressure \(pascals) Pa is outside 70000–120000 Pa")
            }
            pressureNote = "ambient pressure \(Int(Self.ambientPressureWord(pascals: pascals)) * 100) Pa"
        }
        try device.sensirionCommand(Command.stopPeriodicMeasurement.rawValue)
        singleShot = settings.samplingInterval > Self.measurementPeriod
        interval = singleShot ? settings.samplingInterval : Self.measurementPeriod
        steps = [.wait(Self.stopDuration),
                 .send(.setAutomaticSelfCalibration, [settings.automaticSelfCalibration ? 1 : 0])]
        if let pascals = settings.ambientPressurePa {
            steps.append(.send(.setAmbientPressure, [Self.ambientPressureWord(pascals: pascals)]))
        }
        steps += [.send(.getAutomaticSelfCalibration, []), .confirmSelfCalibration(expected: settings.automaticSelfCalibration), .start]
        phase = .configuring
        automaticSelfCalibrationReadBack = nil
        firstReadingPending = true
        let measuring = singleShot ? "single shot every \(interval) s" : "periodic measurement every 5 s"
        return GasMode(samplingInterval: interval, signals: Self.signals,
                       warmUp: Self.stopDuration + Self.measurementPeriod + 0.5,
                       notes: "ASC \(settings.automaticSelfCalibration ? "on" : "off"), \(pressureNote), \(measuring)",
                       serialNumber: serialNumber.map(Self.serialText))
    }

    /// One step: a queued configuration step, or the measurement cycle (periodic: get_data_ready_status, then
    /// read_measurement when `word & 0x07FF ≠ 0`; single shot: measure_single_shot, 5 s, read_measurement, pause).
    public func poll() throws(DriverError) -> GasPoll {
        while true {
            switch phase {
            case .stopped:
                throw .configurationRejected(model: "SCD41", reason: "poll before configure")
            case .configuring:
                guard !steps.isEmpty else { phase = singleShot ? .shotIdle : .periodicIdle; continue }
                switch steps.removeFirst() {
                case .wait(let seconds):
                    return .converting(seconds)
                case .send(let command, let arguments):
                    try device.sensirionCommand(command.rawValue, arguments: arguments)
                    return .converting(Self.shortCommandDuration)
                case .confirmSelfCalibration(let expected):
                    let word = try device.sensirionWords(1, model: "SCD41", command: "get_automatic_self_calibration_enabled")[0]
                    automaticSelfCalibrationReadBack = word != 0
                    guard (word != 0) == expected else {
                        phase = .stopped
                        throw .configurationRejected(model: "SCD41", reason: "ASC reads back \(word) after setting it to \(expected ? 1 : 0)")
                    }
                case .start:
                    if singleShot {
                        phase = .shotIdle
                    } else {
                        try device.sensirionCommand(Command.startPeriodicMeasurement.rawValue)
                        phase = .periodicIdle
                        return .converting(Self.measurementPeriod)
                    }
                }
            case .periodicIdle:
                try device.sensirionCommand(Command.getDataReadyStatus.rawValue)
                phase = .periodicCheckingReady
                return .converting(Self.shortCommandDuration)
            case .periodicCheckingReady:
                let status = try device.sensirionWords(1, model: "SCD41", command: "get_data_ready_status")[0]
                guard status & 0x07FF != 0 else {
                    phase = .periodicIdle
                    return .notReady
                }
                try device.sensirionCommand(Command.readMeasurement.rawValue)
                phase = .periodicReading
                return .converting(Self.shortCommandDuration)
            case .periodicReading:
                phase = .periodicIdle
                return .reading(try readMeasurement())
            case .shotIdle:
                try device.sensirionCommand(Command.measureSingleShot.rawValue)
                phase = .shotMeasuring
                return .converting(Self.measurementPeriod)
            case .shotMeasuring:
                try device.sensirionCommand(Command.readMeasurement.rawValue)
                phase = .shotReading
                return .converting(Self.shortCommandDuration)
            case .shotReading:
                phase = .shotPause
                return .reading(try readMeasurement())
            case .shotPause:
                phase = .shotIdle
                let pause = interval - Self.measurementPeriod - 2 * Self.shortCommandDuration
                if pause > 0 { return .converting(pause) }
            }
        }
    }

    /// stop_periodic_measurement: the chip idles (a single shot in flight ends by itself within 5 s).
    public func standby() throws(DriverError) {
        try device.sensirionCommand(Command.stopPeriodicMeasurement.rawValue)
        phase = .stopped
        steps = []
    }

    /// The plain read of read_measurement's 9 bytes, CRC-checked and converted.
    private func readMeasurement() throws(DriverError) -> GasReading {
        let words = try device.sensirionWords(3, model: "SCD41", command: "read_measurement")
        var reading = GasReading(values: Self.values(fromWords: words), raw: words.map(Int64.init))
        if firstReadingPending {
            firstReadingPending = false
            reading.valid = false
            reading.status = "first reading after start"
        }
        return reading
    }

    /// `0x` and the 48-bit serial number in 12 hex digits.
    static func serialText(_ serial: UInt64) -> String {
        let digits = String(serial, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: Swift.max(0, 12 - digits.count)) + digits
    }
}
