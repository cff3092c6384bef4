import ArgumentParser
import ControlProtocol
import Foundation

extension Sensorqual {
    struct Reference: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Answer a run that waits for the technician: a manual pressure reading, the hand-held calibrator, a field or a gas; or resume a run paused for a silent instrument.",
            subcommands: [Submit.self, Quiet.self, Resume.self])

        struct Submit: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Submit the reference reading for the point a run waits at, or the calibrator's level.",
                discussion: """
                    Examples: sensorqual reference submit 90012.4 Pa   (manual pressure reference; units: Pa, hPa, mbar, \
                    kPa, bar, psi)
                              sensorqual reference submit 94.02 dB     (hand-held calibrator fitted on the microphone the \
                    run asked for: its certificate level, dB SPL)
                              sensorqual reference submit 0.01,0.02,40.03 uT   (the reference magnetometer's x,y,z \
                    reading at the field the run asked for; put -- before a first negative value)
                              sensorqual reference submit 998.5 ppm    (the certified concentration of the mixture connected; \
                    0 ppm for zero air)
                    """)

            @OptionGroup var client: ClientOptions

            @Argument(help: "The reading; a field as x,y,z.")
            var value: String

            @Argument(help: "Its unit: Pa, hPa, mbar, kPa, bar or psi; dB for a calibrator's level in dB SPL; uT (µT) for a field; ppm.")
            var unit: String

            @Option(help: "The run (default: the active run).")
            var run: String?

            /// Exact factors to Pa (psi: 0.45359237 kg·9.80665 m/s² / (0.0254 m)²).
            static let units: [String: Double] = ["pa": 1, "hpa": 100, "mbar": 100, "kpa": 1000, "bar": 100_000,
                                                  "psi": 6894.757293168361]

            var isLevel: Bool { ["db", "dbspl", "db spl"].contains(unit.lowercased()) }
            var isField: Bool { ["ut", "µt"].contains(unit.lowercased()) }
            var isGas: Bool { unit.lowercased() == "ppm" }
            var field: [Double]? { isField ? value.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } : nil }
            var number: Double? { Double(value) }

            func validate() throws {
                guard isLevel || isField || isGas || Self.units[unit.lowercased()] != nil else {
                    throw ValidationError("unit '\(unit)' is not one of Pa, hPa, mbar, kPa, bar, psi, dB, uT, ppm")
                }
                if isField {
                    guard let field, field.count == 3, field.allSatisfy(\.isFinite) else {
                        throw ValidationError("a field is three numbers x,y,z in µT, e.g. 0.01,0.02,40.03")
                    }
                    return
                }
                guard let number, number.isFinite, isLevel || number > 0 || (isGas && number == 0) else {
                    throw ValidationError("the reading must be a positive number")
                }
            }

            func run() async throws {
                let params = if isLevel { ReferenceSubmitParams(levelDBSPL: number, run: run) }
                    else if isField { ReferenceSubmitParams(fieldUT: field, run: run) }
                    else if isGas { ReferenceSubmitParams(ppm: number, run: run) }
                    else { ReferenceSubmitParams(valuePa: (number ?? 0) * (Self.units[unit.lowercased()] ?? 1), run: run) }
                let result = try await Reference.submit(params, client: client)
                if client.json { return }
                if let field = result.fieldUT, let requested = result.requestedFieldUT {
                    Terminal.write(String(format: "run %@: field %g, %g, %g µT recorded for the (%g, %g, %g) µT point\n", result.run,
                                          field[0], field[1], field[2], requested[0], requested[1], requested[2]))
                } else if let ppm = result.ppm {
                    Terminal.write(String(format: "run %@: certified %g ppm %@ recorded for the %g ppm point\n", result.run, ppm,
                                          result.gas ?? "", result.requestedPPM ?? 0))
                } else if let level = result.levelDBSPL {
                    Terminal.write(String(format: "run %@: calibrator %.2f dB SPL recorded on %@\n", result.run, level, result.slot ?? "-"))
                } else if let valuePa = result.valuePa, let setpoint = result.setpointPa {
                    Terminal.write(String(format: "run %@: reference %.1f Pa recorded for the %.0f Pa point\n", result.run, valuePa, setpoint))
                }
            }
        }

        struct Quiet: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Confirm the calibrator is off and removed and the chamber closed: the run's noise record may start.")

            @OptionGroup var client: ClientOptions

            @Option(help: "The run (default: the active run).")
            var run: String?

            func run() async throws {
                let result = try await Reference.submit(ReferenceSubmitParams(quiet: true, run: run), client: client)
                if !client.json { Terminal.write("run \(result.run): chamber quiet, noise record starts\n") }
            }
        }

        struct Resume: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Resume a run paused because its reference instrument stopped answering, once the instrument is checked.",
                discussion: "The interrupted point (its settling and dwell) is measured again from its start.")

            @OptionGroup var client: ClientOptions

            @Option(help: "The run (default: the one paused).")
            var run: String?

            func run() async throws {
                let connection = try await client.connect()
                defer { Task { await connection.close() } }
                let status = try await connection.call(Method.referenceResume, params: RunReference(run: run), as: RunStatus.self)
                if client.json {
                    Terminal.write(try JSONValue(encoding: status).description + "\n")
                } else {
                    Terminal.write("run \(status.id) resumed: the interrupted point is measured again\n")
                }
            }
        }

        /// Sends `reference.submit`; prints the result as JSON with --json.
        static func submit(_ params: ReferenceSubmitParams, client: ClientOptions) async throws -> ReferenceSubmitResult {
            let connection = try await client.connect()
            defer { Task { await connection.close() } }
            let result: ReferenceSubmitResult = try await connection.call(Method.referenceSubmit, params: params, as: ReferenceSubmitResult.self)
            if client.json { Terminal.write(try JSONValue(encoding: result).description + "\n") }
            return result
        }
    }
}
