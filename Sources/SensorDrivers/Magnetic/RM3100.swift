import SensorIO

/// PNI RM3100 magneto-inductive three-axis magnetometer over I2C (PNI RM3100 user manual and sample code [S14][S15],
/// datasheet [S16], Linux `rm3100-core.c` [S17]; reference/sensors.md §1, §3.1).
///
/// The cycle count is the chip's only gain and noise knob: it sets the counts per µT, the noise and the time a
/// three-axis conversion takes. The driver writes all three axes' counts MSB and LSB (the kernel writes only the
/// LSBs and so stops at 255), runs continuous measurement (CMM) paced by TMRC, and reads the three 24-bit
/// big-endian words after STATUS DRDY.
public final class RM3100: MagneticSensor {
    /// Register addresses (sensors.md §3.1 table). On I2C the address is sent plainly (no SPI read bit).
    public enum Register: UInt8, Sendable {
        case poll = 0x00            // bits 4/5/6 X/Y/Z single measurement
        case continuousMode = 0x01  // CMM: bit0 START, bits 3:2 DRDM, bits 4/5/6 X/Y/Z
        case cycleCountX = 0x04     // CCX MSB, 0x05 LSB; CCY 0x06/0x07; CCZ 0x08/0x09
        case cycleCountY = 0x06
        case cycleCountZ = 0x08
        case continuousRate = 0x0B  // TMRC
        case measurement = 0x24     // MX 0x24–0x26, MY 0x27–0x29, MZ 0x2A–0x2C: int24 BE
        case status = 0x34          // bit7 DRDY
        case revision = 0x36        // REVID
    }

    public static let revisionValue: UInt8 = 0x22
    /// CMM value of PNI's sample for continuous X, Y, Z with DRDY after the full set (sensors.md §3.1).
    public static let continuousXYZ: UInt8 = 0x79
    public static let dataReady: UInt8 = 1 << 7
    /// POLL value for a single measurement of all three axes.
    public static let pollXYZ: UInt8 = 0x70
    /// Cycle count at power-on (CCx = 0x00C8) and the range the driver accepts (MagneticSettings.resolution).
    public static let defaultCycleCount = 200
    public static let cycleCounts = 50...400

    /// TMRC codes 0x92…0x9F and their continuous rates, Hz (sensors.md §3.1). PNI's table prints "0.015" Hz for
    /// 0x9E between 0.3 and 0.075 Hz; the halving sequence makes it 0.15 Hz, which the driver uses.
    public static let continuousRates: [(code: UInt8, hertz: Double)] = [
        (0x92, 600), (0x93, 300), (0x94, 150), (0x95, 75), (0x96, 37), (0x97, 18), (0x98, 9), (0x99, 4.5),
        (0x9A, 2.3), (0x9B, 1.2), (0x9C, 0.6), (0x9D, 0.3), (0x9E, 0.15), (0x9F, 0.075),
    ]

    /// Highest three-axis rate at cycle count 200, Hz: "~430 Hz" (sensors.md §1, §3.1 [S15]).
    public static let maximumRateAtDefaultCount = 430.0

    /// Linear range of the sensor, µT (RM3100 datasheet "±800 µT"; not in sensors.md, so unverified).
    public static let fullScale = 800.0

    /// Gain in counts/µT at `cycleCount` (sensors.md §3.1). The datasheet table values 20/38/75 counts/µT at
    /// cycle counts 50/100/200 (the kernel's scales [S17], and [S16]'s "typically 75 counts/µT" at 200) are used
    /// at those counts, so V9's 3500 counts at 200 read 46.67 µT as sensors.md §6 states; any other count uses
    /// PNI's linear fit 0.3671·CC + 1.5 [S14], which is within 1.3 % of the table at its three points
    /// (19.86, 38.21, 75.92), so the gain steps by up to that much next to them.
    public static func gain(cycleCount: Int) -> Double {
        switch cycleCount {
        case 50: 20
        case 100: 38
        case 200: 75
        default: 0.3671 * Double(cycleCount) + 1.5
        }
    }

    /// Highest three-axis rate the cycle count allows, Hz: the conversion time is taken to scale with the count
    /// (a magneto-inductive count is a fixed number of oscillator periods) from 430 Hz at 200. A faster TMRC is
    /// overridden by the count (sensors.md §3.1 [S15]).
    public static func maximumRate(cycleCount: Int) -> Double {
        maximumRateAtDefaultCount * Double(defaultCycleCount) / Double(cycleCount)
    }

    /// Field in µT of one axis's counts (sensors.md §3.1, §6 V9): µT = counts / gain.
    public static func microtesla(counts: Int64, cycleCount: Int) -> Double {
        Double(counts) / gain(cycleCount: cycleCount)
    }

    /// The three signed 24-bit big-endian words of MX, MY, MZ (sensors.md §7: sign extension).
    public static func counts(fromData b: [UInt8]) -> [Int64] {
        (0..<3).map { axis in
            let i = 3 * axis
            return Int64(signExtending24: UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]))
        }
    }

    public static let driverName = "rm3100"
    public let device: I2CDevice
    /// The cycle count `configure` set; the gain of every reading follows it.
    public private(set) var cycleCount = RM3100.defaultCycleCount

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Reads REVID (0x36) only: no write, so a probe never starts or stops a measurement.
    public func probe() throws(DriverError) -> SensorIdentity {
        let revision = try device.registers(Register.revision.rawValue, count: 1)[0]
        guard revision == Self.revisionValue else {
            throw .wrongChip(model: "RM3100", register: Register.revision.rawValue, expected: [Self.revisionValue], found: revision)
        }
        return SensorIdentity(model: "RM3100", idRegister: Register.revision.rawValue, idValue: revision, calibration: [])
    }

    /// Continuous XYZ measurement at the requested cycle count (same on all axes) and the fastest TMRC rate at or
    /// below the requested one that the count sustains. The chip has one range and no SET/RESET, so
    /// `offsetCancellation` is ignored and a full scale above ±800 µT is refused.
    public func configure(_ settings: MagneticSettings) throws(DriverError) -> MagneticMode {
        let count = settings.resolution ?? Self.defaultCycleCount
        guard Self.cycleCounts.contains(count) else {
            throw .configurationRejected(model: "RM3100", reason: "cycle count \(count) is outside 50…400")
        }
        if let wanted = settings.fullScale, wanted > Self.fullScale {
            throw .configurationRejected(model: "RM3100", reason: "full scale ±\(wanted) µT exceeds the chip's ±800 µT")
        }
        let ceiling = Swift.min(settings.outputDataRate * (1 + 1e-9), Self.maximumRate(cycleCount: count))
        guard let rate = Self.continuousRates.filter({ $0.hertz <= ceiling }).max(by: { $0.hertz < $1.hertz }) else {
            throw .configurationRejected(model: "RM3100", reason: "no TMRC rate ≤ \(settings.outputDataRate) Hz (the slowest is 0.075 Hz)")
        }
        try device.set(Register.continuousMode.rawValue, 0x00)   // stop while the counts change
        let msb = UInt8(count >> 8), lsb = UInt8(count & 0xFF)
        for register in [Register.cycleCountX, .cycleCountY, .cycleCountZ] {
            try device.set(register.rawValue, msb)
            try device.set(register.rawValue + 1, lsb)
        }
        try device.set(Register.continuousRate.rawValue, rate.code)
        try device.set(Register.continuousMode.rawValue, Self.continuousXYZ)
        cycleCount = count
        let gain = Self.gain(cycleCount: count)
        let source = [50, 100, 200].contains(count) ? "datasheet table gain" : "PNI linear gain 0.3671·CC + 1.5"
        return MagneticMode(outputDataRate: rate.hertz, resolution: count, fullScale: Self.fullScale,
                            countsPerMicrotesla: gain, notes: "cycle count \(count), \(source)")
    }

    /// STATUS DRDY (bit 7) set: one 9-byte burst of MX, MY, MZ, which clears DRDY.
    public func poll() throws(DriverError) -> MagneticPoll {
        let status = try device.registers(Register.status.rawValue, count: 1)[0]
        guard status & Self.dataReady != 0 else { return .notReady }
        return .reading(try readMeasurement())
    }

    /// Reads and converts MX, MY, MZ at the configured cycle count.
    public func readMeasurement() throws(DriverError) -> MagneticReading {
        Self.reading(fromData: try device.registers(Register.measurement.rawValue, count: 9), cycleCount: cycleCount)
    }

    /// Decodes the 9 measurement bytes (sensors.md §3.1, §6 V9).
    public static func reading(fromData b: [UInt8], cycleCount: Int) -> MagneticReading {
        let raw = counts(fromData: b)
        let field = raw.map { microtesla(counts: $0, cycleCount: cycleCount) }
        return MagneticReading(field: FieldVector(x: field[0], y: field[1], z: field[2]), raw: RawWords(raw))
    }

    /// CMM 0: continuous measurement off; the chip idles until the next POLL or CMM write.
    public func standby() throws(DriverError) {
        try device.set(Register.continuousMode.rawValue, 0x00)
    }
}
