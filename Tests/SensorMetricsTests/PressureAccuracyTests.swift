import Testing
@testable import SensorMetrics

@Suite struct PressureAccuracyTests {
    /// Builds a sweep where the DUT reads offset + gain·(p − p0) + a hysteresis step on the way down,
    /// with a little deterministic scatter so every s/√n is defined.
    func sweep(offset: Double, gainPPM: Double, hysteresis: Double) -> [PressureAccuracy.Dwell] {
        let up = [30_000.0, 50_000, 70_000, 90_000, 110_000]
        let order = up.map { ($0, PressureAccuracy.Direction.up) } + up.dropLast().reversed().map { ($0, .down) }
        return order.map { setpoint, direction in
            var dwell = PressureAccuracy.Dwell(setpoint: setpoint, direction: direction, duration: 60)
            let error = offset + gainPPM * 1e-6 * (setpoint - 101_325) + (direction == .down ? hysteresis : 0)
            for k in 0..<1500 { dwell.dut.add(setpoint + error + (k % 2 == 0 ? 0.3 : -0.3)) }
            for k in 0..<60 { dwell.reference.add(setpoint + (k % 2 == 0 ? 0.2 : -0.2)) }
            return dwell
        }
    }

    @Test func recoversOffsetGainAndHysteresis() throws {
        let result = try #require(PressureAccuracy.evaluate(
            dwells: sweep(offset: -47, gainPPM: -310, hysteresis: 0.8),
            calibration: .init(expandedUncertainty: 8, coverageFactor: 2),
            dutAllanDeviation: { _ in nil }, resolution: 0.016, fitReferencePressure: 101_325))
        #expect(result.points.count == 9)
        // Worst point: 110 kPa up, e = −47 − 310e-6·8675 = −49.689 Pa.
        #expect(abs(result.maximumAbsoluteError.value - (47 + 310e-6 * 8675)) < 1e-6)
        #expect(result.worstSetpoint == 110_000)
        // The hysteresis (0.8 Pa on the way down) biases a straight-line fit by at most 0.8 Pa.
        #expect(abs(try #require(result.offset).value + 47) < 0.8)
        #expect(abs(try #require(result.gainError).value + 310) < 15)
        #expect(abs(result.hysteresis! - 0.8) < 1e-6)
        // U of each point: the certificate's 8 Pa (k = 2) dominates: u_c ≥ 4 Pa.
        #expect(result.points.allSatisfy { $0.error.expandedUncertainty >= 8 && $0.error.expandedUncertainty < 8.1 })
        #expect(try #require(result.offset).expandedUncertainty >= 8)
    }

    /// statistics.md §6.3 worked example: reference 100.000, ten DUT readings with mean 100.021 and s = 0.00258,
    /// certificate U = 0.010 (k = 2), resolution 0.001: u_A = 0.00082, u_c = 0.00508, U = 0.0102, e = 0.021.
    /// The example rounds to 3 significant figures: tolerance 1e-5 on u, 1e-9 on e.
    @Test func gumWorkedExample() throws {
        var dwell = PressureAccuracy.Dwell(setpoint: 100, direction: .up, duration: 10)
        // Ten readings with mean 100.021 and sample standard deviation exactly 0.00258.
        let pattern: [Double] = [-1, 1, -1, 1, -1, 1, -1, 1, -1, 1]
        let scale = 0.00258 * (9.0 / 10).squareRoot()
        for p in pattern { dwell.dut.add(100.021 + p * scale) }
        dwell.reference.add(100.000)
        let result = try #require(PressureAccuracy.evaluate(
            dwells: [dwell], calibration: .init(expandedUncertainty: 0.010, coverageFactor: 2),
            dutAllanDeviation: { _ in nil }, resolution: 0.001, fitReferencePressure: 100))
        let point = try #require(result.points.first)
        #expect(abs(point.error.value - 0.021) < 1e-9)
        #expect(abs(point.budget.dutTypeA - 0.00082) < 1e-5)
        #expect(abs(point.budget.referenceCertificate - 0.005) < 1e-12)
        #expect(abs(point.budget.resolution - 0.00029) < 1e-5)
        #expect(abs(point.error.standardUncertainty - 0.00508) < 1e-5)
        #expect(abs(point.error.expandedUncertainty - 0.0102) < 1e-4)
        #expect(result.offset == nil && result.hysteresis == nil)
    }

    /// The DUT Type A term is max(s/√n, σ_ADEV(dwell)): a drifting DUT cannot claim s/√n alone.
    @Test func allanDeviationBoundsTypeA() throws {
        let result = try #require(PressureAccuracy.evaluate(
            dwells: sweep(offset: 10, gainPPM: 0, hysteresis: 0),
            calibration: .init(expandedUncertainty: 2, coverageFactor: 2),
            dutAllanDeviation: { tau in tau == 60 ? 0.5 : nil }, resolution: 0, fitReferencePressure: 101_325))
        #expect(result.points.allSatisfy { $0.budget.dutTypeA == 0.5 })
        let withoutDrift = try #require(PressureAccuracy.evaluate(
            dwells: sweep(offset: 10, gainPPM: 0, hysteresis: 0),
            calibration: .init(expandedUncertainty: 2, coverageFactor: 2),
            dutAllanDeviation: { _ in nil }, resolution: 0, fitReferencePressure: 101_325))
        #expect(withoutDrift.points.allSatisfy { abs($0.budget.dutTypeA - 0.3 * (1500.0 / 1499).squareRoot() / (1500.0).squareRoot()) < 1e-9 })
        #expect(withoutDrift.hysteresis == 0)
    }
}
