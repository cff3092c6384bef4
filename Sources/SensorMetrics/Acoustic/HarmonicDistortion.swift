import Foundation
import SensorStats

/// Harmonic distortion of one tone, read from a Welch PSD (reference/acoustic.md §1.4).
///
/// The fundamental is the peak bin within ±10 % of the nominal frequency; its frequency is refined by parabolic
/// interpolation of log power over the peak and its two neighbours (as endolith's `thd.py`, S15). Every power is a
/// main-lobe sum of the density PSD, Σ P_k·Δf over ±`SpectralWindow.Kind.mainLobeHalfWidth` bins, so the window's
/// gain and scalloping cancel and any window gives the same figures (TV-5). Harmonics h = 2…6 (the five of AN-1112)
/// are summed around the bin nearest h·f0, keeping only h·f0 < min(fs/2, 20 kHz).
///
/// THD is the **amplitude** ratio, 100·√(ΣP_h/P_1) %, which is what analyzers report; the literal power ratio of
/// AN-1112's wording would turn the 10 % AOP criterion into −10 dB instead of −20 dB (§1.4 pitfall).
/// THD+N is the **F form**, referenced to the fundamental: 100·√((P_band − P_1)/P_1) % with P_band the power over
/// 20 Hz–min(20 kHz, fs/2). Code that follows endolith's THD+N (R form, referenced to the total) reads lower near
/// 100 %; the two agree within 0.5 % of each other below 10 %.
///
/// Use a Blackman-Harris PSD for work below about 0.01 % (its sidelobes are −92 dB); Hann's (−31.5 dB) suffice for
/// the 1–10 % range of an AOP sweep (§1.4 step 3).
public struct HarmonicDistortion: Sendable, Equatable, Codable {
    /// One harmonic that entered the THD.
    public struct Harmonic: Sendable, Equatable, Codable {
        /// The order h: 2 for the second harmonic.
        public var order: Int
        /// h·f0, in hertz.
        public var frequency: Double
        /// Its power (mean square, full-scale units²): the main-lobe sum around h·f0.
        public var power: Double
        /// Its amplitude relative to the fundamental, 100·√(P_h/P_1) %.
        public var percentOfFundamental: Double
    }

    /// Why no distortion figure could be read.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The PSD has no whole segment yet.
        case noSegment
        /// No bin of the spectrum lies within ±10 % of the nominal frequency.
        case outsideSpectrum(nominalFrequency: Double)
        /// The peak within ±10 % of the nominal frequency does not stand 20 dB above the median noise density.
        case noTone(nominalFrequency: Double)
        /// The fundamental is so close to DC that the main lobes of consecutive harmonics would overlap.
        case toneTooLow(frequency: Double, binWidth: Double)
        /// Not even the second harmonic lies below min(fs/2, 20 kHz).
        case noHarmonicInBand(frequency: Double, bandLimit: Double)

        /// The reason in words, e.g. "no tone within ±10 % of 1000.0 Hz stands 20 dB above the noise".
        public var description: String {
            switch self {
            case .noSegment:
                "no whole Welch segment yet: the capture is shorter than one segment"
            case .outsideSpectrum(let nominal):
                "no spectral bin within ±10 % of \(nominal) Hz"
            case .noTone(let nominal):
                "no tone within ±10 % of \(nominal) Hz stands 20 dB above the noise"
            case .toneTooLow(let frequency, let binWidth):
                "the tone at \(frequency) Hz is too close to DC for bins of \(binWidth) Hz: harmonic main lobes overlap"
            case .noHarmonicInBand(let frequency, let limit):
                "the tone at \(frequency) Hz has no harmonic below \(limit) Hz"
            }
        }
    }

    /// How far from the nominal frequency the fundamental is searched, as a fraction of it (±10 %).
    public static let searchTolerance = 0.10
    /// The harmonic orders summed into the THD: 2…6, the first five harmonics (AN-1112; §1.4).
    public static let harmonicOrders = 2...6
    /// How far the tone's peak density must stand above the median density of the band to count as a tone: 20 dB,
    /// far beyond the largest of a few hundred noise bins even from a single segment (an exponential draw exceeds
    /// 100× its median with probability 2^−100).
    public static let toneDetectionRatio = 100.0

    /// The frequency the tone was searched around, in hertz.
    public var nominalFrequency: Double
    /// The fundamental frequency f0, refined between bins, in hertz.
    public var fundamentalFrequency: Double
    /// The fundamental's power P_1 (mean square, full-scale units²).
    public var fundamentalPower: Double
    /// The fundamental's sine-referenced level, 10·log10(2·P_1) dBFS (§1.2).
    public var fundamentalDBFS: Double
    /// The harmonics that entered the THD, in order.
    public var harmonics: [Harmonic]
    /// THD as an amplitude ratio, 100·√(ΣP_h/P_1) %.
    public var thdPercent: Double
    /// THD in dB, 10·log10(ΣP_h/P_1) = 20·log10(THD): 10 % is −20 dB. −∞ when no harmonic power was found.
    public var thdDB: Double
    /// THD+N referenced to the fundamental (F form), 100·√((P_band − P_1)/P_1) %.
    public var thdPlusNoisePercent: Double
    /// The band of P_band, 20 Hz–min(20 kHz, fs/2).
    public var band: ClosedRange<Double>
    /// The window of the PSD the figures came from.
    public var window: SpectralWindow.Kind
    /// The main-lobe half width used for every power sum, in bins.
    public var mainLobeHalfWidth: Int
    /// The PSD's bin width Δf, in hertz.
    public var binWidth: Double
    /// The Welch segments averaged.
    public var segmentCount: Int

    /// The number of harmonics that entered the THD (5 unless 6·f0 ≥ min(fs/2, 20 kHz)).
    public var harmonicCount: Int { harmonics.count }

    /// Reads the distortion of the tone near `nominalFrequency` (hertz) from `psd`, whatever its window.
    public init(psd: WelchPSD, nominalFrequency: Double) throws(Failure) {
        guard psd.segmentCount > 0 else { throw .noSegment }
        let density = psd.psd(scaling: .density)
        let binWidth = psd.binWidth
        let lastBin = density.count - 1
        let halfWidth = psd.window.kind.mainLobeHalfWidth

        // Bounds in Double first: a nominal frequency far beyond the spectrum (or not finite) must not trap in Int().
        let lowBound = ((1 - Self.searchTolerance) * nominalFrequency / binWidth).rounded(.up)
        let highBound = ((1 + Self.searchTolerance) * nominalFrequency / binWidth).rounded(.down)
        guard nominalFrequency.isFinite, nominalFrequency > 0, lowBound <= Double(lastBin), highBound >= 1 else {
            throw .outsideSpectrum(nominalFrequency: nominalFrequency)
        }
        let searchLow = max(1, Int(lowBound))
        let searchHigh = min(lastBin, Int(highBound))
        guard searchLow <= searchHigh else { throw .outsideSpectrum(nominalFrequency: nominalFrequency) }
        var peak = searchLow
        for k in searchLow...searchHigh where density[k] > density[peak] { peak = k }

        let bandLimit = min(WeightedNoise.standardBand.upperBound, psd.sampleRate / 2)
        let band = WeightedNoise.standardBand.lowerBound...bandLimit
        let bandBins = Self.bins(in: band, of: psd)
        let floor = Self.median(bandBins.isEmpty ? Array(density.dropFirst()) : Array(density[bandBins]))
        guard density[peak] > 0, density[peak] >= Self.toneDetectionRatio * floor else {
            throw .noTone(nominalFrequency: nominalFrequency)
        }
        guard peak >= 2 * halfWidth + 1 else {
            throw .toneTooLow(frequency: Double(peak) * binWidth, binWidth: binWidth)
        }

        // Parabolic interpolation of ln P over the peak and its neighbours (S15): offset in (−½, ½) bin.
        var offset = 0.0
        if peak < lastBin, density[peak - 1] > 0, density[peak + 1] > 0 {
            let a = log(density[peak - 1]), b = log(density[peak]), c = log(density[peak + 1])
            let curvature = a - 2 * b + c
            if curvature < 0 { offset = min(0.5, max(-0.5, 0.5 * (a - c) / curvature)) }
        }
        let fundamental = (Double(peak) + offset) * binWidth

        func lobePower(around center: Int) -> Double {
            let range = max(0, center - halfWidth)...min(lastBin, center + halfWidth)
            return density[range].reduce(0, +) * binWidth
        }
        let fundamentalPower = lobePower(around: peak)
        var harmonics: [Harmonic] = []
        for order in Self.harmonicOrders {
            let frequency = Double(order) * fundamental
            guard frequency < bandLimit else { break }
            let power = lobePower(around: Int((frequency / binWidth).rounded()))
            harmonics.append(Harmonic(order: order, frequency: frequency, power: power,
                                      percentOfFundamental: 100 * (power / fundamentalPower).squareRoot()))
        }
        guard !harmonics.isEmpty else { throw .noHarmonicInBand(frequency: fundamental, bandLimit: bandLimit) }
        let harmonicPower = harmonics.reduce(0) { $0 + $1.power }
        let bandPower = density[bandBins].reduce(0, +) * binWidth

        self.nominalFrequency = nominalFrequency
        self.fundamentalFrequency = fundamental
        self.fundamentalPower = fundamentalPower
        self.fundamentalDBFS = SoundLevel.dBFS(meanSquare: fundamentalPower)
        self.harmonics = harmonics
        self.thdPercent = 100 * (harmonicPower / fundamentalPower).squareRoot()
        self.thdDB = 10 * log10(harmonicPower / fundamentalPower)
        self.thdPlusNoisePercent = 100 * (max(0, bandPower - fundamentalPower) / fundamentalPower).squareRoot()
        self.band = band
        self.window = psd.window.kind
        self.mainLobeHalfWidth = halfWidth
        self.binWidth = binWidth
        self.segmentCount = psd.segmentCount
    }

    /// The frequencies whose main lobes this figure counted as tone, fundamental first: what a residual-noise
    /// reading must leave out.
    public var toneFrequencies: [Double] {
        [fundamentalFrequency] + harmonics.map(\.frequency)
    }

    /// The bins k whose frequency f_k = k·fs/L (as `WelchPSD.frequencies` computes it) lies inside `band`.
    static func bins(in band: ClosedRange<Double>, of psd: WelchPSD) -> Range<Int> {
        let frequencies = psd.frequencies
        guard let first = frequencies.firstIndex(where: { band.contains($0) }),
              let last = frequencies.lastIndex(where: { band.contains($0) }) else { return 0..<0 }
        return first..<(last + 1)
    }

    /// The median of `values` (NaN when empty): the middle value, or the mean of the two middle values.
    ///
    /// By selection, not a sort: Hoare's FIND (quickselect, median-of-three pivots) puts the upper middle value in
    /// its sorted place with everything before it no larger, in O(n) on average; the lower middle value is then the
    /// largest of those. A band of 6 800 PSD bins is read for every tone of every microphone, and the sort was most
    /// of the analysis after a record. After 2·log₂ n partition rounds whatever range is left is sorted instead,
    /// so an unlucky input costs O(n log n), never O(n²).
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        var work = values
        let middle = work.count / 2
        return work.withUnsafeMutableBufferPointer { buffer in
            let upper = select(middle, in: buffer)
            guard buffer.count % 2 == 0 else { return upper }
            var lower = buffer[0]
            for value in buffer[1..<middle] where value > lower { lower = value }
            return (lower + upper) / 2
        }
    }

    /// Rearranges `buffer` so that `buffer[k]` is its k-th smallest value (0-based), no value before it larger and
    /// none after it smaller, and returns that value.
    static func select(_ k: Int, in buffer: UnsafeMutableBufferPointer<Double>) -> Double {
        precondition(buffer.indices.contains(k), "\(k) is not an index of \(buffer.count) values")
        var low = 0
        var high = buffer.count - 1
        var budget = 2 * (Int.bitWidth - buffer.count.leadingZeroBitCount)
        while high > low {
            if budget == 0 {
                var rest = UnsafeMutableBufferPointer(rebasing: buffer[low...high])
                rest.sort()
                break
            }
            budget -= 1
            // Median of three: the pivot is never the range's extreme, and sorted input splits evenly.
            let mid = low + (high - low) / 2
            if buffer[mid] < buffer[low] { buffer.swapAt(mid, low) }
            if buffer[high] < buffer[low] { buffer.swapAt(high, low) }
            if buffer[high] < buffer[mid] { buffer.swapAt(high, mid) }
            let pivot = buffer[mid]
            // Hoare's partition: afterwards low…j ≤ pivot ≤ i…high, and j < i.
            var i = low
            var j = high
            while i <= j {
                while buffer[i] < pivot { i += 1 }
                while pivot < buffer[j] { j -= 1 }
                if i <= j {
                    buffer.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                break   // j < k < i: buffer[k] equals the pivot and is in place.
            }
        }
        return buffer[k]
    }
}
