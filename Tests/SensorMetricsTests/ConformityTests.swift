import Testing
@testable import SensorMetrics

/// Decision rules of statistics.md §6.4 (ILAC-G8:09/2019, ISO 14253-1:2017).
@Suite struct ConformityTests {
    /// The worked example: e = 0.021, U = 0.0102 (|e| + U = 0.0312).
    @Test func workedExample() {
        let tight = SpecLimit(.withinPlusMinus, 0.025, unit: "u")
        #expect(tight.verdict(for: 0.021, expandedUncertainty: 0.0102, rule: .simpleAcceptance) == .pass)
        #expect(tight.verdict(for: 0.021, expandedUncertainty: 0.0102, rule: .guardedAcceptance) == .conditionalPass)
        let loose = SpecLimit(.withinPlusMinus, 0.040, unit: "u")
        #expect(loose.verdict(for: 0.021, expandedUncertainty: 0.0102, rule: .guardedAcceptance) == .pass)
        #expect(loose.verdict(for: -0.021, expandedUncertainty: 0.0102, rule: .guardedAcceptance) == .pass)
    }

    @Test func fourZonesOfTheGuardBand() {
        let noise = SpecLimit(.atMost, 0.6, unit: "Pa")
        #expect(noise.verdict(for: 0.50, expandedUncertainty: 0.05, rule: .guardedAcceptance) == .pass)
        #expect(noise.verdict(for: 0.58, expandedUncertainty: 0.05, rule: .guardedAcceptance) == .conditionalPass)
        #expect(noise.verdict(for: 0.62, expandedUncertainty: 0.05, rule: .guardedAcceptance) == .conditionalFail)
        #expect(noise.verdict(for: 0.70, expandedUncertainty: 0.05, rule: .guardedAcceptance) == .fail)
        let snr = SpecLimit(.atLeast, 70, unit: "dB")
        #expect(snr.verdict(for: 73, expandedUncertainty: 1, rule: .guardedAcceptance) == .pass)
        #expect(snr.verdict(for: 70.5, expandedUncertainty: 1, rule: .guardedAcceptance) == .conditionalPass)
        #expect(snr.verdict(for: 69.5, expandedUncertainty: 1, rule: .simpleAcceptance) == .fail)
    }

    @Test func worstVerdictWins() {
        #expect(Verdict.combined([.pass, .conditionalPass, .pass]) == .conditionalPass)
        #expect(Verdict.combined([.pass, .fail, .conditionalFail]) == .fail)
        #expect(Verdict.combined([Verdict]()) == nil)
    }
}

/// The decision table of statistics.md §6.4 for the worked example (|e| + U = 0.0312).
@Suite struct DecisionTableTests {
    @Test(arguments: [
        (0.025, Verdict.pass, Verdict.fail, Verdict.conditionalPass),
        (0.040, Verdict.pass, Verdict.pass, Verdict.pass),
    ])
    func table(mpe: Double, simple: Verdict, binary: Verdict, nonBinary: Verdict) {
        let limit = SpecLimit(.withinPlusMinus, mpe, unit: "u")
        #expect(limit.verdict(for: 0.021, expandedUncertainty: 0.0102, rule: .simpleAcceptance) == simple)
        #expect(limit.verdict(for: 0.021, expandedUncertainty: 0.0102, rule: .guardedBinary) == binary)
        #expect(limit.verdict(for: 0.021, expandedUncertainty: 0.0102, rule: .guardedAcceptance) == nonBinary)
    }
}
