import Foundation

/// The A frequency weighting of IEC 61672-1, evaluated exactly from its analog prototype (reference/acoustic.md §1.7).
///
/// Noise is weighted in the frequency domain, bin by bin of a PSD (§1.8), not by a time-domain IIR filter: a bilinear
/// A-weighting filter at 48 kHz under-weights the top octave (−6.4 dB at 16 kHz) and reads white noise 0.74 dB low
/// (§5.4, TV-4).
public enum AWeighting {
    /// The four pole frequencies of the weighting, in hertz (§1.7).
    public struct Poles: Sendable, Equatable, Codable {
        /// The low-frequency double pole, 20.598997 Hz.
        public var f1: Double
        /// The first single pole of the mid band, 107.65265 Hz.
        public var f2: Double
        /// The second single pole of the mid band, 737.86223 Hz.
        public var f3: Double
        /// The high-frequency double pole, 12 194.217 Hz.
        public var f4: Double
    }

    /// The poles derived as IEC 61672-1 Annex E does (§5.4.6–5.4.11; acoustic.md §1.7), rather than the rounded
    /// 20.6 / 107.7 / 737.9 / 12 194 Hz in common use, which move A(100 Hz) by about 0.002 dB:
    /// fr = 1 kHz, fL = 10^1.5 Hz, fH = 10^3.9 Hz, D² = 1/2, fA = 10^2.45 Hz; c = fL²·fH²;
    /// b = (fr² + fL²·fH²/fr² − D·(fL² + fH²)) / (1 − D); f1,4 = √((−b ∓ √(b² − 4c))/2); f2,3 = (3 ∓ √5)/2 · fA.
    public static let poles: Poles = {
        let referenceFrequency = 1000.0
        let lowCorner = pow(10, 1.5)
        let highCorner = pow(10, 3.9)
        let d = (0.5).squareRoot()
        let midCorner = pow(10, 2.45)
        let fr2 = referenceFrequency * referenceFrequency
        let fL2 = lowCorner * lowCorner
        let fH2 = highCorner * highCorner
        let c = fL2 * fH2
        let b = (fr2 + fL2 * fH2 / fr2 - d * (fL2 + fH2)) / (1 - d)
        let root = (b * b - 4 * c).squareRoot()
        let five = (5.0).squareRoot()
        return Poles(f1: ((-b - root) / 2).squareRoot(),
                     f2: (3 - five) / 2 * midCorner,
                     f3: (3 + five) / 2 * midCorner,
                     f4: ((-b + root) / 2).squareRoot())
    }()

    /// R_A(f) = f4²·f⁴ / [(f² + f1²)·√(f² + f2²)·√(f² + f3²)·(f² + f4²)], the prototype's magnitude before
    /// normalization (§1.7). R_A(1 kHz) is 0.99996 (−1.999656 dB), not 1.
    public static func prototypeResponse(_ frequency: Double) -> Double {
        let p = poles
        let f2 = frequency * frequency
        return p.f4 * p.f4 * f2 * f2
            / ((f2 + p.f1 * p.f1) * (f2 + p.f2 * p.f2).squareRoot() * (f2 + p.f3 * p.f3).squareRoot() * (f2 + p.f4 * p.f4))
    }

    /// R_A(1 kHz), the exact normalization. The standard's rounded A1000 = −2.000 dB would leave A(1 kHz) at
    /// +0.0003 dB; dividing by the exact value makes it 0 (§1.7).
    public static let referenceResponse = prototypeResponse(1000)

    /// The weighting as an amplitude ratio, R_A(f)/R_A(1 kHz): 1 at 1 kHz.
    public static func relativeResponse(_ frequency: Double) -> Double {
        prototypeResponse(frequency) / referenceResponse
    }

    /// A(f) in dB, 20·log10(R_A(f)/R_A(1 kHz)): 0 at 1 kHz, −19.1428 dB at 100 Hz, −2.4918 dB at 10 kHz (TV-1).
    public static func decibels(_ frequency: Double) -> Double {
        20 * log10(relativeResponse(frequency))
    }

    /// W(f) = (R_A(f)/R_A(1 kHz))², the factor that weights a power spectral density bin (§1.7, §1.8).
    public static func powerWeight(_ frequency: Double) -> Double {
        let r = relativeResponse(frequency)
        return r * r
    }
}
