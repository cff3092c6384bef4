import Testing
@testable import SensorDrivers

/// The technician as the field reference: requests, entries, the tolerance max(10 % of |request|, 1 µT).
@Suite struct ManualFieldReferenceTests {
    static let u = FieldVector(x: 0.002, y: 0.002, z: 0.003)

    func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as InstrumentError {
            if case .refused(let reason) = error.cause { return reason }
            return nil
        } catch {
            return nil
        }
    }

    @Test func acceptedEntryIsTheReference() throws {
        let reference = ManualFieldReference(model: "Bartington Mag-03", referenceUncertainty: Self.u)
        #expect(reference.waitsForOperator)
        #expect(refusal { _ = try reference.appliedField() } != nil)
        let request = FieldVector(x: 30, y: -40, z: 0)          // |request| = 50 µT: 5 µT accepted
        try reference.apply(request)
        #expect(reference.pendingRequest == request)
        #expect(refusal { _ = try reference.appliedField() }?.contains("no reference field reading") == true)
        let entry = FieldVector(x: 30.2, y: -39.1, z: 0.4)
        #expect(try reference.submit(entry) == request)
        reference.awaitOperator(upTo: 0.5)                       // answered: returns at once
        #expect(reference.pendingRequest == nil)
        #expect(try reference.appliedField() == AppliedField(field: entry, standardUncertainty: Self.u))
        // A second entry for the same point is refused; off() clears the point.
        #expect(refusal { _ = try reference.submit(entry) }?.contains("no run is waiting") == true)
        try reference.off()
        #expect(refusal { _ = try reference.appliedField() } != nil)
    }

    /// 50 µT requested, (30, 40, 6) entered: 6 µT away, more than 5 µT, refused naming both; near zero the floor is
    /// 1 µT (0.8 µT off accepted, 1.2 µT refused).
    @Test func farEntriesAreRefusedNamingBoth() throws {
        let reference = ManualFieldReference(model: "fluxgate", referenceUncertainty: Self.u)
        try reference.apply(FieldVector(x: 30, y: 40, z: 0))
        let reason = refusal { _ = try reference.submit(FieldVector(x: 30, y: 40, z: 6)) }
        #expect(reason?.contains("(30, 40, 6) µT is 6 µT away from the requested (30, 40, 0) µT") == true,
                "\(reason ?? "accepted")")
        #expect(reason?.contains("at most 5 µT") == true)
        #expect(refusal { _ = try reference.submit(FieldVector(x: .nan, y: 40, z: 0)) } != nil)

        try reference.apply(FieldVector(x: 0, y: 0, z: 0))
        #expect(refusal { _ = try reference.submit(FieldVector(x: 0, y: 0, z: 1.2)) } != nil)
        #expect(try reference.submit(FieldVector(x: 0, y: 0.8, z: 0)) == FieldVector(x: 0, y: 0, z: 0))
    }

    @Test func entryWithoutRequestIsRefused() {
        let reference = ManualFieldReference(model: "fluxgate", referenceUncertainty: Self.u)
        #expect(refusal { _ = try reference.submit(FieldVector(x: 1, y: 2, z: 3)) }?.contains("no run is waiting") == true)
    }
}
