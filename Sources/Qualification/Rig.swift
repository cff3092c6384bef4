import Foundation
import SensorIO

/// A test rig as its rig file describes it (DESIGN.md §1): buses, muxes, slots and reference instruments.
public struct Rig: Sendable, Equatable, Codable {
    public var name: String
    public var description: String?
    public var buses: [Bus]
    public var slots: [Slot]
    public var references: [Reference]

    /// An I2C adapter: `/dev/i2c-N`, or `sim:…` for the simulated rig.
    public struct Bus: Sendable, Equatable, Codable {
        public var id: String
        public var device: String
        public var muxes: [Mux]
    }

    /// An I2C switch switched from user space by the daemon.
    public struct Mux: Sendable, Equatable, Codable {
        public var id: String
        public var chip: String
        public var address: I2CAddress
    }

    /// Where one DUT sits.
    public struct Slot: Sendable, Equatable, Codable {
        public var id: String
        public var bus: String
        public var mux: MuxChannel?
        public var address: I2CAddress
        /// Catalog chip name (`bmp390`).
        public var chip: String
    }

    public struct MuxChannel: Sendable, Equatable, Codable {
        public var id: String
        public var channel: Int
    }

    /// A reference instrument and its calibration certificate.
    public struct Reference: Sendable, Equatable, Codable {
        public var id: String
        public var kind: String
        /// `sim:…`, later `scpi-tcp://host:5025`, `scpi-serial:///dev/ttyUSB0?baud=9600`.
        public var link: String
        public var model: String
        /// Range in Pa (pressure controllers).
        public var rangePa: [Double]?
        public var certificate: Certificate
        /// Height of the DUTs above the reference's port, m: 11.8 Pa per metre (sensors.md §8.3).
        public var headHeightM: Double
    }

    public struct Certificate: Sendable, Equatable, Codable {
        public var id: String
        /// Expanded uncertainty, Pa.
        public var expandedUncertaintyPa: Double
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
        }
        var slotIDs = Set<String>()
        var wires = Set<String>()
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
            let wire = "\(slot.bus)/\(slot.mux.map { "\($0.id):\($0.channel)" } ?? "-")/\(slot.address)"
            guard wires.insert(wire).inserted else {
                throw file.error(at: at, "slot \(slot.id) sits at the same bus, mux channel and address as another slot")
            }
        }
        for (index, reference) in references.enumerated() {
            let at = [PathKey("references"), PathKey(index), PathKey("certificate")]
            if reference.certificate.expandedUncertaintyPa <= 0 || reference.certificate.coverageFactor <= 0 {
                throw file.error(at: at, "reference \(reference.id): certificate uncertainty and coverage factor must be positive")
            }
            if reference.certificate.dueDate == nil {
                throw file.error(at: at + [PathKey("due")],
                                 "reference \(reference.id): certificate due date '\(reference.certificate.due)' is not YYYY-MM-DD")
            }
        }
    }
}

/// The rig file's YAML shape (snake_case keys).
struct RigDocument: Decodable {
    var rig: Rig

    enum Keys: String, CodingKey { case rig, description, buses, slots, references }
    enum BusKeys: String, CodingKey { case id, device, muxes }
    enum MuxKeys: String, CodingKey { case id, chip, address }
    enum SlotKeys: String, CodingKey { case id, bus, mux, address, chip }
    enum ChannelKeys: String, CodingKey { case id, channel }
    enum ReferenceKeys: String, CodingKey { case id, kind, link, model, range_pa, certificate, head_height_m }
    enum CertificateKeys: String, CodingKey { case id, expanded_uncertainty_pa, coverage_factor, due }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        var buses: [Rig.Bus] = []
        var busList = try c.nestedUnkeyedContainer(forKey: .buses)
        while !busList.isAtEnd {
            let b = try busList.nestedContainer(keyedBy: BusKeys.self)
            var muxes: [Rig.Mux] = []
            if b.contains(.muxes) {
                var muxList = try b.nestedUnkeyedContainer(forKey: .muxes)
                while !muxList.isAtEnd {
                    let m = try muxList.nestedContainer(keyedBy: MuxKeys.self)
                    muxes.append(Rig.Mux(id: try m.decode(String.self, forKey: .id), chip: try m.decode(String.self, forKey: .chip),
                                         address: try Self.address(m, .address)))
                }
            }
            buses.append(Rig.Bus(id: try b.decode(String.self, forKey: .id), device: try b.decode(String.self, forKey: .device),
                                 muxes: muxes))
        }
        var slots: [Rig.Slot] = []
        var slotList = try c.nestedUnkeyedContainer(forKey: .slots)
        while !slotList.isAtEnd {
            let s = try slotList.nestedContainer(keyedBy: SlotKeys.self)
            var mux: Rig.MuxChannel?
            if s.contains(.mux) {
                let m = try s.nestedContainer(keyedBy: ChannelKeys.self, forKey: .mux)
                mux = Rig.MuxChannel(id: try m.decode(String.self, forKey: .id), channel: try m.decode(Int.self, forKey: .channel))
            }
            slots.append(Rig.Slot(id: try s.decode(String.self, forKey: .id), bus: try s.decode(String.self, forKey: .bus),
                                  mux: mux, address: try Self.address(s, .address), chip: try s.decode(String.self, forKey: .chip)))
        }
        var references: [Rig.Reference] = []
        if c.contains(.references) {
            var list = try c.nestedUnkeyedContainer(forKey: .references)
            while !list.isAtEnd {
                let r = try list.nestedContainer(keyedBy: ReferenceKeys.self)
                let cert = try r.nestedContainer(keyedBy: CertificateKeys.self, forKey: .certificate)
                references.append(Rig.Reference(
                    id: try r.decode(String.self, forKey: .id), kind: try r.decode(String.self, forKey: .kind),
                    link: try r.decode(String.self, forKey: .link), model: try r.decode(String.self, forKey: .model),
                    rangePa: try r.decodeIfPresent([Double].self, forKey: .range_pa),
                    certificate: Rig.Certificate(
                        id: try cert.decode(String.self, forKey: .id),
                        expandedUncertaintyPa: try cert.decode(Double.self, forKey: .expanded_uncertainty_pa),
                        coverageFactor: try cert.decode(Double.self, forKey: .coverage_factor),
                        due: try cert.decode(String.self, forKey: .due)),
                    headHeightM: try r.decodeIfPresent(Double.self, forKey: .head_height_m) ?? 0))
            }
        }
        rig = Rig(name: try c.decode(String.self, forKey: .rig), description: try c.decodeIfPresent(String.self, forKey: .description),
                  buses: buses, slots: slots, references: references)
    }

    static func address<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> I2CAddress {
        let byte = try container.decode(HexByte.self, forKey: key).value
        guard let address = I2CAddress(rawValue: byte) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "\(byte) is not a 7-bit I2C address")
        }
        return address
    }
}
