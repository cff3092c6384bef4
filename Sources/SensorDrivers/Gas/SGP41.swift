import SensorIO

/// Sensirion SGP41 MOx VOC + NOx sensor over I2C at 0x59 (reference/sensors.md §1, §5.1, §5.3, §7; Sensirion
/// embedded driver [S25]). Host-paced: each measurement is a command with the humidity and temperature
/// compensation words, then after 50 ms a plain read of SRAW_VOC and SRAW_NOX. The driver reports the raw
/// signals only: they are linear in log-concentration (≈ −870 ticks per doubling, §5.3) and are what LOD and
/// drift are judged on (§8.7). The Gas Index Algorithm is adaptive and lives elsewhere (SensorMetrics).
///
/// The driver never sleeps: `poll()` sends the command and returns `.converting(0.05)`, the next poll reads the
/// answer, and the poll after a reading returns `.converting(pause)` so the heater runs at the plan's interval
/// (the algorithm expects 1 s) however fast the engine polls.
public final class SGP41: GasSensor {
    /// Command codes (sensors.md §5.3).
    public enum Command: UInt16, Sendable {
        case executeConditioning = 0x2612
        case measureRawSignals = 0x2619
        case executeSelfTest = 0x280E
        case turnHeaterOff = 0x3615
        case getSerialNumber = 0x3682
    }

    /// measure_raw_signals and execute_conditioning answer after 50 ms (§5.3).
    public static let measurementDuration = 0.05
    /// get_serial_number's duration, s (Sensirion: 1 ms).
    public static let shortCommandDuration = 0.001
    /// NOx pixel conditioning after power-up: about 10 s and **no longer** (§5.3).
    public static let conditioningDuration = 10.0
    /// The interval the Gas Index Algorithm is tuned for, s (§5.3: DEFAULT_SAMPLING_INTERVAL 1.0 s).
    public static let defaultSamplingInterval = 1.0

    /// Humidity compensation word: RH%·65535/100, rounded (§5.3; 50 %RH → 0x8000, §6 V12).
    public static func humidityWord(percent: Double) -> UInt16 {
        UInt16(Swift.min(Swift.max(percent, 0), 100) * 65535 / 100 + 0.5)
    }

    /// Temperature compensation word: (T°C + 45)·65535/175, rounded (§5.3; 25 °C → 0x6666, §6 V12).
    public static func temperatureWord(celsius: Double) -> UInt16 {
        UInt16((Swift.min(Swift.max(celsius, -45), 130) + 45) * 65535 / 175 + 0.5)
    }

    /// The bytes of measure_raw_signals (or execute_conditioning) with compensation words: command, RH word + CRC,
    /// T word + CRC (§6 V12: `26 19 80 00 A2 66 66 93` at 50 %RH, 25 °C).
    public static func measurementCommand(_ command: Command, humidityPercent: Double, temperatureC: Double) -> [UInt8] {
        SensirionCRC.command(command.rawValue, arguments: [humidityWord(percent: humidityPercent),
                                                            temperatureWord(celsius: temperatureC)])
    }

    public static let signals = [
        GasSignalDescription(name: "sraw_voc", unit: "ticks", role: .raw),
        GasSignalDescription(name: "sraw_nox", unit: "ticks", role: .raw),
    ]

    public static let driverName = "sgp41"
    public let device: I2CDevice
    /// The 48-bit serial number `probe()` read.
    public private(set) var serialNumber: UInt64?

    enum Phase: Equatable {
        case stopped
        /// The next poll sends a command.
        case idle
        /// A command was sent; the next poll reads its answer.
        case measuring(conditioning: Bool)
        /// A reading was returned; the next poll waits out the rest of the interval.
        case pausing
    }

    private(set) var phase = Phase.stopped
    private var interval = SGP41.defaultSamplingInterval
    /// Seconds from the current measurement's command to the next one: the interval, cut short for the last
    /// conditioning step so that conditioning ends at 10 s.
    private var step = SGP41.defaultSamplingInterval
    private var humidity = GasSettings.defaultHumidityPercent
    private var temperature = GasSettings.defaultTemperatureC
    /// Seconds of conditioning the NOx pixel has had from this driver: conditioning runs once, after the first
    /// `configure`, and stops at 10 s.
    public private(set) var conditioned = 0.0

    public init(device: I2CDevice) {
        self.device = device
    }

    /// get_serial_number (3 words). The chip has no id register and no variant; the serial number's CRCs are the
    /// identity check. No side effects: the heater stays as it was.
    public func probe() throws(DriverError) -> SensorIdentity {
        try device.sensirionCommand(Command.getSerialNumber.rawValue)
        let serial = try device.sensirionWords(3, model: "SGP41", command: "get_serial_number")
        serialNumber = serial.reduce(0) { $0 << 16 | UInt64($1) }
        return SensorIdentity(model: "SGP41", idRegister: nil, idValue: nil,
                              calibration: serial.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
    }

    /// Keeps the compensation words (§8.7: always supply them) and the interval; sends nothing. The first
    /// configure starts the 10 s NOx conditioning: those readings carry SRAW_VOC only and are marked invalid.
    public func configure(_ settings: GasSettings) throws(DriverError) -> GasMode {
        guard settings.samplingInterval.isFinite, settings.samplingInterval >= Self.measurementDuration else {
            throw .configurationRejected(model: "SGP41", reason: "sampling interval \(settings.samplingInterval) s is shorter than the 50 ms measurement")
        }
        humidity = settings.humidityPercent ?? GasSettings.defaultHumidityPercent
        temperature = settings.temperatureC ?? GasSettings.defaultTemperatureC
        guard (0...100).contains(humidity), (-45...130).contains(temperature) else {
            throw .configurationRejected(model: "SGP41", reason: "compensation \(humidity) %RH, \(temperature) °C is outside 0–100 %RH, −45–130 °C")
        }
        interval = settings.samplingInterval
        phase = .idle
        let conditioning = Swift.max(0, Self.conditioningDuration - conditioned)
        return GasMode(samplingInterval: interval, signals: Self.signals, warmUp: conditioning,
                       notes: "compensation \(humidity) %RH, \(temperature) °C; raw signals, no gas index"
                           + (conditioning > 0 ? "; NOx conditioning for the first 10 s" : ""),
                       serialNumber: serialNumber.map(SCD41.serialText))
    }

    /// Starts a measurement (execute_conditioning while the NOx pixel has had less than 10 s, else
    /// measure_raw_signals), reads its answer on the next poll, then pauses for the rest of the interval.
    public func poll() throws(DriverError) -> GasPoll {
        switch phase {
        case .stopped:
            throw .configurationRejected(model: "SGP41", reason: "poll before configure")
        case .pausing:
            phase = .idle
            let pause = step - Self.measurementDuration
            if pause > 0 { return .converting(pause) }
            return try start()
        case .idle:
            return try start()
        case .measuring(let conditioning):
            phase = .pausing
            if conditioning {
                let words = try device.sensirionWords(1, model: "SGP41", command: "execute_conditioning")
                return .reading(GasReading(values: ["sraw_voc": Double(words[0])], valid: false, status: "conditioning",
                                           raw: [Int64(words[0])]))
            }
            let words = try device.sensirionWords(2, model: "SGP41", command: "measure_raw_signals")
            return .reading(GasReading(values: ["sraw_voc": Double(words[0]), "sraw_nox": Double(words[1])],
                                       raw: words.map(Int64.init)))
        }
    }

    private func start() throws(DriverError) -> GasPoll {
        // Conditioning steps are counted by the interval each one heats for; the last starts before 10 s.
        let conditioning = conditioned + 1e-9 < Self.conditioningDuration
        let command: Command = conditioning ? .executeConditioning : .measureRawSignals
        try device.command(Self.measurementCommand(command, humidityPercent: humidity, temperatureC: temperature))
        step = conditioning ? Swift.min(interval, Self.conditioningDuration - conditioned) : interval
        if conditioning { conditioned += step }
        phase = .measuring(conditioning: conditioning)
        return .converting(Self.measurementDuration)
    }

    /// turn_heater_off: the hotplate cools and the chip idles.
    public func standby() throws(DriverError) {
        try device.sensirionCommand(Command.turnHeaterOff.rawValue)
        phase = .stopped
    }
}
