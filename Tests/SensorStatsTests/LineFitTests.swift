import Testing
@testable import SensorStats

@Suite struct LineFitTests {
    @Test func streamingFitRecoversAnExactLine() throws {
        var fit = StreamingLineFit()
        for i in 0..<100 { fit.add(x: Double(i) * 0.04, y: 101_325 + 2.5 * Double(i) * 0.04) }
        #expect(abs(try #require(fit.slope) - 2.5) < 1e-9)
        #expect(abs(try #require(fit.intercept) - 101_325) < 1e-6)
        // SSE = M2y − b·Cxy cancels two numbers of ~10³ Pa²: 1e-4 Pa bounds the rounding left in its root.
        #expect(try #require(fit.residualStandardDeviation) < 1e-4)
    }

    /// Residual scatter about the line equals the noise that was added (seeded; 2 000 points give the
    /// standard deviation to ~1.6 %, bounded at 6 %).
    @Test func residualScatterIsTheNoise() throws {
        var generator = SplitMix(seed: 7)
        var fit = StreamingLineFit()
        for i in 0..<2000 { fit.add(x: Double(i), y: 5 - 0.01 * Double(i) + 0.2 * generator.gaussian()) }
        #expect(abs(try #require(fit.residualStandardDeviation) / 0.2 - 1) < 0.06)
    }

    /// Weighted fit through points that lie on a line: the line, and the textbook uncertainties
    /// u(a) = √(Σw x²/Δ), u(b) = √(Σw/Δ) with Δ = Σw·Σwx² − (Σwx)² (x centred on x0).
    @Test func weightedFit() throws {
        let x = [30_000.0, 50_000, 70_000, 90_000, 110_000]
        let y = x.map { 12 + 120e-6 * ($0 - 101_325) }
        let u = [1.0, 1, 2, 1, 1]
        let fit = try #require(WeightedLineFit(x: x, y: y, u: u, x0: 101_325))
        #expect(abs(fit.intercept - 12) < 1e-9)
        #expect(abs(fit.slope - 120e-6) < 1e-12)
        let w = u.map { 1 / ($0 * $0) }
        let xc = x.map { $0 - 101_325 }
        let sw = w.reduce(0, +)
        let swx = zip(w, xc).map(*).reduce(0, +)
        let swxx = zip(w, xc).map { $0 * $1 * $1 }.reduce(0, +)
        let delta = sw * swxx - swx * swx
        #expect(abs(fit.interceptUncertainty - (swxx / delta).squareRoot()) < 1e-12)
        #expect(abs(fit.slopeUncertainty - (sw / delta).squareRoot()) < 1e-15)
        #expect(WeightedLineFit(x: [1, 1], y: [2, 3], u: [1, 1], x0: 0) == nil)
    }
}

@Suite struct StreamingLineFitMergeTests {
    /// Merged partitions give the one-pass slope, intercept and scatter. Tolerance 1e-10 relative: each y sits
    /// on a 101 325 Pa offset (ulp 1.5e-11 Pa) against a 20 Pa trend, so two summation orders differ by ~1e-11.
    @Test(arguments: [1, 250, 999])
    func mergeEqualsOnePass(split: Int) throws {
        var generator = SplitMix(seed: 99)
        var points: [(Double, Double)] = []
        for i in 0..<1000 {
            let x = Double(i) * 0.04
            points.append((x, 101_325 + 0.5 * x + 0.3 * generator.gaussian()))
        }
        var whole = StreamingLineFit(), first = StreamingLineFit(), second = StreamingLineFit()
        for (x, y) in points { whole.add(x: x, y: y) }
        for (x, y) in points[..<split] { first.add(x: x, y: y) }
        for (x, y) in points[split...] { second.add(x: x, y: y) }
        first.merge(second)
        #expect(first.count == whole.count)
        #expect(abs(try #require(first.slope) / whole.slope! - 1) < 1e-10)
        #expect(abs(try #require(first.intercept) / whole.intercept! - 1) < 1e-10)
        #expect(abs(try #require(first.residualStandardDeviation) / whole.residualStandardDeviation! - 1) < 1e-9)
    }
}
