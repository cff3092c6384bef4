/// Streaming ordinary least-squares line y = a + b·x from co-moments, without storing the data
/// (reference/statistics.md §1.3). Used to detrend a noise record.
public struct StreamingLineFit: Sendable, Equatable {
    public private(set) var count = 0
    private var meanX = 0.0
    private var meanY = 0.0
    private var m2x = 0.0
    private var m2y = 0.0
    private var cxy = 0.0

    public init() {}

    public mutating func add(x: Double, y: Double) {
        count += 1
        let n = Double(count)
        let dx = x - meanX
        let dy = y - meanY
        meanX += dx / n
        meanY += dy / n
        m2x += dx * (x - meanX)
        m2y += dy * (y - meanY)
        cxy += dx * (y - meanY)
    }

    /// Combines two partitions (statistics.md §1.3): C_xy = C_A + C_B + Δx̄·Δȳ·n_A·n_B/n, likewise M2x, M2y.
    public mutating func merge(_ other: StreamingLineFit) {
        guard other.count > 0 else { return }
        guard count > 0 else { self = other; return }
        let nA = Double(count), nB = Double(other.count), n = nA + nB
        let dx = other.meanX - meanX, dy = other.meanY - meanY
        m2x += other.m2x + dx * dx * nA * nB / n
        m2y += other.m2y + dy * dy * nA * nB / n
        cxy += other.cxy + dx * dy * nA * nB / n
        meanX += dx * nB / n
        meanY += dy * nB / n
        count += other.count
    }

    /// Slope b; nil until two distinct x.
    public var slope: Double? { m2x > 0 ? cxy / m2x : nil }
    /// Intercept a.
    public var intercept: Double? { slope.map { meanY - $0 * meanX } }

    /// Residual standard deviation √(SSE/(n−2)): the scatter about the fitted line.
    public var residualStandardDeviation: Double? {
        guard count > 2, let b = slope else { return nil }
        let sse = Swift.max(m2y - b * cxy, 0)
        return (sse / Double(count - 2)).squareRoot()
    }
}

/// Weighted least-squares straight line through a few points with known standard uncertainties
/// (statistics.md §6.2): weights 1/u², x centred on `x0` so that the intercept is the value at x0.
public struct WeightedLineFit: Sendable, Equatable, Codable {
    /// Value of the line at x0.
    public var intercept: Double
    public var slope: Double
    /// Standard uncertainties from the weights, scaled by √(χ²/ν) when the scatter exceeds them
    /// (Birge ratio > 1), so a poor fit never claims a small uncertainty.
    public var interceptUncertainty: Double
    public var slopeUncertainty: Double
    public var x0: Double
    /// χ²/ν of the fit (1 when the points scatter as their uncertainties say).
    public var reducedChiSquare: Double

    /// Fits y = intercept + slope·(x − x0). Needs at least two distinct x; returns nil otherwise.
    public init?(x: [Double], y: [Double], u: [Double], x0: Double) {
        precondition(x.count == y.count && y.count == u.count, "x, y and u must have the same length")
        guard x.count >= 2, u.allSatisfy({ $0 > 0 }) else { return nil }
        var sw = 0.0, swx = 0.0, swy = 0.0, swxx = 0.0, swxy = 0.0
        for i in x.indices {
            let w = 1 / (u[i] * u[i])
            let xc = x[i] - x0
            sw += w; swx += w * xc; swy += w * y[i]; swxx += w * xc * xc; swxy += w * xc * y[i]
        }
        let det = sw * swxx - swx * swx
        guard det > 0 else { return nil }
        let b = (sw * swxy - swx * swy) / det
        let a = (swy - b * swx) / sw
        var chi2 = 0.0
        for i in x.indices {
            let r = (y[i] - a - b * (x[i] - x0)) / u[i]
            chi2 += r * r
        }
        let dof = x.count - 2
        let reduced = dof > 0 ? chi2 / Double(dof) : 1
        let scale = Swift.max(1, reduced).squareRoot()
        intercept = a
        slope = b
        interceptUncertainty = (swxx / det).squareRoot() * scale
        slopeUncertainty = (sw / det).squareRoot() * scale
        self.x0 = x0
        reducedChiSquare = reduced
    }
}
