import Foundation
import Testing
@testable import SensorMetrics

/// A first-order sensor: y = base + Δ·(1 − e^{−(t − t0)/τ}) after the step, sampled at 1 Hz on whole seconds, the
/// step at a non-integer time. Exact level times: t_p = −τ·ln(1 − p), so t63.2 = 19.9963 s (63.2 %, not 1 − 1/e),
/// t90 = τ·ln 10 = 46.0517 s, t10 = τ·ln(10/9) = 2.1072 s for τ = 20 s.
private func firstOrder(tau: Double, base: Double, change: Double, stepTime: Double = 50.3, seconds: Int = 300,
                        noise: Double = 0, seed: UInt64 = 1) -> [(Double, Double)] {
    var random = Gaussian(seed: seed)
    return (0...seconds).map { second in
        let t = Double(second)
        let response = t < stepTime ? 0 : change * (1 - exp(-(t - stepTime) / tau))
        return (t, base + response + noise * random.next())
    }
}

private func response(_ record: [(Double, Double)], chamber: Double? = nil) -> GasStepResponse {
    var step = GasStepResponse(stepTime: 50.3, preWindow: 40, finalWindow: 30, chamberTimeConstant: chamber)
    for (t, y) in record { step.add(time: t, value: y) }
    return step
}

@Suite struct GasResponseTests {
    /// The issue's acceptance test: t63 = τ and t90 = τ·ln 10 within the 1 s sampling resolution, up and down.
    @Test(arguments: [(400.0, 600.0), (1000.0, -600.0)])
    func firstOrderStepGivesTau(base: Double, change: Double) throws {
        let tau = 20.0
        let result = try #require(response(firstOrder(tau: tau, base: base, change: change)).result)
        #expect(result.direction == (change > 0 ? "rise" : "fall"))
        #expect(abs(result.change - change) < 1e-3 * abs(change))
        let t63 = try #require(result.t63.seconds), t90 = try #require(result.t90.seconds)
        let t10 = try #require(result.t10.seconds)
        #expect(result.t63.resolution == 1 && result.sampleInterval == 1)
        #expect(abs(t63 - tau) <= 1, "t63 \(t63)")
        #expect(abs(t90 - tau * log(10)) <= 1, "t90 \(t90)")
        #expect(abs(t10 - tau * log(10.0 / 9)) <= 1, "t10 \(t10)")
        // Linear interpolation of a smooth exponential does far better than the resolution.
        #expect(abs(t63 + tau * log(1 - 0.632)) < 0.05 && abs(t90 - tau * log(10)) < 0.05)
        #expect(result.chamberLimited == nil)
    }

    /// Noise of 1 % of the change: within resolution + 3σ divided by the slope at the level, Δ(1 − p)/τ.
    @Test func noisyStepWithinResolutionAndNoise() throws {
        let tau = 20.0, change = 600.0, sigma = 6.0
        let result = try #require(response(firstOrder(tau: tau, base: 400, change: change, noise: sigma, seed: 77)).result)
        for (time, level) in [(result.t10, 0.1), (result.t63, 0.632), (result.t90, 0.9)] {
            let seconds = try #require(time.seconds)
            let tolerance = time.resolution + 3 * sigma / (change * (1 - level) / tau)
            #expect(abs(seconds + tau * log(1 - level)) <= tolerance, "level \(level): \(seconds)")
        }
    }

    @Test func neverSettlingStepIsRefused() throws {
        let result = try #require(response(firstOrder(tau: 1000, base: 400, change: 600)).result)
        for time in [result.t10, result.t63, result.t90] {
            #expect(time.seconds == nil)
            #expect(time.reason?.contains("not settled") == true, "\(time.reason ?? "")")
        }
    }

    @Test func changeBelowThreeSigmaIsRefused() throws {
        let result = try #require(response(firstOrder(tau: 20, base: 400, change: 5, noise: 3, seed: 5)).result)
        #expect(result.t63.seconds == nil && result.t63.reason?.contains("3σ") == true)
    }

    /// §8.7: τ_ch must be ≪ τ63. Flagged when τ_ch > 0.1·t63.
    @Test func chamberLimitedFlag() throws {
        #expect(try #require(response(firstOrder(tau: 20, base: 400, change: 600), chamber: 5).result).chamberLimited == true)
        #expect(try #require(response(firstOrder(tau: 20, base: 400, change: 600), chamber: 1).result).chamberLimited == false)
    }

    @Test func tooThinARecordIsRefused() {
        var step = GasStepResponse(stepTime: 50, preWindow: 10, finalWindow: 10)
        step.add(time: 45, value: 1)
        step.add(time: 60, value: 2)
        #expect(step.result == nil)
        #expect(step.refusal?.contains("before the step") == true)
    }
}
