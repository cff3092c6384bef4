/// The PROM of an MS5611-01BA03 (eight 16-bit words: factory data, C1…C6, and word 7 with the CRC-4 in its
/// low nibble), its integrity check and the datasheet's integer compensation with the second order
/// (reference/sensors.md §2.5; Linux `drivers/iio/pressure/ms5611_core.c`; TE AN520 for the CRC).
public struct MS5611Calibration: Sendable, Equatable, Codable {
    /// The 16 PROM bytes as read, words big-endian, kept for the report (they identify the unit).
    public let prom: [UInt8]
    /// C1 SENS_T1, C2 OFF_T1, C3 TCS, C4 TCO, C5 T_REF, C6 TEMPSENS (datasheet names).
    public let c1, c2, c3, c4, c5, c6: Int64

    /// Eight words of two bytes.
    public static let byteCount = 16

    /// Parses and checks the PROM. Throws `invalidCalibration` for a PROM that is all 0x0000 or all 0xFFFF, a
    /// stored CRC of 0 (the kernel refuses it too: a blank word 7), or a CRC that does not match.
    public init(prom bytes: [UInt8]) throws(DriverError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidCalibration(model: "MS5611", reason: "PROM must be \(Self.byteCount) bytes, got \(bytes.count)")
        }
        if bytes.allSatisfy({ $0 == 0x00 }) {
            throw .invalidCalibration(model: "MS5611", reason: "PROM reads all 0x0000")
        }
        if bytes.allSatisfy({ $0 == 0xFF }) {
            throw .invalidCalibration(model: "MS5611", reason: "PROM reads all 0xFFFF: nothing drives the bus, or not an MS5611")
        }
        let words = Self.words(bytes)
        let stored = UInt8(words[7] & 0x000F)
        let computed = Self.crc4(words)
        guard stored != 0 else {
            throw .invalidCalibration(model: "MS5611", reason: "PROM CRC-4 stored in word 7 is 0 (computed \(Self.nibble(computed)))")
        }
        guard computed == stored else {
            throw .invalidCalibration(model: "MS5611", reason: "PROM CRC-4 mismatch: computed \(Self.nibble(computed)), stored \(Self.nibble(stored))")
        }
        prom = bytes
        (c1, c2, c3, c4, c5, c6) = (Int64(words[1]), Int64(words[2]), Int64(words[3]), Int64(words[4]), Int64(words[5]), Int64(words[6]))
    }

    /// A CRC-4 as one hex digit, `0xB`.
    private static func nibble(_ value: UInt8) -> String { "0x" + String(value, radix: 16, uppercase: true) }

    /// The PROM bytes as eight big-endian words.
    public static func words(_ bytes: [UInt8]) -> [UInt16] {
        stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
    }

    /// CRC-4 of the eight PROM words, with word 7's low byte zeroed as AN520 and the kernel do (so also the CRC
    /// nibble itself): polynomial 0x3000 on a 16-bit register, bytes MSB first, result = bits 15:12
    /// (sensors.md §2.5; V6: 3132 3334 3536 3738 3940 4142 4344 4500 → 0xB).
    public static func crc4(_ words: [UInt16]) -> UInt8 {
        var data = words
        data[7] &= 0xFF00
        var crc: UInt16 = 0
        for word in data {
            for byte in [word >> 8, word & 0x00FF] {
                crc ^= byte
                for _ in 0..<8 {
                    crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x3000 : crc << 1
                }
            }
        }
        return UInt8((crc >> 12) & 0x000F)
    }

    /// The datasheet's integer compensation of one D1/D2 pair, first and second order (sensors.md §2.5).
    ///
    /// Divisions by 2^n are arithmetic shifts, which floor, as the kernel does; C's `/` would truncate toward
    /// zero and differ by one LSB for negative dT. Int64 cannot overflow: with D1, D2 < 2^24 and C1…C6 < 2^16,
    /// |dT| < 2^24, C·dT < 2^40, |OFF|, |SENS| < 2^34, dT² < 2^48, 11·(TEMP + 1500)² < 2^39, D1·SENS < 2^58.
    public func compensate(d1: Int64, d2: Int64) -> MS5611Compensation {
        let dT = d2 - (c5 << 8)
        var temperature = 2000 + ((dT * c6) >> 23)
        var offset = (c2 << 16) + ((c4 * dT) >> 7)
        var sensitivity = (c1 << 15) + ((c3 * dT) >> 8)
        var t2: Int64 = 0, offset2: Int64 = 0, sensitivity2: Int64 = 0
        if temperature < 2000 {
            let cold = (temperature - 2000) * (temperature - 2000)
            t2 = (dT * dT) >> 31
            offset2 = (5 * cold) >> 1
            sensitivity2 = (5 * cold) >> 2
            if temperature < -1500 {
                let veryCold = (temperature + 1500) * (temperature + 1500)
                offset2 += 7 * veryCold
                sensitivity2 += (11 * veryCold) >> 1
            }
            temperature -= t2
            offset -= offset2
            sensitivity -= sensitivity2
        }
        let pressure = (((d1 * sensitivity) >> 21) - offset) >> 15
        return MS5611Compensation(dT: dT, temperature: temperature, offset: offset, sensitivity: sensitivity,
                                  pressure: pressure, t2: t2, offset2: offset2, sensitivity2: sensitivity2)
    }
}

/// The intermediate and final values of one MS5611 compensation, in the datasheet's integer units.
public struct MS5611Compensation: Sendable, Equatable {
    public var dT: Int64
    /// TEMP after the second order, 0.01 °C.
    public var temperature: Int64
    /// OFF and SENS after the second order.
    public var offset: Int64
    public var sensitivity: Int64
    /// P, 0.01 mbar = Pa.
    public var pressure: Int64
    /// The second-order corrections (0 at or above 20 °C).
    public var t2: Int64
    public var offset2: Int64
    public var sensitivity2: Int64

    /// Pressure change of one D1 count, Pa: ∂P/∂D1 = SENS / 2^21 / 2^15 (P is in 0.01 mbar = Pa).
    public var pressurePerCount: Double { Double(sensitivity) / 0x1p36 }
}
