import Foundation
import SensorDrivers
import SensorIO
import Yams

/// One chip of the catalog (`Devices/<chip>.yaml`): where it answers, how it identifies itself, which driver
/// serves it, its modes and what its datasheet promises.
public struct ChipDescription: Sendable, Equatable, Codable {
    public var chip: String
    public var vendor: String
    public var model: String
    /// Sensor class: pressure, acoustic, magnetic, gas.
    public var sensorClass: String
    public var driver: String
    public var datasheet: String
    /// I2C addresses; empty for a part on an audio interface (a microphone).
    public var addresses: [I2CAddress]
    /// The id register and the values it may hold; nil for chips without one (MS5611: its PROM CRC is
    /// the identity check).
    public var idRegister: UInt8?
    public var idValues: [UInt8]
    /// Pressure oversampling factors the chip offers, in the datasheet's numbers (`modes.oversampling`).
    public var oversamplingModes: [Int]
    /// A microphone's output: analog (volts, sensitivity in dBV) or digital (PDM/I2S words, sensitivity in dBFS).
    public var microphoneOutput: MicrophoneOutput?
    /// A gas sensor's signal for each gas it answers (`gas_signals: {ethanol: sraw_voc}`): what a gas plan judges.
    public var gasSignals: [String: String] = [:]
    public var figures: [DatasheetFigure]

    /// The datasheet figure of this name, if the catalog holds it.
    public func figure(_ name: String) -> DatasheetFigure? { figures.first { $0.name == name } }
}

/// How a microphone delivers its signal (acoustic.md §1.1).
public enum MicrophoneOutput: String, Sendable, Equatable, Codable {
    case analog, digital
}

/// A figure from the vendor's datasheet, with the conditions it holds under and how sure we are of it.
public struct DatasheetFigure: Sendable, Equatable, Codable {
    public var name: String
    public var value: Double?
    public var minimum: Double?
    public var maximum: Double?
    public var unit: String
    /// typical, maximum, minimum.
    public var kind: String?
    public var conditions: String?
    /// Where the figure comes from; "unverified" when not checked against the datasheet itself.
    public var source: String?
}

/// The chips the daemon knows, loaded from a folder of YAML files (`/usr/share/sensorqual/devices`).
public struct ChipCatalog: Sendable, Equatable {
    public private(set) var chips: [String: ChipDescription]

    public init(_ chips: [ChipDescription]) {
        self.chips = Dictionary(chips.map { ($0.chip, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func chip(_ name: String) -> ChipDescription? { chips[name] }
    public var names: [String] { chips.keys.sorted() }

    /// Loads every `*.yaml` in `directory`; a bad file fails the whole load with its file and line.
    public static func load(directory: String) throws(ConfigurationError) -> ChipCatalog {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".yaml") }.sorted()
        } catch {
            throw ConfigurationError(file: directory, reason: "cannot list the device catalog: \(error.localizedDescription)")
        }
        guard !files.isEmpty else { throw ConfigurationError(file: directory, reason: "the device catalog has no .yaml files") }
        var chips: [ChipDescription] = []
        for name in files {
            chips.append(try chip(path: directory + "/" + name))
        }
        return ChipCatalog(chips)
    }

    /// Loads and checks one catalog file (`Devices/<chip>.yaml`), as `load(directory:)` does for each: what
    /// `sensorqual check` runs on a chip file before it joins the catalog.
    public static func chip(path: String) throws(ConfigurationError) -> ChipDescription {
        let file = try YAMLFile(path: path)
        let chip = try file.decode(ChipDocument.self).chip
        let name = (path as NSString).lastPathComponent
        guard chip.chip + ".yaml" == name else {
            throw file.error(at: [PathKey("chip")], "chip '\(chip.chip)' must live in \(chip.chip).yaml")
        }
        try chip.validate(file: file)
        return chip
    }
}

extension ChipDescription {
    /// The sensor classes a run knows; a plan and a spec limit name the same.
    static let sensorClasses = ["pressure", "acoustic", "magnetic", "gas"]

    /// The drivers of each I2C class: a chip naming another would be found out only when a run opens it.
    /// Microphones are captured through ALSA, so their `driver` only documents the output.
    static var drivers: [String: [String]] {
        ["pressure": PressureDrivers.names, "magnetic": MagneticDrivers.names + [FluxgateADC.driverName], "gas": GasDrivers.names]
    }

    /// Checks what the decode cannot: the class and driver exist, addresses are device addresses, modes and
    /// figures are in range.
    func validate(file: YAMLFile) throws(ConfigurationError) {
        guard Self.sensorClasses.contains(sensorClass) else {
            throw file.error(at: [PathKey("class")], "class '\(sensorClass)' is not one of " + Self.sensorClasses.joined(separator: ", "))
        }
        if let drivers = Self.drivers[sensorClass], !drivers.contains(driver) {
            throw file.error(at: [PathKey("driver")], "driver '\(driver)' is not a \(sensorClass) driver (" + drivers.joined(separator: ", ") + ")")
        }
        for (index, address) in addresses.enumerated() {
            // 0x00–0x07 and 0x78–0x7F are reserved (general call, CBUS, 10-bit prefix…: I2C-bus specification UM10204 §3.1.12).
            guard (0x08...0x77).contains(address.rawValue) else {
                throw file.error(at: [PathKey("addresses"), PathKey(index)], "\(address) is a reserved I2C address: devices use 0x08–0x77")
            }
            guard addresses.firstIndex(of: address) == index else {
                throw file.error(at: [PathKey("addresses"), PathKey(index)], "address \(address) is listed twice")
            }
        }
        if let index = oversamplingModes.firstIndex(where: { $0 < 1 }) {
            throw file.error(at: [PathKey("modes"), PathKey("oversampling"), PathKey(index)],
                             "modes.oversampling are factors of 1 or more, not \(oversamplingModes[index])")
        }
        if let rates = file.root["modes"]?["odr_hz"]?.sequence {
            for (index, rate) in rates.enumerated() where !(Double(rate.string ?? "").map { $0 > 0 && $0.isFinite } ?? false) {
                throw file.error(at: [PathKey("modes"), PathKey("odr_hz"), PathKey(index)],
                                 "modes.odr_hz are rates in Hz above 0, not '\(rate.string ?? "")'")
            }
        }
        for (index, figure) in figures.enumerated() {
            let at = [PathKey("figures"), PathKey(index)]
            guard figure.value != nil || figure.minimum != nil || figure.maximum != nil else {
                throw file.error(at: at, "figure \(figure.name) states value, min or max")
            }
            if let minimum = figure.minimum, let maximum = figure.maximum, minimum > maximum {
                throw file.error(at: at + [PathKey("min")], "figure \(figure.name): min \(minimum) is above max \(maximum)")
            }
            if let kind = figure.kind, !["typical", "minimum", "maximum"].contains(kind) {
                throw file.error(at: at + [PathKey("kind")], "figure \(figure.name): kind is typical, minimum or maximum, not '\(kind)'")
            }
        }
    }
}

struct ChipDocument: Decodable {
    var chip: ChipDescription

    enum Keys: String, CodingKey {
        case chip, vendor, model, `class`, driver, datasheet, addresses, identification, modes, output, gas_signals, figures
    }
    enum IDKeys: String, CodingKey { case register, values }
    /// Any mode name: the catalog lists modes by their datasheet names.
    struct ModeKeys: CodingKey {
        static let oversampling = ModeKeys(stringValue: "oversampling")
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
    enum FigureKeys: String, CodingKey { case name, value, min, max, unit, kind, conditions, source }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let id = c.contains(.identification) ? try c.nestedContainer(keyedBy: IDKeys.self, forKey: .identification) : nil
        let modes = c.contains(.modes) ? try c.nestedContainer(keyedBy: ModeKeys.self, forKey: .modes) : nil
        // Every mode list is datasheet data the catalog documents (odr_hz, iir, gain, sampling_interval_s…), whether
        // or not a driver reads it yet: all of them are known keys, each a list of settings (numbers, flags, names).
        for key in modes?.allKeys ?? [] { _ = try modes?.decode([String].self, forKey: key) }
        var addresses: [I2CAddress] = []
        for byte in try c.decodeIfPresent([HexByte].self, forKey: .addresses) ?? [] {
            guard let address = I2CAddress(rawValue: byte.value) else {
                throw DecodingError.dataCorruptedError(forKey: .addresses, in: c, debugDescription: "\(byte.value) is not 7-bit")
            }
            addresses.append(address)
        }
        var figures: [DatasheetFigure] = []
        if c.contains(.figures) {
            var list = try c.nestedUnkeyedContainer(forKey: .figures)
            while !list.isAtEnd {
                let f = try list.nestedContainer(keyedBy: FigureKeys.self)
                figures.append(DatasheetFigure(
                    name: try f.decode(String.self, forKey: .name), value: try f.decodeIfPresent(Double.self, forKey: .value),
                    minimum: try f.decodeIfPresent(Double.self, forKey: .min), maximum: try f.decodeIfPresent(Double.self, forKey: .max),
                    unit: try f.decode(String.self, forKey: .unit), kind: try f.decodeIfPresent(String.self, forKey: .kind),
                    conditions: try f.decodeIfPresent(String.self, forKey: .conditions),
                    source: try f.decodeIfPresent(String.self, forKey: .source)))
            }
        }
        chip = ChipDescription(
            chip: try c.decode(String.self, forKey: .chip), vendor: try c.decode(String.self, forKey: .vendor),
            model: try c.decode(String.self, forKey: .model), sensorClass: try c.decode(String.self, forKey: .class),
            driver: try c.decode(String.self, forKey: .driver), datasheet: try c.decode(String.self, forKey: .datasheet),
            addresses: addresses, idRegister: try id?.decode(HexByte.self, forKey: .register).value,
            idValues: try id?.decode([HexByte].self, forKey: .values).map(\.value) ?? [],
            oversamplingModes: try modes?.decodeIfPresent([Int].self, forKey: .oversampling) ?? [],
            microphoneOutput: try c.decodeIfPresent(MicrophoneOutput.self, forKey: .output),
            gasSignals: try c.decodeIfPresent([String: String].self, forKey: .gas_signals) ?? [:], figures: figures)
        if chip.sensorClass == "acoustic", chip.microphoneOutput == nil {
            throw DecodingError.keyNotFound(Keys.output, .init(codingPath: c.codingPath,
                                                               debugDescription: "a microphone states output: analog or digital"))
        }
        if chip.sensorClass == "gas", chip.gasSignals.isEmpty {
            throw DecodingError.keyNotFound(Keys.gas_signals, .init(codingPath: c.codingPath,
                                                                   debugDescription: "a gas sensor names its signal per gas: gas_signals: {co2: co2}"))
        }
        if chip.sensorClass != "acoustic", addresses.isEmpty {
            throw DecodingError.keyNotFound(Keys.addresses, .init(codingPath: c.codingPath, debugDescription: "an I2C chip lists its addresses"))
        }
    }
}
