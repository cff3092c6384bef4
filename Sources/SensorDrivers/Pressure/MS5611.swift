import SensorIO

/// TE Connectivity (MEAS) MS5611-01BA03 barometric pressure sensor over I2C (reference/sensors.md §1, §2.5, §7;
/// Linux `drivers/iio/pressure/ms5611_core.c`). Command-based: each command is a plain write, each answer a
/// separate plain read, never a repeated-start transaction. The chip has no id register and no data-ready
/// output; the PROM CRC-4 identifies it, and conversions are timed.
///
/// The driver never sleeps. `poll()` runs the conversion cycle one step per call and says how long to wait:
/// CONVERT D2 → (wait) → ADC_READ, CONVERT D1 → (wait) → ADC_READ, compensate. The engine does the waiting.
public final class MS5611: PressureSensor {
    /// Command bytes (sensors.md §2.5 command table).
    public enum Command {
        public static let reset: UInt8 = 0x1E
        /// CONVERT D1 (pressure) at OSR 256; + 2·log2(OSR/256) for the others.
        public static let convertPressure: UInt8 = 0x40
        /// CONVERT D2 (temperature) at OSR 256; same steps.
        public static let convertTemperature: UInt8 = 0x50
        public static let adcRead: UInt8 = 0x00
        /// PROM word i is read with 0xA0 + 2·i, i = 0…7.
        public static let promRead: UInt8 = 0xA0
    }

    /// Oversampling ratios and their maximum conversion times (sensors.md §1 and §2.5; the kernel's table).
    public enum Oversampling: Int, Sendable, CaseIterable {
        case x256 = 256, x512 = 512, x1024 = 1024, x2048 = 2048, x4096 = 4096

        /// Offset added to the CONVERT base command: 0, 2, 4, 6, 8.
        public var commandOffset: UInt8 { UInt8(2 * (rawValue.trailingZeroBitCount - 8)) }

        /// Maximum conversion time, s: 0.60, 1.17, 2.28, 4.54, 9.04 ms.
        public var maximumConversionTime: Double {
            switch self {
            case .x256: 0.000_60
            case .x512: 0.001_17
            case .x1024: 0.002_28
            case .x2048: 0.004_54
            case .x4096: 0.009_04
            }
        }
    }

    /// Time the chip needs after RESET to reload its PROM, s: the kernel waits 3–4 ms (sensors.md §2.5).
    public static let resetTime = 0.003
    /// Host time allowed per conversion on top of the conversion itself when choosing the rate, s: a CONVERT
    /// write and an ADC_READ write + 3-byte read are 72 bit times, 0.72 ms at 100 kHz standard mode (0.18 ms at
    /// 400 kHz), plus a mux select where there is one; 1 ms covers them with room for scheduling latency.
    public static let hostTimePerConversion = 0.001

    public static let driverName = "ms5611"
    public let device: I2CDevice
    /// The unit's PROM, read by `probe()`.
    public private(set) var calibration: MS5611Calibration?
    /// The oversampling `configure` set, used for both D1 and D2.
    public private(set) var oversampling: Oversampling?

    /// Where the conversion cycle stands between polls.
    enum Cycle: Equatable {
        /// Not configured (or in standby).
        case stopped
        /// RESET sent: the next poll only waits for the PROM reload.
        case resetting
        /// Nothing in progress: the next poll starts a D2 conversion.
        case idle
        /// D2 conversion started.
        case convertingTemperature
        /// D2 read; D1 conversion started.
        case convertingPressure(d2: Int64)
        /// An ADC read returned 0: the conversion is void. The next poll re-issues `then`'s command.
        case restarting(then: Restart)
    }

    enum Restart: Equatable {
        case temperature
        case pressure(d2: Int64)
    }

    private(set) var cycle = Cycle.stopped

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Reads the eight PROM words and checks their CRC-4. Reads only: no RESET here, so a probe never disturbs
    /// a chip that is converting for someone else, and the PROM is readable without one (the chip loads it at
    /// power-up; a bad load shows as a CRC mismatch). `configure` sends the RESET.
    public func probe() throws(DriverError) -> SensorIdentity {
        var bytes: [UInt8] = []
        for word in 0..<8 {
            try device.command([Command.promRead + UInt8(2 * word)])
            bytes += try device.response(count: 2)
        }
        let calibration = try MS5611Calibration(prom: bytes)
        self.calibration = calibration
        return SensorIdentity(model: "MS5611", idRegister: nil, idValue: nil, calibration: bytes)
    }

    /// Sends RESET (which also ends any conversion a previous user left running) and arms the cycle at the
    /// requested OSR for both D1 and D2. The rate is the request, capped so that one period holds both
    /// conversions at their maximum time plus `hostTimePerConversion` each.
    public func configure(_ settings: PressureSettings) throws(DriverError) -> PressureMode {
        guard calibration != nil else {
            throw .configurationRejected(model: "MS5611", reason: "configure before probe: the PROM has not been read")
        }
        guard let oversampling = Oversampling(rawValue: settings.oversampling) else {
            throw .configurationRejected(model: "MS5611", reason: "oversampling \(settings.oversampling) is not one of 256, 512, 1024, 2048, 4096")
        }
        guard settings.iirCoefficient == 0 else {
            throw .configurationRejected(model: "MS5611", reason: "the MS5611 has no IIR filter (coefficient \(settings.iirCoefficient) asked)")
        }
        guard settings.outputDataRate > 0 else {
            throw .configurationRejected(model: "MS5611", reason: "output data rate \(settings.outputDataRate) Hz is not positive")
        }
        try device.command([Command.reset])
        self.oversampling = oversampling
        cycle = .resetting
        let conversion = oversampling.maximumConversionTime
        let fastest = 1 / (2 * (conversion + Self.hostTimePerConversion))
        return PressureMode(outputDataRate: Swift.min(settings.outputDataRate, fastest),
                            pressureOversampling: oversampling.rawValue, temperatureOversampling: oversampling.rawValue,
                            iirCoefficient: 0, conversionTime: 2 * conversion,
                            notes: "D2 then D1 per reading; integer compensation, 1 Pa steps")
    }

    /// One step of the conversion cycle. Returns `.converting(t)` after starting a conversion (or the reset),
    /// and `.reading` when D1 has been read and compensated.
    ///
    /// An ADC_READ that returns 0 means no finished conversion was there: read too early, or the conversion
    /// was lost (sensors.md §7). The datasheet says a read during a conversion does not stop it but spoils
    /// its result, and a command sent during a conversion spoils it too [recollection of the MS5611-01BA03
    /// "ADC read" notes, unverified here]. So the driver neither trusts that conversion nor re-issues at once:
    /// it waits one full maximum conversion time, by which the spoiled conversion has certainly ended, and
    /// then starts the same conversion again.
    public func poll() throws(DriverError) -> PressurePoll {
        guard let calibration, let oversampling else {
            throw .configurationRejected(model: "MS5611", reason: "poll before configure")
        }
        let wait = oversampling.maximumConversionTime
        switch cycle {
        case .stopped:
            throw .configurationRejected(model: "MS5611", reason: "poll before configure")
        case .resetting:
            cycle = .idle
            return .converting(Self.resetTime)
        case .idle, .restarting(then: .temperature):
            try device.command([Command.convertTemperature + oversampling.commandOffset])
            cycle = .convertingTemperature
            return .converting(wait)
        case .restarting(then: .pressure(let d2)):
            try device.command([Command.convertPressure + oversampling.commandOffset])
            cycle = .convertingPressure(d2: d2)
            return .converting(wait)
        case .convertingTemperature:
            let d2 = try readADC()
            guard d2 != 0 else {
                cycle = .restarting(then: .temperature)
                return .converting(wait)
            }
            try device.command([Command.convertPressure + oversampling.commandOffset])
            cycle = .convertingPressure(d2: d2)
            return .converting(wait)
        case .convertingPressure(let d2):
            let d1 = try readADC()
            guard d1 != 0 else {
                cycle = .restarting(then: .pressure(d2: d2))
                return .converting(wait)
            }
            cycle = .idle
            return .reading(Self.reading(d1: d1, d2: d2, calibration: calibration))
        }
    }

    /// The MS5611 has no data-ready output: conversions are timed by `poll()`.
    public func readConversion() throws(DriverError) -> PressureReading {
        throw .configurationRejected(model: "MS5611", reason: "the MS5611 has no data-ready output: drive it with poll(), which times its conversions")
    }

    /// Stops the cycle. The chip has no standby command: it rests in standby whenever it is not converting,
    /// and a conversion in flight ends by itself within 9.04 ms.
    public func standby() throws(DriverError) {
        cycle = .stopped
    }

    /// The compensated reading of one D1/D2 pair. The pressure is the datasheet's integer P (0.01 mbar = 1 Pa),
    /// so its quantisation step is 1 Pa, not the 0.02 Pa a D1 count is worth: `pressureStep` is the larger one.
    public static func reading(d1: Int64, d2: Int64, calibration: MS5611Calibration) -> PressureReading {
        let result = calibration.compensate(d1: d1, d2: d2)
        return PressureReading(pressure: Double(result.pressure), temperature: Double(result.temperature) / 100,
                               rawPressure: d1, rawTemperature: d2, pressureStep: Swift.max(1, result.pressurePerCount))
    }

    /// ADC_READ: the command, then a separate 3-byte big-endian read.
    private func readADC() throws(DriverError) -> Int64 {
        try device.command([Command.adcRead])
        let b = try device.response(count: 3)
        return Int64(b[0]) << 16 | Int64(b[1]) << 8 | Int64(b[2])
    }
}
