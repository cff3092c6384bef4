/// Accuracy of a gas sensor against certified levels, and the check against a datasheet envelope ±(a + b·reading)
/// (reference/sensors.md §8.7 "Accuracy": ≥ 5 levels over the range; e.g. SCD41 ±(40 ppm + 5 %) [S24]).
///
/// Per level: error = mean DUT − certified, with u = √(u_A² + u_ref²), u_A the standard error of the dwell mean
/// (Type A) and u_ref the certified standard uncertainty of the mixture (GUM, uncorrelated inputs). The envelope is
/// evaluated at the DUT's reading, as datasheets state it ("% of reading"); ratio = |error|/envelope, ≤ 1 inside.
/// The ratio uses the error's value only: a conformity decision with guard bands is `Conformity`'s job.
public struct GasAccuracy: Sendable, Equatable, Codable {
    /// One certified level with the DUT's dwell.
    public struct Level: Sendable, Equatable, Codable {
        public var certified: Double
        /// The mixture's certified standard uncertainty (U/k of its certificate).
        public var certifiedStandardUncertainty: Double
        public var dutMean: Double
        /// Standard error of the DUT's dwell mean (s/√n, or the Allan deviation at the dwell).
        public var dutStandardError: Double
        public init(certified: Double, certifiedStandardUncertainty: Double, dutMean: Double, dutStandardError: Double) {
            self.certified = certified
            self.certifiedStandardUncertainty = certifiedStandardUncertainty
            self.dutMean = dutMean
            self.dutStandardError = dutStandardError
        }
    }

    /// A datasheet envelope ±(a + b·|reading|).
    public struct Envelope: Sendable, Equatable, Codable {
        /// a, in concentration units.
        public var offset: Double
        /// b as a fraction (0.05 for 5 %).
        public var fractionOfReading: Double
        public init(offset: Double, fractionOfReading: Double) {
            self.offset = offset
            self.fractionOfReading = fractionOfReading
        }
        public func halfWidth(atReading reading: Double) -> Double { offset + fractionOfReading * abs(reading) }
    }

    public struct Point: Sendable, Equatable, Codable {
        public var certified: Double
        public var dutMean: Double
        public var error: UncertainValue
        /// a + b·|reading|; nil without an envelope.
        public var envelope: Double?
        /// |error|/envelope; nil without an envelope.
        public var envelopeRatio: Double?
    }

    public var points: [Point]
    /// The largest |error|, with the u of its level.
    public var worstError: UncertainValue
    public var worstErrorLevel: Double
    /// The largest |error|/envelope and where; nil without an envelope.
    public var worstEnvelopeRatio: Double?
    public var worstEnvelopeLevel: Double?

    /// nil without levels (or when a value is not finite).
    public static func evaluate(levels: [Level], envelope: Envelope? = nil, unit: String) -> GasAccuracy? {
        let usable = levels.filter {
            [$0.certified, $0.certifiedStandardUncertainty, $0.dutMean, $0.dutStandardError].allSatisfy(\.isFinite)
        }
        let points = usable.map { level in
            let error = level.dutMean - level.certified
            let u = (level.dutStandardError * level.dutStandardError
                     + level.certifiedStandardUncertainty * level.certifiedStandardUncertainty).squareRoot()
            let half = envelope?.halfWidth(atReading: level.dutMean)
            return Point(certified: level.certified, dutMean: level.dutMean,
                         error: UncertainValue(error, standardUncertainty: u, unit: unit),
                         envelope: half, envelopeRatio: half.map { abs(error) / $0 })
        }
        guard let worst = points.max(by: { abs($0.error.value) < abs($1.error.value) }) else { return nil }
        let worstRatio = points.filter { $0.envelopeRatio != nil }
            .max { ($0.envelopeRatio ?? 0) < ($1.envelopeRatio ?? 0) }
        return GasAccuracy(
            points: points,
            worstError: UncertainValue(abs(worst.error.value), standardUncertainty: worst.error.standardUncertainty,
                                       unit: unit),
            worstErrorLevel: worst.certified,
            worstEnvelopeRatio: worstRatio?.envelopeRatio, worstEnvelopeLevel: worstRatio?.certified)
    }
}
