import ArgumentParser
import ControlProtocol
import Foundation

extension Sensorqual {
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the daemon, its rig and the newest run.")

        @OptionGroup var client: ClientOptions

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let hello = try connection.hello.decode(HelloParams.self)
            let rig: RigDescription = try await connection.call(Method.rigDescribe, as: RigDescription.self)
            let latest: RunStatus? = try? await connection.call(Method.runsStatus, params: RunReference(), as: RunStatus.self)
            if client.json {
                var object: [String: JSONValue] = ["daemon": try JSONValue(encoding: hello), "rig": try JSONValue(encoding: rig)]
                if let latest { object["run"] = try JSONValue(encoding: latest) }
                Terminal.write(JSONValue.object(object).description + "\n")
                return
            }
            Terminal.write("sensorquald \(hello.version) (protocol \(hello.protocol)) on \(client.socketPath)\n")
            Terminal.write("rig \(rig.name)\(rig.simulated ? " (simulated)" : ""): \(rig.slots.count) slots, from \(rig.source)\n")
            for reference in rig.references {
                let certificate = reference.certificate.map { id in
                    "certificate \(id) U = \(reference.expandedUncertainty ?? .nan) \(reference.unit ?? "") "
                        + "(k = \(reference.coverageFactor ?? .nan)), due \(reference.due ?? "-")"
                } ?? "no certificate (measured by the reference microphone)"
                Terminal.write("reference \(reference.id): \(reference.model), \(certificate)\n")
            }
            if let latest {
                Terminal.write("newest run \(latest.id): \(latest.plan), \(latest.state)"
                               + (latest.verdict.map { ", verdict \($0)" } ?? "") + "\n")
            } else {
                Terminal.write("no run yet\n")
            }
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the rig's slots and what answered in each at the daemon's probe.")

        @OptionGroup var client: ClientOptions

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let devices = try await connection.call(Method.devicesList, as: DeviceList.self).devices
            if client.json {
                Terminal.write(try JSONValue(encoding: devices).description + "\n")
                return
            }
            var table = Table("SLOT", "CHIP", "BUS", "MUX", "ADDR", "ID", "STATE")
            for d in devices {
                table.add([d.slot, d.model, d.bus, d.muxChannel.map { "ch\($0)" } ?? "-", d.address, d.chipID ?? "-",
                           d.state + (d.detail.map { ": \($0)" } ?? "")])
            }
            Terminal.write(table.rendered)
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a qualification run, follow it and print the verdicts.",
            discussion: "Exit status 0 when every DUT passes, 1 otherwise (fail, conditional, lost), 2 on error.")

        @OptionGroup var client: ClientOptions

        @Option(help: "Plan to run (a file name in the daemon's plans folder, without .yaml).")
        var plan: String = "pressure-basic"

        @Option(help: "Spec profile (default: the daemon's, miit-2020).")
        var spec: String?

        @Option(name: .customLong("slot"), help: "A slot to run on; repeat for several (default: all).")
        var slots: [String] = []

        @Option(help: "Lot number, written into the report.")
        var lot: String?

        @Option(name: .customLong("serial"), help: "SLOT=SERIAL for a DUT's serial number; repeat per slot.")
        var serials: [String] = []

        @Option(name: .customLong("operator"), help: "Operator name, written into the report.")
        var operatorName: String?

        @Flag(help: "Start the run and return at once with its id.")
        var detach = false

        func validate() throws {
            for entry in serials where !entry.contains("=") {
                throw ValidationError("--serial takes SLOT=SERIAL, not '\(entry)'")
            }
        }

        var params: RunStartParams {
            var serialMap: [String: String] = [:]
            for entry in serials {
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                serialMap[parts[0]] = parts.count > 1 ? parts[1] : ""
            }
            return RunStartParams(plan: plan, spec: spec, slots: slots.isEmpty ? nil : slots, lot: lot,
                                  serials: serialMap.isEmpty ? nil : serialMap, operator: operatorName)
        }

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let status = try await Self.start(params, on: connection, json: client.json, detach: detach)
            throw VerdictTable.exitStatus(status).code
        }

        /// Subscribes, starts the run, follows it and prints the result; shared with `demo`.
        /// Starts a run and, unless detached, follows it to its end. `printsResult: false` leaves the final status
        /// to the caller (the demo prints its runs as one JSON object).
        static func start(_ params: RunStartParams, on connection: ControlClient, json: Bool, detach: Bool,
                          printsResult: Bool = true) async throws -> RunStatus {
            if !detach { _ = try await connection.call(Method.watch, params: nil) }
            let started: RunStatus = try await connection.call(Method.runsStart, params: params, as: RunStatus.self)
            if detach {
                Terminal.write(json ? try JSONValue(encoding: started).description + "\n" : "run \(started.id) started\n")
                throw ExitCode.success
            }
            if !json { Terminal.write("run \(started.id): \(started.plan) on \(started.duts.count) slots, spec \(started.spec)\n") }
            let status = try await RunFollower(client: connection, run: started.id, quiet: json).follow()
            if !printsResult {
                return status
            } else if json {
                Terminal.write(try JSONValue(encoding: status).description + "\n")
            } else {
                Terminal.write(VerdictTable.render(status))
                if let path = status.reportPath { Terminal.write("report: \(path)\n") }
            }
            return status
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow a run until it ends (default: the newest run).")

        @OptionGroup var client: ClientOptions

        @Argument(help: "Run id.")
        var run: String?

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            _ = try await connection.call(Method.watch, params: WatchParams(run: run), as: JSONValue.self)
            let target: RunStatus = try await connection.call(Method.runsStatus, params: RunReference(run: run), as: RunStatus.self)
            let status = try await RunFollower(client: connection, run: target.id, quiet: client.json).follow()
            Terminal.write(client.json ? try JSONValue(encoding: status).description + "\n" : VerdictTable.render(status))
            throw VerdictTable.exitStatus(status).code
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a run: the step in flight stops, the parts not begun are not begun, and the partial report keeps what was measured.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "Run id (default: the newest run).")
        var run: String?

        func run() async throws {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let status = try await connection.call(Method.runsCancel, params: RunReference(run: run), as: RunStatus.self)
            Terminal.write(client.json ? try JSONValue(encoding: status).description + "\n"
                                       : "run \(status.id) cancelling: its partial report follows (sensorqual watch \(status.id))\n")
        }
    }

    struct Runs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the runs of this daemon, newest first; with a filter or --archive, the runs of the run archive.")

        @OptionGroup var client: ClientOptions

        @OptionGroup var filter: ArchiveFilterOptions

        func run() async throws {
            if filter.isActive { return try await filter.list(client: client) }
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let list: RunList = try await connection.call(Method.runsList, as: RunList.self)
            if client.json {
                Terminal.write(try JSONValue(encoding: list).description + "\n")
                return
            }
            var table = Table("RUN", "PLAN", "SPEC", "STATE", "VERDICT", "STARTED (UTC)", "REPORT")
            for run in list.runs {
                table.add([run.id, run.plan, run.spec, run.state, run.verdict ?? "-", run.startedUTC, run.reportPath ?? "-"])
            }
            Terminal.write(table.rendered)
        }
    }
}
