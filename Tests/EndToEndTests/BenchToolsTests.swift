import ControlProtocol
import Foundation
import Testing

/// `sensorqual scan`, `read`, `dump` and `decode` against the simulated rig through the daemon, as a technician uses
/// them between runs.
@Suite(.serialized) struct BenchToolsTests {
    /// The simulated rig's slots where `scan` finds them: mux channel, address, the chip named (nil: unknown).
    static let rig: [(slot: String, channel: Int, address: String, model: String?)] = [
        ("S1", 0, "0x76", "BMP390"), ("S2", 0, "0x77", "BMP390"), ("S3", 1, "0x76", "BMP390"), ("S4", 1, "0x77", "BMP390"),
        ("S5", 2, "0x47", "BMP581"), ("S7", 2, "0x5d", "LPS22HH"), ("S8", 3, "0x76", nil), ("S6", 3, "0x77", "DPS310"),
        ("B4", 4, "0x10", "BMM150"), ("B3", 4, "0x1c", "LIS3MDL"), ("B1", 4, "0x20", "RM3100"), ("B2", 4, "0x30", "MMC5983MA"),
        ("B5", 5, "0x40", nil), ("G3", 6, "0x52", "ENS160"), ("G2", 6, "0x59", nil), ("G1", 6, "0x62", nil),
    ]

    @Test func scanNamesEveryChipOfTheRig() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            let scan = try await runCommand("sensorqual", ["scan", "--socket", daemon.socket, "--json"], in: folder)
            #expect(scan.status == 0, "stderr: \(scan.stderr)")
            let buses = try JSONValue(parsing: scan.stdout).decode(ScanResult.self).buses
            #expect(buses.map(\.bus) == ["bus1"])
            let devices = try #require(buses.first).devices
            // The mux on the trunk, then every slot behind its channel, nothing else (no address seen twice).
            #expect(devices.first == ScannedDevice(muxChannel: nil, address: "0x70", chip: "tca9548a", model: "TCA9548A", idRegister: nil,
                                                   id: nil, slot: nil, slotChip: nil, detail: "I2C switch mux0 of the rig file"))
            let slots = devices.dropFirst()
            #expect(slots.map(\.slot) == Self.rig.map(\.slot))
            #expect(slots.map(\.muxChannel) == Self.rig.map(\.channel))
            #expect(slots.map(\.address) == Self.rig.map(\.address))
            #expect(slots.map(\.model) == Self.rig.map(\.model))
            // Identified chips are the ones the rig file names; the chips without an id register are only suggested.
            for device in slots where device.chip != nil { #expect(device.chip == device.slotChip) }
            #expect(slots.first { $0.slot == "S8" }?.detail?.contains("may be MS5611-01BA03 (no id register)") == true)
            #expect(slots.first { $0.slot == "G1" }?.detail?.contains("may be SCD41 (no id register)") == true)
            #expect(slots.first { $0.slot == "S1" }.map { ($0.idRegister, $0.id) } ?? (nil, nil) == ("0x00", "0x60"))

            let table = try await runCommand("sensorqual", ["scan", "--socket", daemon.socket, "--bus", "bus1"], in: folder)
            #expect(table.stdout.contains("ch0  0x76  BMP390"))
            let noBus = try await runCommand("sensorqual", ["scan", "--socket", daemon.socket, "--bus", "7"], in: folder)
            #expect(noBus.status == 2)
            #expect(noBus.stderr.contains("bus '7' is not one of the rig's: bus1 (sim:i2c-1)"))
        }
        #expect(exit == 0)
    }

    /// The acceptance check of `dump`: taken right after a reading, it decodes back to the reading the daemon reported.
    @Test func dumpDecodesToTheReadingTheDaemonReported() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            for (slot, chip) in [("S1", "bmp390"), ("S7", "lps22hh")] {
                let read = try await runCommand("sensorqual", ["read", slot, "--socket", daemon.socket, "--json"], in: folder)
                #expect(read.status == 0, "stderr: \(read.stderr)")
                let lines = read.stdout.split(separator: "\n")
                #expect(lines.count == 2)
                let reading = try JSONValue(parsing: String(lines[0])).decode(LiveReading.self)
                #expect(try JSONValue(parsing: String(lines[1])).decode(ReadEnd.self) == ReadEnd(slot: slot, reason: "done"))
                #expect(reading.n == 1 && reading.valid)

                let dump = try await runCommand("sensorqual", ["dump", slot, "--socket", daemon.socket], in: folder)
                #expect(dump.status == 0, "stderr: \(dump.stderr)")
                #expect(dump.stdout.hasPrefix("     0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f    0123456789abcdef\n00: "))
                let file = folder.path + "/\(slot).i2cdump"
                try dump.stdout.write(toFile: file, atomically: true, encoding: .utf8)
                let decoded = try await runCommand("sensorqual", ["decode", chip, "--i2cdump", file, "--json"], in: folder)
                #expect(decoded.status == 0, "stderr: \(decoded.stderr)")
                let decoding = try JSONValue(parsing: decoded.stdout)
                #expect(decoding["chip"] == .string(chip))
                // The same conversion through the same compensation: equal to the last bit.
                #expect(decoding["pressure_pa"]?.doubleValue == reading.values["pressure_pa"])
                #expect(decoding["temperature_c"]?.doubleValue == reading.values["temperature_c"])
                #expect(decoding["calibration"] != nil)
            }
            // BMP390: the clear-on-read registers are left out of the table and named.
            let bmp390 = try await runCommand("sensorqual", ["dump", "S1", "--socket", daemon.socket, "--json"], in: folder)
            let result = try JSONValue(parsing: bmp390.stdout).decode(DumpResult.self)
            #expect(result.skipped == ["0x10", "0x11", "0x14"])
            #expect(result.i2cdump.contains("\n10:       00 00    00 "))
        }
        #expect(exit == 0)
    }

    /// A run switches a slot's supply off at its end (S1's is a simulated GPIO line); the bench tools switch it on
    /// again, and leave it on so that a dump follows a read.
    @Test func theBenchToolsPowerASlotARunSwitchedOff() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            func cli(_ arguments: [String]) async throws -> CommandResult {
                try await runCommand("sensorqual", arguments + ["--socket", daemon.socket], in: folder)
            }
            let run = try await cli(["run", "--plan", "pressure-basic", "--slot", "S1", "--json"])
            #expect(run.status <= 1, "stderr: \(run.stderr)")
            let read = try await cli(["read", "S1", "--json"])
            #expect(read.status == 0, "stderr: \(read.stderr)")
            let reading = try JSONValue(parsing: String(try #require(read.stdout.split(separator: "\n").first))).decode(LiveReading.self)
            let dump = try await cli(["dump", "S1"])
            #expect(dump.status == 0, "stderr: \(dump.stderr)")
            try dump.stdout.write(toFile: folder.path + "/s1.txt", atomically: true, encoding: .utf8)
            let decoded = try await runCommand("sensorqual", ["decode", "bmp390", "--i2cdump", folder.path + "/s1.txt", "--json"], in: folder)
            #expect(try JSONValue(parsing: decoded.stdout)["pressure_pa"]?.doubleValue == reading.values["pressure_pa"])
        }
        #expect(exit == 0)
    }

    /// A live read keeps to the chip's rate with running statistics, and gives way to a run on its bus; while the run
    /// holds the bus, the bench tools are refused with the run named.
    @Test func aLiveReadGivesWayToARun() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            let reader = try await daemon.client()
            let started = try await reader.call(Method.devicesRead, params: ReadParams(slot: "S2", rateHz: 50, follow: true), as: ReadStarted.self)
            #expect(started.model == "BMP390")
            #expect(started.rateHz == 50)
            #expect(started.adevTauS == 1)
            #expect(started.mode.hasPrefix("ODR 50 Hz, OSR ×8"))
            #expect(started.quantities.map(\.name) == ["pressure_pa", "temperature_c"])
            do {
                _ = try await reader.call(Method.devicesRead, params: ReadParams(slot: "S1", follow: true), as: ReadStarted.self)
                Issue.record("a second live read on one connection was accepted")
            } catch let error as RPCError {
                #expect(error.code == .busy)
            }
            let other = try await daemon.client()
            do {
                _ = try await other.call(Method.devicesDump, params: SlotParams(slot: "S1"), as: DumpResult.self)
                Issue.record("a dump on a bus under a live read was accepted")
            } catch let error as RPCError {
                #expect(error.code == .busy)
                #expect(error.message == "bus bus1 is held by a live read of slot S2; try again when it ends")
            }

            var readings: [LiveReading] = []
            var run: RunStatus?
            var end: ReadEnd?
            for await notification in reader.notifications {
                if let reading = try? notification.params.decode(LiveReading.self), notification.method == NotificationMethod.deviceReading {
                    readings.append(reading)
                    // After 120 readings (2.4 s at 50 Hz, τ = 1 s twice over) a run starts on the same bus.
                    if readings.count == 120 {
                        run = try await other.call(Method.runsStart, params: RunStartParams(plan: "pressure-basic", slots: ["S1"]), as: RunStatus.self)
                    }
                } else if notification.method == NotificationMethod.deviceReadEnd {
                    end = try notification.params.decode(ReadEnd.self)
                    break
                }
            }
            #expect(end == ReadEnd(slot: "S2", reason: "run", detail: "a run needs the bus"))
            #expect(readings.count >= 120)
            // One reading per 20 ms of the rig clock, each counted once.
            #expect(readings.map(\.n) == Array(1...readings.count))
            for (index, reading) in readings.enumerated() { #expect(abs(reading.tS - Double(index) * 0.02) < 1e-6) }
            let last = try #require(readings.last)
            let pressure = try #require(last.statistics["pressure_pa"])
            #expect(pressure.sd != nil && pressure.adev != nil)
            // The simulated BMP390 at ×8: a few tenths of a pascal of noise, white, so ADEV(1 s) ≈ SD/√50.
            let sd = try #require(pressure.sd), adev = try #require(pressure.adev)
            #expect(sd > 0.05 && sd < 2)
            #expect(adev < sd / 2)

            let runID = try #require(run?.id)
            do {
                _ = try await other.call(Method.devicesScan, params: ScanParams(), as: ScanResult.self)
                // The run may already be over (virtual clock); then the scan is right to go ahead.
                let status = try await other.call(Method.runsStatus, params: RunReference(run: runID), as: RunStatus.self)
                #expect(status.isFinished)
            } catch let error as RPCError {
                #expect(error.code == .busy)
                #expect(error.message.hasPrefix("bus bus1 is in run \(runID)"))
            }
            await reader.close()
            await other.close()
        }
        #expect(exit == 0)
    }

    /// SIGTERM during a live read: the read ends (its chip in standby) and the daemon exits 0.
    @Test func aLiveReadEndsAtShutdown() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let daemon = DaemonUnderTest(folder: folder)
        try await daemon.start()
        let reader = try await daemon.client()
        _ = try await reader.call(Method.devicesRead, params: ReadParams(slot: "B3", rateHz: 100, follow: true), as: ReadStarted.self)
        var end: ReadEnd?
        var readings = 0
        for await notification in reader.notifications {
            if notification.method == NotificationMethod.deviceReading {
                readings += 1
                if readings == 5 { #expect(await daemon.stop() == 0) }
            } else if notification.method == NotificationMethod.deviceReadEnd {
                end = try notification.params.decode(ReadEnd.self)
            }
        }
        #expect(readings >= 5)
        // The end goes out before the socket closes, when the server is still writing; either way the daemon exited 0.
        if let end { #expect(end.reason == "shutdown") }
        await reader.close()
    }

    @Test func badRequestsAreNamed() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let exit = try await DaemonUnderTest.with(folder: folder) { daemon in
            func cli(_ arguments: [String]) async throws -> CommandResult {
                try await runCommand("sensorqual", arguments + ["--socket", daemon.socket], in: folder)
            }
            let command = try await cli(["dump", "G1"])
            #expect(command.status == 2)
            #expect(command.stderr.contains("slot G1 holds a SCD41, a command chip: it has no register file to dump"))
            let microphone = try await cli(["read", "M1"])
            #expect(microphone.status == 2)
            #expect(microphone.stderr.contains("slot M1 is a microphone on an audio channel: it has no I2C registers"))
            let unknown = try await cli(["read", "S9"])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("no slot 'S9' in rig sim-bench"))

            // A dump of a BMP390 is not a DPS310's, and a torn dump lacks the registers the decoding needs.
            let dump = try await cli(["dump", "S1"])
            try dump.stdout.write(toFile: folder.path + "/s1.txt", atomically: true, encoding: .utf8)
            let wrong = try await runCommand("sensorqual", ["decode", "dps310", "--i2cdump", folder.path + "/s1.txt"], in: folder)
            #expect(wrong.status == 2)
            #expect(wrong.stderr.contains("register 0x0D (id)"))
            let torn = dump.stdout.split(separator: "\n").prefix(3).joined(separator: "\n") + "\n"
            try torn.write(toFile: folder.path + "/torn.txt", atomically: true, encoding: .utf8)
            let lacking = try await runCommand("sensorqual", ["decode", "bmp390", "--i2cdump", folder.path + "/torn.txt"], in: folder)
            #expect(lacking.status == 2)
            #expect(lacking.stderr.contains("register 0x31 is not in the dump: the BMP390 calibration NVM needs registers 0x31–0x45"))
            let unknownChip = try await runCommand("sensorqual", ["decode", "ms5611", "--i2cdump", folder.path + "/s1.txt"], in: folder)
            #expect(unknownChip.status == 2)
            #expect(unknownChip.stderr.contains("command chips such as the MS5611"))
        }
        #expect(exit == 0)
    }
}
