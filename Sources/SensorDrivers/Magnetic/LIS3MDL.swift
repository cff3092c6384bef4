import SensorIO

/// ST LIS3MDL three-axis magnetometer over I2C (ST `lis3mdl_reg.h/.c` and the `lis3mdl_read_data_polling` example
/// [S19], datasheet DocID024204 [S20]; reference/sensors.md §1, §3.3). The chip scales on chip: the outputs are
/// int16 little-endian counts at a sensitivity fixed by the full scale.
///
/// On I2C the chip increments the register address in a multi-byte transfer only when bit 7 of the sub-address is
/// set (sensors.md §3.3, §7): every burst here is sent to `0x80 | register`; a plain address would read one
/// register over and over.
public final class LIS3MDL: MagneticSensor {
    /// Register addresses (sensors.md §3.3 table).
    public enum Register: UInt8, Sendable {
        case whoAmI = 0x0F
        case control1 = 0x20        // bit7 TEMP_EN, bits 6:5 OM (X/Y), bits 4:2 DO, bit1 FAST_ODR, bit0 ST
        case control2 = 0x21        // bits 6:5 FS, bit3 REBOOT, bit2 SOFT_RST
        case control3 = 0x22        // bit5 LP, bit2 SIM, bits 1:0 MD
        case control4 = 0x23        // bits 3:2 OMZ, bit1 BLE
        case control5 = 0x24        // bit7 FAST_READ, bit6 BDU
        case status = 0x27          // bit3 ZYXDA, bit7 ZYXOR
        case output = 0x28          // OUT_X_L … OUT_Z_H 0x28–0x2D int16 LE, TEMP_OUT_L/H 0x2E/0x2F
    }

    public static let whoAmIValue: UInt8 = 0x3D
    /// Sub-address bit that makes an I2C transfer auto-increment (ST example `platform_read`: `reg |= 0x80`).
    public static let autoIncrement: UInt8 = 0x80

    public static let temperatureEnable: UInt8 = 1 << 7
    public static let fastDataRate: UInt8 = 1 << 1
    public static let softReset: UInt8 = 1 << 2
    public static let blockDataUpdate: UInt8 = 1 << 6
    public static let dataReady: UInt8 = 1 << 3       // STATUS ZYXDA
    public static let overrun: UInt8 = 1 << 7         // STATUS ZYXOR
    /// CTRL_REG3 MD: continuous, single and power-down.
    public static let continuousMode: UInt8 = 0x00
    public static let singleMode: UInt8 = 0x01
    public static let powerDown: UInt8 = 0x03

    /// Operating modes (CTRL_REG1 OM for X/Y, CTRL_REG4 OMZ for Z): `MagneticSettings.resolution` 0…3.
    public enum OperatingMode: Int, Sendable, CaseIterable {
        case lowPower = 0, mediumPerformance, highPerformance, ultraHighPerformance

        public var name: String { ["LP", "MP", "HP", "UHP"][rawValue] }
        /// The FAST_ODR rate of this mode, Hz (sensors.md §1: 1000/560/300/155 Hz for LP/MP/HP/UHP).
        public var fastRate: Double { [1000, 560, 300, 155][rawValue] }
    }

    /// CTRL_REG1 DO codes 0…7, Hz (0.625…80 Hz, sensors.md §3.3).
    public static let dataRates: [Double] = [0.625, 1.25, 2.5, 5, 10, 20, 40, 80]
    /// Full scales by CTRL_REG2 FS code, µT (±4/8/12/16 G), and their sensitivities, LSB/G (sensors.md §3.3 [S19]).
    public static let fullScales: [Double] = [400, 800, 1200, 1600]
    public static let sensitivities: [Double] = [6842, 3421, 2281, 1711]

    /// Field in µT of one output word at FS code `scale` (sensors.md §3.3, §6 V10): G = raw/sensitivity, 1 G = 100 µT.
    public static func microtesla(counts: Int64, scale: Int) -> Double {
        Double(counts) / sensitivities[scale] * 100
    }

    /// °C of TEMP_OUT (sensors.md §3.3): raw/8 + 25.
    public static func celsius(counts: Int64) -> Double {
        Double(counts) / 8 + 25
    }

    /// CTRL_REG1 for a mode and rate, as ST's packed OM|DO|FAST_ODR enum makes it (UHP 80 Hz: 0x3E → 0x7C),
    /// with TEMP_EN set. `rateCode` is the DO code, or nil for the mode's FAST_ODR rate (DO 000).
    public static func control1(mode: OperatingMode, rateCode: Int?) -> UInt8 {
        let rate = rateCode.map { UInt8($0) << 2 } ?? fastDataRate
        return temperatureEnable | UInt8(mode.rawValue) << 5 | rate
    }

    public static let driverName = "lis3mdl"
    public let device: I2CDevice
    /// The full-scale code `configure` set (0…3); the sensitivity of every reading follows it.
    public private(set) var scale = 0
    /// `poll()`'s STATUS-and-outputs burst.
    private var burst = StatusBurstPoll(status: Register.status.rawValue, burstStart: LIS3MDL.autoIncrement | Register.status.rawValue,
                                        dataCount: 8)

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Reads WHO_AM_I (0x0F) only.
    public func probe() throws(DriverError) -> SensorIdentity {
        let id = try device.registers(Register.whoAmI.rawValue, count: 1)[0]
        guard id == Self.whoAmIValue else {
            throw .wrongChip(model: "LIS3MDL", register: Register.whoAmI.rawValue, expected: [Self.whoAmIValue], found: id)
        }
        return SensorIdentity(model: "LIS3MDL", idRegister: Register.whoAmI.rawValue, idValue: id, calibration: [])
    }

    /// Continuous mode with the requested operating mode on all three axes (default LP, the power-on mode), the
    /// smallest full scale that holds the requested one, and the fastest of the DO rates and the mode's FAST_ODR
    /// rate at or below the requested rate. Power-down while the registers change; BDU on so that a reading's low
    /// and high bytes are one conversion; temperature on. `offsetCancellation` does not apply (no SET/RESET).
    public func configure(_ settings: MagneticSettings) throws(DriverError) -> MagneticMode {
        let code = settings.resolution ?? OperatingMode.lowPower.rawValue
        guard let mode = OperatingMode(rawValue: code) else {
            throw .configurationRejected(model: "LIS3MDL", reason: "operating mode \(code) is not 0…3 (LP/MP/HP/UHP)")
        }
        let wanted = settings.fullScale ?? Self.fullScales[0]
        guard let scale = Self.fullScales.firstIndex(where: { $0 >= wanted * (1 - 1e-9) }) else {
            throw .configurationRejected(model: "LIS3MDL", reason: "full scale ±\(wanted) µT exceeds the chip's ±1600 µT")
        }
        let ceiling = settings.outputDataRate * (1 + 1e-9)
        let rates: [(code: Int?, hertz: Double)] = Self.dataRates.enumerated().map { (code: Int?($0.offset), hertz: $0.element) }
            + [(nil, mode.fastRate)]
        guard let rate = rates.filter({ $0.hertz <= ceiling }).max(by: { $0.hertz < $1.hertz }) else {
            throw .configurationRejected(
                model: "LIS3MDL", reason: "no output data rate ≤ \(settings.outputDataRate) Hz (the slowest is 0.625 Hz)")
        }
        try device.set(Register.control3.rawValue, Self.powerDown)
        try device.set(Register.control1.rawValue, Self.control1(mode: mode, rateCode: rate.code))
        try device.set(Register.control2.rawValue, UInt8(scale) << 5)
        try device.set(Register.control4.rawValue, UInt8(mode.rawValue) << 2)      // OMZ = OM, BLE 0 (LE)
        try device.set(Register.control5.rawValue, Self.blockDataUpdate)
        // Reading the outputs clears a ZYXDA left from an earlier configuration, so the first reading is new.
        _ = try device.registers(Self.autoIncrement | Register.output.rawValue, count: 6)
        try device.set(Register.control3.rawValue, Self.continuousMode)
        self.scale = scale
        let fast = rate.code == nil ? ", FAST_ODR" : ""
        return MagneticMode(outputDataRate: rate.hertz, resolution: mode.rawValue, fullScale: Self.fullScales[scale],
                            countsPerMicrotesla: Self.sensitivities[scale] / 100,
                            notes: "\(mode.name) mode\(fast), ±\(Int(Self.fullScales[scale] / 100)) G")
    }

    /// STATUS and the outputs in one 9-byte burst from `0x80 | 0x27` (STATUS_REG, OUT_X_L…TEMP_OUT_H;
    /// `StatusBurstPoll`). ZYXDA says whether the outputs are a new conversion; with BDU on, each axis's low and high
    /// bytes are one conversion.
    public func poll() throws(DriverError) -> MagneticPoll {
        let scale = scale
        let reading = try burst.poll(device, isReady: { $0 & Self.dataReady != 0 }, readData: readMeasurement,
                                     decode: { (data) throws(DriverError) in Self.reading(fromData: data, scale: scale) })
        return reading.map { .reading($0) } ?? .notReady
    }

    /// Reads and converts the outputs at the configured full scale.
    public func readMeasurement() throws(DriverError) -> MagneticReading {
        try withUnsafeTemporaryAllocation(byteCount: 8, alignment: 1) { (bytes) throws(DriverError) in
            try device.registers(Self.autoIncrement | Register.output.rawValue, into: bytes)
            return Self.reading(fromData: UnsafeRawBufferPointer(bytes), scale: scale)
        }
    }

    /// Decodes OUT_X_L…TEMP_OUT_H (sensors.md §3.3, §6 V10): int16 LE counts / sensitivity, temperature raw/8 + 25 °C.
    public static func reading(fromData b: some RandomAccessCollection<UInt8>, scale: Int) -> MagneticReading {
        func byte(_ offset: Int) -> UInt16 { UInt16(b[b.index(b.startIndex, offsetBy: offset)]) }
        func word(_ index: Int) -> Int64 { Int64(Int16(bitPattern: byte(2 * index + 1) << 8 | byte(2 * index))) }
        let (x, y, z) = (word(0), word(1), word(2))
        return MagneticReading(field: FieldVector(x: microtesla(counts: x, scale: scale), y: microtesla(counts: y, scale: scale),
                                                  z: microtesla(counts: z, scale: scale)),
                               temperature: celsius(counts: word(3)), raw: RawWords(x: x, y: y, z: z))
    }

    /// CTRL_REG3 MD = 11: power-down.
    public func standby() throws(DriverError) {
        try device.set(Register.control3.rawValue, Self.powerDown)
    }
}
