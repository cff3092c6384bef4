/// The 14 NVM trimming coefficients of a BMP390/BMP388 (registers 0x31–0x45) and Bosch's floating-point
/// compensation (BMP390 datasheet §9.1 and appendix; reference/sensors.md §2.1).
@dynamicMemberLookup
public struct BMP390Calibration: Sendable, Equatable, Codable {
    /// The 21 NVM bytes as read, kept for the report (they identify the unit).
    public let nvm: [UInt8]
    /// The scaled coefficients and the compensation: plain numbers, so a driver copies them per conversion without the
    /// NVM array's retain and release.
    public let coefficients: Coefficients

    /// Number of NVM bytes, 0x31 through 0x45.
    public static let byteCount = 21

    /// Scaled coefficients (sensors.md §2.1 table).
    public struct Coefficients: Sendable, Equatable, Codable {
        public let t1, t2, t3: Double
        public let p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11: Double
    }

    /// A coefficient by name: `calibration.t1`.
    public subscript(dynamicMember coefficient: KeyPath<Coefficients, Double>) -> Double {
        coefficients[keyPath: coefficient]
    }

    /// Parses the NVM bytes read from 0x31. `nil` for a wrong length.
    public init?(nvm bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        nvm = bytes
        func u16(_ i: Int) -> Double { Double(UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8) }
        func i16(_ i: Int) -> Double { Double(Int16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)) }
        func i8(_ i: Int) -> Double { Double(Int8(bitPattern: bytes[i])) }
        func pow2(_ e: Int) -> Double { Double(sign: .plus, exponent: e, significand: 1) }
        coefficients = Coefficients(
            t1: u16(0) / pow2(-8), t2: u16(2) / pow2(30), t3: i8(4) / pow2(48),
            p1: (i16(5) - pow2(14)) / pow2(20), p2: (i16(7) - pow2(14)) / pow2(29), p3: i8(9) / pow2(32),
            p4: i8(10) / pow2(37), p5: u16(11) / pow2(-3), p6: u16(13) / pow2(6), p7: i8(15) / pow2(8),
            p8: i8(16) / pow2(15), p9: i16(17) / pow2(48), p10: i8(19) / pow2(48), p11: i8(20) / pow2(65))
    }

    /// NVM that is all 0x00 or all 0xFF means a dead read or an unprogrammed part.
    public var isPlausible: Bool {
        !(nvm.allSatisfy { $0 == 0x00 } || nvm.allSatisfy { $0 == 0xFF })
    }

    /// Linearised temperature in °C from the raw 24-bit uT (`Coefficients.temperature(rawTemperature:)`).
    public func temperature(rawTemperature uT: UInt32) -> Double {
        coefficients.temperature(rawTemperature: uT)
    }

    /// Compensated pressure in Pa from raw 24-bit uP at temperature t (°C) (`Coefficients.pressure`).
    public func pressure(rawPressure uP: UInt32, temperature t: Double) -> Double {
        coefficients.pressure(rawPressure: Double(uP), temperature: t)
    }

    /// The same formula on a real-valued uP: the simulator inverts it, and its slope is the resolution.
    public func pressure(rawPressure uP: Double, temperature t: Double) -> Double {
        coefficients.pressure(rawPressure: uP, temperature: t)
    }

    /// ∂P/∂uP in Pa per LSB at (uP, t) (`Coefficients.pressureStep`).
    public func pressureStep(rawPressure uP: Double, temperature t: Double) -> Double {
        coefficients.pressureStep(rawPressure: uP, temperature: t)
    }
}

extension BMP390Calibration.Coefficients {
    /// Linearised temperature in °C from the raw 24-bit uT (no clamping, so a test can see the raw math;
    /// Bosch's API clamps to [−40, 85] °C).
    public func temperature(rawTemperature uT: UInt32) -> Double {
        let d1 = Double(uT) - t1
        return d1 * t2 + d1 * d1 * t3
    }

    /// Compensated pressure in Pa from raw 24-bit uP at temperature t (°C).
    public func pressure(rawPressure uP: UInt32, temperature t: Double) -> Double {
        pressure(rawPressure: Double(uP), temperature: t)
    }

    /// The same formula on a real-valued uP: the simulator inverts it, and its slope is the resolution.
    public func pressure(rawPressure uP: Double, temperature t: Double) -> Double {
        let t2 = t * t, t3 = t2 * t
        let o1 = p5 + p6 * t + p7 * t2 + p8 * t3
        let o2 = uP * (p1 + p2 * t + p3 * t2 + p4 * t3)
        let o3 = uP * uP * (p9 + p10 * t) + uP * uP * uP * p11
        return o1 + o2 + o3
    }

    /// ∂P/∂uP in Pa per LSB at (uP, t): the quantization step of the pressure output.
    public func pressureStep(rawPressure uP: Double, temperature t: Double) -> Double {
        let t2 = t * t, t3 = t2 * t
        return (p1 + p2 * t + p3 * t2 + p4 * t3) + 2 * uP * (p9 + p10 * t) + 3 * uP * uP * p11
    }
}
