import SensorMetrics

/// What a microphone run measured on one microphone, in the units and conventions of acoustic.md: levels in
/// sine-referenced dBFS (§1.2), SPL in dB re 20 µPa (§1.1), THD as the amplitude ratio of H2–H6 (§1.4).
public struct MicrophoneMeasurements: Sendable, Codable, Equatable {
    public var output: MicrophoneOutput
    /// The capture stream: `S32_LE, 48000 Hz, 5 ch`.
    public var stream: String
    public var sampleRateHz: Int
    /// Bits that carry the value: what sets the quantization floor (§5.7).
    public var bits: Int
    /// The SPL that reaches digital full scale, 94 − S dB SPL (§1.5); nil before the sensitivity is known.
    public var fullScaleSPL: Double?
    public var sensitivity: Sensitivity?
    public var noise: Noise?
    /// THD and THD+N at the plan's distortion levels.
    public var distortion: [TonePoint] = []
    public var overload: Overload?
    /// Conditions that limit what the figures mean: 16-bit capture, bandwidth-limited SNR, a small ambient margin,
    /// clipping, a distorting source.
    public var warnings: [String] = []

    // Keys spelled so that the report's snake_case round-trips (`full_scale_spl` ↔ `fullScaleSpl`).
    enum CodingKeys: String, CodingKey {
        case output, stream, sampleRateHz, bits, fullScaleSPL = "fullScaleSpl", sensitivity, noise, distortion, overload, warnings
    }

    /// The response to the sensitivity tone (94 dB SPL at 1 kHz; §1.1).
    public struct Sensitivity: Sendable, Codable, Equatable {
        /// The SPL at the microphone as the reference microphone measured it, dB SPL.
        public var spl: UncertainValue
        /// The tone as captured, dBFS.
        public var levelDBFS: Double
        /// Sensitivity referred to 94 dB SPL: the level the microphone gives for 1 Pa, dBFS.
        public var dBFS: UncertainValue
        /// The same in dBV re 1 V/Pa, for an analog microphone (via the ADC's full scale).
        public var dBV: UncertainValue?
        public var thdPercent: Double

        enum CodingKeys: String, CodingKey { case spl, levelDBFS = "levelDbfs", dBFS = "dbfs", dBV = "dbv", thdPercent }
    }

    /// The quiet-chamber record (§1.3, §1.8).
    public struct Noise: Sendable, Codable, Equatable {
        /// A-weighted noise over the band, dBFS(A).
        public var aWeightedDBFS: UncertainValue
        /// Unweighted noise over the same band, dBFS.
        public var unweightedDBFS: Double
        /// Integration band, Hz: 20 Hz to min(20 kHz, fs/2).
        public var bandLowHz: Double
        public var bandHighHz: Double
        /// The band stops short of 20 kHz (fs < 40 kHz): an SNR from it is flattering and is not the spec figure (§5.5).
        public var isBandLimited: Bool
        public var durationSeconds: Double
        /// The chamber's stated ambient noise and its margin below the microphone's noise, dB (§2).
        public var ambientDBA: Double?
        public var ambientMarginDB: Double?
        /// What that ambient adds to the measured noise, dB: 10·log10(1 + 10^(−m/10)) (§2).
        public var ambientErrorDB: Double?

        enum CodingKeys: String, CodingKey {
            case aWeightedDBFS = "aWeightedDbfs", unweightedDBFS = "unweightedDbfs", bandLowHz, bandHighHz, isBandLimited
            case durationSeconds, ambientDBA = "ambientDba", ambientMarginDB = "ambientMarginDb", ambientErrorDB = "ambientErrorDb"
        }
    }

    /// One tone level: the SPL the reference microphone measured and what the microphone made of it.
    public struct TonePoint: Sendable, Codable, Equatable {
        /// The level asked of the source, dB SPL.
        public var commandedSPL: Double
        /// The level at the microphone (reference microphone), dB SPL.
        public var spl: Double
        public var levelDBFS: Double
        public var thdPercent: Double
        public var thdPlusNoisePercent: Double
        /// Samples at or beyond digital full scale in the record.
        public var clippedSamples: Int

        enum CodingKeys: String, CodingKey {
            case commandedSPL = "commandedSpl", spl, levelDBFS = "levelDbfs", thdPercent, thdPlusNoisePercent, clippedSamples
        }
    }

    /// THD against SPL and where it crosses 10 % and 1 % (§1.5).
    public struct Overload: Sendable, Codable, Equatable {
        public var points: [TonePoint]
        /// Whether 10 % THD was crossed inside the sweep, or already exceeded at its lowest level, or never reached.
        public var status: OverloadPoint.Status
        /// The SPL where THD reaches 10 %; nil unless crossed inside the sweep (then `lowestSPL` is an upper
        /// bound, or `highestSPL` a lower bound).
        public var aopDBSPL: Double?
        /// The same crossing with THD interpolated linearly: the spread between the two is the interpolation's
        /// uncertainty (acoustic.md §6 TV-7).
        public var linearAOPDBSPL: Double?
        public var onePercentDBSPL: Double?
        public var method: String
        public var lowestSPL: Double
        public var highestSPL: Double
        /// The overload point lies within 2 dB of (or above) digital full scale: the chain's clipping, not the
        /// microphone's acoustics, sets it (§1.5, §5.8).
        public var digitallyLimited: Bool

        enum CodingKeys: String, CodingKey {
            case points, status, aopDBSPL = "aopDbSpl", linearAOPDBSPL = "linearAopDbSpl", onePercentDBSPL = "onePercentDbSpl"
            case method, lowestSPL = "lowestSpl", highestSPL = "highestSpl", digitallyLimited
        }
    }
}
