import Foundation
import SensorStats
import Testing
@testable import SensorSim

/// The simulator's Gaussian noise against the standard normal distribution, checked independently of how it is
/// generated: moments, tail fractions and a binned χ² against Φ (erfc), a Kolmogorov–Smirnov distance, serial
/// correlation. Both generators: the chamber's indexed noise, and `SeededRandom.gaussian()`, the other simulated chips'
/// noise, which draws by the same ziggurat in sequence. And the indexed noise's contract, a value that depends only on
/// the key and the index.
///
/// Every check is on one seeded sample, so it passes or fails the same way on every run. Tolerances are 5 standard
/// errors of the statistic for a true N(0, 1) sample (a correct generator fails one of them with odds below 1e-6),
/// the χ² at its 1 − 10⁻⁶ quantile and the KS distance at its 0.1 % critical value, 1.95/√N.
@Suite struct IndexedGaussianNoiseTests {
    /// 2^21 values: 5 standard errors of the mean are 0.0035, of the variance 0.0049.
    static let count = 1 << 21

    /// Where the values come from.
    enum Source: CaseIterable, Sendable {
        /// `IndexedGaussianNoise`, the chamber's.
        case indexed
        /// `SeededRandom.gaussian()`, one value after the other.
        case sequential
    }

    static func sample(_ source: Source = .indexed, seed: UInt64 = 2026, stream: UInt64 = 1, count: Int = count) -> [Double] {
        switch source {
        case .indexed:
            let noise = IndexedGaussianNoise(seed: seed, stream: stream)
            var values = [Double](repeating: 0, count: count)
            values.withUnsafeMutableBufferPointer { noise.fill(deviation: 1, from: 0, into: $0) }
            return values
        case .sequential:
            var random = SeededRandom(seed: seed).derived(stream)
            return (0..<count).map { _ in random.gaussian() }
        }
    }

    /// Φ(x), the standard normal CDF.
    static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// Mean 0, variance 1, skewness 0 and fourth moment 3, each within 5 standard errors of a normal sample of
    /// N values (σ of the k-th sample moment: √(Var xᵏ / N), with Var x = 1, Var x² = 2, Var x³ = 15, Var x⁴ = 96).
    @Test(arguments: Source.allCases) func momentsAreTheNormals(source: Source) {
        let values = Self.sample(source)
        let n = Double(values.count)
        var sums = (0.0, 0.0, 0.0, 0.0)
        for x in values {
            let x2 = x * x
            sums.0 += x
            sums.1 += x2
            sums.2 += x2 * x
            sums.3 += x2 * x2
        }
        let (m1, m2, m3, m4) = (sums.0 / n, sums.1 / n, sums.2 / n, sums.3 / n)
        #expect(abs(m1) < 5 * (1 / n).squareRoot(), "mean \(m1)")
        #expect(abs(m2 - 1) < 5 * (2 / n).squareRoot(), "variance \(m2)")
        #expect(abs(m3) < 5 * (15 / n).squareRoot(), "third moment \(m3)")
        #expect(abs(m4 - 3) < 5 * (96 / n).squareRoot(), "fourth moment \(m4)")
    }

    /// The fractions beyond ±t, for t from the bulk out past the ziggurat's tail start r = 3.654 (where values come
    /// from the tail algorithm) to 4.5, match 2·(1 − Φ(t)) = erfc(t/√2) within 5 binomial standard errors (plus one
    /// count), on each side alone and both together.
    @Test(arguments: Source.allCases) func tailFractionsAreTheNormals(source: Source) {
        let values = Self.sample(source)
        let n = Double(values.count)
        for t in [0.5, 1, 2, 3, 3.5, 3.7, 4, 4.5] {
            let p = erfc(t / 2.0.squareRoot())
            let expected = n * p
            let tolerance = 5 * (n * p * (1 - p)).squareRoot() + 1
            let above = values.count { $0 > t }
            let below = values.count { $0 < -t }
            #expect(abs(Double(above + below) - expected) < tolerance, "|x| > \(t): \(above + below), expected \(expected)")
            #expect(abs(Double(above) - expected / 2) < tolerance, "x > \(t): \(above), expected \(expected / 2)")
            #expect(abs(Double(below) - expected / 2) < tolerance, "x < −\(t): \(below), expected \(expected / 2)")
        }
    }

    /// Binned on a 0.05 grid over [−4, 4] (fine enough to resolve the ziggurat's strips, whose edges near the top
    /// are 0.1–0.3 apart) plus the two tails, the counts fit Φ's bin probabilities: Pearson's χ² below its
    /// 1 − 10⁻⁶ quantile for 161 degrees of freedom (162 bins, each expecting at least 14 values).
    @Test(arguments: Source.allCases) func binnedDistributionFitsTheNormal(source: Source) {
        let values = Self.sample(source)
        let n = Double(values.count)
        let width = 0.05
        let inner = Int((8 / width).rounded())
        var counts = [Int](repeating: 0, count: inner + 2)
        for x in values {
            if x < -4 {
                counts[0] += 1
            } else if x >= 4 {
                counts[inner + 1] += 1
            } else {
                counts[1 + min(inner - 1, Int((x + 4) / width))] += 1
            }
        }
        var edges = [-Double.infinity]
        for k in 0...inner { edges.append(-4 + Double(k) * width) }
        edges.append(.infinity)
        var chiSquare = 0.0
        for (bin, count) in counts.enumerated() {
            let expected = n * (Self.phi(edges[bin + 1]) - Self.phi(edges[bin]))
            #expect(expected >= 14)
            chiSquare += (Double(count) - expected) * (Double(count) - expected) / expected
        }
        let limit = ChiSquared.quantile(1 - 1e-6, degreesOfFreedom: Double(counts.count - 1))
        #expect(chiSquare < limit, "χ² = \(chiSquare) over \(counts.count) bins, limit \(limit)")
    }

    /// The largest distance between the sample's CDF and Φ (Kolmogorov–Smirnov) is below its 0.1 % critical
    /// value, 1.95/√N.
    @Test(arguments: Source.allCases) func kolmogorovSmirnovDistanceIsSmall(source: Source) {
        let values = Self.sample(source, seed: 77, stream: 3, count: 1 << 20).sorted()
        let n = Double(values.count)
        var distance = 0.0
        for (rank, x) in values.enumerated() {
            let cdf = Self.phi(x)
            distance = max(distance, cdf - Double(rank) / n, Double(rank + 1) / n - cdf)
        }
        #expect(distance < 1.95 / n.squareRoot(), "KS distance \(distance)")
    }

    /// Neighbouring indices, and the same indices of two streams of one seed, are uncorrelated: each correlation
    /// within 5/√N of 0.
    @Test(arguments: Source.allCases) func valuesAreUncorrelated(source: Source) {
        let values = Self.sample(source)
        let other = Self.sample(source, stream: 2)
        let n = Double(values.count - 1)
        var lag1 = 0.0, lag2 = 0.0, cross = 0.0
        for i in 0..<(values.count - 2) {
            lag1 += values[i] * values[i + 1]
            lag2 += values[i] * values[i + 2]
            cross += values[i] * other[i]
        }
        for (name, sum) in [("lag 1", lag1), ("lag 2", lag2), ("streams 1 and 2", cross)] {
            #expect(abs(sum / n) < 5 / n.squareRoot(), "\(name) correlation \(sum / n)")
        }
    }

    /// The strips are the paper's: the tail starts at r = 3.6541528853610088 (Marsaglia & Tsang 2000, 256 strips),
    /// each strip's area is v = r·f(r) + ∫_r^∞ f to 1e-12, and the top one closes at x = 0.
    @Test func zigguratStripsHaveEqualArea() {
        let layers = ZigguratLayers.standard
        let r = layers.tailStart
        #expect(abs(r - 3.6541528853610088) < 1e-9, "r = \(r)")
        let v = r * exp(-r * r / 2) + (Double.pi / 2).squareRoot() * erfc(r / 2.0.squareRoot())
        #expect(abs(layers.x[0] * exp(-r * r / 2) - v) < 1e-15)
        for i in 1..<ZigguratLayers.count {
            let area = layers.x[i] * (layers.density[i + 1] - layers.density[i])
            #expect(abs(area / v - 1) < 1e-12, "strip \(i): area \(area), v \(v)")
        }
        #expect(layers.x[ZigguratLayers.count] == 0)
    }

    /// The value at an index depends only on the seed, the stream and the index: adding or filling in blocks of any
    /// size gives, bit for bit, `value(at:)` of each index, scaled by the deviation; another stream or seed differs.
    @Test func valuesDependOnlyOnTheIndex() {
        let noise = IndexedGaussianNoise(seed: 11, stream: 0x4E01_5E)
        let start = 123_457
        let total = 5_000
        let expected = (start..<(start + total)).map { 0.25 * noise.value(at: $0) }
        for chunk in [1, 2, 3, 7, 151, 836, total] {
            var added = [Double](repeating: 0, count: total)
            var filled = [Double](repeating: .nan, count: total)
            var position = 0
            while position < total {
                let length = min(chunk, total - position)
                var piece = [Double](repeating: 0, count: length)
                noise.add(deviation: 0.25, from: start + position, to: &piece)
                added.replaceSubrange(position..<(position + length), with: piece)
                filled.withUnsafeMutableBufferPointer { buffer in
                    noise.fill(deviation: 0.25, from: start + position,
                               into: UnsafeMutableBufferPointer(rebasing: buffer[position..<(position + length)]))
                }
                position += length
            }
            #expect(added == expected, "add in chunks of \(chunk)")
            #expect(filled == expected, "fill in chunks of \(chunk)")
        }
        #expect(IndexedGaussianNoise(seed: 11, stream: 0x4E01_5E) == noise)
        #expect((0..<100).map { IndexedGaussianNoise(seed: 11, stream: 0x4E01_5F).value(at: start + $0) }
            != (0..<100).map { noise.value(at: start + $0) })
        #expect((0..<100).map { IndexedGaussianNoise(seed: 12, stream: 0x4E01_5E).value(at: start + $0) }
            != (0..<100).map { noise.value(at: start + $0) })
    }
}
