import Foundation
import Testing
@testable import SensorStats

/// EDF formulas and noise identification (statistics.md §2.4).
@Suite struct AllanConfidenceTests {
    /// §2.4's WFM table, N = 1001: simple EDF 569.9, 91.3, 9.72 at m = 2, 16, 128 (printed to 4 digits: 5e-4).
    @Test func whiteFMTable() throws {
        let expected: [Int: Double] = [2: 569.9, 16: 91.3, 128: 9.72]
        for (m, value) in expected {
            let edf = try #require(AllanConfidence.simpleEDF(phasePoints: 1001, factor: Double(m), noise: .whiteFM))
            #expect(abs(edf / value - 1) < 5e-4, "m = \(m)")
        }
    }

    /// The clamp to [1, n]: N = 3, m = 1 (one term) divides by zero in the RWFM formula and gives n = 1; no terms,
    /// no EDF.
    @Test func degenerateCases() {
        #expect(AllanConfidence.simpleEDF(phasePoints: 3, factor: 1, noise: .randomWalkFM) == 1)
        #expect(AllanConfidence.simpleEDF(phasePoints: 2, factor: 1, noise: .whiteFM) == nil)
        for noise in PowerLawNoise.allCases {
            let edf = AllanConfidence.simpleEDF(phasePoints: 5, factor: 2, noise: noise)
            #expect(edf == 1, "\(noise)")   // one term
        }
    }

    /// α = −μ − 1 with the thresholds halfway between types.
    @Test func slopeToNoise() {
        #expect(AllanConfidence.noise(varianceSlope: -2) == nil)
        #expect(AllanConfidence.noise(varianceSlope: -1.2) == .whiteFM)
        #expect(AllanConfidence.noise(varianceSlope: 0.1) == .flickerFM)
        #expect(AllanConfidence.noise(varianceSlope: 1) == .randomWalkFM)
        #expect(AllanConfidence.noise(varianceSlope: 2) == .randomWalkFM)
        #expect(PowerLawNoise.flickerFM.alpha == -1)
    }

    /// The interval brackets the estimate and narrows as ν grows. σ_lo·σ_hi = σ²·ν/√(χ²_lo·χ²_hi) differs from σ² by
    /// O(1/ν), about 1e-4 at ν = 10⁴; 1 % is a loose bound on that.
    @Test func intervalShape() {
        let narrow = AllanConfidence.interval(deviation: 2, edf: 10_000)
        let wide = AllanConfidence.interval(deviation: 2, edf: 10)
        #expect(wide.low < narrow.low && narrow.low < 2 && 2 < narrow.high && narrow.high < wide.high)
        #expect(abs(narrow.low * narrow.high / 4 - 1) < 0.01)
    }
}
