import Foundation
import Testing
@testable import SensorMetrics

/// The A weighting against reference/acoustic.md §1.7 and §6 (TV-1, TV-10).
@Suite struct AcousticWeightingTests {
    /// The poles derived in code from IEC 61672-1 Annex E equal the exact constants of §1.7 (pyfar and endolith
    /// compute them the same way). 1e-12 relative: a few ulps of rounding in the square roots.
    @Test func polesDerivedFromAnnexE() {
        let poles = AWeighting.poles
        let table = [(poles.f1, 20.598997057618316), (poles.f2, 107.65264864304629),
                     (poles.f3, 737.8622307362901), (poles.f4, 12194.217147998012)]
        for (derived, expected) in table {
            #expect(abs(derived / expected - 1) < 1e-12, "pole \(derived) Hz, expected \(expected) Hz")
        }
    }

    /// TV-1: A(f) with the exact normalization, to ±0.001 dB (the table's values are rounded to 0.0001 dB).
    @Test func tv1WeightingTable() {
        let table: [(Double, Double)] = [
            (10, -70.4304), (20, -50.3904), (31.5, -39.5250), (63, -26.2198), (100, -19.1428), (125, -16.1879),
            (250, -8.6742), (500, -3.2477), (1000, 0.0000), (2000, 1.2014), (4000, 0.9633), (8000, -1.1471),
            (10000, -2.4918), (12500, -4.2542), (16000, -6.7063), (20000, -9.3469),
        ]
        for (frequency, expected) in table {
            let measured = AWeighting.decibels(frequency)
            #expect(abs(measured - expected) <= 0.001, "A(\(frequency) Hz) = \(measured) dB, expected \(expected)")
        }
    }

    /// §1.7 normalization: 20·log10(R_A(1 kHz)) = −1.999656 dB, so that A(1 kHz) is exactly 0 (not +0.0003 dB as
    /// with the standard's rounded −2.000); and W(f) is the square of the relative response.
    @Test func exactNormalizationAtOneKilohertz() {
        #expect(abs(20 * log10(AWeighting.referenceResponse) - -1.999656) < 5e-7)
        #expect(AWeighting.decibels(1000) == 0)
        #expect(AWeighting.powerWeight(1000) == 1)
        #expect(abs(AWeighting.powerWeight(100) - pow(10, -19.1428 / 10)) < 1e-5)
    }

    /// TV-10: the A-weighted bandwidth of white noise over 20 Hz–20 kHz is 12 467.18 Hz, 2.048 dB below the flat
    /// 19 980 Hz. Simpson's rule on a 0.5 Hz grid (its error is far below 0.001 Hz on this smooth curve);
    /// tolerance ±0.005 Hz and ±0.0005 dB, the reference's last digit.
    @Test func tv10WhiteNoiseBandwidth() {
        let bandwidth = Self.weightedBandwidth(from: 20, to: 20_000)
        #expect(abs(bandwidth - 12_467.18) <= 0.005, "A-weighted bandwidth \(bandwidth) Hz")
        let relative = 10 * log10(bandwidth / 19_980)
        #expect(abs(relative - -2.048) <= 0.0005, "\(relative) dB against a flat band")
    }

    /// ∫ W(f) df over [low, high] by Simpson's rule, 0.5 Hz steps.
    static func weightedBandwidth(from low: Double, to high: Double) -> Double {
        let steps = Int(((high - low) / 0.5).rounded())
        let h = (high - low) / Double(steps)
        var sum = AWeighting.powerWeight(low) + AWeighting.powerWeight(high)
        for i in 1..<steps {
            sum += (i % 2 == 1 ? 4 : 2) * AWeighting.powerWeight(low + Double(i) * h)
        }
        return sum * h / 3
    }
}
