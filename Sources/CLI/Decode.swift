import ArgumentParser
import ControlProtocol
import Foundation
import SensorDrivers
import SensorIO

extension Sensorqual {
    /// `sensorqual decode CHIP --i2cdump FILE|-`: a chip's configuration, calibration and compensated reading from an
    /// i2cdump taken at the bench or attached to a bug, with no hardware and no daemon.
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode an i2cdump of a chip: its configuration, calibration and compensated reading.",
            discussion: """
                FILE is the output of `i2cdump -y BUS ADDR b` (byte mode; XX marks a failed read) or of \
                `sensorqual dump SLOT`; - reads standard input. CHIP is one of \
                \(RegisterDecoders.chips.joined(separator: ", ")). The reading is the conversion held in the data \
                registers, compensated with the unit's own calibration registers by the driver the daemon uses. A \
                dump whose id register is not CHIP's, or that lacks a register the decoding needs, is an error naming \
                the register (exit status 2).
                """)

        @Argument(help: "The chip the dump was taken of (\(RegisterDecoders.chips.joined(separator: ", "))).")
        var chip: String

        @Option(name: .customLong("i2cdump"), help: "The i2cdump text, or - for standard input.")
        var file: String

        @Flag(help: "Print one JSON object: chip, model, configuration, calibration, raw, temperature_c, pressure_pa or field_ut, notes.")
        var json = false

        func validate() throws {
            guard RegisterDecoders.chips.contains(chip.lowercased()) else {
                throw ValidationError("decode knows \(RegisterDecoders.chips.joined(separator: ", ")); '\(chip)' is not one of them"
                                      + " (command chips such as the MS5611, SCD41 and SGP41 have no register file to dump)")
            }
        }

        func run() throws {
            let text: String
            do {
                let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
                text = String(decoding: data, as: UTF8.self)
            } catch {
                Terminal.error("sensorqual: \(file): cannot read: \((error as NSError).localizedDescription)\n")
                throw ExitStatus.error.code
            }
            let decoding: RegisterDecoding
            do {
                let dump = try I2CDump(parsing: text, source: file)
                guard let decoded = try RegisterDecoders.decode(chip: chip, dump) else { throw ExitStatus.error.code }
                decoding = decoded
            } catch let error as I2CDumpError {
                Terminal.error("sensorqual: \(error)\n")
                throw ExitStatus.error.code
            } catch let error as RegisterDecodeError {
                Terminal.error("sensorqual: \(file): \(error)\n")
                throw ExitStatus.error.code
            }
            Terminal.write(json ? Self.json(decoding, chip: chip.lowercased()).description + "\n" : Self.text(decoding))
        }

        /// One object: the identity, the three groups as objects, the physical values at the top level named with
        /// their units (`temperature_c`, `pressure_pa`, `field_ut` {x, y, z}, a gas sensor's `tvoc_ppb` …).
        static func json(_ decoding: RegisterDecoding, chip: String) -> JSONValue {
            func object(_ fields: [DecodedField]) -> JSONValue {
                .object(Dictionary(fields.map { ($0.name, value($0.value)) }, uniquingKeysWith: { first, _ in first }))
            }
            var object: [String: JSONValue] = [
                "chip": .string(chip), "model": .string(decoding.model),
                "id_register": decoding.idRegister.map { .string($0.hexLiteral) } ?? .null,
                "id": decoding.idValue.map { .string($0.hexLiteral) } ?? .null,
                "configuration": object(decoding.configuration), "calibration": object(decoding.calibration),
                "raw": object(decoding.raw), "notes": .array(decoding.notes.map { .string($0) }),
            ]
            if let celsius = decoding.temperatureC { object["temperature_c"] = .double(celsius) }
            if let pascal = decoding.pressurePa { object["pressure_pa"] = .double(pascal) }
            if let field = decoding.field { object["field_ut"] = ["x": .double(field.x), "y": .double(field.y), "z": .double(field.z)] }
            for field in decoding.values { object[field.name] = value(field.value) }
            return .object(object)
        }

        private static func value(_ value: DecodedValue) -> JSONValue {
            switch value {
            case .integer(let number): .int(number)
            case .number(let number): .double(number)
            case .text(let text): .string(text)
            case .flag(let flag): .bool(flag)
            }
        }

        /// The groups as aligned name/value/register lines.
        static func text(_ decoding: RegisterDecoding) -> String {
            var out = decoding.model
            if let register = decoding.idRegister, let id = decoding.idValue { out += " (id \(id.hexLiteral) at register \(register.hexLiteral))" }
            out += "\n"
            func section(_ title: String, _ fields: [DecodedField]) {
                guard !fields.isEmpty else { return }
                let width = fields.map(\.name.count).max() ?? 0
                let valueWidth = fields.map(\.value.description.count).max() ?? 0
                out += "\n\(title)\n"
                for field in fields {
                    let register = field.register.map { "  reg " + $0.hexLiteral } ?? ""
                    out += "  " + field.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                        + field.value.description.padding(toLength: valueWidth, withPad: " ", startingAt: 0) + register + "\n"
                }
            }
            section("configuration", decoding.configuration)
            section("calibration", decoding.calibration)
            section("raw", decoding.raw)
            var reading: [DecodedField] = []
            if let celsius = decoding.temperatureC { reading.append(DecodedField("temperature_c", .number(celsius))) }
            if let pascal = decoding.pressurePa { reading.append(DecodedField("pressure_pa", .number(pascal))) }
            if let field = decoding.field {
                reading += [DecodedField("field_x_ut", .number(field.x)), DecodedField("field_y_ut", .number(field.y)),
                            DecodedField("field_z_ut", .number(field.z))]
            }
            section("reading", reading + decoding.values)
            if !decoding.notes.isEmpty { out += "\nnotes\n" + decoding.notes.map { "  - \($0)\n" }.joined() }
            return out
        }
    }
}
