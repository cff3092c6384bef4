/// The trim registers of one BMM150 (0x5D–0x71) and Bosch's floating-point compensation of the raw Hall words
/// (reference/sensors.md §3.4; BMM150_SensorAPI `compensate_x/y/z` [S21]). The formulas are affine in the raw
/// word at a given RHALL, so the simulator inverts them exactly from two evaluations.
public struct BMM150Trim: Sendable, Equatable, Codable {
    /// The 21 bytes 0x5D…0x71 as read, kept for the report (they identify the unit).
    public let bytes: [UInt8]
    public let x1, y1, x2, y2, xy2: Int8
    public let xy1: UInt8
    public let z1, xyz1: UInt16
    public let z2, z3, z4: Int16

    /// Number of trim bytes, 0x5D through 0x71 (0x5F–0x61 and 0x66–0x67 are reserved).
    public static let byteCount = 21

    /// Parses the bytes read from 0x5D (sensors.md §3.4 layout). nil for a wrong length.
    public init?(bytes b: [UInt8]) {
        guard b.count == Self.byteCount else { return nil }
        bytes = b
        func u16(_ i: Int) -> UInt16 { UInt16(b[i]) | UInt16(b[i + 1]) << 8 }
        func i16(_ i: Int) -> Int16 { Int16(bitPattern: u16(i)) }
        func i8(_ i: Int) -> Int8 { Int8(bitPattern: b[i]) }
        x1 = i8(0x5D - 0x5D)
        y1 = i8(0x5E - 0x5D)
        z4 = i16(0x62 - 0x5D)
        x2 = i8(0x64 - 0x5D)
        y2 = i8(0x65 - 0x5D)
        z2 = i16(0x68 - 0x5D)
        z1 = u16(0x6A - 0x5D)
        xyz1 = u16(0x6C - 0x5D)
        z3 = i16(0x6E - 0x5D)
        xy2 = i8(0x70 - 0x5D)
        xy1 = b[0x71 - 0x5D]
    }

    /// The trim of a unit from its values, laid out as the chip's registers hold them (reserved bytes 0).
    public init(x1: Int8, y1: Int8, x2: Int8, y2: Int8, z1: UInt16, z2: Int16, z3: Int16, z4: Int16,
                xy1: UInt8, xy2: Int8, xyz1: UInt16) {
        var b = [UInt8](repeating: 0, count: Self.byteCount)
        func put16(_ value: UInt16, at register: Int) {
            b[register - 0x5D] = UInt8(value & 0xFF)
            b[register - 0x5D + 1] = UInt8(value >> 8)
        }
        b[0] = UInt8(bitPattern: x1)
        b[1] = UInt8(bitPattern: y1)
        put16(UInt16(bitPattern: z4), at: 0x62)
        b[0x64 - 0x5D] = UInt8(bitPattern: x2)
        b[0x65 - 0x5D] = UInt8(bitPattern: y2)
        put16(UInt16(bitPattern: z2), at: 0x68)
        put16(z1, at: 0x6A)
        put16(xyz1, at: 0x6C)
        put16(UInt16(bitPattern: z3), at: 0x6E)
        b[0x70 - 0x5D] = UInt8(bitPattern: xy2)
        b[0x71 - 0x5D] = xy1
        self.init(bytes: b)!
    }

    /// Why this trim cannot compensate, or nil: all 0x00 / all 0xFF is a dead read or an unprogrammed part, and
    /// xyz1, z1 and z2 are divisors in the formulas (Bosch's API outputs 0 when any is 0).
    public var implausibility: String? {
        if bytes.allSatisfy({ $0 == 0x00 }) { return "trim 0x5D–0x71 reads all 0x00" }
        if bytes.allSatisfy({ $0 == 0xFF }) { return "trim 0x5D–0x71 reads all 0xFF" }
        if xyz1 == 0 { return "dig_xyz1 (0x6C/0x6D) is 0" }
        if z1 == 0 { return "dig_z1 (0x6A/0x6B) is 0" }
        if z2 == 0 { return "dig_z2 (0x68/0x69) is 0" }
        return nil
    }

    /// X in µT (sensors.md §3.4):
    /// r = xyz1·16384/RHALL − 16384; v = xy2·r²/2^28 + r·xy1/2^14; X = ((raw·(v + 256)·(x2 + 160))/8192 + x1·8)/16.
    public func x(raw: Double, rhall: Double) -> Double {
        planar(raw: raw, rhall: rhall, axis1: x1, axis2: x2)
    }

    /// Y in µT: as X with y1, y2 (sensors.md §3.4 "Y is analogous").
    public func y(raw: Double, rhall: Double) -> Double {
        planar(raw: raw, rhall: rhall, axis1: y1, axis2: y2)
    }

    private func planar(raw: Double, rhall: Double, axis1: Int8, axis2: Int8) -> Double {
        let r = Double(xyz1) * 16384 / rhall - 16384
        let v = Double(xy2) * r * r / 268_435_456 + r * Double(xy1) / 16384
        return ((raw * (v + 256) * (Double(axis2) + 160)) / 8192 + Double(axis1) * 8) / 16
    }

    /// Z in µT (sensors.md §3.4): Z = (((zraw − z4)·131072 − z3·(RHALL − xyz1)) / ((z2 + z1·RHALL/32768)·4))/16.
    public func z(raw: Double, rhall: Double) -> Double {
        (((raw - Double(z4)) * 131_072 - Double(z3) * (rhall - Double(xyz1)))
            / ((Double(z2) + Double(z1) * rhall / 32768) * 4)) / 16
    }
}
