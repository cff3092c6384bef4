import Testing
@testable import Qualification

/// `PerDUT.update(at:)`, the in-place change the per-reading sinks make (issue 10: no modify coroutine per reading).
@Suite struct PerDUTTests {
    @Test func updatesOnlyAValueThatIsThere() {
        var records = PerDUT<[Double]>()
        records.update(at: 2) { $0.append(1) }
        #expect(records[2] == nil)
        records[2] = []
        records.update(at: 2) { $0.append(1) }
        records.update(at: 2) { $0.append(2) }
        records.update(at: 0) { $0.append(9) }
        #expect(records[2] == [1, 2])
        #expect(records[0] == nil && records[1] == nil && records[7] == nil)
    }

    @Test func updateWithADefaultStartsFromIt() {
        var counts = PerDUT<Int>()
        counts.update(at: 3, default: 10) { $0 += 1 }
        counts.update(at: 3, default: 10) { $0 += 1 }
        counts.update(at: 1, default: 0) { $0 -= 1 }
        #expect(counts[3] == 12)
        #expect(counts[1] == -1)
        #expect(counts[0] == nil && counts[2] == nil)
    }
}
