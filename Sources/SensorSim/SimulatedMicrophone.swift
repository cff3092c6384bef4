import Foundation

/// One microphone unit in the simulated acoustic chamber: a `MicrophoneModel` plus what its seed makes of it, its own
/// sensitivity inside the model's tolerance and its own self-noise stream.
///
/// The chain per sample (reference/acoustic.md §1): membrane pressure x (Pa) → y = x + a2·x² + a3·x³
/// (`MicrophoneModel.distortionCoefficients`) → plus self-noise (white, Pa-equivalent, A-weighted level = EIN, added
/// at the output so that it is not distorted) → word = `wordPerPascal`·y + DC offset → clipped at ±1.0 (the ADC
/// saturates, or the digital word is full). The stream format's encoder then quantizes, e.g. to 24 bits.
public struct SimulatedMicrophone: Sendable, Hashable {
    public let model: MicrophoneModel
    public let seed: UInt64
    /// This unit's sensitivity at 94 dB SPL, 1 kHz, dBV or dBFS: the nominal plus an offset drawn uniformly in
    /// ±`model.sensitivityTolerance` from the seed. For a reference microphone this is its calibration certificate.
    public let sensitivity: Double
    /// The output word per pascal of (distorted) membrane pressure, full-scale units per Pa:
    /// analog, 10^(S/20)/p₉₄ volts per pascal over the ADC's full-scale peak; digital, 10^(S/20)/(√2·p₉₄), so that a
    /// 94 dB SPL sine (peak √2·p₉₄) peaks at 10^(S/20) and reads S dBFS (§1.1, §1.2).
    public let wordPerPascal: Double

    private let a2: Double
    private let a3: Double
    let selfNoise: IndexedGaussianNoise

    public init(model: MicrophoneModel, seed: UInt64) {
        self.model = model
        self.seed = seed
        var random = SeededRandom(seed: seed).derived(0x5E45_171F)
        sensitivity = model.sensitivity + model.sensitivityTolerance * (2 * random.unit() - 1)
        let perPascal = pow(10, sensitivity / 20) / MicrophoneModel.sensitivityPressure
        switch model.output {
        case .analog(let adcFullScale):
            wordPerPascal = perPascal / adcFullScale
        case .digital:
            wordPerPascal = perPascal / 2.0.squareRoot()
        }
        (a2, a3) = model.distortionCoefficients
        selfNoise = IndexedGaussianNoise(seed: seed, stream: 0x4E01_5E)
    }

    /// The unit's offset from the nominal sensitivity, dB.
    public var sensitivityOffset: Double { sensitivity - model.sensitivity }

    /// The SPL of the sine whose peak reaches full scale on the linear part of the transfer: 94 − S for a digital
    /// unit (§0), 94 + 20·log10(V_FS/√2) − S for an analog one.
    public var fullScaleSPL: Double {
        20 * log10(1 / wordPerPascal / 2.0.squareRoot() / MicrophoneModel.referencePressure)
    }

    /// The membrane's transfer, Pa → Pa.
    public func membrane(_ x: Double) -> Double {
        x + x * x * (a2 + a3 * x)
    }

    /// The output word for membrane pressure `pressure` (Pa) and self-noise `noise` (Pa at the output), clipped
    /// at ±1.0.
    public func word(pressure: Double, noise: Double) -> Double {
        let value = wordPerPascal * (membrane(pressure) + noise) + model.dcOffset
        return Swift.min(Swift.max(value, -1), 1)
    }
}
