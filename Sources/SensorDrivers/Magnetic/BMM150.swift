import SensorIO

/// Bosch BMM150 three-axis Hall magnetometer over I2C (BMM150_SensorAPI [S21]; reference/sensors.md §1, §3.4).
/// The raw words are uncompensated: the host reads the unit's trim once and compensates every reading with the
/// Hall-plate resistance RHALL delivered with it (`BMM150Trim`).
///
/// At power-on the chip is in suspend mode, where only POWER_CONTROL answers: CHIP_ID reads 0x32 only after
/// 0x4B = 0x01 (sensors.md §3.4). The resolution knob is the number of XY repetitions (odd, 1…511); the driver
/// pairs it with a Z repetition count as Bosch's presets do, and runs normal mode at one of the eight preset
/// rates that the repetitions allow.
public final class BMM150: MagneticSensor {
    /// Register addresses (sensors.md §3.4; Bosch `bmm150_defs.h`).
    public enum Register: UInt8, Sendable {
        case chipID = 0x40
        case data = 0x42            // X 0x42/43, Y 0x44/45, Z 0x46/47, RHALL 0x48/49; 0x48 bit0 data ready
        case powerControl = 0x4B    // bit0 power control (0 = suspend), bits 7 and 1 soft reset
        case operationMode = 0x4C   // bits 5:3 data rate, bits 2:1 opmode (00 normal, 01 forced, 11 sleep)
        case axes = 0x4E            // bits 5:3 disable Z/Y/X, bit7 DRDY pin enable; reset value 0x07
        case repetitionsXY = 0x51   // nXY = 1 + 2·REP_XY
        case repetitionsZ = 0x52    // nZ = 1 + REP_Z
        case trim = 0x5D            // 0x5D–0x71
    }

    public static let chipIDValue: UInt8 = 0x32
    public static let powerOn: UInt8 = 0x01
    /// OP_MODE opmode bits 2:1.
    public static let normalMode: UInt8 = 0b00 << 1
    public static let forcedMode: UInt8 = 0b01 << 1
    public static let sleepMode: UInt8 = 0b11 << 1
    /// 0x48 bit0: a new X/Y/Z/RHALL set is in the data registers.
    public static let dataReady: UInt8 = 0x01
    /// 0x4E at reset: all axes measured, DRDY pin off (Bosch `bmm150_defs.h`).
    public static let axesResetValue: UInt8 = 0x07
    /// Raw words the chip writes for an overflowed axis (Bosch `BMM150_XYAXES_FLIP_OVERFLOW_ADCVAL`,
    /// `BMM150_ZAXIS_HALL_OVERFLOW_ADCVAL`).
    public static let overflowXY: Int64 = -4096
    public static let overflowZ: Int64 = -16384

    /// Normal-mode data rates by OP_MODE data-rate code (Bosch `BMM150_DATA_RATE_*`): code 0 is 10 Hz.
    public static let dataRates: [(code: UInt8, hertz: Double)] = [
        (1, 2), (2, 6), (3, 8), (0, 10), (4, 15), (5, 20), (6, 25), (7, 30),
    ]
    public static let repetitionsXYRange = 1...511
    /// Bosch's regular preset: nXY 9 (REP_XY 4), nZ 15 (REP_Z 14).
    public static let defaultRepetitionsXY = 9

    /// Linear range, µT: ±1300 on X and Y, ±2500 on Z (BMM150 datasheet; not in sensors.md, so unverified).
    public static let fullScale = 1300.0

    /// Z repetitions paired with `xy` XY repetitions: Bosch's four presets (low power 3/3, regular 9/15, enhanced
    /// 15/27, high accuracy 47/83 [S21]) where `xy` is one, else 2·nXY − 3 (the low-power, regular and enhanced
    /// presets' ratio) within 1…256.
    public static func repetitionsZ(xy: Int) -> Int {
        switch xy {
        case 3: 3
        case 9: 15
        case 15: 27
        case 47: 83
        default: Swift.min(Swift.max(2 * xy - 3, 1), 256)
        }
    }

    /// Time one X/Y/Z/RHALL measurement takes, s: 145 µs·nXY + 500 µs·nZ + 980 µs (BMM150 datasheet's maximum-ODR
    /// formula; not in sensors.md, so unverified). It gives 102 Hz for the regular preset and 20 Hz for high
    /// accuracy, the rate Bosch's high-accuracy preset sets.
    public static func measurementTime(xy: Int, z: Int) -> Double {
        145e-6 * Double(xy) + 500e-6 * Double(z) + 980e-6
    }

    /// Decodes 0x42–0x49 (sensors.md §3.4): X, Y = (int8)msb·32 | lsb>>3; Z = (int8)msb·128 | lsb>>1;
    /// RHALL = msb<<6 | lsb>>2. Returns [X, Y, Z, RHALL].
    public static func rawWords(fromData b: [UInt8]) -> [Int64] {
        func planar(_ lsb: UInt8, _ msb: UInt8) -> Int64 { Int64(Int8(bitPattern: msb)) * 32 | Int64(lsb >> 3) }
        let z = Int64(Int8(bitPattern: b[5])) * 128 | Int64(b[4] >> 1)
        let rhall = Int64(b[7]) << 6 | Int64(b[6] >> 2)
        return [planar(b[0], b[1]), planar(b[2], b[3]), z, rhall]
    }

    /// The compensated reading of the 8 data bytes with `trim` (sensors.md §3.4). An overflowed axis (raw −4096 on
    /// X/Y, −16384 on Z) or RHALL 0 reads NaN: Bosch's float API returns 0.0 there, which a statistic would take
    /// for a real zero field.
    public static func reading(fromData b: [UInt8], trim: BMM150Trim) -> MagneticReading {
        let raw = rawWords(fromData: b)
        let rhall = Double(raw[3])
        let valid = raw[3] != 0
        let x = valid && raw[0] != overflowXY ? trim.x(raw: Double(raw[0]), rhall: rhall) : .nan
        let y = valid && raw[1] != overflowXY ? trim.y(raw: Double(raw[1]), rhall: rhall) : .nan
        let z = valid && raw[2] != overflowZ ? trim.z(raw: Double(raw[2]), rhall: rhall) : .nan
        return MagneticReading(field: FieldVector(x: x, y: y, z: z), raw: RawWords(raw))
    }

    public static let driverName = "bmm150"
    public let device: I2CDevice
    /// The unit's trim, read by `probe`.
    public private(set) var trim: BMM150Trim?

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Reads POWER_CONTROL and, when the chip is in suspend mode, sets its power bit: the one write a probe makes,
    /// because CHIP_ID and the trim read 0 in suspend (sensors.md §3.4). It moves the chip to sleep mode and
    /// starts no measurement. Then CHIP_ID (0x40) and the 21 trim bytes 0x5D–0x71.
    ///
    /// Bosch's API waits 3 ms (`BMM150_START_UP_TIME`) between the power bit and the CHIP_ID read; the driver
    /// cannot wait (the engine owns time), so on hardware the bus transactions must cover it or the rig must
    /// power the chip up before probing.
    public func probe() throws(DriverError) -> SensorIdentity {
        let power = try device.registers(Register.powerControl.rawValue, count: 1)[0]
        if power & Self.powerOn == 0 { try device.set(Register.powerControl.rawValue, Self.powerOn) }
        let id = try device.registers(Register.chipID.rawValue, count: 1)[0]
        guard id == Self.chipIDValue else {
            throw .wrongChip(model: "BMM150", register: Register.chipID.rawValue, expected: [Self.chipIDValue], found: id)
        }
        let bytes = try device.registers(Register.trim.rawValue, count: BMM150Trim.byteCount)
        guard let trim = BMM150Trim(bytes: bytes) else {
            throw .invalidCalibration(model: "BMM150", reason: "read \(bytes.count) trim bytes, expected \(BMM150Trim.byteCount)")
        }
        if let reason = trim.implausibility { throw .invalidCalibration(model: "BMM150", reason: reason) }
        self.trim = trim
        return SensorIdentity(model: "BMM150", idRegister: Register.chipID.rawValue, idValue: id, calibration: bytes)
    }

    /// Normal mode with nXY = `resolution` (default 9, the regular preset) and its paired nZ, at the fastest
    /// preset rate at or below the requested one that the measurement time allows. Sleep mode while the
    /// repetitions change; all three axes on. The counts per µT are X's at RHALL = xyz1 (r = 0, so v = 0).
    public func configure(_ settings: MagneticSettings) throws(DriverError) -> MagneticMode {
        guard let trim else {
            throw .configurationRejected(model: "BMM150", reason: "configure before probe: the trim has not been read")
        }
        let xy = settings.resolution ?? Self.defaultRepetitionsXY
        guard Self.repetitionsXYRange.contains(xy), xy % 2 == 1 else {
            throw .configurationRejected(model: "BMM150", reason: "XY repetitions \(xy) is not an odd number in 1…511")
        }
        if let wanted = settings.fullScale, wanted > Self.fullScale {
            throw .configurationRejected(model: "BMM150", reason: "full scale ±\(wanted) µT exceeds the chip's ±1300 µT (X, Y)")
        }
        let z = Self.repetitionsZ(xy: xy)
        let fastest = 1 / Self.measurementTime(xy: xy, z: z)
        let ceiling = Swift.min(settings.outputDataRate * (1 + 1e-9), fastest)
        guard let rate = Self.dataRates.filter({ $0.hertz <= ceiling }).max(by: { $0.hertz < $1.hertz }) else {
            throw .configurationRejected(
                model: "BMM150", reason: "no data rate ≤ \(settings.outputDataRate) Hz at nXY \(xy), nZ \(z) "
                    + "(the slowest is 2 Hz; the repetitions allow \(fastest) Hz)")
        }
        try device.set(Register.operationMode.rawValue, Self.sleepMode)
        try device.set(Register.repetitionsXY.rawValue, UInt8((xy - 1) / 2))
        try device.set(Register.repetitionsZ.rawValue, UInt8(z - 1))
        try device.set(Register.axes.rawValue, Self.axesResetValue)
        // Reading the data clears a data-ready bit left from an earlier configuration, so the first reading is new.
        _ = try device.registers(Register.data.rawValue, count: 8)
        try device.set(Register.operationMode.rawValue, rate.code << 3 | Self.normalMode)
        let nominal = Double(trim.xyz1)
        let step = trim.x(raw: 1, rhall: nominal) - trim.x(raw: 0, rhall: nominal)
        return MagneticMode(outputDataRate: rate.hertz, resolution: xy, fullScale: Self.fullScale,
                            countsPerMicrotesla: 1 / step, notes: "normal mode, nXY \(xy), nZ \(z)")
    }

    /// One 8-byte burst 0x42–0x49, as Bosch reads it; a reading when its data-ready bit (0x48 bit0) is set.
    public func poll() throws(DriverError) -> MagneticPoll {
        guard let trim else {
            throw .configurationRejected(model: "BMM150", reason: "poll before probe: the trim has not been read")
        }
        let bytes = try device.registers(Register.data.rawValue, count: 8)
        guard bytes[6] & Self.dataReady != 0 else { return .notReady }
        return .reading(Self.reading(fromData: bytes, trim: trim))
    }

    /// Sleep mode: no measurements, the settings kept (suspend would reset them).
    public func standby() throws(DriverError) {
        try device.set(Register.operationMode.rawValue, Self.sleepMode)
    }
}
