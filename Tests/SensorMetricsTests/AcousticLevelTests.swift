import Foundation
import Testing
@testable import SensorMetrics

/// Level conventions and target arithmetic (reference/acoustic.md §1.1–§1.3, §2, §5.2; TV-2, TV-8, TV-9).
@Suite struct AcousticLevelTests {
    /// 48 000 samples of a·sin(2π·1 kHz·t) + offset at 48 kHz: exactly 1000 cycles, so means are exact.
    static func tone(amplitude: Double, offset: Double = 0, frequency: Double = 1000, count: Int = 48_000) -> [Double] {
        (0..<count).map { offset + amplitude * sin(2 * Double.pi * frequency * Double($0) / 48_000) }
    }

    static func meanSquare(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 } / Double(x.count) }

    /// TV-2: a full-scale sine is 0.00 dBFS, a full-scale square wave +3.01 dBFS, and a sine of peak 0.050118723
    /// (rms 0.035439289) −26.00 dBFS, not −29 (§1.2). Tolerance 0.005 dB (two decimals in the reference).
    @Test func tv2SineReferencedDBFS() {
        #expect(abs(SoundLevel.dBFS(samples: Self.tone(amplitude: 1))) < 0.005)
        let square = (0..<48_000).map { ($0 / 24) % 2 == 0 ? 1.0 : -1.0 }
        #expect(abs(SoundLevel.dBFS(samples: square) - 3.0103) < 0.0001)
        #expect(abs(SoundLevel.dBFS(meanSquare: 1) - 3.0103) < 0.0001)
        let quiet = Self.tone(amplitude: 0.050118723)
        #expect(abs(Self.meanSquare(quiet).squareRoot() - 0.035439289) < 1e-9)
        #expect(abs(SoundLevel.dBFS(samples: quiet) - -26.00) < 0.005)
        #expect(SoundLevel.dBFS(samples: [Double]()).isNaN)
    }

    /// §5.2: a 0.0123 FS offset on a −26 dBFS tone reads −25.51 dBFS unless the mean is removed; with removal it
    /// reads −26.00. Tolerance 0.005 dB.
    @Test func dcOffsetPitfall() {
        let offset = Self.tone(amplitude: 0.050118723, offset: 0.0123)
        #expect(abs(SoundLevel.dBFS(meanSquare: Self.meanSquare(offset)) - -25.51) < 0.005)
        #expect(abs(SoundLevel.dBFS(samples: offset) - -26.00) < 0.005)
        // A large offset (0.9 FS) leaves no residue either: the two-pass mean in Double.
        let large = Self.tone(amplitude: 0.050118723, offset: 0.9)
        #expect(abs(SoundLevel.dBFS(samples: large) - SoundLevel.dBFS(samples: Self.tone(amplitude: 0.050118723))) < 1e-9)
    }

    /// §1.1: SPL = L − S + 94 (S = −26 dBFS: SPL = dBFS + 120), 1 Pa = 93.98 dB SPL, 135 dB SPL = 112.47 Pa,
    /// 133 dB SPL ≈ 89 Pa (AN-1112).
    @Test func splConversions() {
        #expect(SoundLevel.spl(dBFS: -26, sensitivityDBFS: -26) == 94)
        #expect(SoundLevel.spl(dBFS: 0, sensitivityDBFS: -26) == 120)
        #expect(SoundLevel.spl(dBV: -38, sensitivityDBV: -38) == 94)
        #expect(abs(SoundLevel.spl(pascals: 1) - 93.9794) < 0.0001)
        #expect(abs(SoundLevel.pascals(spl: 135) - 112.47) < 0.005)
        #expect(abs(SoundLevel.pascals(spl: 133) - 89.3) < 0.05)
        #expect(abs(SoundLevel.spl(pascals: SoundLevel.pascals(spl: 117.3)) - 117.3) < 1e-12)
    }

    /// TV-8: SNR 70 → EIN 24 dB SPL(A); AOP 135 → DR 111 dB; a digital mic needs S ≤ −41 dBFS (full scale at
    /// 135 dB SPL) and then a noise floor of S − SNR = −111 dBFS(A); a −26 dBFS mic clips at 120 dB SPL.
    /// INMP441 (§1.3): −26 − 61 = −87 dBFS, EIN 33, DR 120 − 33 = 87.
    @Test func tv8TargetArithmetic() {
        let ein = SoundLevel.equivalentInputNoise(snrDB: 70)
        #expect(ein == 24)
        #expect(SoundLevel.dynamicRange(overloadSPL: 135, equivalentInputNoise: ein) == 111)
        #expect(SoundLevel.fullScaleSPL(sensitivityDBFS: -41) == 135)
        #expect(SoundLevel.fullScaleSPL(sensitivityDBFS: -26) == 120)
        #expect(-41 - 70.0 == -111)
        #expect(SoundLevel.equivalentInputNoise(snrDB: 61) == 33)
        #expect(SoundLevel.dynamicRange(overloadSPL: 120, equivalentInputNoise: 33) == 87)
    }

    /// TV-8 quantization floors: white quantization noise LSB²/12 (LSB = 2^−(b−1) FS) spread over fs/2 = 24 kHz and
    /// A-weighted over 20 Hz–20 kHz (the TV-10 bandwidth) reads −100.93 dBFS(A) at 16 bits, −149.10 at 24 bits.
    /// Tolerance 0.005 dB.
    @Test func tv8QuantizationFloors() {
        let bandwidth = AcousticWeightingTests.weightedBandwidth(from: 20, to: 20_000)
        for (bits, expected) in [(16, -100.93), (24, -149.10)] {
            let lsb = pow(2, -Double(bits - 1))
            let floor = SoundLevel.dBFS(meanSquare: lsb * lsb / 12 * bandwidth / 24_000)
            #expect(abs(floor - expected) < 0.005, "\(bits)-bit floor \(floor) dBFS(A)")
        }
    }

    /// TV-9: ambient noise 6 / 10 / 15 / 20 dB below EIN adds 0.973 / 0.414 / 0.135 / 0.043 dB. Tolerance 0.0005 dB.
    @Test func tv9AmbientMargin() {
        for (margin, expected) in [(6.0, 0.973), (10, 0.414), (15, 0.135), (20, 0.043)] {
            let error = SoundLevel.ambientNoiseError(marginDB: margin)
            #expect(abs(error - expected) <= 0.0005, "margin \(margin) dB adds \(error) dB")
        }
    }
}
