import ArgumentParser
import ControlProtocol
import Foundation
import Qualification
import SensorIO

extension Sensorqual {
    /// `sensorqual scan`: i2cdetect that names what answers.
    struct Scan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List what answers on the rig's I2C buses, named from the device catalog.",
            discussion: """
                At each address where catalog chips with an id register may sit, the id register is read (nothing is \
                ever written to a register) and the chip whose id it holds is named; elsewhere presence is told by a \
                one-byte read, as `i2cdetect -r` does. Through the daemon (it owns the buses; refused while a run \
                holds one), each mux channel of the rig file is scanned as well and each device is matched to its \
                slot. With --direct, the adapter /dev/i2c-N is scanned by this process, for a rig whose daemon is \
                not running.
                """)

        @OptionGroup var client: ClientOptions

        @Option(help: "The bus: the rig's bus id, /dev/i2c-N or N (default: every bus of the rig; required with --direct).")
        var bus: String?

        @Flag(help: "Open /dev/i2c-N here instead of asking the daemon.")
        var direct = false

        @Option(help: "With --direct: the device catalog (default: the daemon's).")
        var devicesDir: String?

        func validate() throws {
            if direct && bus == nil { throw ValidationError("--direct scans one adapter: name it with --bus N") }
        }

        func run() async throws {
            let buses: [ScannedBus]
            if direct {
                buses = [try scanDirectly(bus!)]
            } else {
                let connection = try await client.connect()
                defer { Task { await connection.close() } }
                buses = try await connection.call(Method.devicesScan, params: ScanParams(bus: bus), as: ScanResult.self).buses
            }
            if client.json {
                Terminal.write(try JSONValue(encoding: ScanResult(buses: buses)).description + "\n")
            } else {
                Terminal.write(buses.map(Self.table).joined(separator: "\n"))
            }
            if buses.contains(where: { $0.error != nil }) { throw ExitStatus.error.code }
        }

        private func scanDirectly(_ name: String) throws -> ScannedBus {
            let path = name.hasPrefix("/") ? name : "/dev/i2c-" + name
            guard let directory = devicesDir ?? DataDirectory.locate(executable: CommandLine.arguments[0])?.devices else {
                throw CleanExit.message("no device catalog found: name it with --devices-dir")
            }
            let catalog = try ChipCatalog.load(directory: directory)
            let adapter: LinuxI2CBus
            do {
                adapter = try LinuxI2CBus(path: path)
            } catch {
                return ScannedBus(bus: path, device: path, devices: [], error: "cannot open \(path): \(error)")
            }
            let devices = BusScan.scan(adapter, catalog: catalog).map { device in
                ScannedDevice(muxChannel: nil, address: device.address.description, chip: device.chip, model: device.model,
                              idRegister: device.idRegister?.hexLiteral, id: device.idValue?.hexLiteral, slot: nil, slotChip: nil,
                              detail: device.detail)
            }
            return ScannedBus(bus: path, device: path, devices: devices)
        }

        static func table(_ bus: ScannedBus) -> String {
            var out = "\(bus.bus) (\(bus.device))\n"
            if let error = bus.error { out += "  error: \(error)\n" }
            guard !bus.devices.isEmpty else { return out + (bus.error == nil ? "  nothing answers\n" : "") }
            var table = Table("MUX", "ADDR", "CHIP", "ID", "SLOT", "NOTE")
            for device in bus.devices {
                let id = device.id.map { "\($0) at \(device.idRegister ?? "?")" } ?? "-"
                table.add([device.muxChannel.map { "ch\($0)" } ?? "-", device.address, device.model ?? "unknown", id,
                           device.slot ?? "-", device.detail ?? ""])
            }
            return out + table.rendered
        }
    }

    /// `sensorqual dump SLOT`: the slot's register file as i2cdump prints it.
    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a slot's register file in i2cdump byte-mode format, to attach to a report or a bug.",
            discussion: """
                The daemon reads registers 0x00–0xFF one by one, as `i2cdump -y BUS ADDR b` does, except those whose \
                read has a side effect on the slot's chip (a status that clears, a FIFO that pops), which are left \
                blank and named on standard error. `sensorqual decode CHIP --i2cdump FILE` reads the output back.
                """)

        @OptionGroup var client: ClientOptions

        @Argument(help: "The slot (sensorqual devices lists them).")
        var slot: String

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let dump = try await connection.call(Method.devicesDump, params: SlotParams(slot: slot), as: DumpResult.self)
            if client.json {
                Terminal.write(try JSONValue(encoding: dump).description + "\n")
                return
            }
            Terminal.write(dump.i2cdump)
            if !dump.skipped.isEmpty {
                Terminal.error("\(dump.slot) (\(dump.chip) at \(dump.address)): \(dump.skipped.joined(separator: ", ")) not read: reading them clears or pops them\n")
            }
        }
    }

    /// `sensorqual read SLOT`: live readings of one slot outside a run, with their running statistics.
    struct Read: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show live converted readings of one slot outside a run, with mean, SD and Allan deviation.",
            discussion: """
                The daemon identifies and configures the slot's chip (a pressure chip at the highest oversampling the \
                rate allows) and reads it at the chip's fastest rate at or below --rate. Each quantity shows its last \
                value, the running mean and sample standard deviation, and the overlapping Allan deviation at the \
                whole number of reading intervals nearest 1 s (τ is printed). Without --follow one reading is \
                taken; with it readings go on until Ctrl-C, or until a run needs the bus. On a terminal the figures \
                are refreshed in place; --json prints one object per reading (JSON lines). Exit status 2 if the \
                device fails.
                """)

        @OptionGroup var client: ClientOptions

        @Argument(help: "The slot (sensorqual devices lists them).")
        var slot: String

        @Flag(help: "Go on reading until interrupted.")
        var follow = false

        @Option(help: "Readings per second wanted (default 10; gas sensors 1).")
        var rate: Double?

        func validate() throws {
            if let rate, !(rate > 0) { throw ValidationError("--rate takes a rate above 0 Hz, not \(rate)") }
        }

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let started = try await connection.call(Method.devicesRead, params: ReadParams(slot: slot, rateHz: rate, follow: follow),
                                                    as: ReadStarted.self)
            let interactive = Terminal.isInteractive && !client.json
            if !client.json {
                Terminal.write(String(format: "%@ %@: %@; Allan deviation at τ = %g s\n", started.slot, started.model, started.mode, started.adevTauS))
            }
            var drawn = 0
            var lastDraw = ContinuousClock.now
            var latest: LiveReading?
            for await notification in connection.notifications {
                if notification.method == NotificationMethod.deviceReadEnd, let end = try? notification.params.decode(ReadEnd.self), end.slot == started.slot {
                    if interactive, let latest, drawn > 0 { draw(latest, started, erasing: drawn) }
                    if client.json { Terminal.write(notification.params.description + "\n") }
                    guard end.reason == "done" || end.reason == "stopped" else {
                        Terminal.error("sensorqual: read \(end.slot) ended: \(end.reason)\(end.detail.map { ": " + $0 } ?? "")\n")
                        throw ExitStatus.error.code
                    }
                    return
                }
                guard notification.method == NotificationMethod.deviceReading,
                      let reading = try? notification.params.decode(LiveReading.self), reading.slot == started.slot else { continue }
                latest = reading
                if client.json {
                    Terminal.write(notification.params.description + "\n")
                } else if interactive {
                    // At most ten redraws a second: a 200 Hz chip would only flicker.
                    guard drawn == 0 || ContinuousClock.now - lastDraw >= .milliseconds(100) else { continue }
                    drawn = draw(reading, started, erasing: drawn)
                    lastDraw = .now
                } else {
                    Terminal.write(Self.lines(reading, started).joined(separator: "\n") + "\n")
                }
            }
            Terminal.error("sensorqual: the daemon closed the connection during the read\n")
            throw ExitStatus.error.code
        }

        /// Redraws the figures over the previous ones; returns the number of lines drawn.
        @discardableResult
        private func draw(_ reading: LiveReading, _ started: ReadStarted, erasing previous: Int) -> Int {
            let lines = Self.lines(reading, started)
            Terminal.write((previous > 0 ? "\u{1B}[\(previous)A" : "") + lines.map { $0 + "\u{1B}[K\n" }.joined())
            return lines.count
        }

        /// One header line, then one per quantity: value, mean, SD, ADEV.
        static func lines(_ reading: LiveReading, _ started: ReadStarted) -> [String] {
            var table = Table("n \(reading.n), t \(String(format: "%.2f", reading.tS)) s" + (reading.valid ? "" : " (invalid)"),
                              "VALUE", "MEAN", "SD", String(format: "ADEV(%g s)", started.adevTauS))
            for quantity in started.quantities {
                let figures = reading.statistics[quantity.name]
                table.add([quantity.name + " (\(quantity.unit))", number(reading.values[quantity.name]), number(figures?.mean),
                           number(figures?.sd), number(figures?.adev)])
            }
            return table.rendered.split(separator: "\n").map(String.init)
        }

        private static func number(_ value: Double?) -> String {
            guard let value else { return "-" }
            return String(format: value == 0 || (abs(value) >= 1e-3 && abs(value) < 1e7) ? "%.4f" : "%.4g", value)
        }
    }
}
