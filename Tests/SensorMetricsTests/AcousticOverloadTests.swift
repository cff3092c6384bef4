import Foundation
import Testing
@testable import SensorMetrics

/// The acoustic overload point from a THD-versus-SPL sweep (reference/acoustic.md §1.5, §5.8; TV-6, TV-7).
@Suite struct AcousticOverloadTests {
    static let tv7: [OverloadPoint.Point] = [(120, 1.0), (125, 2.5), (130, 6.0), (132, 9.0), (134, 14.0)]
        .map { OverloadPoint.Point(spl: $0.0, thdPercent: $0.1) }

    /// TV-7: the 10 % crossing is 132.48 dB SPL with log10(THD) interpolation (±0.005 dB, the reference's last
    /// digit), 132.40 with linear THD; the method is recorded with the figure.
    @Test func tv7Interpolation() throws {
        let aop = try #require(OverloadPoint(points: Self.tv7))
        let crossing = try #require(aop.crossingSPL)
        #expect(abs(crossing - 132.48) <= 0.005, "log: \(crossing) dB SPL")
        #expect(aop.status == .interpolated && aop.method == "log10(THD) interpolated linearly in SPL")
        #expect(aop.highestSPLTested == 134 && aop.lowestSPLTested == 120 && !aop.digitallyLimited)
        let linear = try #require(OverloadPoint(points: Self.tv7, interpolation: .linearTHD))
        #expect(abs(try #require(linear.crossingSPL) - 132.40) < 1e-9)
        #expect(linear.method == "THD interpolated linearly in SPL")
        // Order of the points does not matter.
        #expect(OverloadPoint(points: Self.tv7.reversed()) == aop)
    }

    /// The 1 % point of TV-7 is at the lowest level tested (1.0 % at 120 dB SPL): no crossing to interpolate, and
    /// the status says the point is at or below 120. A 20 % threshold is never reached: "> 134 dB SPL".
    @Test func thresholdsOutsideTheSweep() throws {
        let onePercent = try #require(OverloadPoint(points: Self.tv7, thresholdPercent: 1))
        #expect(onePercent.status == .atOrBelowLowestTested && onePercent.crossingSPL == nil)
        let twenty = try #require(OverloadPoint(points: Self.tv7, thresholdPercent: 20, fullScaleSPL: 120))
        #expect(twenty.status == .aboveHighestTested && twenty.crossingSPL == nil && twenty.highestSPLTested == 134)
        #expect(!twenty.digitallyLimited)
        #expect(OverloadPoint(points: []) == nil)
        #expect(OverloadPoint(points: [.init(spl: .nan, thdPercent: 1)]) == nil)
    }

    /// TV-6: pure hard clipping of a −26 dBFS mic (full scale at 120 dB SPL) swept in 0.05 dB steps from +1.5 to
    /// +3 dB over full scale reaches 10 % THD at +2.199 dB, i.e. 122.199 dB SPL (±0.01 dB), and the AOP is
    /// reported digitally limited (it is ≥ FS − 2 dB). The microphone's own 10 % point at FS − 5 dB is not.
    @Test func tv6ClippingCrossing() throws {
        var points: [OverloadPoint.Point] = []
        for step in 0...30 {
            let drive = 1.5 + 0.05 * Double(step)
            let psd = AcousticDistortionTests.oneSegment(AcousticDistortionTests.clippedSine(driveDB: drive), window: .blackmanHarris)
            let thd = try HarmonicDistortion(psd: psd, nominalFrequency: 1000)
            points.append(.init(spl: 120 + drive, thdPercent: thd.thdPercent))
        }
        let fullScale = SoundLevel.fullScaleSPL(sensitivityDBFS: -26)
        let aop = try #require(OverloadPoint(points: points, fullScaleSPL: fullScale))
        let crossing = try #require(aop.crossingSPL)
        #expect(abs(crossing - 122.199) <= 0.01, "clipping AOP \(crossing) dB SPL")
        #expect(aop.digitallyLimited && aop.fullScaleSPL == 120)

        let acoustic = try #require(OverloadPoint(points: [.init(spl: 110, thdPercent: 3), .init(spl: 116, thdPercent: 12)],
                                                  fullScaleSPL: 120))
        #expect(try #require(acoustic.crossingSPL) < 118 && !acoustic.digitallyLimited)
        let atEdge = try #require(OverloadPoint(points: [.init(spl: 116, thdPercent: 3), .init(spl: 119, thdPercent: 12)],
                                                fullScaleSPL: 120))
        #expect(try #require(atEdge.crossingSPL) >= 118 && atEdge.digitallyLimited)
    }

    /// A zero THD below the crossing (nothing measurable) puts the log-interpolated crossing at the upper point.
    @Test func zeroTHDBelow() throws {
        let aop = try #require(OverloadPoint(points: [.init(spl: 100, thdPercent: 0), .init(spl: 110, thdPercent: 20)]))
        #expect(aop.crossingSPL == 110)
    }
}
