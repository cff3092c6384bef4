import SensorIO

/// Why a driver could not probe, configure or read its chip.
public enum DriverError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The transfer itself failed; the cause says whether the device is absent, the bus timed out, etc.
    case bus(I2CError)
    /// Something answered at the address, but its id register holds another chip's id.
    case wrongChip(model: String, register: UInt8, expected: [UInt8], found: UInt8)
    /// The chip flagged the configuration as impossible (e.g. BMP3 ERR.conf_err for an OSR/ODR pair).
    case configurationRejected(model: String, reason: String)
    /// Calibration data that cannot be right (all 0x00 or all 0xFF, bad CRC).
    case invalidCalibration(model: String, reason: String)

    public var description: String {
        switch self {
        case .bus(let error): "\(error)"
        case .wrongChip(let model, let register, let expected, let found):
            "not a \(model): id register 0x\(hex(register)) reads 0x\(hex(found)), expected "
                + expected.map { "0x" + hex($0) }.joined(separator: " or ")
        case .configurationRejected(let model, let reason): "\(model) rejected its configuration: \(reason)"
        case .invalidCalibration(let model, let reason): "\(model) calibration is invalid: \(reason)"
        }
    }
}

func hex(_ byte: UInt8) -> String {
    (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
}

extension I2CDevice {
    /// Register reads for drivers: transport errors become `DriverError.bus`.
    func registers(_ register: UInt8, count: Int) throws(DriverError) -> [UInt8] {
        do throws(I2CError) { return try readRegisters(register, count: count) } catch { throw .bus(error) }
    }

    /// `buffer.count` consecutive registers from `register` into `buffer`: the reads made for every conversion,
    /// without an array each.
    func registers(_ register: UInt8, into buffer: UnsafeMutableRawBufferPointer) throws(DriverError) {
        do throws(I2CError) { try readRegisters(register, into: buffer) } catch { throw .bus(error) }
    }

    /// One register's value.
    func value(of register: UInt8) throws(DriverError) -> UInt8 {
        do throws(I2CError) { return try readRegister(register) } catch { throw .bus(error) }
    }

    func set(_ register: UInt8, _ value: UInt8) throws(DriverError) {
        do throws(I2CError) { try writeRegister(register, value) } catch { throw .bus(error) }
    }

    func command(_ bytes: [UInt8]) throws(DriverError) {
        do throws(I2CError) { try send(bytes) } catch { throw .bus(error) }
    }

    func response(count: Int) throws(DriverError) -> [UInt8] {
        do throws(I2CError) { return try receive(count: count) } catch { throw .bus(error) }
    }
}

extension Int64 {
    /// Sign-extends a 24-bit two's-complement value (sensors.md §7).
    init(signExtending24 raw: UInt32) {
        self = Int64(Int32(bitPattern: raw << 8) >> 8)
    }
}
