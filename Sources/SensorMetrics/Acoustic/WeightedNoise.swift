import Foundation
import SensorStats

/// The A-weighted noise level of a capture, integrated from its density PSD (reference/acoustic.md §1.8):
/// σ²_A = Σ_{20 Hz ≤ f_k ≤ min(20 kHz, fs/2)} P_k·W(f_k)·Δf and N = 10·log10(2·σ²_A) dBFS(A), sine-referenced.
///
/// Weighting the PSD bin by bin is exact, unlike a bilinear IIR A-filter (§5.4). The density scaling makes the sum
/// window-independent for noise; Hann with 50 % overlap and per-segment mean removal is the recommended PSD (§1.8),
/// and the mean removal plus the 20 Hz edge keep a DC offset out (§5.2).
///
/// The spec SNR is over 20 Hz–20 kHz (§5.5). Below fs = 40 kHz the band stops at fs/2, which flatters the figure:
/// `isBandLimited` is then true, and an SNR from it is "SNR(A, 20 Hz–fs/2)", never the spec figure.
public struct WeightedNoise: Sendable, Equatable, Codable {
    /// The band of the spec SNR, 20 Hz–20 kHz (§1.3, §5.5).
    public static let standardBand = 20.0...20_000.0

    /// σ²_A, the A-weighted mean square in full-scale units².
    public var aWeightedPower: Double
    /// The A-weighted level, 10·log10(2·σ²_A) dBFS(A).
    public var aWeightedDBFS: Double
    /// The unweighted mean square over the same band, full-scale units².
    public var unweightedPower: Double
    /// The unweighted level over the same band, dBFS (sine-referenced).
    public var unweightedDBFS: Double
    /// The band integrated, 20 Hz–min(20 kHz, fs/2), in hertz.
    public var band: ClosedRange<Double>
    /// True when fs/2 < 20 kHz: the band is short of the spec's, so an SNR from it must be flagged (§5.5).
    public var isBandLimited: Bool
    /// The window of the PSD.
    public var window: SpectralWindow.Kind
    /// The Welch segments averaged.
    public var segmentCount: Int
    /// Bins whose density was replaced by the band's median because a tone occupied them (0 for a quiet capture).
    public var replacedBins: Int

    /// Integrates the density PSD of a capture; nil while it has no whole segment.
    ///
    /// - Parameters:
    ///   - psd: the capture's Welch PSD. For a quiet capture use Hann (§1.8).
    ///   - tones: frequencies (hertz) of tones in the capture, e.g. `HarmonicDistortion.toneFrequencies`, whose
    ///     bins are not noise. The bins within ±2 main lobes of each (±8 for Blackman-Harris) take the band's median
    ///     density instead, i.e. the noise floor is assumed smooth under the tone. Reading noise beside a tone needs
    ///     low sidelobes: with Blackman-Harris the leakage of a 1 kHz tone still integrates to about 92 dB(A) below it,
    ///     with Hann to only about 50 dB below; a quiet capture remains the spec method (§2).
    public init?(psd: WelchPSD, excludingTonesAt tones: [Double] = []) {
        guard psd.segmentCount > 0 else { return nil }
        var density = psd.psd(scaling: .density)
        let binWidth = psd.binWidth
        let frequencies = psd.frequencies
        let nyquist = psd.sampleRate / 2
        let band = Self.standardBand.lowerBound...min(Self.standardBand.upperBound, nyquist)
        let bandBins = HarmonicDistortion.bins(in: band, of: psd)

        var replaced = 0
        if !tones.isEmpty, !bandBins.isEmpty {
            let floor = HarmonicDistortion.median(Array(density[bandBins]))
            let halfWidth = 2 * psd.window.kind.mainLobeHalfWidth
            var marked = Array(repeating: false, count: density.count)
            for tone in tones where tone.isFinite && tone >= 0 && tone / binWidth < Double(density.count) {
                let center = Int((tone / binWidth).rounded())
                for k in max(0, center - halfWidth)...min(density.count - 1, center + halfWidth) { marked[k] = true }
            }
            for k in bandBins where marked[k] {
                density[k] = floor
                replaced += 1
            }
        }

        var weighted = 0.0, flat = 0.0
        for k in bandBins {
            weighted += density[k] * AWeighting.powerWeight(frequencies[k])
            flat += density[k]
        }
        aWeightedPower = weighted * binWidth
        unweightedPower = flat * binWidth
        aWeightedDBFS = SoundLevel.dBFS(meanSquare: aWeightedPower)
        unweightedDBFS = SoundLevel.dBFS(meanSquare: unweightedPower)
        self.band = band
        isBandLimited = nyquist < Self.standardBand.upperBound
        window = psd.window.kind
        segmentCount = psd.segmentCount
        replacedBins = replaced
    }

    /// SNR against the sensitivity, S − N(A) dB (§1.3): the 94 dB SPL, 1 kHz reference signal reads S dBFS, so no
    /// tone need be in the noise capture. For a digital mic S is in dBFS; check `isBandLimited` before calling it
    /// the spec SNR.
    public func signalToNoiseRatio(sensitivityDBFS: Double) -> Double {
        sensitivityDBFS - aWeightedDBFS
    }
}
