import Foundation

/// A microphone type as the simulated acoustic chamber models it, built from datasheet-typical figures
/// (reference/acoustic.md §1, §3): sensitivity with its per-unit spread, self-noise set by the SNR, a level-dependent
/// distortion that reaches 10 % THD at the AOP, a small DC offset, and how the output becomes a digital word.
///
/// Pressures are in pascals at the membrane; SPL is 20·log10(p_rms / 20 µPa) (§1.1). Words are `Double` normalized to
/// digital full scale ±1.0, where a sine whose peak is 1.0 reads 0 dBFS (§1.2).
///
/// **Sensitivity convention.** A datasheet's sensitivity is the output for a 1 kHz sine at 94 dB SPL, "1 Pa"
/// (§1.1). 94 dB SPL is really 1.0024 Pa (93.98 dB is 1 Pa); the model takes the sensitivity at exactly 94 dB SPL
/// (`sensitivityPressure`), so that the daemon's conversion SPL = L − S + 94 (§1.1) holds with no 0.02 dB residue.
public struct MicrophoneModel: Sendable, Hashable {
    /// How the membrane's signal becomes a digital word.
    public enum Output: Sendable, Hashable {
        /// An analog output (volts) digitized by an ADC whose 0 dBFS sine peaks at `adcFullScale` volts. The ADC
        /// saturates at ±1.0; the microphone's AOP is acoustic and may lie far below that (§1.5, §5.10).
        case analog(adcFullScale: Double)
        /// A digital word (I2S, PDM after decimation): a 94 dB SPL sine reads `sensitivity` dBFS, and the word
        /// clips hard at ±1.0, so the full-scale SPL is 94 − S (§0, §1.5).
        case digital
    }

    /// A short label for reports, e.g. "IM73A135 (simulated)".
    public var name: String
    public var output: Output
    /// Nominal sensitivity for a 1 kHz sine at 94 dB SPL: dBV (analog) or dBFS (digital) (§1.1).
    public var sensitivity: Double
    /// Half-width of the unit-to-unit sensitivity spread in dB (§5.13): each unit's offset is drawn uniformly in
    /// ±tolerance from its seed.
    public var sensitivityTolerance: Double
    /// Signal-to-noise ratio in dB(A), 20 Hz–20 kHz (§1.3); the self-noise is set from it.
    public var signalToNoiseRatio: Double
    /// Acoustic overload point: the SPL where THD (H2–H6, amplitude ratio) reaches 10 % (§1.5).
    public var acousticOverloadPoint: Double
    /// H3/H2 amplitude ratio at the AOP: "mostly H2, a little H3" (AN-1112, §1.4).
    public var thirdToSecondHarmonic: Double
    /// A constant offset of the output word, in full-scale units (ADC or ASIC offset); the daemon removes it (§5.2).
    public var dcOffset: Double

    public init(name: String, output: Output, sensitivity: Double, sensitivityTolerance: Double,
                signalToNoiseRatio: Double, acousticOverloadPoint: Double, thirdToSecondHarmonic: Double = 0.2,
                dcOffset: Double = 0) {
        self.name = name
        self.output = output
        self.sensitivity = sensitivity
        self.sensitivityTolerance = sensitivityTolerance
        self.signalToNoiseRatio = signalToNoiseRatio
        self.acousticOverloadPoint = acousticOverloadPoint
        self.thirdToSecondHarmonic = thirdToSecondHarmonic
        self.dcOffset = dcOffset
    }

    // MARK: Catalog

    /// Like Infineon's IM73A135 (analog, sealed dual membrane): −38 dBV ±1 dB, SNR 73 dB(A), AOP 135 dB SPL (§3;
    /// the −38 dBV is marked unverified there). Behind a 24-bit ADC whose 0 dBFS sine peaks at 5.0 V, full scale is
    /// 94 + 20·log10(5/√2) + 38 = 142.97 dB SPL: 8 dB above the AOP, so the 10 % point is acoustic, not digital.
    public static let im73a135 = MicrophoneModel(
        name: "IM73A135 (simulated)", output: .analog(adcFullScale: 5.0), sensitivity: -38, sensitivityTolerance: 1,
        signalToNoiseRatio: 73, acousticOverloadPoint: 135, dcOffset: 2e-4)

    /// Like TDK InvenSense's INMP441 (I2S, 24-bit): −26 dBFS ±1 dB, SNR 61 dB(A), AOP 120 dB SPL (§1.3, §3).
    /// Full scale is 94 + 26 = 120 dB SPL too, and the second-order term's asymmetry reaches the positive rail from
    /// about 118.3 dB SPL: its measured AOP is digitally limited (§1.5, §5.8), as the real part's is.
    public static let inmp441 = MicrophoneModel(
        name: "INMP441 (simulated)", output: .digital, sensitivity: -26, sensitivityTolerance: 1,
        signalToNoiseRatio: 61, acousticOverloadPoint: 120, dcOffset: -5e-4)

    /// A 1/4-inch free-field measurement microphone: −48.9 dBV (3.6 mV/Pa), self-noise 30 dB(A) (SNR 64 dB), behind
    /// the same kind of 5.0 V-peak ADC (full scale 153.9 dB SPL). Its distortion law is anchored at a nominal
    /// 186 dB SPL for 10 %, which gives 0.05 % THD at 140 dB SPL: linear to beyond 150 dB SPL. Its certificate
    /// is the unit's own sensitivity (`SimulatedMicrophone.sensitivity`), the truth the run engine reads SPL with.
    public static let referenceQuarterInch = MicrophoneModel(
        name: "1/4-inch reference (simulated)", output: .analog(adcFullScale: 5.0), sensitivity: -48.9,
        sensitivityTolerance: 1.5, signalToNoiseRatio: 64, acousticOverloadPoint: 186, dcOffset: 1e-4)

    // MARK: Figures

    /// The reference pressure of dB SPL, 20 µPa (§1.1).
    public static let referencePressure = 20e-6
    /// The rms pressure at which sensitivity is defined, 94 dB SPL = 1.0024 Pa (§1.1; see the type's note).
    public static let sensitivityPressure = referencePressure * pow(10, 94.0 / 20)
    /// The A-weighted bandwidth of white noise over 20 Hz–20 kHz, Hz (acoustic.md §1.8, TV-10).
    public static let aWeightedWhiteNoiseBandwidth = 12_467.18

    /// The peak pressure of a sine at `spl`, Pa: √2 · 20 µPa · 10^(L/20).
    public static func peakPressure(spl: Double) -> Double {
        2.0.squareRoot() * referencePressure * pow(10, spl / 20)
    }

    /// The standard deviation of white Gaussian noise whose A-weighted level over 20 Hz–20 kHz is `level`
    /// dB SPL(A), at sample rate `sampleRate`, Pa.
    ///
    /// White noise of variance σ² spreads it evenly over 0…fs/2, so its A-weighted power in 20 Hz–20 kHz is
    /// σ²·12 467.18 / (fs/2) (TV-10); hence σ = p_A·√((fs/2) / 12 467.18). This holds for fs ≥ 40 kHz, where the
    /// whole 20 kHz band is below Nyquist; at lower rates the A-weighted level over 20 Hz–fs/2 reads below `level`
    /// (the narrower band flatters SNR, §5.5).
    public static func whiteNoiseDeviation(aWeightedLevel level: Double, sampleRate: Double) -> Double {
        referencePressure * pow(10, level / 20) * (sampleRate / 2 / aWeightedWhiteNoiseBandwidth).squareRoot()
    }

    /// EIN = 94 − SNR, dB SPL(A) (§1.3): 21 for the IM73A135, 33 for the INMP441.
    public var equivalentInputNoise: Double { 94 - signalToNoiseRatio }

    /// The self-noise as white Gaussian noise at the output, in pascals at the membrane: the deviation whose
    /// A-weighted level is the EIN (`whiteNoiseDeviation`; fs ≥ 40 kHz).
    public func selfNoiseDeviation(sampleRate: Double) -> Double {
        Self.whiteNoiseDeviation(aWeightedLevel: equivalentInputNoise, sampleRate: sampleRate)
    }

    // MARK: Distortion

    /// The membrane's transfer y = x + a2·x² + a3·x³ (x, y in Pa), with a2 and a3 set from the AOP.
    ///
    /// For x = A·sin ωt: x² = A²/2 − (A²/2)·cos 2ωt and x³ = (3A³/4)·sin ωt − (A³/4)·sin 3ωt, so the fundamental is
    /// A·(1 + 3v), H2 = a2·A²/2 = u·A and H3 = a3·A³/4 = v·A with u = a2·A/2, v = a3·A²/4, and
    /// THD = √(u² + v²) / (1 + 3v) (§1.4, amplitude ratio; H4–H6 are zero). Asking for THD = 10 % at the AOP
    /// amplitude A₀ with v = k·u (k = `thirdToSecondHarmonic`) gives u₀ = 0.1 / (√(1 + k²) − 0.3·k), v₀ = k·u₀, and
    /// a2 = 2u₀/A₀, a3 = 4v₀/A₀². Below the AOP u falls with A and v with A², so THD falls about 3× per 10 dB
    /// (AN-1112's rule of thumb, §1.4): with k = 0.2, 10 % at the AOP and 3.28 % 10 dB below.
    ///
    /// a3 > 0 keeps the transfer monotonic for every x as long as a2² < 3·a3 (u₀² < 3v₀: 0.0109 < 0.0625 for k = 0.2).
    /// The x² term also shifts the mean by u·A; the daemon removes DC before it measures (§5.2), and a real part's
    /// vent and ASIC high-pass would block it.
    public var distortionCoefficients: (a2: Double, a3: Double) {
        let k = thirdToSecondHarmonic
        let u = 0.1 / ((1 + k * k).squareRoot() - 0.3 * k)
        let amplitude = Self.peakPressure(spl: acousticOverloadPoint)
        return (2 * u / amplitude, 4 * k * u / (amplitude * amplitude))
    }

    /// The THD (H2–H6 over the fundamental, amplitude ratio, §1.4) of the membrane transfer for a pure sine at `spl`
    /// dB SPL: √(u² + v²)/(1 + 3v). What the chamber should measure, before noise, source distortion and clipping.
    public func totalHarmonicDistortion(spl: Double) -> Double {
        let amplitude = Self.peakPressure(spl: spl)
        let (a2, a3) = distortionCoefficients
        let u = a2 * amplitude / 2
        let v = a3 * amplitude * amplitude / 4
        return (u * u + v * v).squareRoot() / (1 + 3 * v)
    }
}
