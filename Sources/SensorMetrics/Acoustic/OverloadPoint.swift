import Foundation

/// The SPL at which a microphone's THD reaches a threshold, from a THD-versus-level sweep (reference/acoustic.md
/// §1.5, §2): the acoustic overload point (AOP) at 10 %, and Vesper's 1 % point beside it.
///
/// The crossing is interpolated between the last point below the threshold and the first point at or above it.
/// THD grows geometrically with level (AN-1112: about ×3 per 10 dB), so log10(THD) is interpolated linearly in SPL
/// by default: TV-7 gives 132.48 dB SPL, where linear THD would give 132.40.
public struct OverloadPoint: Sendable, Equatable, Codable {
    /// One step of the sweep.
    public struct Point: Sendable, Equatable, Codable {
        /// The SPL of the step, dB SPL.
        public var spl: Double
        /// The THD measured at it, percent (amplitude ratio, `HarmonicDistortion.thdPercent`).
        public var thdPercent: Double

        /// A step: its SPL (dB SPL) and the THD measured at it (percent).
        public init(spl: Double, thdPercent: Double) {
            self.spl = spl
            self.thdPercent = thdPercent
        }
    }

    /// How THD is interpolated between the two points around the crossing.
    public enum Interpolation: String, Sendable, Equatable, Codable {
        /// log10(THD) linear in SPL: the default, since THD grows geometrically with level.
        case logTHD = "log10(THD) interpolated linearly in SPL"
        /// THD linear in SPL: reads a little low on a convex THD curve (TV-7: 132.40 against 132.48).
        case linearTHD = "THD interpolated linearly in SPL"
    }

    /// Where the threshold was found.
    public enum Status: String, Sendable, Equatable, Codable {
        /// Between two tested levels: `crossingSPL` is interpolated.
        case interpolated
        /// Already at or above the threshold at the lowest level tested: the crossing is at or below it.
        case atOrBelowLowestTested
        /// Never reached: the crossing is above the highest level tested ("> highestSPLTested").
        case aboveHighestTested
    }

    /// How far below full-scale SPL a 10 % crossing still counts as digitally limited, in dB (§1.5, §5.8).
    public static let digitalLimitMargin = 2.0

    /// The THD threshold, percent: 10 for the AOP.
    public var thresholdPercent: Double
    /// The SPL at which THD reaches the threshold, dB SPL; nil unless `status` is `.interpolated`.
    public var crossingSPL: Double?
    /// Where the threshold was found relative to the tested range.
    public var status: Status
    /// The interpolation used; its raw value is the method to record with the figure (TV-7 "record it").
    public var interpolation: Interpolation
    /// The lowest SPL tested, dB SPL.
    public var lowestSPLTested: Double
    /// The highest SPL tested, dB SPL: the bound to quote when the threshold was never reached.
    public var highestSPLTested: Double
    /// The SPL that maps to 0 dBFS, 94 − S for a digital mic, when given.
    public var fullScaleSPL: Double?
    /// True when full scale is known and the threshold is reached at or above fullScaleSPL − 2 dB (at the
    /// interpolated crossing, or at the lowest level tested when THD was already over the threshold there). THD
    /// there comes from the digital word clipping, not from the microphone: pure clipping reaches 10 % at
    /// FS + 2.2 dB (TV-6), so such an AOP is reported as digitally limited (§1.5, §5.8). Never true when the
    /// threshold was not reached.
    public var digitallyLimited: Bool
    /// The points used, in ascending SPL (non-finite or negative THD dropped).
    public var points: [Point]

    /// The interpolation's name, as recorded in results.
    public var method: String { interpolation.rawValue }

    /// Finds the crossing of `thresholdPercent` in a sweep; nil when no point has a finite SPL and THD ≥ 0.
    ///
    /// - Parameters:
    ///   - points: the sweep, sorted here by SPL.
    ///   - thresholdPercent: 10 for the AOP, 1 for the 1 % point.
    ///   - fullScaleSPL: 94 − S for a digital mic of sensitivity S dBFS (`SoundLevel.fullScaleSPL`), or nil.
    ///   - interpolation: log THD by default.
    public init?(points: [Point], thresholdPercent: Double = 10, fullScaleSPL: Double? = nil,
                 interpolation: Interpolation = .logTHD) {
        let usable = points.filter { $0.spl.isFinite && $0.thdPercent.isFinite && $0.thdPercent >= 0 }
            .sorted { $0.spl < $1.spl }
        guard let lowest = usable.first, let highest = usable.last else { return nil }
        self.thresholdPercent = thresholdPercent
        self.interpolation = interpolation
        self.lowestSPLTested = lowest.spl
        self.highestSPLTested = highest.spl
        self.fullScaleSPL = fullScaleSPL
        self.points = usable

        if let first = usable.firstIndex(where: { $0.thdPercent >= thresholdPercent }) {
            if first == 0 {
                status = .atOrBelowLowestTested
                crossingSPL = nil
            } else {
                status = .interpolated
                crossingSPL = Self.interpolate(usable[first - 1], usable[first], at: thresholdPercent, interpolation)
            }
        } else {
            status = .aboveHighestTested
            crossingSPL = nil
        }
        let reachedAt: Double? = switch status {
        case .interpolated: crossingSPL
        case .atOrBelowLowestTested: lowest.spl
        case .aboveHighestTested: nil
        }
        if let fullScaleSPL, let reachedAt {
            digitallyLimited = reachedAt >= fullScaleSPL - Self.digitalLimitMargin
        } else {
            digitallyLimited = false
        }
    }

    /// The SPL between `below` and `above` at which THD equals `threshold`.
    private static func interpolate(_ below: Point, _ above: Point, at threshold: Double,
                                    _ interpolation: Interpolation) -> Double {
        let (low, high, target): (Double, Double, Double)
        switch interpolation {
        case .logTHD:
            // A zero THD below is log10 → −∞: the limit of the interpolation is the upper point.
            guard below.thdPercent > 0 else { return above.spl }
            (low, high, target) = (log10(below.thdPercent), log10(above.thdPercent), log10(threshold))
        case .linearTHD:
            (low, high, target) = (below.thdPercent, above.thdPercent, threshold)
        }
        guard high > low else { return above.spl }
        return below.spl + (above.spl - below.spl) * (target - low) / (high - low)
    }
}
