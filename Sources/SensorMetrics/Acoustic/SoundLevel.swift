import Foundation

/// Level conversions between digital full scale, volts, pascals and dB SPL (reference/acoustic.md §1.1–§1.3, §2).
///
/// dBFS here is always **sine-peak referenced** (AES17, AN-1112; §1.2): a sine whose peak reaches full scale reads
/// 0 dBFS, so L = 10·log10(2·mean(x²)) with x normalized to ±1.0. Plain rms-re-FS reads 3.01 dB lower and is the
/// usual cause of 3 dB disagreements; signal and noise must both use this one convention.
public enum SoundLevel {
    /// The reference pressure of dB SPL, 20 µPa (§1.1).
    public static let referencePressure = 20e-6
    /// The level of the sensitivity stimulus, 1 Pa = 94 dB SPL (§1.1; 93.98 exactly, 94 by convention).
    public static let sensitivityLevelSPL = 94.0

    /// The sine-referenced level of a mean square power σ² (full-scale units²): 10·log10(2·σ²) (§1.2).
    /// A full-scale sine (σ² = 1/2) is 0 dBFS; a full-scale square wave (σ² = 1) is +3.01 dBFS (TV-2).
    public static func dBFS(meanSquare: Double) -> Double {
        10 * log10(2 * meanSquare)
    }

    /// The sine-referenced level of samples after their mean is removed (§1.2, §5.2): a DC offset of 0.0123 FS on a
    /// −26 dBFS tone would otherwise read −25.51 dBFS. NaN for no samples; −∞ for a constant.
    public static func dBFS<C: Collection>(samples: C) -> Double where C.Element == Double {
        guard !samples.isEmpty else { return .nan }
        let count = Double(samples.count)
        // Two passes in Double, the second correcting the mean, so a large offset leaves no residue.
        var mean = samples.reduce(0, +) / count
        mean += samples.reduce(0) { $0 + ($1 - mean) } / count
        let meanSquare = samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        return dBFS(meanSquare: meanSquare)
    }

    /// SPL from a digital level and the mic's sensitivity S (dBFS at 94 dB SPL): L − S + 94 (§1.1).
    /// With S = −26 dBFS, SPL = dBFS + 120. Any host decimator gain must already be in S (§5.6).
    public static func spl(dBFS level: Double, sensitivityDBFS: Double) -> Double {
        level - sensitivityDBFS + sensitivityLevelSPL
    }

    /// SPL from an analog level in dBV and the mic's sensitivity S (dBV at 94 dB SPL): L − S + 94 (§1.1).
    public static func spl(dBV level: Double, sensitivityDBV: Double) -> Double {
        level - sensitivityDBV + sensitivityLevelSPL
    }

    /// The SPL that a digital mic of sensitivity S maps to 0 dBFS, 94 − S (§0, §1.5): a mic's 10 % THD AOP
    /// cannot lie above it except through clipping. A −26 dBFS mic reaches full scale at 120 dB SPL.
    public static func fullScaleSPL(sensitivityDBFS: Double) -> Double {
        sensitivityLevelSPL - sensitivityDBFS
    }

    /// RMS pressure in pascals of a level in dB SPL, 20 µPa·10^(L/20): 94 dB SPL is 1.0024 Pa, 135 dB SPL 112.47 Pa.
    public static func pascals(spl: Double) -> Double {
        referencePressure * pow(10, spl / 20)
    }

    /// The level in dB SPL of an RMS pressure in pascals, 20·log10(p/20 µPa) (§1.1).
    public static func spl(pascals: Double) -> Double {
        20 * log10(pascals / referencePressure)
    }

    /// How much ambient noise m dB below the mic's EIN raises the measured noise: 10·log10(1 + 10^(−m/10)) dB
    /// (§2): 0.97 dB at 6 dB, 0.41 dB at 10 dB, 0.04 dB at 20 dB (TV-9). SNR reads low by the same amount.
    public static func ambientNoiseError(marginDB: Double) -> Double {
        10 * log10(1 + pow(10, -marginDB / 10))
    }

    /// Equivalent input noise in dB SPL(A) from SNR, 94 − SNR (§1.3): SNR 70 dB → EIN 24 dB SPL(A) (TV-8).
    public static func equivalentInputNoise(snrDB: Double) -> Double {
        sensitivityLevelSPL - snrDB
    }

    /// Acoustic dynamic range, AOP − EIN in dB (§1.3): AOP 135 with SNR 70 gives 111 dB (TV-8).
    public static func dynamicRange(overloadSPL: Double, equivalentInputNoise: Double) -> Double {
        overloadSPL - equivalentInputNoise
    }
}
