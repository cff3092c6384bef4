import Foundation
import SensorIO
import SensorSim
import Testing
@testable import Qualification

/// A device that NACKs, times out or disappears (issue 8 "Faults", DESIGN.md §5): it is lost with its errno and run
/// time, re-probed with backoff (`AcquisitionTiming`), found again and served again, and the other slots' data is
/// exactly what a fault-free run of the same seed gives.
@Suite struct DeviceFaultTests {
    /// Warm-up then one 300 s noise record at 25 Hz: S3 (channel 1, 0x76) is pulled inside the record.
    static let plan = """
        plan: faults
        class: pressure
        acquisition: {odr_hz: 25, oversampling: 16, iir: 0}
        steps:
          - warmup: {duration_s: 10}
          - noise: {duration_s: 300, setpoint_pa: 101325}
        """
    static let seed: UInt64 = 5

    func run(_ simulated: SimulatedRig, events: @escaping RunEngine.EventSink = { _ in }) throws -> RunOutcome {
        let catalog = try Repository.catalog()
        let rig = try Rig.parse(text: simulated.rigFile(), name: "sim", catalog: catalog)
        let request = RunRequest(id: "faults", plan: try Plan.parse(text: Self.plan, name: "faults.yaml"),
                                 spec: try SpecProfile.load(path: Repository.root + "/specs/miit-2020.yaml"),
                                 slots: ["S1", "S2", "S3", "S4"], lot: nil, serials: [:], operatorName: nil)
        return RunEngine(request: request, rig: rig, catalog: catalog, connector: SimulatedRigConnector(rig: simulated),
                         cancellation: RunCancellation(), events: events).run()
    }

    /// The re-probe times after a loss at run time `lost`, by the policy: +1, +3, +7, +15, +31, +63, +123 … s.
    static func reprobeTimes(after lost: Double, through end: Double) -> [Double] {
        var times: [Double] = []
        var wait = AcquisitionTiming.firstReprobe
        var at = lost
        while true {
            at += Double(wait) * 1e-9
            guard at < end else { return times }
            times.append(at)
            wait = AcquisitionTiming.nextReprobeWait(after: wait)
        }
    }

    @Test func backoffPolicy() {
        var waits: [Int64] = [AcquisitionTiming.firstReprobe]
        for _ in 0..<8 { waits.append(AcquisitionTiming.nextReprobeWait(after: waits.last!)) }
        #expect(waits.map { $0 / 1_000_000_000 } == [1, 2, 4, 8, 16, 32, 60, 60, 60])
        #expect(Self.reprobeTimes(after: 100, through: 224) == [101, 103, 107, 115, 131, 163, 223])
    }

    /// S3 disappears at 100 s and comes back at 160 s: lost at ≈100 s with ENXIO, re-probed at +1, +3, +7, +15, +31 s
    /// (nothing there), found at the +63 s probe, configured again and read to the end; S1, S2 and S4 are exactly as
    /// in the fault-free run.
    @Test func absentUnitIsLostReprobedAndReturns() throws {
        let reference = try run(SimulatedRig(seed: Self.seed))
        let simulated = SimulatedRig(seed: Self.seed)
        #expect(simulated.inject(.absent, slot: "S3", from: 100, to: 160))
        let events = EventLog()
        let outcome = try run(simulated, events: events.append)
        #expect(outcome.state == .done)

        let s3 = outcome.duts[2]
        #expect(s3.lost == nil)
        let outage = try #require(s3.outages?.first)
        #expect(s3.outages?.count == 1)
        // Three failed polls 40 ms apart after the first at 100 s.
        #expect(outage.lostAtS > 100 && outage.lostAtS < 100.2, "lost at \(outage.lostAtS)")
        #expect(outage.errno == 6 && outage.errnoName == "ENXIO")
        #expect(outage.cause.hasPrefix("ENXIO (6): no ACK at 0x76 on sim:i2c-1 (mux0 channel 1)"), "\(outage.cause)")
        #expect(outage.lostAtUtc == nil)   // a virtual clock has no UTC
        // The probes: +1, +3, +7, +15, +31 s found nothing; +63 s, the first after 160 s, found S3.
        let probes = Self.reprobeTimes(after: outage.lostAtS, through: 400)
        let returned = try #require(outage.returnedAtS)
        #expect(outage.failedReprobes == 5)
        #expect(abs(returned - probes[5]) < 0.001 && probes[4] < 160 && probes[5] >= 160, "returned at \(returned), probes \(probes)")
        // The conversions of the outage are missed, and the noise record has a gap there.
        // 63 s at 25 Hz, and the three conversions whose polls failed before the loss.
        #expect(abs(outage.missedSamples - (Int(((returned - outage.lostAtS) * 25).rounded()) + AcquisitionTiming.lostAfterErrors)) <= 1,
                "missed \(outage.missedSamples)")
        #expect(s3.integrity.missedSamples == outage.missedSamples)
        #expect(s3.integrity.busErrors == AcquisitionTiming.lostAfterErrors)
        let noise = try #require(s3.noise)
        let before = reference.duts[2].noise?.sampleCount ?? 0
        // Read before the loss (90 s of the record) and after the return (to 310 s): about 237 s of 300.
        #expect(abs(noise.sampleCount + outage.missedSamples - before) <= 2, "\(noise.sampleCount) + \(outage.missedSamples) vs \(before)")
        #expect(noise.sampleCount > 25 * 230)
        // The figure is reported from what was read; the record is short, so no verdict.
        #expect(s3.figures.contains { $0.metric == "rms-noise" })
        #expect(s3.verdict == nil && s3.missing.contains { $0.hasPrefix("noise record: ") })
        #expect(abs(noise.rms.value - (reference.duts[2].noise?.rms.value ?? 0)) < 3 * noise.rms.expandedUncertainty)

        // Watchers heard the loss then the return, with errno and time.
        let device = events.all.compactMap { event -> String? in
            switch event {
            case .dutLost(let slot, let reason): "lost \(slot): \(reason)"
            case .dutReturned(let slot, let outage): "returned \(slot): \(outage.returnSummary)"
            default: nil
            }
        }
        #expect(device.count == 2)
        #expect(device.first?.hasPrefix("lost S3: ENXIO (6): no ACK at 0x76") == true && device.first?.contains("(lost at 100.") == true)
        #expect(device.last?.hasPrefix(String(format: "returned S3: returned at %.3f s", returned)) == true, "\(device)")

        // The other slots: the same data as without the fault, to the last bit. Only when their reads start moves, by
        // tens of µs: S3 shares the bus, and it comes back on a new phase of its own.
        func data(_ dut: DUTOutcome) -> DUTOutcome {
            var data = dut
            data.integrity.latenessMeanMicroseconds = 0
            data.integrity.latenessMaxMicroseconds = 0
            data.integrity.intervalJitterMicroseconds = 0
            return data
        }
        for index in [0, 1, 3] {
            #expect(data(outcome.duts[index]) == data(reference.duts[index]), "\(outcome.duts[index].slot) differs from the fault-free run")
            #expect(outcome.duts[index].integrity.overruns == 0 && outcome.duts[index].integrity.latenessMaxMicroseconds < 1000)
        }
        print(String(format: "DeviceFault: S3 lost at %.4f s, probes %@, returned at %.4f s, missed %d, read %d (fault-free %d); S1 samples %d",
                     outage.lostAtS, probes.prefix(6).map { String(format: "%.3f", $0) }.joined(separator: " "), returned,
                     outage.missedSamples, noise.sampleCount, before, outcome.duts[0].integrity.samples))
    }

    /// A NACK burst shorter than three polls costs bus errors and missed conversions, not the DUT.
    @Test func shortNACKBurstIsNotALoss() throws {
        let reference = try run(SimulatedRig(seed: Self.seed))
        let simulated = SimulatedRig(seed: Self.seed)
        // 60 ms at 25 Hz: the poll at ~50.0x s and at most one more fail.
        simulated.bench.inject(SimulatedBusFault(channel: 0, address: I2CAddress(0x77), kind: .nack, from: 50, to: 50.06))
        let events = EventLog()
        let outcome = try run(simulated, events: events.append)
        let s2 = outcome.duts[1]
        #expect(s2.lost == nil && s2.outages == nil)
        #expect((1..<AcquisitionTiming.lostAfterErrors).contains(s2.integrity.busErrors), "bus errors \(s2.integrity.busErrors)")
        #expect(s2.integrity.missedSamples >= 1)
        #expect(s2.integrity.samples + s2.integrity.missedSamples == reference.duts[1].integrity.samples)
        #expect(!events.all.contains { if case .dutLost = $0 { true } else { false } })
        print("DeviceFault NACK burst: S2 bus errors \(s2.integrity.busErrors), missed \(s2.integrity.missedSamples), samples \(s2.integrity.samples) (fault-free \(reference.duts[1].integrity.samples))")
    }

    /// Timeouts (ETIMEDOUT after the adapter's 35 ms) lose the DUT like NACKs do, with their own errno.
    @Test func timeoutsLoseTheDUTUntilItAnswers() throws {
        let simulated = SimulatedRig(seed: Self.seed)
        #expect(simulated.inject(.timeout, slot: "S2", from: 50, to: 52))
        let outcome = try run(simulated)
        let s2 = outcome.duts[1]
        let outage = try #require(s2.outages?.first)
        #expect(outage.errno == 110 && outage.errnoName == "ETIMEDOUT" && outage.cause.hasPrefix("ETIMEDOUT (110): transfer timed out at 0x77"))
        #expect(outage.lostAtS > 50 && outage.lostAtS < 50.3)
        // +1 s probe inside the fault times out; +3 s answers.
        #expect(outage.failedReprobes == 1)
        let returned = try #require(outage.returnedAtS)
        // The backoff counts from when each probe started, however long the adapter then waited.
        #expect(abs(returned - (outage.lostAtS + 3)) < 0.002, "lost \(outage.lostAtS) returned \(returned)")
        #expect(s2.lost == nil)
        print(String(format: "DeviceFault timeout: S2 lost at %.4f s, returned at %.4f s", outage.lostAtS, returned))
    }

    /// A unit that never comes back ends the run lost, its outage open, its probes spaced by the policy.
    @Test func unitThatNeverReturnsEndsLost() throws {
        let simulated = SimulatedRig(seed: Self.seed)
        #expect(simulated.inject(.absent, slot: "S3", from: 100, to: 1e9))
        let outcome = try run(simulated)
        let s3 = outcome.duts[2]
        let outage = try #require(s3.outages?.first)
        #expect(outage.returnedAtS == nil)
        #expect(s3.lost == outage.lostSummary && s3.lost?.hasPrefix("ENXIO (6): no ACK at 0x76") == true)
        // The run ends at 310 s: probes at +1 … +183 s.
        #expect(outage.failedReprobes == Self.reprobeTimes(after: outage.lostAtS, through: outcome.runSeconds).count)
        #expect(outage.failedReprobes == 8)
        #expect(s3.verdict == nil && s3.missing.last == "cause: \(outage.lostSummary)")
        #expect(outcome.duts[0..<2].allSatisfy { $0.lost == nil && $0.verdict != nil })
    }

    /// Another BMP390 plugged into S3 during the outage answers the re-probe with another calibration: a different
    /// unit, so S3 stays lost with that reason and is not probed again.
    @Test func differentCalibrationOnReturnStaysLost() throws {
        let simulated = SimulatedRig(seed: Self.seed)
        #expect(simulated.inject(.absent, slot: "S3", from: 100, to: 160))
        let events = EventLog()
        let outcome = try run(simulated) { event in
            events.append(event)
            if case .dutLost("S3", _) = event { simulated.replaceUnit(slot: "S3", seed: 4242) }
        }
        let s3 = outcome.duts[2]
        #expect(s3.lost == "a different chip answered at 0x76 (calibration differs)")
        let outage = try #require(s3.outages?.first)
        #expect(outage.returnedAtS == nil && outage.failedReprobes == 6)
        #expect(!events.all.contains { if case .dutReturned = $0 { true } else { false } })
        #expect(events.all.filter { if case .dutLost("S3", _) = $0 { true } else { false } }.count == 2)
    }

    // MARK: The fault schedule file

    @Test func scheduleFileLoads() throws {
        let schedule = try FaultScheduleFile.parse(text: """
            - {slot: S3, fault: absent, from_s: 100, to_s: 160}
            - bus: bus1
              mux_channel: 0
              address: 0x77
              fault: nack
              from_s: 20
              to_s: 20.05
            """, name: "faults.yaml")
        #expect(schedule.entries.count == 2)
        #expect(schedule.entries[0].slot == "S3" && schedule.entries[0].fault == .absent && schedule.entries[0].toS == 160)
        #expect(schedule.entries[1].address == I2CAddress(0x77) && schedule.entries[1].muxChannel == 0 && schedule.entries[1].line == 2)
    }

    @Test(arguments: [
        ("- {slot: S3, fault: unplugged, from_s: 1, to_s: 2}", 1, "fault 'unplugged' is not one of nack, timeout, absent, silent"),
        ("- {slot: S3, fault: nack, from_s: 1}", 1, "to_s: required key is missing"),
        ("- {slot: S3, fault: nack, from_s: 5, to_s: 2}", 1, "to_s 2.0 is not after from_s 5.0"),
        ("- {slot: S1, fault: nack, from_s: 0, to_s: 1}\n- {slot: S3, address: 0x76, fault: nack, from_s: 1, to_s: 2}", 2,
         "an entry names either a slot, or a bus and an address"),
        ("- {slot: S3, fault: nack, from_s: 1, to_s: 2, mux: 1}", 1, "mux"),
        ("- {bus: bus1, address: 0x76, mux_channel: 9, fault: nack, from_s: 1, to_s: 2}", 1, "mux_channel 9 is not 0–7"),
    ])
    func scheduleFileErrors(text: String, line: Int, reason: String) {
        do {
            _ = try FaultScheduleFile.parse(text: text, name: "faults.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.file == "faults.yaml" && error.line == line, "\(error)")
            #expect(error.reason.contains(reason), "\(error.reason)")
        }
    }

    @Test func scheduleNamingAnUnknownSlotIsRefusedWithItsLine() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sq-faults-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/faults.yaml"
        try "- {slot: S3, fault: absent, from_s: 1, to_s: 2}\n- {slot: Z9, fault: nack, from_s: 1, to_s: 2}\n"
            .write(toFile: path, atomically: false, encoding: .utf8)
        do {
            try SimulatedRig(seed: 1).injectFaults(from: path)
            Issue.record("a schedule naming slot Z9 was accepted")
        } catch {
            #expect(error.file == path && error.line == 2 && error.reason.hasPrefix("slot Z9 is not an I2C slot of the simulated rig"), "\(error)")
        }
    }
}
