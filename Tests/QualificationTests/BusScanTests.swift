import SensorIO
import Testing
@testable import Qualification

/// `sensorqual scan` identifies from id registers only, and never writes a register.
@Suite struct BusScanTests {
    /// Devices as register files by address; every transfer is logged. An address with no file NACKs.
    final class BenchBus: I2CTransport {
        let name = "test:scan"
        var devices: [UInt8: [UInt8: UInt8]] = [:]
        /// Addresses that answer a read but hold no registers (a command chip waiting for its command).
        var commandChips: Set<UInt8> = []
        var log: [(address: UInt8, written: [UInt8], read: Int)] = []

        func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
            log.append((address.rawValue, bytes, readCount))
            guard let registers = devices[address.rawValue] else {
                if commandChips.contains(address.rawValue) { return [UInt8](repeating: 0xFF, count: readCount) }
                throw I2CError(.noAcknowledge, bus: name, address: address, operation: "transfer")
            }
            let first = bytes.first ?? 0
            return (0..<readCount).map { registers[first &+ UInt8($0)] ?? 0 }
        }

        func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
            _ = try writeRead(address: address, write: bytes, readCount: 0)
        }

        func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
            try writeRead(address: address, write: [], readCount: count)
        }
    }

    @Test func namesWhatTheIDRegistersSay() throws {
        let catalog = try Repository.catalog()
        let bus = BenchBus()
        bus.devices[0x76] = [0x00: 0x60]                 // a BMP390
        bus.devices[0x77] = [0x00: 0x00, 0x0D: 0x10]     // a DPS310 (its 0x00 is pressure data)
        bus.devices[0x1C] = [0x0F: 0x3D]                 // a LIS3MDL
        bus.devices[0x5C] = [0x0F: 0x42]                 // not an LPS22HH (WHO_AM_I 0xB3)
        bus.devices[0x48] = [:]                          // where no catalog chip has an id register
        bus.commandChips = [0x62]                        // an SCD41
        let found = BusScan.scan(bus, catalog: catalog)
        #expect(found.map { $0.address.rawValue } == [0x1C, 0x48, 0x5C, 0x62, 0x76, 0x77])
        #expect(found.map { $0.model } == ["LIS3MDL", nil, nil, nil, "BMP390", "DPS310"])
        #expect(found[0].idRegister == 0x0F && found[0].idValue == 0x3D)
        #expect(found[2].detail == "id 0x0F reads 0x42: not LPS22HH")
        #expect(found[3].detail == "no catalog chip with an id register sits at 0x62; may be SCD41 (no id register)")
        #expect(found[1].detail?.hasPrefix("no catalog chip with an id register sits at 0x48") == true)

        // Every transfer is an id-register read (the pointer written, one byte read) or a one-byte read: no register
        // is ever written, and each address gets at most one read per id register its candidates have.
        for transfer in bus.log {
            #expect(transfer.read == 1)
            #expect(transfer.written.count <= 1)
        }
        let idRegisters: Set<UInt8> = Set(catalog.names.compactMap { catalog.chip($0)?.idRegister })
        #expect(bus.log.allSatisfy { $0.written.isEmpty || idRegisters.contains($0.written[0]) })
        #expect(bus.log.filter { $0.address == 0x76 }.map(\.written) == [[0x00]])
        #expect(bus.log.filter { $0.address == 0x77 }.map(\.written) == [[0x00], [0x0D]])
        #expect(bus.log.count == Int(BusScan.addresses.count) + 1)    // 0x77's two id registers
    }

    @Test func skipsWhatItIsTold() throws {
        let bus = BenchBus()
        bus.devices[0x70] = [:]
        bus.devices[0x76] = [0x00: 0x60]
        let found = BusScan.scan(bus, catalog: try Repository.catalog(), skipping: [I2CAddress(0x70)])
        #expect(found.map { $0.address.rawValue } == [0x76])
        #expect(!bus.log.contains { $0.address == 0x70 })
    }
}
