/// The calibration of a three-axis Helmholtz (or square) coil set: the field per ampere at the DUTs on each axis, how
/// well that constant is known, and the largest current the coils may carry (sensors.md §8.5 items 1 and 4).
///
/// The constant should come from the coil's certificate (calibrated against a reference fluxgate, §8.5 item 4).
/// When the lab only has the geometry, `fromGeometry` computes it by the Helmholtz formula; the uncertainty then is
/// that of the geometry (turn count, radius, spacing, the DUT's distance from the centre), which the lab must state:
/// the formula gives none.
public struct HelmholtzCoil: Sendable, Equatable, Codable {
    /// Where the constant comes from; reports state it beside every figure measured with the coil.
    public enum Basis: Sendable, Equatable, Codable {
        /// A calibration certificate (its number or reference).
        case certificate(String)
        /// Computed from turns and radius by the Helmholtz formula; the uncertainty is the lab's estimate of the
        /// geometry's.
        case geometry
    }

    /// Field per ampere on each axis, µT/A.
    public var constant: FieldVector
    /// Expanded uncertainty of the constant per axis, µT/A, at `coverageFactor`.
    public var expandedUncertainty: FieldVector
    /// Coverage factor k of `expandedUncertainty` (2 on most certificates, ≈ 95 %).
    public var coverageFactor: Double
    /// Largest current any axis may carry, A (the coil's thermal rating or the lab's limit).
    public var maximumCurrent: Double
    public var basis: Basis

    /// A coil with a certified constant.
    public init(constant: FieldVector, expandedUncertainty: FieldVector, coverageFactor: Double = 2,
                maximumCurrent: Double, certificate: String) {
        self.constant = constant
        self.expandedUncertainty = expandedUncertainty
        self.coverageFactor = coverageFactor
        self.maximumCurrent = maximumCurrent
        self.basis = .certificate(certificate)
    }

    /// The vacuum permeability µ₀, N/A² (CODATA 2018: 1.256 637 062 12 × 10⁻⁶; no longer exactly 4π × 10⁻⁷
    /// since the 2019 SI redefinition, though within 10⁻⁹ of it).
    public static let vacuumPermeability = 1.256_637_062_12e-6

    /// The Helmholtz field at the centre per ampere, µT/A: B/I = (4/5)^{3/2}·µ₀·N/R (sensors.md §8.5 item 4), with
    /// N turns per coil and R the coil radius (= spacing) in metres. 10 turns of R = 0.1 m give 89.918 µT/A.
    public static func helmholtzConstant(turns: Int, radius metres: Double) -> Double {
        0.8 * 0.8.squareRoot() * vacuumPermeability * Double(turns) / metres * 1e6
    }

    /// A coil whose constant is computed from its geometry, one (turns, radius) per axis (x, y, z), with the
    /// lab's stated relative expanded uncertainty of that geometry (e.g. 0.01 for 1 %) at `coverageFactor`.
    public static func fromGeometry(turns: [Int], radii: [Double], relativeExpandedUncertainty: Double,
                                    coverageFactor: Double = 2, maximumCurrent: Double) -> HelmholtzCoil {
        let k = (0..<3).map { axis in
            axis < turns.count && axis < radii.count ? helmholtzConstant(turns: turns[axis], radius: radii[axis]) : .nan
        }
        var coil = HelmholtzCoil(
            constant: FieldVector(x: k[0], y: k[1], z: k[2]),
            expandedUncertainty: FieldVector(x: abs(k[0]) * relativeExpandedUncertainty, y: abs(k[1]) * relativeExpandedUncertainty,
                                             z: abs(k[2]) * relativeExpandedUncertainty),
            coverageFactor: coverageFactor, maximumCurrent: maximumCurrent, certificate: "")
        coil.basis = .geometry
        return coil
    }

    /// Standard uncertainty of the constant per axis, µT/A.
    public var standardUncertainty: FieldVector {
        FieldVector(x: expandedUncertainty.x / coverageFactor, y: expandedUncertainty.y / coverageFactor,
                    z: expandedUncertainty.z / coverageFactor)
    }

    /// The current per axis that makes `field`, A: I = B/k.
    public func currents(for field: FieldVector) -> [Double] {
        [field.x / constant.x, field.y / constant.y, field.z / constant.z]
    }

    /// The field that `currents` (A per axis) make, µT: B = k·I.
    public func field(for currents: [Double]) -> FieldVector {
        FieldVector(x: constant.x * currents[0], y: constant.y * currents[1], z: constant.z * currents[2])
    }

    /// The standard uncertainty per axis of a field made by `currents` (A) whose own standard uncertainties are
    /// `currentUncertainty` (A): u(B)² = (I·u(k))² + (k·u(I))², the two being independent (GUM §5.1.2).
    public func fieldUncertainty(currents: [Double], currentUncertainty: [Double]) -> FieldVector {
        let k = [constant.x, constant.y, constant.z]
        let uk = [standardUncertainty.x, standardUncertainty.y, standardUncertainty.z]
        let u = (0..<3).map { axis -> Double in
            let fromConstant: Double = currents[axis] * uk[axis]
            let fromCurrent: Double = k[axis] * currentUncertainty[axis]
            return (fromConstant * fromConstant + fromCurrent * fromCurrent).squareRoot()
        }
        return FieldVector(x: u[0], y: u[1], z: u[2])
    }

    /// What makes this calibration unusable, empty when it is fine; a rig loader reports these at load.
    public var problems: [String] {
        var found: [String] = []
        for (name, value) in [("x", constant.x), ("y", constant.y), ("z", constant.z)] where !(value.isFinite && value != 0) {
            found.append("the coil constant of axis \(name) must be a non-zero number of µT/A")
        }
        for (name, value) in [("x", expandedUncertainty.x), ("y", expandedUncertainty.y), ("z", expandedUncertainty.z)]
        where !(value.isFinite && value >= 0) {
            found.append("the coil constant's uncertainty on axis \(name) must be 0 µT/A or more")
        }
        if !(coverageFactor.isFinite && coverageFactor > 0) { found.append("the coverage factor must be positive") }
        if !(maximumCurrent.isFinite && maximumCurrent > 0) { found.append("the coil's maximum current must be positive") }
        return found
    }
}
