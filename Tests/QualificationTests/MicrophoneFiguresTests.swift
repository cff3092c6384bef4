import Foundation
import SensorMetrics
import SensorSim
import Testing
@testable import Qualification

/// How a microphone's records become judged figures: the spec's limits under guarded acceptance, bounds that
/// decide or do not, and a bandwidth-limited SNR that is never judged (acoustic.md §1.5, §5.5).
@Suite struct MicrophoneFiguresTests {
    static let spec = SpecProfile(name: "miit-2020", title: "", source: "", decisionRule: .guardedAcceptance, limits: [
        .init(sensorClass: "acoustic", metric: "snr", limit: SpecLimit(.atLeast, 70, unit: "dB"), conditions: nil),
        .init(sensorClass: "acoustic", metric: "aop", limit: SpecLimit(.atLeast, 135, unit: "dB SPL"), conditions: nil),
    ])

    static func measurements(sampleRate: Int = 48_000, points: [(Double, Double)]) -> MicrophoneMeasurements {
        var m = MicrophoneMeasurements(output: .digital, stream: "S32_LE, \(sampleRate) Hz, 1 ch", sampleRateHz: sampleRate, bits: 32)
        let spl = UncertainValue(94, standardUncertainty: 0.1, unit: "dB SPL")
        m.sensitivity = .init(spl: spl, levelDBFS: -45, dBFS: UncertainValue(-45, standardUncertainty: 0.1, unit: "dBFS"),
                              dBV: nil, thdPercent: 0.1)
        m.noise = .init(aWeightedDBFS: UncertainValue(-117, standardUncertainty: 0.01, unit: "dBFS(A)"), unweightedDBFS: -115,
                        bandLowHz: 20, bandHighHz: min(20_000, Double(sampleRate) / 2), isBandLimited: sampleRate < 40_000,
                        durationSeconds: 10)
        let tones = points.map { MicrophoneMeasurements.TonePoint(commandedSPL: $0.0, spl: $0.0, levelDBFS: 0, thdPercent: $0.1,
                                                                  thdPlusNoisePercent: $0.1, clippedSamples: 0) }
        let curve = OverloadPoint(points: points.map { OverloadPoint.Point(spl: $0.0, thdPercent: $0.1) }, fullScaleSPL: 138)!
        let linear = OverloadPoint(points: points.map { OverloadPoint.Point(spl: $0.0, thdPercent: $0.1) }, interpolation: .linearTHD)
        m.overload = .init(points: tones, status: curve.status, aopDBSPL: curve.crossingSPL, linearAOPDBSPL: linear?.crossingSPL,
                           onePercentDBSPL: nil, method: curve.method, lowestSPL: curve.lowestSPLTested,
                           highestSPL: curve.highestSPLTested, digitallyLimited: curve.digitallyLimited)
        return m
    }

    static func figure(_ name: String, _ figures: [QualifiedFigure]) -> QualifiedFigure? { figures.first { $0.metric == name } }

    /// TV-7's sweep shifted up 4 dB: the 10 % crossing at 136.48 dB SPL (log THD), 0.08 dB from the linear one;
    /// SNR = −45 − (−117) = 72 dB; both pass, and the AOP's U holds the interpolation spread.
    @Test func interpolatedOverloadPointAndSNRAreJudged() throws {
        let m = Self.measurements(points: [(124, 1.0), (129, 2.5), (134, 6.0), (136, 9.0), (138, 14.0)])
        let figures = MicrophoneFigures.qualify(m, spec: Self.spec)
        let aop = try #require(Self.figure("aop", figures))
        #expect(abs(aop.value.value - 136.48) < 0.01)
        // u = √(0.1² + (0.077/√3)²)
        #expect(abs(aop.value.standardUncertainty - (0.01 + pow(0.0769 / 3.0.squareRoot(), 2)).squareRoot()) < 0.002)
        #expect(aop.verdict == .pass)
        #expect(aop.conditions.contains("DIGITALLY LIMITED"))   // within 2 dB of the 138 dB SPL full scale
        let snr = try #require(Self.figure("snr", figures))
        #expect(abs(snr.value.value - 72) < 1e-9 && snr.verdict == .pass)
        #expect(abs(try #require(Self.figure("ein", figures)).value.value - 22) < 1e-9)
        #expect(abs(try #require(Self.figure("dynamic-range", figures)).value.value - (136.48 - 22)) < 0.01)
    }

    /// A sweep that never reached 10 %: its top level is a lower bound. At 140 dB SPL it proves ≥ 135 (judged pass);
    /// stopped at 132 dB SPL it proves nothing, so it is reported without a verdict.
    @Test func boundsAreJudgedOnlyWhenTheyDecide() throws {
        let high = MicrophoneFigures.qualify(Self.measurements(points: [(130, 2), (135, 4), (140, 7)]), spec: Self.spec)
        let proven = try #require(Self.figure("aop", high))
        #expect(proven.value.value == 140 && proven.verdict == .pass && proven.conditions.hasPrefix("lower bound"))
        let low = MicrophoneFigures.qualify(Self.measurements(points: [(122, 2), (127, 4), (132, 7)]), spec: Self.spec)
        let open = try #require(Self.figure("aop", low))
        #expect(open.value.value == 132 && open.verdict == nil && open.limit == nil)
        // Already over 10 % at the lowest level: an upper bound under the limit fails.
        let over = MicrophoneFigures.qualify(Self.measurements(points: [(120, 12), (125, 20)]), spec: Self.spec)
        let failed = try #require(Self.figure("aop", over))
        #expect(failed.value.value == 120 && failed.verdict == .fail && failed.conditions.hasPrefix("upper bound"))
    }

    /// At 32 kHz the band stops at 16 kHz: the SNR is shown as `snr-band-limited` and never judged (§5.5).
    @Test func bandLimitedSNRIsNeverJudged() {
        let figures = MicrophoneFigures.qualify(Self.measurements(sampleRate: 32_000, points: [(130, 2), (140, 12)]), spec: Self.spec)
        #expect(Self.figure("snr", figures) == nil)
        let limited = Self.figure("snr-band-limited", figures)
        #expect(limited?.verdict == nil && limited?.conditions.contains("NOT the 20 Hz–20 kHz spec figure") == true)
    }

    /// A plan that plays tones on a rig without a reference microphone fails at once, saying what is missing,
    /// before any device is opened.
    @Test func aToneWithoutAReferenceMicrophoneIsRefused() throws {
        let catalog = try Repository.catalog()
        // The rig file without its reference microphone's entry (lines 14–19).
        let lines = AcousticConfigurationTests.rig.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[13].contains("id: ref") && lines[18].contains("certificate"))
        let rig = try Rig.parse(text: (lines[..<13] + lines[19...]).joined(separator: "\n"), name: "rig.yaml", catalog: catalog)
        let plan = try Plan.load(path: Repository.root + "/plans/mic-sensitivity.yaml")
        let request = RunRequest(id: "r", plan: plan, spec: Self.spec, slots: ["M1"], lot: nil, serials: [:], operatorName: nil)
        let outcome = MicrophoneRunEngine(request: request, rig: rig, catalog: catalog,
                                          connector: SimulatedRigConnector(rig: SimulatedRig(seed: 1)),
                                          cancellation: RunCancellation(), events: { _ in }).run()
        #expect(outcome.state == .failed)
        #expect(outcome.error?.contains("has no reference-microphone channel") == true, "\(outcome.error ?? "")")
        #expect(outcome.duts.map(\.verdict) == [nil])
    }
}
