import SensorIO

/// ST LPS22HH barometric pressure sensor over I2C (datasheet DocID030890; ST `lps22hh_reg.h`;
/// reference/sensors.md §1, §2.4). The chip compensates on chip: the output registers hold hPa·4096 and
/// °C·100. It has no oversampling setting; its noise is set by low-noise mode and the output low-pass filter.
public final class LPS22HH: PressureSensor {
    /// Register addresses (sensors.md §2.4 table).
    public enum Register: UInt8, Sendable {
        case whoAmI = 0x0F
        case control1 = 0x10        // bits 6:4 ODR, bit3 EN_LPFP, bit2 LPFP_CFG, bit1 BDU
        case control2 = 0x11        // bit4 IF_ADD_INC, bit2 SWRESET, bit1 LOW_NOISE_EN, bit0 ONE_SHOT
        case status = 0x27          // bit0 P_DA, bit1 T_DA, bit4 P_OR, bit5 T_OR
        case data = 0x28            // 0x28–0x2A PRESS_OUT_XL/L/H, 0x2B–0x2C TEMP_OUT_L/H
    }

    public static let whoAmIValue: UInt8 = 0xB3

    public static let blockDataUpdate: UInt8 = 1 << 1
    public static let lowPassEnable: UInt8 = 1 << 3
    /// LPFP_CFG: bandwidth ODR/20 instead of ODR/9 when EN_LPFP is set.
    public static let lowPassNarrow: UInt8 = 1 << 2
    public static let addressIncrement: UInt8 = 1 << 4
    public static let softwareReset: UInt8 = 1 << 2
    public static let lowNoiseEnable: UInt8 = 1 << 1
    public static let oneShot: UInt8 = 1 << 0
    public static let pressureAvailable: UInt8 = 1 << 0
    public static let temperatureAvailable: UInt8 = 1 << 1
    public static let pressureOverrun: UInt8 = 1 << 4
    public static let temperatureOverrun: UInt8 = 1 << 5

    /// Continuous output data rates by CTRL_REG1.ODR code 1…7 (code 0 is power-down / one-shot).
    public static let outputDataRates: [Double] = [1, 10, 25, 50, 75, 100, 200]
    /// The fastest rate ST's driver offers in low-noise mode (`LPS22HH_75_Hz_LOW_NOISE`; sensors.md §2.4).
    public static let lowNoiseMaximumRate = 75.0

    /// Output low-pass filter (CTRL_REG1 EN_LPFP, LPFP_CFG), named by the divisor of the ODR that gives its
    /// bandwidth; with the filter off the bandwidth is ODR/2.
    public enum LowPassFilter: Int, Sendable, CaseIterable {
        case off = 0, odrOver9 = 9, odrOver20 = 20

        public init(control1: UInt8) {
            self = control1 & LPS22HH.lowPassEnable == 0 ? .off
                : control1 & LPS22HH.lowPassNarrow == 0 ? .odrOver9 : .odrOver20
        }

        public var bits: UInt8 {
            switch self {
            case .off: 0
            case .odrOver9: LPS22HH.lowPassEnable
            case .odrOver20: LPS22HH.lowPassEnable | LPS22HH.lowPassNarrow
            }
        }

        /// Bandwidth as a fraction of the ODR.
        public var bandwidthFraction: Double { self == .off ? 1.0 / 2 : 1 / Double(rawValue) }
    }

    /// Pressure change of one output LSB: 1/4096 hPa.
    public static let pressureStep = 100.0 / 4096

    public static let driverName = "lps22hh"
    public let device: I2CDevice
    /// `poll()`'s STATUS-and-outputs burst.
    private var burst = StatusBurstPoll(status: Register.status.rawValue, dataCount: 5)

    public init(device: I2CDevice) {
        self.device = device
    }

    public func probe() throws(DriverError) -> SensorIdentity {
        let id = try device.registers(Register.whoAmI.rawValue, count: 1)[0]
        guard id == Self.whoAmIValue else {
            throw .wrongChip(model: "LPS22HH", register: Register.whoAmI.rawValue, expected: [Self.whoAmIValue], found: id)
        }
        return SensorIdentity(model: "LPS22HH", idRegister: Register.whoAmI.rawValue, idValue: id, calibration: [])
    }

    /// Continuous mode at the fastest of 1…200 Hz at or below the requested rate (75 Hz at most in low-noise
    /// mode), with the low-pass filter asked for and block data update on, so that a pressure and the
    /// temperature after it are one conversion even when read in separate transactions.
    public func configure(_ settings: PressureSettings) throws(DriverError) -> PressureMode {
        guard settings.oversampling == 1 else {
            throw .configurationRejected(
                model: "LPS22HH", reason: "oversampling ×\(settings.oversampling): the chip has no oversampling "
                    + "register, so only ×1 is accepted; lower its noise with low-noise mode and the LPF")
        }
        guard let filter = LowPassFilter(rawValue: settings.iirCoefficient) else {
            throw .configurationRejected(
                model: "LPS22HH", reason: "LPF setting \(settings.iirCoefficient) is not 0 (off), 9 (ODR/9) or 20 (ODR/20)")
        }
        let ceiling = settings.lowNoise ? Self.lowNoiseMaximumRate : Self.outputDataRates.last!
        let allowed = Self.outputDataRates.filter { $0 <= ceiling }
        guard let hertz = settings.fastestRate(among: allowed, conversionTime: 0),
              let index = Self.outputDataRates.firstIndex(of: hertz) else {
            throw .configurationRejected(
                model: "LPS22HH", reason: "no output data rate ≤ \(settings.outputDataRate) Hz (the slowest is 1 Hz)")
        }
        // Power-down while the mode changes; IF_ADD_INC stays on for the burst reads.
        try device.set(Register.control1.rawValue, 0x00)
        try device.set(Register.control2.rawValue, Self.addressIncrement | (settings.lowNoise ? Self.lowNoiseEnable : 0))
        // Reading the outputs clears P_DA/T_DA left from an earlier configuration, so the first reading is new.
        _ = try device.registers(Register.data.rawValue, count: 5)
        try device.set(Register.control1.rawValue, UInt8(index + 1) << 4 | filter.bits | Self.blockDataUpdate)

        let mode = settings.lowNoise ? "low-noise mode" : "low-current mode"
        let lpf = filter == .off ? "LPF off" : "LPF ODR/\(filter.rawValue)"
        // sensors.md gives no conversion time for continuous mode: the first sample is taken to be ready one
        // period after the start, as the simulator models it.
        return PressureMode(outputDataRate: hertz, pressureOversampling: 1, temperatureOversampling: 1,
                            iirCoefficient: filter.rawValue, conversionTime: 1 / hertz, notes: "\(mode), \(lpf)")
    }

    /// STATUS and the outputs in one 6-byte burst from 0x27 (STATUS, PRESS_OUT_XL…TEMP_OUT_H; IF_ADD_INC is on;
    /// `StatusBurstPoll`). P_DA and T_DA both set: the outputs are a new pressure and temperature.
    public func poll() throws(DriverError) -> PressurePoll {
        let both = Self.pressureAvailable | Self.temperatureAvailable
        let reading = try burst.poll(device, isReady: { $0 & both == both }, readData: readConversion,
                                     decode: { (data) throws(DriverError) in Self.reading(fromData: data) })
        return reading.map { .reading($0) } ?? .notReady
    }

    /// One 5-byte burst 0x28–0x2C (IF_ADD_INC is on by default). Reading PRESS_OUT_H and TEMP_OUT_H clears
    /// P_DA and T_DA and releases block data update.
    public func readConversion() throws(DriverError) -> PressureReading {
        try withUnsafeTemporaryAllocation(byteCount: 5, alignment: 1) { (bytes) throws(DriverError) in
            try device.registers(Register.data.rawValue, into: bytes)
            return Self.reading(fromData: UnsafeRawBufferPointer(bytes))
        }
    }

    /// Decodes PRESS_OUT_XL…TEMP_OUT_H (sensors.md §2.4, §6 V7): P = sext24 LE / 4096 hPa, T = int16 / 100 °C.
    public static func reading(fromData data: some RandomAccessCollection<UInt8>) -> PressureReading {
        func byte(_ offset: Int) -> UInt32 { UInt32(data[data.index(data.startIndex, offsetBy: offset)]) }
        let pressure = Int64(signExtending24: byte(2) << 16 | byte(1) << 8 | byte(0))
        let temperature = Int64(Int16(truncatingIfNeeded: byte(4) << 8 | byte(3)))
        return PressureReading(pressure: Double(pressure) * pressureStep, temperature: Double(temperature) / 100,
                               rawPressure: pressure, rawTemperature: temperature, pressureStep: pressureStep)
    }

    /// Power-down: ODR 0, the rest of CTRL_REG1 kept.
    public func standby() throws(DriverError) {
        let control = try device.registers(Register.control1.rawValue, count: 1)[0]
        try device.set(Register.control1.rawValue, control & 0x8F)
    }
}
