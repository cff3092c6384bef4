import Testing
@testable import SensorSim

/// The chip models' rounding without libm (`Double+Rounding.swift`) against the standard library's, which calls it.
@Suite struct SimulatorRoundingTests {
    /// Halves, the doubles either side of them, zeros of both signs, the largest fraction below ½ and the edges of
    /// the exact range; then seeded values over every binade up to 2^60.
    static var values: [Double] {
        var values: [Double] = [0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994,
                                0x1p52 - 0.5, -(0x1p52 - 0.5), 0x1p52, 0x1p52 + 1, -0x1p53, 0x1p51 + 0.5, 1e-300, -1e-300,
                                32767.5, -32768.5, 8_388_607.5]
        for half in [0.5, 1.5, 2.5, 1_000_000.5, 0x1p40 + 0.5] {
            values += [half.nextDown, half.nextUp, (-half).nextDown, (-half).nextUp]
        }
        var random = SeededRandom(seed: 2026_11_29)
        for _ in 0..<20_000 {
            let scale = Double(sign: .plus, exponent: Int(random.next() % 61), significand: 1)
            values.append((random.unit() * 2 - 1) * scale)
        }
        return values
    }

    @Test func roundedToNearestIsRounded() {
        for value in Self.values {
            let expected = value.rounded()
            #expect(value.roundedToNearest == expected && value.roundedToNearest.sign == expected.sign, "\(value)")
        }
    }

    @Test func flooredToIntIsFloor() {
        for value in Self.values where value.magnitude < 0x1p62 {
            #expect(value.flooredToInt == Int(value.rounded(.down)), "\(value)")
        }
    }
}
