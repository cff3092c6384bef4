import SensorIO
import Testing
@testable import SensorDrivers
@testable import SensorSim

/// A Sensirion command chip on a fake transport: every write is logged, a write whose 16-bit command has a canned
/// answer makes that answer the next plain read (FF bytes when there is none, like an undriven bus). A combined
/// write-read counts as a protocol failure: Sensirion chips take plain writes and reads only (sensors.md §7).
final class SensirionCommandLog: I2CTransport {
    let name = "test:sensirion"
    var answers: [UInt16: [UInt8]] = [:]
    var writes: [[UInt8]] = []
    var combinedTransactions = 0
    private var pending: [UInt8] = []

    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        combinedTransactions += 1
        return [UInt8](repeating: 0xFF, count: readCount)
    }

    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        writes.append(bytes)
        pending = bytes.count >= 2 ? answers[UInt16(bytes[0]) << 8 | UInt16(bytes[1])] ?? [] : []
    }

    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
        defer { pending = [] }
        return (0..<count).map { $0 < pending.count ? pending[$0] : 0xFF }
    }
}

/// A transport in front of a simulated bus that logs each write with the simulated time it was made at.
final class TimedWriteLog: I2CTransport {
    let inner: any I2CTransport
    let clock: SimulatedClock
    var writes: [(time: Double, bytes: [UInt8])] = []
    var name: String { inner.name }

    init(_ inner: any I2CTransport, clock: SimulatedClock) {
        self.inner = inner
        self.clock = clock
    }

    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        try inner.writeRead(address: address, write: bytes, readCount: readCount)
    }

    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        writes.append((Double(clock.now()) * 1e-9, bytes))
        try inner.write(address: address, bytes)
    }

    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
        try inner.read(address: address, count: count)
    }
}

/// One gas unit on a simulated bench, with its chamber reachable (`deliver`) and the time in seconds.
struct GasBench {
    let unit: SingleUnitBench
    var clock: SimulatedClock { unit.clock }
    var seconds: Double { Double(unit.clock.now()) * 1e-9 }

    init(_ model: any SimulatedI2CChip, address: UInt8, seed: UInt64 = 1) {
        unit = SingleUnitBench(model, address: I2CAddress(address), seed: seed)
    }

    /// The mixer delivers `mixture` (ppm by gas) from now; the chamber follows with its flush time constant.
    func deliver(_ mixture: [String: Double]) { unit.bench.deliver(mixture: mixture) }
}

/// Polls a gas sensor on the simulated clock until it delivers a reading: advancing by the duration it asks for,
/// or by 0.1 s while it is not ready.
func nextGasReading(_ sensor: any GasSensor, clock: SimulatedClock) throws -> GasReading {
    for _ in 0..<100_000 {
        switch try sensor.poll() {
        case .reading(let reading): return reading
        case .converting(let seconds): clock.advance(by: seconds)
        case .notReady: clock.advance(by: 0.1)
        }
    }
    throw DriverError.configurationRejected(model: "test", reason: "no reading in 100000 polls")
}

/// The readings a sensor delivers until the simulated clock reaches `end` seconds, each with its time.
func gasReadings(_ sensor: any GasSensor, clock: SimulatedClock, until end: Double) throws -> [(time: Double, reading: GasReading)] {
    var out: [(time: Double, reading: GasReading)] = []
    while Double(clock.now()) * 1e-9 < end {
        let reading = try nextGasReading(sensor, clock: clock)
        out.append((Double(clock.now()) * 1e-9, reading))
    }
    return out
}
