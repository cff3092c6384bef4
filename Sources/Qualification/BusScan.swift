import SensorIO

/// `sensorqual scan`: what answers on one I2C segment (an adapter, or one channel of a mux), named from the catalog.
///
/// Like `i2cdetect -r`, but it identifies: at an address where catalog chips with an id register may sit, it reads
/// that register (a register-pointer write and a one-byte read: the read the driver's probe begins with, which has no
/// side effect on those chips) and names the chip whose id it holds. Elsewhere it tells presence by a one-byte read
/// (SMBus receive byte), never by a write: a quick write can change some chips' state (i2cdetect(8) WARNING). Nothing
/// is ever written to a register.
public enum BusScan {
    /// One address that answered.
    public struct Device: Sendable, Equatable {
        public var address: I2CAddress
        /// The catalog chip it was identified as; nil when unknown.
        public var chip: String?
        public var model: String?
        /// The id register read and what it held (the last one read when nothing matched).
        public var idRegister: UInt8?
        public var idValue: UInt8?
        /// For an unknown device: what was read, and which catalog chips without an id register may sit there.
        public var detail: String?

        public init(address: I2CAddress, chip: String? = nil, model: String? = nil, idRegister: UInt8? = nil,
                    idValue: UInt8? = nil, detail: String? = nil) {
            self.address = address
            self.chip = chip
            self.model = model
            self.idRegister = idRegister
            self.idValue = idValue
            self.detail = detail
        }
    }

    /// i2cdetect's default range: 0x00–0x07 and 0x78–0x7F are reserved addresses (I2C spec §3.1.12).
    public static let addresses = UInt8(0x08)...UInt8(0x77)

    /// Scans `transport` at `addresses` except `skipping` (a mux's own address, devices already seen on the trunk).
    /// Blocking: run it on the thread that owns the bus.
    public static func scan(_ transport: any I2CTransport, catalog: ChipCatalog, addresses: ClosedRange<UInt8> = addresses,
                            skipping: Set<I2CAddress> = []) -> [Device] {
        var found: [Device] = []
        for raw in addresses {
            let address = I2CAddress(raw)
            guard !skipping.contains(address), let device = identify(address, on: transport, catalog: catalog) else { continue }
            found.append(device)
        }
        return found
    }

    /// What answers at `address`, or nil when nothing acknowledges it.
    static func identify(_ address: I2CAddress, on transport: any I2CTransport, catalog: ChipCatalog) -> Device? {
        let candidates = catalog.names.compactMap(catalog.chip).filter { $0.addresses.contains(address) }
        let withID = candidates.filter { $0.idRegister != nil }
        let withoutID = candidates.filter { $0.idRegister == nil && $0.sensorClass != "acoustic" }
        let maybe = withoutID.isEmpty ? "" : "; may be " + withoutID.map { "\($0.model) (no id register)" }.joined(separator: " or ")
        var device = Device(address: address)
        if withID.isEmpty {
            do throws(I2CError) {
                _ = try transport.read(address: address, count: 1)
            } catch {
                return isAbsence(error) ? nil : Device(address: address, detail: "answered with an error: \(error)")
            }
            device.detail = "no catalog chip with an id register sits at \(address)" + maybe
            return device
        }
        // One read per distinct id register, in register order; the first chip whose values match names the device.
        var read: [UInt8: UInt8] = [:]
        for register in Set(withID.compactMap(\.idRegister)).sorted() {
            let value: UInt8
            do throws(I2CError) {
                value = try I2CDevice(transport: transport, address: address).readRegister(register)
            } catch {
                if isAbsence(error) && read.isEmpty { return nil }
                device.detail = "reading id register \(register.hexLiteral) failed: \(error)"
                continue
            }
            read[register] = value
            if let chip = withID.first(where: { $0.idRegister == register && $0.idValues.contains(value) }) {
                return Device(address: address, chip: chip.chip, model: chip.model, idRegister: register, idValue: value)
            }
            device.idRegister = register
            device.idValue = value
        }
        if !read.isEmpty {
            device.detail = "id " + read.sorted { $0.key < $1.key }.map { "\($0.key.hexLiteral) reads \($0.value.hexLiteral)" }.joined(separator: ", ")
                + ": not " + withID.map(\.model).joined(separator: " or ") + maybe
        }
        return device
    }

    /// Nothing at the address: a NACK, or ENODEV, which SMBus-only adapters such as i2c-stub return for an address they
    /// do not serve (i2cdetect counts every failure as absence; a timeout or lost arbitration is shown instead).
    private static func isAbsence(_ error: I2CError) -> Bool {
        error.cause == .noAcknowledge || error.cause == .adapterGone
    }
}
