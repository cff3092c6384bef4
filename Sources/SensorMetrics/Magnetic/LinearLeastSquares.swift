/// A small (weighted) linear least-squares fit y ≈ X·β by the normal equations, for the 2–4 parameter fits of the
/// magnetometer calibration (sensors.md §8.5 item 4). No matrix library is linked, and at p ≤ 4 the normal equations
/// solved by Gaussian elimination with partial pivoting are exact enough (the design's columns are fields of tens of
/// µT and a constant: condition numbers near 10², so relative error near 1e-12).
public struct LinearLeastSquares: Sendable, Equatable, Codable {
    /// β, one per design column.
    public var coefficients: [Double]
    /// (XᵀWX)⁻¹: the covariance of β when the weights are 1/u² of the observations.
    public var unscaledCovariance: [[Double]]
    /// y − X·β, one per observation.
    public var residuals: [Double]
    /// Σ w·r²: χ² with weights 1/u², the residual sum of squares without.
    public var weightedResidualSumOfSquares: Double
    /// n − p.
    public var degreesOfFreedom: Int

    /// Fits; nil when the rows are ragged, n < p, a weight is not positive and finite, or XᵀWX is singular (a column
    /// that never varies, or two that vary together).
    /// - Parameters:
    ///   - design: n rows of p regressors.
    ///   - observations: n values y.
    ///   - weights: n weights (1/u²); nil for ordinary least squares.
    public init?(design: [[Double]], observations: [Double], weights: [Double]? = nil) {
        let n = design.count
        guard let p = design.first?.count, p >= 1, n >= p, observations.count == n,
              design.allSatisfy({ $0.count == p })
        else { return nil }
        let w = weights ?? Array(repeating: 1, count: n)
        guard w.count == n, w.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        var normal = Array(repeating: Array(repeating: 0.0, count: p), count: p)
        var right = Array(repeating: 0.0, count: p)
        for i in 0..<n {
            for a in 0..<p {
                right[a] += w[i] * design[i][a] * observations[i]
                for b in 0..<p { normal[a][b] += w[i] * design[i][a] * design[i][b] }
            }
        }
        guard let inverse = Self.inverse(normal) else { return nil }
        let beta = (0..<p).map { a in (0..<p).reduce(0.0) { $0 + inverse[a][$1] * right[$1] } }
        let residuals = (0..<n).map { i in
            observations[i] - (0..<p).reduce(0.0) { $0 + design[i][$1] * beta[$1] }
        }
        coefficients = beta
        unscaledCovariance = inverse
        self.residuals = residuals
        weightedResidualSumOfSquares = zip(residuals, w).reduce(0) { $0 + $1.1 * $1.0 * $1.0 }
        degreesOfFreedom = n - p
    }

    /// The inverse of a square matrix by Gauss–Jordan elimination with partial pivoting; nil when a pivot is zero
    /// or below 1e-13 of the largest entry of its column at the start (numerically singular).
    public static func inverse(_ matrix: [[Double]]) -> [[Double]]? {
        let p = matrix.count
        guard matrix.allSatisfy({ $0.count == p }) else { return nil }
        var a = matrix
        var inverse = (0..<p).map { i in (0..<p).map { $0 == i ? 1.0 : 0.0 } }
        let scale = (0..<p).map { j in (0..<p).map { abs(matrix[$0][j]) }.max() ?? 0 }
        for column in 0..<p {
            guard let pivot = (column..<p).max(by: { abs(a[$0][column]) < abs(a[$1][column]) }),
                  abs(a[pivot][column]) > 1e-13 * scale[column], a[pivot][column].isFinite
            else { return nil }
            a.swapAt(column, pivot)
            inverse.swapAt(column, pivot)
            let divisor = a[column][column]
            for j in 0..<p { a[column][j] /= divisor; inverse[column][j] /= divisor }
            for row in 0..<p where row != column {
                let factor = a[row][column]
                guard factor != 0 else { continue }
                for j in 0..<p {
                    a[row][j] -= factor * a[column][j]
                    inverse[row][j] -= factor * inverse[column][j]
                }
            }
        }
        return inverse
    }
}
