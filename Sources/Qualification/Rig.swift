import Foundation
import SensorIO

/// A test rig as its rig file describes it (DESIGN.md §1): buses, muxes, slots and reference instruments.
public struct Rig: Sendable, Equatable, Codable {
    public var name: String
    public var description: String?
    public var buses: [Bus]
    public var slots: [Slot]
    /// PCM interfaces (ALSA) the microphones are captured through.
    public var audioInterfaces: [AudioInterface] = []
    /// Microphone DUTs: a channel of an audio interface each.
    public var microphones: [MicrophoneSlot] = []
    public var references: [Reference]
    /// The acoustic chamber's own noise as the lab measured it, dB SPL(A): the margin the noise record needs (acoustic.md §2).
    public var chamberAmbientDBA: Double? = nil

    /// An I2C adapter: `/dev/i2c-N`, or `sim:…` for the simulated rig.
    public struct Bus: Sendable, Equatable, Codable {
        public var id: String
        public var device: String
        public var muxes: [Mux]
    }

    /// An I2C switch (TCA9548A/PCA9548): switched from user space by the daemon, or, when the kernel's
    /// i2c-mux-pca954x driver owns it, reached through the adapter the kernel made for each channel.
    public struct Mux: Sendable, Equatable, Codable {
        public var id: String
        public var chip: String
        public var address: I2CAddress
        /// `/dev/i2c-N` of channels 0, 1, …, when the kernel drives the mux; nil when the daemon switches it.
        public var kernelAdapters: [String]?
    }

    /// Where one DUT sits.
    public struct Slot: Sendable, Equatable, Codable {
        public var id: String
        public var bus: String
        public var mux: MuxChannel?
        public var address: I2CAddress
        /// Catalog chip name (`bmp390`).
        public var chip: String
        /// The DUT's INT/data-ready pin, when wired to a GPIO; else the engine polls the status register.
        public var dataReady: GPIOLineReference?
        /// The GPIO that powers or enables the DUT, when it has one: switched on for the run.
        public var power: GPIOLineReference?
        /// A fluxgate read through an I2C ADC: its outputs' scale and wiring (the catalog chip's driver needs it).
        public var fluxgate: AnalogFluxgate? = nil
    }

    /// One GPIO line: `gpiochip0` (or `/dev/gpiochip0`, or `sim:gpio`) and its offset.
    public struct GPIOLineReference: Sendable, Equatable, Codable, CustomStringConvertible {
        public var chip: String
        public var line: UInt32
        public var activeLow: Bool
        public var description: String { "\(chip):\(line)" }
    }

    public struct MuxChannel: Sendable, Equatable, Codable {
        public var id: String
        public var channel: Int
    }

    /// An ALSA PCM capture interface (I2S/TDM/PDM codec, USB audio interface): one interleaved stream whose
    /// channels (TDM slots) carry the microphones and the reference microphone.
    public struct AudioInterface: Sendable, Equatable, Codable {
        public var id: String
        /// The ALSA PCM name: `hw:1,0`, `plughw:CARD=Rig`, or a name `alsaConfig` defines.
        public var pcm: String
        /// A self-contained ALSA configuration file defining `pcm` (e.g. a `file` plugin); nil: the system's.
        public var alsaConfig: String?
        public var format: PCMStreamFormat
        /// The input voltage, V peak, of a 0 dBFS sine on analog channels (ADC full scale): turns dBFS into dBV
        /// for analog microphones (acoustic.md §1.1). nil for interfaces that carry digital microphones only.
        public var fullScaleVoltsPeak: Double?
    }

    /// Where one microphone sits: an audio interface channel.
    public struct MicrophoneSlot: Sendable, Equatable, Codable {
        public var id: String
        /// Catalog chip name (`im73a135`).
        public var chip: String
        public var audio: String
        public var channel: Int
    }

    /// A reference instrument and its calibration certificate.
    public struct Reference: Sendable, Equatable, Codable {
        public var id: String
        /// `pressure-controller`, `reference-microphone`, `sound-source`.
        public var kind: String
        /// `sim:…`, `scpi-tcp://host:5025`, `scpi-serial:///dev/ttyUSB0?baud=9600`, `manual`; for a reference
        /// microphone `audio:<interface>/<channel>`.
        public var link: String
        public var model: String
        /// Range in Pa (pressure controllers).
        public var rangePa: [Double]?
        /// A reference microphone's sensitivity at 1 kHz from its certificate, dBV re 1 V/Pa (analog channel).
        public var sensitivityDBV: Double?
        /// An `alsa:` sound source's gain: the SPL at the microphones for a 0 dBFS sine, dB SPL (set-up measurement).
        public var fullScaleSPL: Double?
        /// The calibration certificate; nil only for a sound source, whose level the reference microphone measures.
        public var certificate: Certificate?
        /// Height of the DUTs above the reference's port, m: 11.8 Pa per metre (sensors.md §8.3).
        public var headHeightM: Double
        /// SCPI dialect and command overrides (`scpi-tcp://`, `scpi-serial://` links).
        public var scpi: SCPISettings?
        /// How long a run waits for a technician: at each point with the manual reference, and to resume after the
        /// instrument stopped answering (`ReferencePause`), s.
        public var operatorTimeout: Double
        /// A field source's coil set and current source (`field-source` references).
        public var coil: CoilSettings? = nil
        /// A gas mixer's cylinder, flows, chamber and MFCs (`gas-mixer` references).
        public var mixer: GasMixerSettings? = nil

        /// Keys as the report's snake_case coding spells them: `sensitivity_dbv` decodes as `sensitivityDbv`, so the
        /// acronyms are named that way here (docs/report-schema.md §1).
        enum CodingKeys: String, CodingKey {
            case id, kind, link, model, rangePa, sensitivityDBV = "sensitivityDbv", fullScaleSPL = "fullScaleSpl", certificate
            case headHeightM, scpi, operatorTimeout, coil, mixer
        }
    }

    /// How to talk to a SCPI pressure controller: a built-in dialect and any command it overrides.
    public struct SCPISettings: Sendable, Equatable, Codable {
        /// `mensor-cpc6000`, `druck-pace`, `fluke-6270a`.
        public var dialect: String
        /// Overrides by command name (`setpoint`, `measure`, `stable`, `stable_reply`, `unit`, `units`).
        public var overrides: [String: String]
        /// Longest wait for one reply, s.
        public var timeout: Double
    }

    public struct Certificate: Sendable, Equatable, Codable {
        public var id: String
        /// Expanded uncertainty U of what the instrument reports, in `unit`.
        public var expandedUncertainty: Double
        /// `Pa` for pressure references, `dB` for a reference microphone's sensitivity, `%` (relative) for a coil
        /// constant, `µT` for a reference magnetometer.
        public var unit: String
        public var coverageFactor: Double
        /// Calibration due date as written on the certificate, YYYY-MM-DD.
        public var due: String

        /// The end of the due day (UTC); nil if `due` is not a YYYY-MM-DD date.
        public var dueDate: Date? {
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd"
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.locale = Locale(identifier: "en_US_POSIX")
            return formatter.date(from: due).map { $0.addingTimeInterval(86_400) }
        }

        /// Whether the certificate still covers `date`.
        public func isValid(on date: Date) -> Bool { dueDate.map { date < $0 } ?? false }
    }

    public func slot(_ id: String) -> Slot? { slots.first { $0.id == id } }
    public func microphone(_ id: String) -> MicrophoneSlot? { microphones.first { $0.id == id } }
    public func audioInterface(_ id: String) -> AudioInterface? { audioInterfaces.first { $0.id == id } }
    /// The slot ids of a sensor class: microphones for `acoustic`, the I2C slots whose catalog chip is of the class
    /// otherwise.
    public func slotIDs(sensorClass: String, catalog: ChipCatalog) -> [String] {
        sensorClass == "acoustic" ? microphones.map(\.id)
            : slots.filter { catalog.chip($0.chip)?.sensorClass == sensorClass }.map(\.id)
    }
    public func bus(_ id: String) -> Bus? { buses.first { $0.id == id } }
    public func reference(kind: String) -> Reference? { references.first { $0.kind == kind } }
}

// MARK: - The rig file

extension Rig {
    /// Loads and checks a rig file against the chip catalog.
    public static func load(path: String, catalog: ChipCatalog) throws(ConfigurationError) -> Rig {
        try parse(YAMLFile(path: path), catalog: catalog)
    }

    /// Parses rig-file text; `name` is what errors call the file.
    public static func parse(text: String, name: String, catalog: ChipCatalog) throws(ConfigurationError) -> Rig {
        try parse(YAMLFile(name: name, text: text), catalog: catalog)
    }

    static func parse(_ file: YAMLFile, catalog: ChipCatalog) throws(ConfigurationError) -> Rig {
        let document = try file.decode(RigDocument.self)
        let rig = document.rig
        try rig.validate(file: file, catalog: catalog)
        return rig
    }

    /// Cross-references: unique ids, existing buses and muxes, catalog chips at their addresses, no two slots
    /// on the same wire address.
    func validate(file: YAMLFile, catalog: ChipCatalog) throws(ConfigurationError) {
        var busIDs = Set<String>()
        for (index, bus) in buses.enumerated() {
            guard busIDs.insert(bus.id).inserted else {
                throw file.error(at: [PathKey("buses"), PathKey(index)], "bus id '\(bus.id)' is used twice")
            }
            guard bus.device.hasPrefix("/dev/i2c-") || bus.device.hasPrefix("sim:") else {
                throw file.error(at: [PathKey("buses"), PathKey(index), PathKey("device")],
                                 "bus device '\(bus.device)' is neither /dev/i2c-N nor sim:NAME")
            }
            var muxIDs = Set<String>()
            for (muxIndex, mux) in bus.muxes.enumerated() {
                let at = [PathKey("buses"), PathKey(index), PathKey("muxes"), PathKey(muxIndex)]
                guard muxIDs.insert(mux.id).inserted else { throw file.error(at: at, "bus \(bus.id): mux id '\(mux.id)' is used twice") }
                // The daemon switches channels with the TCA9548A's one control byte (I2CMux); other switches differ.
                guard Self.muxChips.contains(mux.chip.lowercased()) else {
                    throw file.error(at: at + [PathKey("chip")], "mux \(mux.id): chip '\(mux.chip)' is not one of "
                        + Self.muxChips.joined(separator: ", ") + " (8-channel I2C switches)")
                }
                // A0–A2 select 0x70–0x77 (TCA9548A datasheet §8.6.1).
                guard (0x70...0x77).contains(mux.address.rawValue) else {
                    throw file.error(at: at + [PathKey("address")], "mux \(mux.id): a \(mux.chip) answers at 0x70–0x77, not \(mux.address)")
                }
            }
        }
        var slotIDs = Set<String>()
        var wires = Set<String>()
        var gpioLines = Set<String>()
        for (index, slot) in slots.enumerated() {
            let at = [PathKey("slots"), PathKey(index)]
            guard slotIDs.insert(slot.id).inserted else { throw file.error(at: at, "slot id '\(slot.id)' is used twice") }
            guard let bus = bus(slot.bus) else {
                throw file.error(at: at + [PathKey("bus")], "slot \(slot.id) names bus '\(slot.bus)', which the rig does not have")
            }
            if let mux = slot.mux {
                guard bus.muxes.contains(where: { $0.id == mux.id }) else {
                    throw file.error(at: at + [PathKey("mux")], "slot \(slot.id) names mux '\(mux.id)', which bus \(bus.id) does not have")
                }
                guard (0..<8).contains(mux.channel) else {
                    throw file.error(at: at + [PathKey("mux")], "slot \(slot.id): mux channel \(mux.channel) is not 0–7")
                }
                if let adapters = bus.muxes.first(where: { $0.id == mux.id })?.kernelAdapters {
                    guard mux.channel < adapters.count, adapters[mux.channel].hasPrefix("/dev/i2c-") else {
                        throw file.error(at: at + [PathKey("mux")],
                                         "slot \(slot.id): kernel mux \(mux.id) lists no /dev/i2c-N adapter for channel \(mux.channel)")
                    }
                }
            }
            guard let chip = catalog.chip(slot.chip) else {
                throw file.error(at: at + [PathKey("chip")],
                                 "slot \(slot.id): chip '\(slot.chip)' is not in the catalog (\(catalog.names.joined(separator: ", ")))")
            }
            guard chip.addresses.contains(slot.address) else {
                throw file.error(at: at + [PathKey("address")],
                                 "slot \(slot.id): a \(chip.model) cannot sit at \(slot.address) (it answers at "
                                     + chip.addresses.map(\.description).joined(separator: ", ") + ")")
            }
            for (key, line) in [("data_ready", slot.dataReady), ("power", slot.power)] {
                guard let line else { continue }
                guard Self.isGPIOChipName(line.chip) else {
                    throw file.error(at: at + [PathKey(key), PathKey("chip")], "slot \(slot.id): \(key) chip '\(line.chip)' is not "
                        + "gpiochipN, /dev/gpiochipN or sim:NAME")
                }
                // Line ownership per slot: the kernel grants a line to one requester; a rig file that gives
                // one line to two slots could never run, so say so at load.
                guard gpioLines.insert(line.description).inserted else {
                    throw file.error(at: at + [PathKey(key)], "slot \(slot.id): GPIO \(line) is already used by another slot")
                }
            }
            let wire = "\(slot.bus)/\(slot.mux.map { "\($0.id):\($0.channel)" } ?? "-")/\(slot.address)"
            guard wires.insert(wire).inserted else {
                throw file.error(at: at, "slot \(slot.id) sits at the same bus, mux channel and address as another slot")
            }
        }
        var referenceIDs = Set<String>()
        for (index, reference) in references.enumerated() {
            let at = [PathKey("references"), PathKey(index), PathKey("certificate")]
            guard referenceIDs.insert(reference.id).inserted else {
                throw file.error(at: [PathKey("references"), PathKey(index)], "reference id '\(reference.id)' is used twice")
            }
            guard Self.referenceKinds.contains(reference.kind) else {
                throw file.error(at: [PathKey("references"), PathKey(index), PathKey("kind")], "reference \(reference.id): kind '\(reference.kind)' "
                    + "is not one of " + Self.referenceKinds.joined(separator: ", "))
            }
            if let range = reference.rangePa, range.count != 2 || !(range[0] >= 0 && range[1] > range[0]) {
                throw file.error(at: [PathKey("references"), PathKey(index), PathKey("range_pa")],
                                 "reference \(reference.id): range_pa is [low, high] in Pa with 0 ≤ low < high")
            }
            if reference.kind == "field-source" {
                try validateFieldSource(reference, at: [PathKey("references"), PathKey(index)], file: file)
                continue
            }
            if reference.kind == "gas-mixer" {
                try validateGasMixer(reference, at: [PathKey("references"), PathKey(index)], file: file)
                continue
            }
            guard let certificate = reference.certificate else {
                guard reference.kind == "sound-source" else {
                    throw file.error(at: [PathKey("references"), PathKey(index)], "reference \(reference.id): the certificate is missing")
                }
                guard reference.link.hasPrefix("sim:") || reference.link.hasPrefix("alsa:") else {
                    throw file.error(at: [PathKey("references"), PathKey(index), PathKey("link")], reference.link == "manual"
                        ? "reference \(reference.id): a hand-held calibrator (link manual) states its certificate: its level is the reference"
                        : "reference \(reference.id): a sound source's link is alsa:<pcm>, sim: or manual, not '\(reference.link)'")
                }
                if reference.link.hasPrefix("alsa:"), reference.fullScaleSPL == nil {
                    throw file.error(at: [PathKey("references"), PathKey(index)],
                                     "reference \(reference.id): an alsa: sound source needs full_scale_db_spl (the SPL of a 0 dBFS sine)")
                }
                continue
            }
            // The certificate's uncertainty is in what the instrument reports: Pa for a pressure controller, dB for
            // a reference microphone or a calibrator's level.
            let expectedUnit = reference.kind == "pressure-controller" ? "Pa" : "dB"
            if certificate.unit != expectedUnit {
                throw file.error(at: at, "reference \(reference.id): an acoustic certificate states expanded_uncertainty_db, "
                    + "a pressure reference's expanded_uncertainty_pa (not \(certificate.unit))")
            }
            if reference.kind == "sound-source", reference.link != "manual" {
                throw file.error(at: at, "reference \(reference.id): only a hand-held calibrator (link manual) has a certificate "
                    + "of its level; a driven source is measured by the reference microphone")
            }
            if certificate.expandedUncertainty <= 0 || certificate.coverageFactor <= 0 {
                throw file.error(at: at, "reference \(reference.id): certificate uncertainty and coverage factor must be positive")
            }
            if reference.link.hasPrefix("scpi-") {
                do throws(PressureReferenceLink.LinkError) { _ = try PressureReferenceLink.commandSet(for: reference) } catch {
                    throw file.error(at: [PathKey("references"), PathKey(index), PathKey("scpi")], error.description)
                }
                do throws(InstrumentLinkError) { _ = try InstrumentAddress(parsing: reference.link) } catch {
                    throw file.error(at: [PathKey("references"), PathKey(index), PathKey("link")], "reference \(reference.id): \(error)")
                }
            } else if reference.kind == "reference-microphone" {
                try validateReferenceMicrophone(reference, at: [PathKey("references"), PathKey(index)], file: file)
            } else if !(reference.link == "manual" || reference.link.hasPrefix("sim:")) {
                throw file.error(at: [PathKey("references"), PathKey(index), PathKey("link")],
                                 "reference \(reference.id): link '\(reference.link)' is not scpi-tcp://, scpi-serial://, manual or sim:")
            }
            if reference.operatorTimeout <= 0 || (reference.scpi?.timeout ?? 1) <= 0 {
                throw file.error(at: [PathKey("references"), PathKey(index)], "reference \(reference.id): timeouts must be positive")
            }
            if certificate.dueDate == nil {
                throw file.error(at: at + [PathKey("due")],
                                 "reference \(reference.id): certificate due date '\(certificate.due)' is not YYYY-MM-DD")
            }
        }
        try validateAudio(file: file, catalog: catalog)
        try validateFluxgates(file: file, catalog: catalog)
    }
}

extension Rig {
    /// I2C switches the daemon drives: the TCA9548A's one-byte channel select (`I2CMux`).
    static let muxChips = ["tca9548a", "pca9548", "pca9548a"]
    /// The reference instruments a run knows how to use.
    static let referenceKinds = ["pressure-controller", "reference-microphone", "sound-source", "field-source", "gas-mixer"]

    /// `gpiochip0`, `/dev/gpiochip0` (libgpiod's names for a chip) or `sim:NAME` for the simulated rig.
    static func isGPIOChipName(_ name: String) -> Bool {
        if name.hasPrefix("sim:") { return name.count > 4 }
        let base = name.hasPrefix("/dev/") ? String(name.dropFirst(5)) : name
        guard base.hasPrefix("gpiochip") else { return false }
        let number = base.dropFirst("gpiochip".count)
        return !number.isEmpty && number.allSatisfy(\.isNumber)
    }
}

/// The rig file's YAML shape (snake_case keys).
struct RigDocument: Decodable {
    var rig: Rig

    enum Keys: String, CodingKey { case rig, description, buses, slots, references, audio, microphones, chamber_ambient_dba }
    enum BusKeys: String, CodingKey { case id, device, muxes }
    enum MuxKeys: String, CodingKey { case id, chip, address, mode, adapters }
    enum SlotKeys: String, CodingKey { case id, bus, mux, address, chip, data_ready, power, fluxgate }
    enum LineKeys: String, CodingKey { case chip, line, active_low }
    enum ChannelKeys: String, CodingKey { case id, channel }
    enum ReferenceKeys: String, CodingKey {
        case id, kind, link, model, range_pa, sensitivity_dbv, full_scale_db_spl, certificate, head_height_m, scpi, operator_timeout_s
        case coil, mixer
    }
    enum SCPIKeys: String, CodingKey { case dialect, timeout_s, commands }
    enum CertificateKeys: String, CodingKey {
        case id, expanded_uncertainty_pa, expanded_uncertainty_db, expanded_uncertainty_percent, expanded_uncertainty_ut, coverage_factor, due
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        var buses: [Rig.Bus] = []
        var busList = c.contains(.buses) ? try c.nestedUnkeyedContainer(forKey: .buses) : nil
        while !(busList?.isAtEnd ?? true) {
            let b = try busList!.nestedContainer(keyedBy: BusKeys.self)
            var muxes: [Rig.Mux] = []
            if b.contains(.muxes) {
                var muxList = try b.nestedUnkeyedContainer(forKey: .muxes)
                while !muxList.isAtEnd {
                    let m = try muxList.nestedContainer(keyedBy: MuxKeys.self)
                    let mode = try m.decodeIfPresent(String.self, forKey: .mode) ?? "user-space"
                    guard mode == "user-space" || mode == "kernel" else {
                        throw DecodingError.dataCorruptedError(forKey: .mode, in: m, debugDescription: "mux mode must be user-space or kernel, not '\(mode)'")
                    }
                    let adapters = mode == "kernel" ? try m.decode([String].self, forKey: .adapters) : nil
                    muxes.append(Rig.Mux(id: try m.decode(String.self, forKey: .id), chip: try m.decode(String.self, forKey: .chip),
                                         address: try Self.address(m, .address), kernelAdapters: adapters))
                }
            }
            buses.append(Rig.Bus(id: try b.decode(String.self, forKey: .id), device: try b.decode(String.self, forKey: .device),
                                 muxes: muxes))
        }
        var slots: [Rig.Slot] = []
        // A rig of microphones only has no I2C slots (and no buses).
        var slotList = c.contains(.slots) ? try c.nestedUnkeyedContainer(forKey: .slots) : nil
        while !(slotList?.isAtEnd ?? true) {
            let s = try slotList!.nestedContainer(keyedBy: SlotKeys.self)
            var mux: Rig.MuxChannel?
            if s.contains(.mux) {
                let m = try s.nestedContainer(keyedBy: ChannelKeys.self, forKey: .mux)
                mux = Rig.MuxChannel(id: try m.decode(String.self, forKey: .id), channel: try m.decode(Int.self, forKey: .channel))
            }
            slots.append(Rig.Slot(id: try s.decode(String.self, forKey: .id), bus: try s.decode(String.self, forKey: .bus),
                                  mux: mux, address: try Self.address(s, .address), chip: try s.decode(String.self, forKey: .chip),
                                  dataReady: try Self.line(s, .data_ready), power: try Self.line(s, .power),
                                  fluxgate: try s.decodeIfPresent(FluxgateDocument.self, forKey: .fluxgate)?.fluxgate))
        }
        var references: [Rig.Reference] = []
        if c.contains(.references) {
            var list = try c.nestedUnkeyedContainer(forKey: .references)
            while !list.isAtEnd {
                let r = try list.nestedContainer(keyedBy: ReferenceKeys.self)
                references.append(Rig.Reference(
                    id: try r.decode(String.self, forKey: .id), kind: try r.decode(String.self, forKey: .kind),
                    link: try r.decode(String.self, forKey: .link), model: try r.decode(String.self, forKey: .model),
                    rangePa: try r.decodeIfPresent([Double].self, forKey: .range_pa),
                    sensitivityDBV: try r.decodeIfPresent(Double.self, forKey: .sensitivity_dbv),
                    fullScaleSPL: try r.decodeIfPresent(Double.self, forKey: .full_scale_db_spl),
                    certificate: r.contains(.certificate) ? try Self.certificate(r) : nil,
                    headHeightM: try r.decodeIfPresent(Double.self, forKey: .head_height_m) ?? 0,
                    scpi: try Self.scpi(r),
                    operatorTimeout: try r.decodeIfPresent(Double.self, forKey: .operator_timeout_s) ?? 3600,
                    coil: try r.decodeIfPresent(CoilDocument.self, forKey: .coil)?.coil,
                    mixer: try r.decodeIfPresent(MixerDocument.self, forKey: .mixer)?.mixer))
            }
        }
        rig = Rig(name: try c.decode(String.self, forKey: .rig), description: try c.decodeIfPresent(String.self, forKey: .description),
                  buses: buses, slots: slots,
                  audioInterfaces: try c.decodeIfPresent([AudioInterfaceDocument].self, forKey: .audio)?.map(\.interface) ?? [],
                  microphones: try c.decodeIfPresent([MicrophoneDocument].self, forKey: .microphones)?.map(\.slot) ?? [],
                  references: references,
                  chamberAmbientDBA: try c.decodeIfPresent(Double.self, forKey: .chamber_ambient_dba))
    }

    static func line(_ s: KeyedDecodingContainer<SlotKeys>, _ key: SlotKeys) throws -> Rig.GPIOLineReference? {
        guard s.contains(key) else { return nil }
        let c = try s.nestedContainer(keyedBy: LineKeys.self, forKey: key)
        return Rig.GPIOLineReference(chip: try c.decode(String.self, forKey: .chip), line: try c.decode(UInt32.self, forKey: .line),
                                     activeLow: try c.decodeIfPresent(Bool.self, forKey: .active_low) ?? false)
    }

    static func certificate(_ r: KeyedDecodingContainer<ReferenceKeys>) throws -> Rig.Certificate {
        let c = try r.nestedContainer(keyedBy: CertificateKeys.self, forKey: .certificate)
        // A certificate states its uncertainty in what the instrument reports: Pa, or dB for a microphone.
        let stated: [(CertificateKeys, String)] = [(.expanded_uncertainty_pa, "Pa"), (.expanded_uncertainty_db, "dB"),
                                                   (.expanded_uncertainty_percent, "%"), (.expanded_uncertainty_ut, "µT")]
        var uncertainties: [(Double, String)] = []
        for (key, unit) in stated {
            if let value = try c.decodeIfPresent(Double.self, forKey: key) { uncertainties.append((value, unit)) }
        }
        guard let uncertainty = uncertainties.first else {
            throw DecodingError.keyNotFound(CertificateKeys.expanded_uncertainty_pa, .init(
                codingPath: c.codingPath, debugDescription: "a certificate states expanded_uncertainty_pa, _db, _percent or _ut"))
        }
        // Two uncertainties in two units: which one the certificate means is anyone's guess.
        guard uncertainties.count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription:
                "a certificate states one expanded uncertainty (expanded_uncertainty_pa, _db, _percent or _ut), not "
                    + uncertainties.map(\.1).joined(separator: " and ")))
        }
        return Rig.Certificate(id: try c.decode(String.self, forKey: .id), expandedUncertainty: uncertainty.0, unit: uncertainty.1,
                               coverageFactor: try c.decode(Double.self, forKey: .coverage_factor),
                               due: try c.decode(String.self, forKey: .due))
    }

    static func scpi(_ r: KeyedDecodingContainer<ReferenceKeys>) throws -> Rig.SCPISettings? {
        guard r.contains(.scpi) else { return nil }
        let c = try r.nestedContainer(keyedBy: SCPIKeys.self, forKey: .scpi)
        return Rig.SCPISettings(dialect: try c.decode(String.self, forKey: .dialect),
                                overrides: try c.decodeIfPresent([String: String].self, forKey: .commands) ?? [:],
                                timeout: try c.decodeIfPresent(Double.self, forKey: .timeout_s) ?? 5)
    }

    static func address<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> I2CAddress {
        let byte = try container.decode(HexByte.self, forKey: key).value
        guard let address = I2CAddress(rawValue: byte) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(byte) is not a 7-bit I2C address")
        }
        return address
    }
}
