import ArgumentParser
import ControlProtocol
import Foundation

extension Sensorqual {
    struct Reference: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with the rig's pressure reference.",
            subcommands: [Submit.self])

        struct Submit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Submit the reference instrument's reading for the point a run waits at (manual reference).",
                discussion: "Example: sensorqual reference submit 90012.4 Pa   (units: Pa, hPa, mbar, kPa, bar, psi)")

            @OptionGroup var client: ClientOptions

            @Argument(help: "The reading.")
            var value: Double

            @Argument(help: "Its unit: Pa, hPa, mbar, kPa, bar or psi.")
            var unit: String

            @Option(help: "The run (default: the active run).")
            var run: String?

            /// Exact factors to Pa (psi: 0.45359237 kg·9.80665 m/s² / (0.0254 m)²).
            static let units: [String: Double] = ["pa": 1, "hpa": 100, "mbar": 100, "kpa": 1000, "bar": 100_000,
                                                  "psi": 6894.757293168361]

            func validate() throws {
                guard Self.units[unit.lowercased()] != nil else {
                    throw ValidationError("unit '\(unit)' is not one of Pa, hPa, mbar, kPa, bar, psi")
                }
                guard value.isFinite, value > 0 else { throw ValidationError("the reading must be a positive number") }
            }

            func run() async throws {
                let pascal = value * Self.units[unit.lowercased()]!
                let connection = try await client.connect()
                defer { Task { await connection.close() } }
                let result: ReferenceSubmitResult = try await connection.call(
                    Method.referenceSubmit, params: ReferenceSubmitParams(valuePa: pascal, run: run), as: ReferenceSubmitResult.self)
                Terminal.write(client.json ? try JSONValue(encoding: result).description + "\n"
                               : String(format: "run %@: reference %.1f Pa recorded for the %.0f Pa point\n",
                                        result.run, result.valuePa, result.setpointPa))
            }
        }
    }
}
