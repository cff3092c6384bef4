/// The nine calibration coefficients of a DPS310 (COEF, registers 0x10–0x21) and Infineon's compensation
/// (reference/sensors.md §2.3; Infineon `Dps310.cpp` readcoeffs/calcTemp/calcPressure).
///
/// The math is Double on purpose: the kernel's int64 form overflows on p³·c30 from OSR ×2 up (sensors.md §0
/// point 4, §7), which Swift would trap on, and Infineon's `c0 / 2U` loses half a degree on odd c0.
public struct DPS310Coefficients: Sendable, Equatable, Codable {
    /// The 18 COEF bytes as read, kept for the report (they identify the unit).
    public let bytes: [UInt8]
    public let c0, c1: Int
    public let c00, c10: Int
    public let c01, c11, c20, c21, c30: Int

    /// Number of COEF bytes, 0x10 through 0x21.
    public static let byteCount = 18

    /// Compensation scale factors kP/kT by oversampling code 0…7 (×1…×128), sensors.md §2.3. The values from
    /// ×16 up assume the result shift (CFG_REG P_SHIFT/T_SHIFT) is on: all are (2·OSR − 1)·2^19, shifted right
    /// 6 bits from ×16 up.
    public static let scaleFactors: [Double] = [524288, 1572864, 3670016, 7864320, 253952, 516096, 1040384, 2088960]

    /// Parses the COEF bytes read from 0x10 (layout table of sensors.md §2.3). `nil` for a wrong length.
    public init?(coef b: [UInt8]) {
        guard b.count == Self.byteCount else { return nil }
        bytes = b
        func signed(_ value: Int, bits: Int) -> Int {
            value & (1 << (bits - 1)) != 0 ? value - (1 << bits) : value
        }
        func i16(_ i: Int) -> Int { signed(Int(b[i]) << 8 | Int(b[i + 1]), bits: 16) }
        c0 = signed(Int(b[0]) << 4 | Int(b[1]) >> 4, bits: 12)
        c1 = signed(Int(b[1] & 0x0F) << 8 | Int(b[2]), bits: 12)
        c00 = signed(Int(b[3]) << 12 | Int(b[4]) << 4 | Int(b[5]) >> 4, bits: 20)
        c10 = signed(Int(b[5] & 0x0F) << 16 | Int(b[6]) << 8 | Int(b[7]), bits: 20)
        c01 = i16(8)
        c11 = i16(10)
        c20 = i16(12)
        c21 = i16(14)
        c30 = i16(16)
    }

    /// COEF that is all 0x00 or all 0xFF is a dead read, or coefficients read before COEF_RDY.
    public var isPlausible: Bool {
        !(bytes.allSatisfy { $0 == 0x00 } || bytes.allSatisfy { $0 == 0xFF })
    }

    /// The scale factor for an oversampling factor 1, 2, 4 … 128; nil for any other factor.
    public static func scaleFactor(oversampling: Int) -> Double? {
        guard oversampling > 0, oversampling.nonzeroBitCount == 1, oversampling <= 128 else { return nil }
        return scaleFactors[oversampling.trailingZeroBitCount]
    }

    /// Temperature in °C from the sign-extended raw TMP and the temperature scale factor kT:
    /// T = c0·0.5 + c1·Traw/kT.
    public func temperature(rawTemperature: Double, kT: Double) -> Double {
        Double(c0) * 0.5 + Double(c1) * (rawTemperature / kT)
    }

    /// Compensated pressure in Pa from the sign-extended raw PSR and TMP:
    /// P = c00 + Psc(c10 + Psc(c20 + Psc·c30)) + Tsc(c01 + Psc(c11 + Psc·c21)), Psc = Praw/kP, Tsc = Traw/kT.
    /// Real-valued raw codes, so the simulator can invert it and the slope gives the resolution.
    public func pressure(rawPressure: Double, rawTemperature: Double, kP: Double, kT: Double) -> Double {
        let p = rawPressure / kP, t = rawTemperature / kT
        let pressureTerms = Double(c10) + p * (Double(c20) + p * Double(c30))
        let temperatureTerms = Double(c01) + p * (Double(c11) + p * Double(c21))
        return Double(c00) + p * pressureTerms + t * temperatureTerms
    }

    /// ∂P/∂Praw in Pa per raw LSB at (Praw, Traw): the quantisation step of the pressure output (signed).
    public func pressureSlope(rawPressure: Double, rawTemperature: Double, kP: Double, kT: Double) -> Double {
        let p = rawPressure / kP, t = rawTemperature / kT
        let dPdPsc = Double(c10) + 2 * p * Double(c20) + 3 * p * p * Double(c30) + t * (Double(c11) + 2 * p * Double(c21))
        return dPdPsc / kP
    }
}
