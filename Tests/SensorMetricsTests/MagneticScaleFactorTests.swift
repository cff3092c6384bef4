import Foundation
import Testing
@testable import SensorMetrics

/// Synthetic coil calibration: B_dut = M·B_a + o + noise, M with scale errors (+2 %, −3 %, +0.5 %), cross-axis terms
/// up to 0.5 % and rows 0.29° off orthogonal; o = (1.5, −0.8, 0.3) µT; noise 0.01 µT (g from `Gaussian(seed: 0x5CA1E)`,
/// drawn x, y, z per step). Steps: the origin, then ±25 and ±50 µT on x, then y, then z (13 steps).
/// Known answers: the same numbers in numpy 2.4 (Python port of the generator, as in MagneticNoiseTests), fitted with
/// `np.linalg.lstsq([Bx, By, Bz, 1], readings)`. Weights 1/0.01² are equal, so the weighted fit is that one.
private let trueM = [[1.02, 0.005, -0.003], [0.0002, 0.97, 0.005], [0.004, -0.005, 1.005]]
private let trueOffset = [1.5, -0.8, 0.3]

private func steps(axes: [Int] = [0, 1, 2]) -> [MagneticScaleFactor.Step] {
    var applied: [[Double]] = [[0, 0, 0]]
    for axis in axes {
        for level in [-50.0, -25, 25, 50] {
            var b = [0.0, 0, 0]
            b[axis] = level
            applied.append(b)
        }
    }
    var random = Gaussian(seed: 0x5CA1E)
    return applied.map { b in
        let r: [Double] = (0..<3).map { (i: Int) -> Double in
            let field: Double = trueM[i][0] * b[0] + trueM[i][1] * b[1] + trueM[i][2] * b[2]
            return field + trueOffset[i] + 0.01 * random.next()
        }
        return MagneticScaleFactor.Step(
            applied: .init(x: b[0], y: b[1], z: b[2]), reading: .init(x: r[0], y: r[1], z: r[2]),
            readingStandardError: .init(x: 0.01, y: 0.01, z: 0.01))
    }
}

@Suite struct MagneticScaleFactorTests {
    @Test func fullMatrixRecoversTheTruth() throws {
        let fit = try MagneticScaleFactor.fit(steps: steps(), coilConstantRelativeUncertainty: .init(x: 1e-4, y: 1e-4, z: 1e-4))
        #expect(fit.isFullMatrix && fit.steppedAxes == ["x", "y", "z"] && fit.residualDegreesOfFreedom == 9)
        // numpy.linalg.lstsq, to 1e-9 relative.
        let numpyM = [[1.0200953541185052, 0.005142576909828709, -0.0031543100287725334],
                      [6.558319533984296e-05, 0.9699108961013361, 0.004860454130581893],
                      [0.004090251046474737, -0.004871767456594277, 1.0050427038295473]]
        let numpyOffset = [1.4993833721894483, -0.7968742574302876, 0.299808726447069]
        for i in 0..<3 {
            for j in 0..<3 {
                let m = try #require(fit.sensitivity[i][j])
                #expect(abs(m - numpyM[i][j]) <= 1e-9 * abs(numpyM[i][j]), "M[\(i)][\(j)]")
            }
            #expect(abs(fit.offsets[i].value - numpyOffset[i]) <= 1e-9 * abs(numpyOffset[i]))
            // Within 3 standard uncertainties of the truth.
            #expect(abs(fit.offsets[i].value - trueOffset[i]) <= 3 * fit.offsets[i].standardUncertainty)
        }
        for (axis, scale) in fit.scaleFactors.enumerated() {
            #expect(abs(scale.value.value - trueM[axis][axis]) <= 3 * scale.value.standardUncertainty)
            // u = √(u_A² + (M·1e-4)²); u_A = 0.01·√((XᵀX)⁻¹_jj) = 0.01/√6250 (the fit's scatter is below 0.01).
            let typeA = 0.01 / 6250.0.squareRoot()
            #expect(abs(scale.typeA - typeA) < 1e-12)
            #expect(abs(scale.value.standardUncertainty - (typeA * typeA + pow(scale.value.value * 1e-4, 2)).squareRoot()) < 1e-12)
            #expect(abs(scale.errorPercent.value - (scale.value.value - 1) * 100) < 1e-12)
        }
        #expect(fit.crossAxis.count == 6)
        for cross in fit.crossAxis {
            let i = ["x", "y", "z"].firstIndex(of: cross.sensedAxis)!, j = ["x", "y", "z"].firstIndex(of: cross.appliedAxis)!
            #expect(abs(cross.percent.value - 100 * trueM[i][j]) <= 3 * cross.percent.standardUncertainty)
        }
        // Non-orthogonality: numpy angles of the fitted rows to 1e-9 (absolute, degrees), and the true ones
        // (−0.29180, −0.05813, −0.01033°) within 3u.
        let numpyAngles = [-0.29182241197906933, -0.05460772410289394, -0.009407037832701803]
        let trueAngles = [-0.2917991934290711, -0.05812646368126195, -0.010332112259050064]
        #expect(fit.nonOrthogonality.map(\.axes) == ["x-y", "x-z", "y-z"])
        for (k, angle) in fit.nonOrthogonality.enumerated() {
            #expect(abs(angle.degrees.value - numpyAngles[k]) < 1e-9)
            #expect(abs(angle.degrees.value - trueAngles[k]) <= 3 * angle.degrees.standardUncertainty)
            #expect(angle.degrees.standardUncertainty > 0 && angle.degrees.standardUncertainty < 0.02)
        }
        // Linearity: max |residual| / (|M_ii|·100 µT), numpy 0.01601, 0.01076, 0.01261 %.
        let numpyLinearity = [0.016014926996094598, 0.010759340801031164, 0.012613384703745548]
        for (k, linearity) in fit.linearity.enumerated() {
            #expect(abs(linearity.percentOfSpan - numpyLinearity[k]) < 1e-9)
            #expect(linearity.spanMicrotesla == 100)
        }
        // χ²/ν = s²/0.01²: the noise was drawn at 0.01 µT.
        #expect(fit.reducedChiSquare.allSatisfy { $0 > 0.2 && $0 < 2 })
    }

    /// Only x stepped: its column and the offsets only; no angles. numpy lstsq on [Bx, 1] over the first 5 steps.
    @Test func singleAxisFitsOneColumn() throws {
        let fit = try MagneticScaleFactor.fit(steps: steps(axes: [0]), coilConstantRelativeUncertainty: .init(x: 2e-4, y: 0, z: 0))
        #expect(!fit.isFullMatrix && fit.steppedAxes == ["x"] && fit.nonOrthogonality.isEmpty)
        let column = [1.0200953541185052, 6.558319533984296e-05, 0.004090251046474737]
        let offsets = [1.5023916137116147, -0.7975948356257834, 0.30672095069242794]
        for i in 0..<3 {
            #expect(abs(try #require(fit.sensitivity[i][0]) - column[i]) <= 1e-9 * abs(column[i]))
            #expect(fit.sensitivity[i][1] == nil && fit.sensitivity[i][2] == nil)
            #expect(abs(fit.offsets[i].value - offsets[i]) <= 1e-9 * abs(offsets[i]))
        }
        #expect(fit.scaleFactors.map(\.axis) == ["x"] && fit.crossAxis.count == 2)
        let scale = try #require(fit.scaleFactors.first)
        #expect(abs(scale.value.value - 1.02) <= 3 * scale.value.standardUncertainty)
    }

    @Test func refusesWhatItCannotFit() {
        #expect(throws: MagneticScaleFactor.Failure.nothingStepped) {
            try MagneticScaleFactor.fit(steps: Array(steps().prefix(1)), coilConstantRelativeUncertainty: .init(x: 0, y: 0, z: 0))
        }
        #expect(throws: MagneticScaleFactor.Failure.tooFewSteps(given: 2, needed: 3)) {
            try MagneticScaleFactor.fit(steps: Array(steps().prefix(2)), coilConstantRelativeUncertainty: .init(x: 0, y: 0, z: 0))
        }
        var bad = steps()
        bad[3].reading.y = .nan
        #expect(throws: MagneticScaleFactor.Failure.notFinite(step: 3)) {
            try MagneticScaleFactor.fit(steps: bad, coilConstantRelativeUncertainty: .init(x: 0, y: 0, z: 0))
        }
        // x and y always stepped together: their columns cannot be separated.
        let together: [MagneticScaleFactor.Step] = (0..<6).map { (k: Int) -> MagneticScaleFactor.Step in
            let b = 10 * Double(k)
            return MagneticScaleFactor.Step(applied: .init(x: b, y: b, z: 0),
                                            reading: .init(x: 1.02 * b, y: 0.97 * b, z: 0.1),
                                            readingStandardError: .init(x: 0, y: 0, z: 0))
        }
        #expect(throws: MagneticScaleFactor.Failure.degenerateSteps(axes: ["x", "y"])) {
            try MagneticScaleFactor.fit(steps: together, coilConstantRelativeUncertainty: .init(x: 0, y: 0, z: 0))
        }
    }

    /// The 3×3/4×4 solver against a hand-checked inverse, and a singular matrix refused.
    @Test func gaussJordanInverse() throws {
        let inverse = try #require(LinearLeastSquares.inverse([[0, 2, 0], [1, 0, 0], [0, 0, 4]]))
        #expect(inverse == [[0, 1, 0], [0.5, 0, 0], [0, 0, 0.25]])
        #expect(LinearLeastSquares.inverse([[1, 2], [2, 4]]) == nil)
    }
}
