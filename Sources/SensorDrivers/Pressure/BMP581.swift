import SensorIO

/// Bosch BMP581 barometric pressure sensor over I2C (datasheet BST-BMP581-DS004; Bosch BMP5_SensorAPI;
/// reference/sensors.md §1, §2.2). The chip compensates on chip, so there is no calibration to read: the data
/// registers hold °C·2¹⁶ and Pa·2⁶. The driver knows registers and formulas only: no retries, no sleeps.
public final class BMP581: PressureSensor {
    /// Register addresses (BMP5_SensorAPI `bmp5_defs.h`; sensors.md §2.2 table).
    public enum Register: UInt8, Sendable {
        case chipID = 0x01
        case interruptConfig = 0x14     // bit0 latched, bit1 active-high, bit2 open-drain, bit3 int_en
        case interruptSource = 0x15     // bit0 drdy_en
        case data = 0x1D                // 0x1D–0x1F temperature, 0x20–0x22 pressure
        case interruptStatus = 0x27     // bit0 drdy, bit4 POR / soft-reset complete; cleared on read
        case status = 0x28              // bit1 NVM_RDY, bit2 NVM_ERR
        case dspConfig = 0x30           // bits 1:0 comp_pt_en, bit3 shdw_sel_iir_t, bit5 shdw_sel_iir_p
        case dspIIR = 0x31              // bits 2:0 T coefficient, bits 5:3 P coefficient
        case oversampling = 0x36        // bits 2:0 osr_t, bits 5:3 osr_p, bit6 press_en
        case outputDataRate = 0x37      // bits 1:0 pwr_mode, bits 6:2 odr, bit7 deep_dis
        case effectiveOversampling = 0x38 // bits 2:0 osr_t_eff, bits 5:3 osr_p_eff, bit7 odr_is_valid
        case command = 0x7E             // 0xB6 soft reset
    }

    /// CHIP_ID values Bosch's API accepts (sensors.md §1). 0x50 is the BMP581 (and BMP580); 0x51 is the
    /// second id of the family, named BMP585 by third-party drivers.
    public static let chipIDPrimary: UInt8 = 0x50
    public static let chipIDSecondary: UInt8 = 0x51
    public static let softResetCommand: UInt8 = 0xB6

    public static let interruptDataReady: UInt8 = 1 << 0
    public static let interruptPowerOnReset: UInt8 = 1 << 4
    public static let statusNVMReady: UInt8 = 1 << 1
    public static let statusNVMError: UInt8 = 1 << 2
    public static let pressureEnable: UInt8 = 1 << 6
    /// ODR_CONFIG deep_dis: deep standby off. Deep standby resets the configuration, and an ODR above 5 Hz
    /// with deep standby allowed is an invalid power mode (BMP5_SensorAPI `bmp5_set_osr_odr_press_config`).
    public static let deepStandbyDisable: UInt8 = 1 << 7
    public static let odrIsValid: UInt8 = 1 << 7
    /// DSP_CONFIG: pressure and temperature compensation on, IIR output to the data registers (the Linux
    /// bmp580 driver sets the same bits).
    public static let dspCompensation: UInt8 = 0x03
    public static let dspShadowIIRTemperature: UInt8 = 1 << 3
    public static let dspShadowIIRPressure: UInt8 = 1 << 5
    /// INT_CONFIG: pin enabled, active high, push-pull, pulsed, so that every conversion gives an edge even
    /// when only the data registers are read.
    public static let interruptPinConfig: UInt8 = 1 << 3 | 1 << 1

    /// ODR_CONFIG pwr_mode values.
    public enum PowerMode: UInt8, Sendable { case standby = 0, normal = 1, forced = 2, continuous = 3 }

    /// Normal-mode output data rates by ODR_CONFIG.odr code 0x00…0x1F (BMP5_SensorAPI `BMP5_ODR_*`).
    public static let outputDataRates: [Double] = [
        240, 218.5, 199.1, 179.2, 160, 149.3, 140, 129.8, 120, 110.1, 100.2, 89.6, 80, 70, 60, 50,
        45, 40, 35, 30, 25, 20, 15, 10, 5, 4, 3, 2, 1, 0.5, 0.25, 0.125,
    ]

    /// Pressure oversampling ×1…×128, OSR_CONFIG code 0…7, with the datasheet's Table 9 row for it
    /// (sensors.md §2.2): the temperature OSR Bosch pairs with it, the typical RMS noise at 100 kPa with the
    /// IIR off, and the typical output rate in continuous mode, which is the fastest the conversion allows.
    public enum Oversampling: Int, Sendable, CaseIterable {
        case x1 = 1, x2 = 2, x4 = 4, x8 = 8, x16 = 16, x32 = 32, x64 = 64, x128 = 128

        public init?(code: UInt8) { self.init(rawValue: 1 << Int(code & 0x07)) }
        public var code: UInt8 { UInt8(rawValue.trailingZeroBitCount) }

        /// Table 9: temperature ×1 up to pressure ×16, then ×2, ×4, ×8.
        public var pairedTemperature: Oversampling {
            switch self {
            case .x32: .x2
            case .x64: .x4
            case .x128: .x8
            default: .x1
            }
        }

        /// Table 9 typical pressure RMS noise, Pa.
        public var typicalNoise: Double {
            [0.78, 0.58, 0.41, 0.30, 0.21, 0.15, 0.11, 0.08][Int(code)]
        }

        /// Table 9 typical ODR in continuous mode, Hz.
        public var typicalContinuousRate: Double {
            [498, 374, 255, 155, 87, 46, 24, 12][Int(code)]
        }
    }

    /// IIR coefficient 0 (bypass), 1, 3 … 127, DSP_IIR code 0…7.
    public enum IIRFilter: Int, Sendable, CaseIterable {
        case off = 0, c1 = 1, c3 = 3, c7 = 7, c15 = 15, c31 = 31, c63 = 63, c127 = 127
        public init?(code: UInt8) { self.init(rawValue: (1 << Int(code & 0x07)) - 1) }
        public var code: UInt8 { UInt8((rawValue + 1).trailingZeroBitCount) }
    }

    /// Time for one pressure + temperature conversion, s: the period of Table 9's typical continuous rate
    /// for the pressure OSR at Bosch's temperature pairing, plus 0.632 ms for each temperature sample more
    /// (or less) than that pairing. 0.632 ms per sample is Table 9's own slope from ×1 to ×16 with
    /// temperature ×1: (1/87 − 1/498) s / 15 [calc]; the datasheet gives no formula.
    public static func conversionTime(pressure: Oversampling, temperature: Oversampling) -> Double {
        let extraSamples = Double(temperature.rawValue - pressure.pairedTemperature.rawValue)
        return 1 / pressure.typicalContinuousRate + extraSamples * 0.632e-3
    }

    public static let driverName = "bmp581"
    public let device: I2CDevice

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Checks CHIP_ID and the NVM status (Bosch's `power_up_check`). INT_STATUS.por is not required: it
    /// clears on read, so it is set only for the first reader after power-up, and a unit probed by an
    /// earlier run would fail every later one; NVM_RDY already says the trimming has loaded.
    public func probe() throws(DriverError) -> SensorIdentity {
        let id = try device.registers(Register.chipID.rawValue, count: 1)[0]
        guard id == Self.chipIDPrimary || id == Self.chipIDSecondary else {
            throw .wrongChip(model: "BMP581", register: Register.chipID.rawValue,
                             expected: [Self.chipIDPrimary, Self.chipIDSecondary], found: id)
        }
        let status = try device.registers(Register.status.rawValue, count: 1)[0]
        guard status & Self.statusNVMReady != 0, status & Self.statusNVMError == 0 else {
            throw .invalidCalibration(model: "BMP581",
                                      reason: "STATUS 0x28 reads 0x\(hex(status)): NVM not ready or NVM_ERR set")
        }
        return SensorIdentity(model: id == Self.chipIDPrimary ? "BMP581" : "BMP585", idRegister: Register.chipID.rawValue,
                              idValue: id, calibration: [])
    }

    /// Normal mode at the requested pressure oversampling with Table 9's temperature pairing, the IIR
    /// coefficient for both channels, and the fastest ODR code at or below the requested rate whose period
    /// holds a conversion. Then checks OSR_EFF: the chip does not refuse an OSR/ODR pair it cannot run, it
    /// runs a lower OSR and clears odr_is_valid.
    public func configure(_ settings: PressureSettings) throws(DriverError) -> PressureMode {
        guard let pressure = Oversampling(rawValue: settings.oversampling) else {
            throw .configurationRejected(
                model: "BMP581", reason: "oversampling ×\(settings.oversampling) is not one of ×1, ×2, ×4 … ×128")
        }
        guard let iir = IIRFilter(rawValue: settings.iirCoefficient) else {
            throw .configurationRejected(
                model: "BMP581", reason: "IIR coefficient \(settings.iirCoefficient) is not 0, 1, 3, 7, 15, 31, 63 or 127")
        }
        let temperature = pressure.pairedTemperature
        let conversion = Self.conversionTime(pressure: pressure, temperature: temperature)
        guard let hertz = settings.fastestRate(among: Self.outputDataRates, conversionTime: conversion),
              let odr = Self.outputDataRates.firstIndex(of: hertz) else {
            throw .configurationRejected(
                model: "BMP581", reason: "no output data rate ≤ \(settings.outputDataRate) Hz holds a conversion at "
                    + "×\(pressure.rawValue) (at most \(pressure.typicalContinuousRate) Hz; slowest 0.125 Hz)")
        }
        let rateBits = Self.deepStandbyDisable | UInt8(odr) << 2

        // Standby first: the IIR registers take writes only in standby (BMP5_SensorAPI `bmp5_set_iir_config`).
        try device.set(Register.outputDataRate.rawValue, rateBits | PowerMode.standby.rawValue)
        let dsp = try device.registers(Register.dspConfig.rawValue, count: 1)[0]
        try device.set(Register.dspConfig.rawValue,
                       dsp | Self.dspCompensation | Self.dspShadowIIRTemperature | Self.dspShadowIIRPressure)
        try device.set(Register.dspIIR.rawValue, iir.code << 3 | iir.code)
        try device.set(Register.oversampling.rawValue, Self.pressureEnable | pressure.code << 3 | temperature.code)
        // Interrupt set-up in Bosch's order: sources off, clear the status, pin mode, then the drdy source.
        try device.set(Register.interruptSource.rawValue, 0x00)
        _ = try device.registers(Register.interruptStatus.rawValue, count: 1)
        try device.set(Register.interruptConfig.rawValue, Self.interruptPinConfig)
        try device.set(Register.interruptSource.rawValue, Self.interruptDataReady)
        try device.set(Register.outputDataRate.rawValue, rateBits | PowerMode.normal.rawValue)

        let effective = try device.registers(Register.effectiveOversampling.rawValue, count: 1)[0]
        let effectivePressure = Oversampling(code: effective >> 3) ?? .x1
        guard effective & Self.odrIsValid != 0, effectivePressure == pressure else {
            throw .configurationRejected(
                model: "BMP581", reason: "OSR_EFF reads 0x\(hex(effective)): the chip runs ×\(effectivePressure.rawValue) "
                    + "instead of ×\(pressure.rawValue) at \(hertz) Hz")
        }
        return PressureMode(outputDataRate: hertz, pressureOversampling: pressure.rawValue,
                            temperatureOversampling: temperature.rawValue, iirCoefficient: iir.rawValue,
                            conversionTime: conversion)
    }

    /// INT_STATUS.drdy is the chip's only data-ready flag (STATUS 0x28 holds NVM state only); reading
    /// INT_STATUS clears it, so one read both tests and acknowledges a conversion.
    public func poll() throws(DriverError) -> PressurePoll {
        let flags = try device.registers(Register.interruptStatus.rawValue, count: 1)[0]
        return flags & Self.interruptDataReady != 0 ? .reading(try readConversion()) : .notReady
    }

    /// One 6-byte burst from 0x1D, so temperature and pressure come from the same conversion (sensors.md §2.2):
    /// T = sext24 LE / 2¹⁶ °C, P = u24 LE / 2⁶ Pa.
    public func readConversion() throws(DriverError) -> PressureReading {
        Self.reading(fromData: try device.registers(Register.data.rawValue, count: 6))
    }

    /// Decodes the six data bytes 0x1D–0x22 (sensors.md §6 V3).
    public static func reading(fromData b: [UInt8]) -> PressureReading {
        let temperature = Int64(signExtending24: UInt32(b[2]) << 16 | UInt32(b[1]) << 8 | UInt32(b[0]))
        let pressure = Int64(UInt32(b[5]) << 16 | UInt32(b[4]) << 8 | UInt32(b[3]))
        return PressureReading(pressure: Double(pressure) / 64, temperature: Double(temperature) / 65536,
                               rawPressure: pressure, rawTemperature: temperature, pressureStep: 1.0 / 64)
    }

    /// Standby, keeping deep standby disabled so the configuration survives for the next run.
    public func standby() throws(DriverError) {
        let rate = try device.registers(Register.outputDataRate.rawValue, count: 1)[0]
        try device.set(Register.outputDataRate.rawValue, rate & 0x7C | Self.deepStandbyDisable | PowerMode.standby.rawValue)
    }
}
