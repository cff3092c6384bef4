import Testing
@testable import SensorDrivers

/// The technician as the gas reference: a request, an entry checked against it, the entry as the reference.
struct ManualGasReferenceTests {
    func failure(_ body: () throws -> Void) -> InstrumentError.Cause? {
        do {
            try body()
            return nil
        } catch let error as InstrumentError {
            return error.cause
        } catch {
            Issue.record("not an InstrumentError: \(error)")
            return nil
        }
    }

    /// An entry within max(10 %, 5 ppm) answers the request; it is delivered with 1 % standard uncertainty (or the
    /// one typed) and stable; the run's wait returns at once.
    @Test func entryAnswersTheRequest() throws {
        let reference = ManualGasReference(model: "certified cylinders, 1 L/min rotameter")
        #expect(reference.waitsForOperator)
        try reference.deliver(gas: "co2", ppm: 1000)
        #expect(reference.pendingRequest?.gas == "co2" && reference.pendingRequest?.ppm == 1000)
        #expect(failure { _ = try reference.delivered() }
                == .refused("no certified concentration has been submitted for 1000.0 ppm co2"))
        let answered = try reference.submit(ppm: 1012)
        #expect(answered.gas == "co2" && answered.ppm == 1000)
        reference.awaitOperator(upTo: 5)        // signalled: returns at once
        #expect(reference.pendingRequest == nil)
        let delivered = try reference.delivered()
        #expect(delivered.gas == "co2" && delivered.ppm == 1012 && delivered.stable)
        #expect(abs(delivered.standardUncertainty - 10.12) < 1e-12)
        #expect(delivered.totalFlowLitresPerMinute == 1)

        try reference.deliver(gas: "co2", ppm: 400)
        try reference.submit(ppm: 401.5, standardUncertainty: 2)
        #expect(try reference.delivered().standardUncertainty == 2)
    }

    /// Entries further than max(10 %, 5 ppm) are refused naming both values: 560 for 500 (limit 50 ppm); at 20 ppm
    /// the 5 ppm floor applies (24 accepted, 26 refused).
    @Test func entryTooFarIsRefused() throws {
        let reference = ManualGasReference(model: "cylinders")
        try reference.deliver(gas: "co2", ppm: 500)
        #expect(failure { try reference.submit(ppm: 560) }
                == .refused("560.0 ppm is too far from the requested 500.0 ppm co2 (more than 50.0 ppm); check the cylinder and the unit"))
        try reference.submit(ppm: 545)
        try reference.deliver(gas: "ethanol", ppm: 20)
        #expect(failure { try reference.submit(ppm: 26) } != nil)
        try reference.submit(ppm: 24)
        #expect(try reference.delivered().ppm == 24)
    }

    /// Zero air is requested as 0 ppm and answered within 5 ppm; entries without a request, after `off()`, or not
    /// numbers are refused.
    @Test func zeroAirAndStrayEntries() throws {
        let reference = ManualGasReference(model: "cylinders")
        #expect(failure { try reference.submit(ppm: 0) } == .refused("no run is waiting for a gas concentration"))
        try reference.deliver(gas: "co2", ppm: 0)
        #expect(failure { try reference.submit(ppm: .nan) } != nil)
        try reference.submit(ppm: 0)
        #expect(try reference.delivered().ppm == 0)
        #expect(failure { try reference.submit(ppm: 0) } == .refused("no run is waiting for a gas concentration"))
        try reference.off()
        #expect(failure { _ = try reference.delivered() } == .refused("no gas has been requested"))
        #expect(failure { try reference.deliver(gas: "co2", ppm: -1) } != nil)
    }
}
