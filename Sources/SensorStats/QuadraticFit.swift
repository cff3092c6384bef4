/// Weighted least-squares quadratic y = a + b·z + c·z² on centred and scaled abscissae z = (x − x̄)/range,
/// which keeps the normal equations well conditioned (statistics.md §6.2). For nonlinearity: the residuals
/// of the straight line (`WeightedLineFit`) say how far from linear a sensor is; the quadratic term says how
/// much of that is curvature.
public struct WeightedQuadraticFit: Sendable, Equatable, Codable {
    /// Coefficients in the scaled variable z.
    public var a: Double
    public var b: Double
    public var c: Double
    /// x̄ and range used for z.
    public var centre: Double
    public var scale: Double
    /// Residuals y_i − ŷ_i, in input order.
    public var residuals: [Double]

    /// Needs at least three distinct x; nil otherwise.
    public init?(x: [Double], y: [Double], u: [Double]) {
        precondition(x.count == y.count && y.count == u.count, "x, y and u must have the same length")
        guard x.count >= 3, Set(x).count >= 3, u.allSatisfy({ $0 > 0 }), let lo = x.min(), let hi = x.max() else { return nil }
        centre = x.reduce(0, +) / Double(x.count)
        scale = hi - lo
        // Normal equations Σw·[1 z z²]ᵀ[1 z z²]·θ = Σw·[1 z z²]ᵀ·y, solved by Gaussian elimination with pivoting.
        var m = [[Double]](repeating: [0, 0, 0, 0], count: 3)
        for i in x.indices {
            let w = 1 / (u[i] * u[i])
            let z = (x[i] - centre) / scale
            let basis = [1, z, z * z]
            for r in 0..<3 {
                for col in 0..<3 { m[r][col] += w * basis[r] * basis[col] }
                m[r][3] += w * basis[r] * y[i]
            }
        }
        for pivot in 0..<3 {
            guard let best = (pivot..<3).max(by: { abs(m[$0][pivot]) < abs(m[$1][pivot]) }), abs(m[best][pivot]) > 1e-300
            else { return nil }
            m.swapAt(pivot, best)
            for r in 0..<3 where r != pivot {
                let f = m[r][pivot] / m[pivot][pivot]
                for col in pivot..<4 { m[r][col] -= f * m[pivot][col] }
            }
        }
        a = m[0][3] / m[0][0]
        b = m[1][3] / m[1][1]
        c = m[2][3] / m[2][2]
        residuals = []
        residuals = x.indices.map { y[$0] - value(at: x[$0]) }
    }

    /// The fitted value at x.
    public func value(at x: Double) -> Double {
        let z = (x - centre) / scale
        return a + b * z + c * z * z
    }
}
