/// A certified gas mixture in a cylinder (gravimetric, ISO 6142-1; reference/sensors.md §8.7): the span gas of a
/// dilution mixer, or one of the cylinders a technician connects.
public struct CertifiedCylinder: Sendable, Equatable {
    /// The component's name as the rig names it (`co2`, `ethanol` …); the balance is zero air or nitrogen.
    public var gas: String
    /// The certified concentration, ppm (µmol/mol).
    public var ppm: Double
    /// The certificate's standard uncertainty (k = 1), ppm: its expanded uncertainty over its coverage factor.
    public var standardUncertainty: Double
    /// The certificate's number, for the report.
    public var certificate: String

    /// - Parameters:
    ///   - expandedUncertainty: U as the certificate states it, ppm.
    ///   - coverageFactor: The certificate's k (2 for about 95 %).
    public init(gas: String, ppm: Double, expandedUncertainty: Double, coverageFactor: Double = 2, certificate: String) {
        self.gas = gas
        self.ppm = ppm
        self.standardUncertainty = coverageFactor > 0 ? expandedUncertainty / coverageFactor : expandedUncertainty
        self.certificate = certificate
    }

    /// What is wrong with this cylinder's entry; empty when usable.
    public var problems: [String] {
        var found: [String] = []
        if gas.isEmpty { found.append("the cylinder names no gas") }
        if !(ppm.isFinite && ppm > 0) { found.append("cylinder concentration \(ppm) ppm is not positive") }
        if !(standardUncertainty.isFinite && standardUncertainty >= 0) {
            found.append("cylinder uncertainty \(standardUncertainty) ppm is not a non-negative number")
        }
        return found
    }
}
