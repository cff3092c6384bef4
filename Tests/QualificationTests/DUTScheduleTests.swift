import SensorSim
import Testing
@testable import Qualification

/// The timing summary of the data-integrity section (lateness of the scheduled polls, jitter of the intervals between
/// consecutive conversions) is worked out when a DUT's outcome is read, not after every reading: the figures must be
/// those of every reading all the same, worked here by hand.
@Suite struct DUTScheduleTests {
    /// 200 Hz: a 5 ms period. Lateness 10, 30, 20 and 6000 µs: mean 1515 µs, largest 6000 µs, one overrun (more than
    /// a period late). Readings at 0, 5.001, 10 ms, then a gap, then 30 and 35.002 ms: the intervals' deviations
    /// from the period are +1, −1 and +2 µs (the one across the gap is left out); their sample standard deviation
    /// is √(((1 − ⅔)² + (−1 − ⅔)² + (2 − ⅔)²) / 2) = √(7/3) = 1.5275 µs.
    static func recordTimings(_ schedule: DUTSchedule, into integrity: inout DataIntegrity) {
        schedule.restart(now: 0, firstConversion: 0, period: 5_000_000)
        for lateness: Int64 in [10_000, 30_000, 20_000, 6_000_000] { schedule.recordLateness(lateness, into: &integrity) }
        for (time, gap): (Int64, Bool) in [(0, false), (5_001_000, false), (10_000_000, false), (30_000_000, true), (35_002_000, false)] {
            schedule.recordReading(at: time, gap: gap)
        }
    }

    static func expectHandWorkedSummary(_ integrity: DataIntegrity) {
        #expect(abs(integrity.latenessMeanMicroseconds - 1515) < 1e-9)
        #expect(integrity.latenessMaxMicroseconds == 6000)
        #expect(integrity.overruns == 1)
        #expect(abs(integrity.intervalJitterMicroseconds - (7.0 / 3).squareRoot()) < 1e-9)
    }

    @Test func theSummaryIsThatOfEveryReading() {
        let schedule = DUTSchedule()
        var integrity = DataIntegrity()
        Self.recordTimings(schedule, into: &integrity)
        schedule.summarize(into: &integrity)
        Self.expectHandWorkedSummary(integrity)
    }

    /// Nothing recorded yet: the figures stay 0, not a mean of nothing or a largest of nothing (−∞).
    @Test func anEmptyScheduleLeavesTheFiguresAtZero() {
        var integrity = DataIntegrity()
        DUTSchedule().summarize(into: &integrity)
        #expect(integrity.latenessMeanMicroseconds == 0 && integrity.latenessMaxMicroseconds == 0)
        #expect(integrity.intervalJitterMicroseconds == 0)
    }

    /// Through a DUT as the engines use it: counters changed in place through `integrity`, the summary in `outcome`
    /// (and in `integrity` when read).
    @Test func aDUTsOutcomeCarriesTheSummary() throws {
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: SimulatedRig(seed: 1).rigFile(), name: "sim", catalog: catalog)
        let slot = try #require(rig.slot("S1"))
        let dut = SlotDUT(index: 0, slot: slot, chip: try #require(catalog.chip(slot.chip)), bus: try #require(rig.bus(slot.bus)),
                          serial: nil)
        Self.recordTimings(dut.schedule, into: &dut.integrity)
        dut.integrity.samples += 4
        Self.expectHandWorkedSummary(dut.outcome.integrity)
        Self.expectHandWorkedSummary(dut.integrity)
        #expect(dut.outcome.integrity.samples == 4)
    }
}
