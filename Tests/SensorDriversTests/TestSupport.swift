import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// A register file on a fake transport: reads return the bytes from the register pointer on, every write is
/// logged in order (tests assert on what a driver wrote), and single-register writes land in the file unless
/// `storesWrites` is off (to keep status bits a test has set).
final class RegisterFile: I2CTransport {
    let name: String
    let storesWrites: Bool
    var registers = [UInt8](repeating: 0, count: 0x80)
    var writes: [[UInt8]] = []

    init(name: String = "test:regs", storesWrites: Bool = true) {
        self.name = name
        self.storesWrites = storesWrites
    }

    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        guard let start = bytes.first else { return [] }
        return Array(registers[Int(start)..<Int(start) + readCount])
    }

    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        writes.append(bytes)
        if storesWrites, bytes.count == 2 { registers[Int(bytes[0])] = bytes[1] }
    }

    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] { [] }

    /// The value last written to `register`.
    func written(_ register: UInt8) -> UInt8? { writes.last { $0.first == register }?[1] }
}

/// One simulated unit alone on a simulated bus (no mux channel), with a virtual clock.
struct SingleUnitBench {
    let bench: SimulatedBench
    let device: I2CDevice
    var clock: SimulatedClock { bench.clock }

    init(_ model: any SimulatedI2CChip, address: I2CAddress, seed: UInt64 = 0) {
        bench = SimulatedBench(clock: SimulatedClock(), muxAddress: I2CAddress(0x70),
                               units: [(channel: nil, address: address, model: model)],
                               referenceRandom: SeededRandom(seed: seed), referenceBias: 0, referenceNoise: 0)
        device = I2CDevice(transport: SimulatedI2CBus(name: "sim:test", bench: bench), address: address)
    }
}

/// Polls a magnetometer on the simulated clock until it delivers a reading: advancing by the conversion time it
/// asks for, or by 0.5 ms while it is not ready.
func nextMagneticReading(_ sensor: any MagneticSensor, clock: SimulatedClock) throws -> MagneticReading {
    for _ in 0..<100_000 {
        switch try sensor.poll() {
        case .reading(let reading): return reading
        case .converting(let seconds): clock.advance(by: seconds)
        case .notReady: clock.advance(by: 0.0005)
        }
    }
    throw DriverError.configurationRejected(model: "test", reason: "no reading in 100000 polls")
}

/// A transport that passes every transfer on to `inner` and logs its register reads: the sub-address written and
/// the number of bytes read. Tests of which transactions a driver makes per reading.
final class TransferLog: I2CTransport {
    struct Read: Equatable, CustomStringConvertible {
        var register: UInt8
        var count: Int
        var description: String { "\(count) bytes from 0x\(String(register, radix: 16))" }
    }

    let inner: any I2CTransport
    private(set) var reads: [Read] = []

    init(_ inner: any I2CTransport) {
        self.inner = inner
    }

    var name: String { inner.name }

    /// The reads logged since the last call.
    func take() -> [Read] {
        defer { reads.removeAll() }
        return reads
    }

    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        if let register = bytes.first, readCount > 0 { reads.append(Read(register: register, count: readCount)) }
        return try inner.writeRead(address: address, write: bytes, readCount: readCount)
    }

    func writeRead(address: I2CAddress, write bytes: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        if let register = bytes.first, buffer.count > 0 { reads.append(Read(register: register, count: buffer.count)) }
        try inner.writeRead(address: address, write: bytes, into: buffer)
    }

    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        try inner.write(address: address, bytes)
    }

    func write(address: I2CAddress, _ bytes: UnsafeRawBufferPointer) throws(I2CError) {
        try inner.write(address: address, bytes)
    }

    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
        try inner.read(address: address, count: count)
    }
}

extension TransferLog {
    /// The transactions of a driver whose poll reads STATUS and the data in one burst (the BMP390, LIS3MDL and
    /// LPS22HH): a reading is one `burst`; a second poll before the next conversion finds none, in one `burst` too;
    /// after that not-ready poll, STATUS alone (`status`) until a conversion is there, then `status` and `data`; then
    /// bursts again. `poll` gives the reading, or nil when the chip has none; `nextConversion` moves the clock past the
    /// next one. Returns the three readings taken.
    func expectOneBurstPolls<Reading>(burst: Read, status: Read, data: Read, nextConversion: () -> Void,
                                      poll: () throws -> Reading?) throws -> [Reading] {
        _ = take()
        var readings: [Reading] = []
        func read(_ expected: [Read]) throws {
            nextConversion()
            guard let reading = try poll() else {
                Issue.record("no conversion after \(readings.count) readings")
                return
            }
            readings.append(reading)
            #expect(take() == expected)
        }
        try read([burst])
        #expect(try poll() == nil)
        #expect(take() == [burst])
        #expect(try poll() == nil)
        #expect(take() == [status])
        try read([status, data])
        try read([burst])
        return readings
    }
}
