import SensorMetrics
import Testing
@testable import Qualification

/// A spec limit may state its own decision rule; the others follow the profile's (ILAC-G8 guarded acceptance here).
@Suite struct SpecDecisionRuleTests {
    static let profile = """
        profile: mixed
        title: one limit by simple acceptance
        decision_rule: guarded-acceptance
        limits:
          - {class: pressure, metric: absolute-accuracy, comparator: "+-", value: 100, unit: Pa}
          - {class: pressure, metric: rms-noise, comparator: "<=", value: 0.6, unit: Pa, decision_rule: simple-acceptance}
        """

    /// 95 ± 8 Pa against ±100 Pa sits in the guard band: conditional-pass by the profile's rule. 0.58 ± 0.04 Pa against
    /// ≤ 0.6 Pa would be conditional too, but its own rule (simple acceptance, ILAC-G8 §4.2.1: the value alone) passes it.
    @Test func aLimitsOwnRuleDecidesItsFigure() throws {
        let spec = try SpecProfile.parse(text: Self.profile, name: "mixed.yaml")
        #expect(spec.decisionRule(sensorClass: "pressure", metric: "absolute-accuracy") == .guardedAcceptance)
        #expect(spec.decisionRule(sensorClass: "pressure", metric: "rms-noise") == .simpleAcceptance)
        let accuracy = QualifiedFigure("absolute-accuracy", UncertainValue(95, standardUncertainty: 4, unit: "Pa"), sensorClass: "pressure",
                                       limit: spec.limit(sensorClass: "pressure", metric: "absolute-accuracy")?.limit, spec: spec, conditions: "")
        #expect(accuracy.verdict == .conditionalPass && accuracy.rule == .guardedAcceptance)
        let noise = QualifiedFigure("rms-noise", UncertainValue(0.58, standardUncertainty: 0.02, unit: "Pa"), sensorClass: "pressure",
                                    limit: spec.limit(sensorClass: "pressure", metric: "rms-noise")?.limit, spec: spec, conditions: "")
        #expect(noise.verdict == .pass && noise.rule == .simpleAcceptance)
    }

    @Test func aRuleNeedsAKnownNameAndALimit() {
        let unknown = Self.profile.replacingOccurrences(of: "decision_rule: simple-acceptance", with: "decision_rule: lenient")
        #expect { try SpecProfile.parse(text: unknown, name: "mixed.yaml") } throws: { error in
            let error = error as? ConfigurationError
            return error?.line == 6 && error?.reason.contains("decision_rule must be one of") == true && error?.reason.contains("'lenient'") == true
        }
        let reported = """
            profile: reported
            title: t
            decision_rule: guarded-acceptance
            limits:
              - {class: gas, metric: lod, decision_rule: simple-acceptance}
            """
        #expect { try SpecProfile.parse(text: reported, name: "reported.yaml") } throws: { error in
            let error = error as? ConfigurationError
            return error?.line == 5 && error?.reason.contains("a decision rule needs a limit") == true
        }
    }
}
