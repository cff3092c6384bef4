import Testing
@testable import SensorIO

/// `I2CDevice`'s register reads into a caller's buffer and its register writes from bytes in place (issue 10:
/// acquisition transfers without an array each), through a transport that has only the array calls, as the tests'
/// fakes and any adapter without its own buffer path: the same bytes, the same pointer write, and a short answer
/// refused at its register.
@Suite struct I2CDeviceTests {
    /// Answers a pointer write with `answer`'s first `readCount` bytes, or all of it when shorter; logs the writes.
    final class ScriptedBus: I2CTransport {
        let name = "scripted"
        var answer: [UInt8]
        var writes: [[UInt8]] = []

        init(answer: [UInt8]) { self.answer = answer }

        func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
            writes.append(bytes)
            return Array(answer.prefix(readCount))
        }

        func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) { writes.append(bytes) }

        func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] { Array(answer.prefix(count)) }
    }

    @Test func readsIntoABufferWhatTheArrayReadReturns() throws {
        let bus = ScriptedBus(answer: [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77])
        let device = I2CDevice(transport: bus, address: I2CAddress(0x30))
        var bytes = [UInt8](repeating: 0, count: 7)
        try bytes.withUnsafeMutableBytes { buffer in try device.readRegisters(0x00, into: buffer) }
        #expect(bytes == (try device.readRegisters(0x00, count: 7)))
        #expect(try device.readRegister(0x08) == 0x11)
        #expect(bus.writes == [[0x00], [0x00], [0x08]])
    }

    @Test func registerWritesAndMuxSelectsReachTheArrayWriteAsTheirBytes() throws {
        let bus = ScriptedBus(answer: [0x5A])
        try I2CDevice(transport: bus, address: I2CAddress(0x30)).writeRegister(0x08, 0x21)
        #expect(bus.writes == [[0x08, 0x21]])

        // Behind a mux: the channel byte once per change of channel, then the device's own transfer.
        let mux = I2CMux(parent: bus, address: I2CAddress(0x70))
        let device = I2CDevice(transport: mux.channel(5), address: I2CAddress(0x30))
        bus.writes = []
        try device.writeRegister(0x09, 0x01)
        #expect(try device.readRegister(0x07) == 0x5A)
        try I2CDevice(transport: mux.channel(2), address: I2CAddress(0x30)).writeRegister(0x0A, 0xFF)
        #expect(bus.writes == [[0x20], [0x09, 0x01], [0x07], [0x04], [0x0A, 0xFF]])
    }

    @Test func aShortAnswerIsAProtocolViolationAtItsRegister() {
        let bus = ScriptedBus(answer: [0x11, 0x22])
        let device = I2CDevice(transport: bus, address: I2CAddress(0x1C))
        var bytes = [UInt8](repeating: 0, count: 8)
        #expect(throws: I2CError(.protocolViolation, bus: "scripted", address: I2CAddress(0x1C), register: 0xA8,
                                 operation: "read 8 bytes (got 2)")) {
            try bytes.withUnsafeMutableBytes { buffer in try device.readRegisters(0xA8, into: buffer) }
        }
        bus.answer = []
        #expect(throws: I2CError(.protocolViolation, bus: "scripted", address: I2CAddress(0x1C), register: 0x27,
                                 operation: "read 1 bytes (got 0)")) {
            try device.readRegister(0x27)
        }
    }
}
