@testable import SensorIO
import Testing

/// A scripted i2c-dev: one device behind every address whose 256 registers auto-increment, scripted failures per
/// call, and a log of every call. It keeps the C conventions of the real calls (-1 plus errno; -errno for libi2c).
private final class FakeI2CKernel: I2CSystemCalls {
    enum Call: Equatable {
        case open(String), close(Int32), functionality, setTarget(UInt8), setTimeout(Int32), setRetries(Int32)
        case transfer([Message])
        case smbusReadBlock(command: UInt8, length: Int)
        case smbusWriteBlock(command: UInt8, bytes: [UInt8])
        case smbusWriteByteData(command: UInt8, value: UInt8)
        case smbusReadByte
    }

    struct Message: Equatable {
        var address: UInt16
        var isRead: Bool
        var length: Int
        var written: [UInt8]
    }

    let descriptor: Int32 = 7
    var functionalityBits: UInt
    var registers: [UInt8] = (0..<256).map { UInt8($0) ^ 0xA5 }
    var log: [Call] = []
    /// errno values to fail the next calls of an operation with, keyed by the operation's name in `Call`;
    /// 0 lets that call succeed.
    var failures: [String: [Int32]] = [:]
    /// When set, `transfer` reports this many messages instead of all of them.
    var transferredOverride: Int32?
    /// When set, SMBus block reads return this many bytes instead of the length asked.
    var shortBlockRead: Int32?
    /// Where each `I2C_RDWR` message's bytes were, and each SMBus block read's buffer: whose memory the kernel got.
    var messageBuffers: [[UnsafeRawPointer?]] = []
    var blockBuffers: [UnsafeMutableRawPointer?] = []
    private var errnoValue: Int32 = 0

    init(functionality: I2CFunctionality) {
        functionalityBits = functionality.rawValue
    }

    var transferCalls: [[Message]] {
        log.compactMap { if case .transfer(let messages) = $0 { messages } else { nil } }
    }

    var dataCalls: [Call] {
        log.filter {
            switch $0 {
            case .transfer, .smbusReadBlock, .smbusWriteBlock, .smbusWriteByteData, .smbusReadByte, .setTarget: true
            default: false
            }
        }
    }

    /// The next scripted errno for `operation`, if any.
    private func failure(_ operation: String) -> Int32? {
        guard var queue = failures[operation], !queue.isEmpty else { return nil }
        let code = queue.removeFirst()
        failures[operation] = queue
        return code == 0 ? nil : code
    }

    /// -1 with errno set, the system-call convention.
    private func fail(_ code: Int32) -> Int32 {
        errnoValue = code
        return -1
    }

    func lastErrno() -> Int32 { errnoValue }

    func open(_ path: UnsafePointer<CChar>) -> Int32 {
        log.append(.open(String(cString: path)))
        return failure("open").map(fail) ?? descriptor
    }

    func close(_ fd: Int32) -> Int32 {
        log.append(.close(fd))
        return failure("close").map(fail) ?? 0
    }

    func functionality(_ fd: Int32, _ bits: inout UInt) -> Int32 {
        log.append(.functionality)
        if let code = failure("functionality") { return fail(code) }
        bits = functionalityBits
        return 0
    }

    func setTarget(_ fd: Int32, _ address: UInt8) -> Int32 {
        log.append(.setTarget(address))
        return failure("setTarget").map(fail) ?? 0
    }

    func setTimeout(_ fd: Int32, tenMilliseconds units: Int32) -> Int32 {
        log.append(.setTimeout(units))
        return failure("setTimeout").map(fail) ?? 0
    }

    func setRetries(_ fd: Int32, _ count: Int32) -> Int32 {
        log.append(.setRetries(count))
        return 0
    }

    /// A write message sets the register pointer to its first byte and stores the rest; a read message reads
    /// from the pointer on, incrementing.
    func transfer(_ fd: Int32, _ messages: UnsafeMutableBufferPointer<I2CSyscallMessage>) -> Int32 {
        messageBuffers.append(messages.map { UnsafeRawPointer($0.buffer.baseAddress) })
        log.append(.transfer(messages.map {
            Message(address: $0.address, isRead: $0.isRead, length: $0.buffer.count,
                    written: $0.isRead ? [] : Array($0.buffer))
        }))
        if let code = failure("transfer") { return fail(code) }
        var pointer = 0
        for message in messages {
            if message.isRead {
                for index in message.buffer.indices {
                    message.buffer[index] = registers[(pointer + index) % 256]
                }
            } else if let first = message.buffer.first {
                pointer = Int(first)
                for (index, byte) in message.buffer.dropFirst().enumerated() {
                    registers[(pointer + index) % 256] = byte
                }
            }
        }
        return transferredOverride ?? Int32(messages.count)
    }

    func smbusReadI2CBlock(_ fd: Int32, _ command: UInt8, _ buffer: UnsafeMutableRawBufferPointer) -> Int32 {
        blockBuffers.append(buffer.baseAddress)
        log.append(.smbusReadBlock(command: command, length: buffer.count))
        if let code = failure("smbusReadBlock") { return -code }
        for index in buffer.indices { buffer[index] = registers[(Int(command) + index) % 256] }
        return shortBlockRead ?? Int32(buffer.count)
    }

    func smbusWriteI2CBlock(_ fd: Int32, _ command: UInt8, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        log.append(.smbusWriteBlock(command: command, bytes: Array(bytes)))
        if let code = failure("smbusWriteBlock") { return -code }
        for (index, byte) in bytes.enumerated() { registers[(Int(command) + index) % 256] = byte }
        return 0
    }

    func smbusWriteByteData(_ fd: Int32, _ command: UInt8, _ value: UInt8) -> Int32 {
        log.append(.smbusWriteByteData(command: command, value: value))
        if let code = failure("smbusWriteByteData") { return -code }
        registers[Int(command)] = value
        return 0
    }

    func smbusReadByte(_ fd: Int32) -> Int32 {
        log.append(.smbusReadByte)
        if let code = failure("smbusReadByte") { return -code }
        return Int32(registers[0])
    }
}

private let path = "/dev/i2c-fake"
private let device = I2CAddress(0x76)
private let smbusOnly: I2CFunctionality = [.smbusQuick, .smbusReadByteData, .smbusWriteByteData,
                                           .smbusReadI2CBlock, .smbusWriteI2CBlock]

@Suite("LinuxI2CBus")
struct I2CBusTests {
    @Test("errno classification follows the kernel's fault codes")
    func classification() {
        let table: [(SystemErrno, I2CError.Cause)] = [
            (.noSuchDeviceOrAddress, .noAcknowledge), (.remoteIO, .noAcknowledge), (.timedOut, .timedOut),
            (.tryAgain, .arbitrationLost), (.busy, .arbitrationLost), (.notSupported, .unsupported),
            (.noSuchDevice, .adapterGone), (.noSuchFileOrDirectory, .adapterGone),
            (.accessDenied, .permissionDenied), (.notPermitted, .permissionDenied),
            (.protocolError, .protocolViolation), (.badMessage, .protocolViolation),
            (.ioError, .io(errno: SystemErrno.ioError.rawValue)),
        ]
        for (errno, cause) in table {
            #expect(I2CError.Cause(errno: errno.rawValue) == cause, "errno \(errno.rawValue)")
        }
        #expect(SystemErrno.remoteIO.rawValue == 121 && SystemErrno.noSuchDeviceOrAddress.rawValue == 6)
    }

    @Test("opening an adapter that does not exist is .adapterGone naming the path")
    func missingAdapter() {
        let missing = "/dev/i2c-48611"
        let error = #expect(throws: I2CError.self) { _ = try LinuxI2CBus(path: missing) }
        #expect(error?.cause == .adapterGone)
        #expect(error?.bus == missing)
        #expect(error?.operation == "open")
        #expect(error?.errno == SystemErrno.noSuchFileOrDirectory.rawValue)
        #expect(error?.description.contains(missing) == true)
    }

    @Test("a device file that is not an I2C adapter fails at I2C_FUNCS with ENOTTY, naming the path")
    func notAnAdapter() {
        let error = #expect(throws: I2CError.self) { _ = try LinuxI2CBus(path: "/dev/null") }
        #expect(error?.cause == .io(errno: SystemErrno.notATypewriter.rawValue))
        #expect(error?.bus == "/dev/null")
        #expect(error?.operation == "I2C_FUNCS")
    }

    @Test("open reads I2C_FUNCS once and sets the 100 ms default timeout")
    func open() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c, .smbusQuick])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        #expect(bus.functionality == [.i2c, .smbusQuick])
        #expect(bus.name == path)
        #expect(kernel.log == [.open(path), .functionality, .setTimeout(10)])
        _ = try bus.writeRead(address: device, write: [0x00], readCount: 1)
        #expect(kernel.log.filter { $0 == .functionality }.count == 1)
    }

    @Test("a failed I2C_FUNCS closes the descriptor and names the operation")
    func functionalityFailure() {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        kernel.failures["functionality"] = [SystemErrno.notATypewriter.rawValue]
        #expect(throws: I2CError(.io(errno: SystemErrno.notATypewriter.rawValue), bus: path, operation: "I2C_FUNCS",
                                 errno: SystemErrno.notATypewriter.rawValue)) {
            _ = try LinuxI2CBus(path: path, calls: kernel)
        }
        #expect(kernel.log.last == .close(kernel.descriptor))
    }

    @Test("a failed I2C_TIMEOUT at open closes the descriptor")
    func timeoutFailureCloses() {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        kernel.failures["setTimeout"] = [SystemErrno.ioError.rawValue]
        let error = #expect(throws: I2CError.self) { _ = try LinuxI2CBus(path: path, calls: kernel) }
        #expect(error?.operation == "I2C_TIMEOUT")
        #expect(kernel.log.last == .close(kernel.descriptor))
    }

    @Test("with I2C_FUNC_I2C a register read is one I2C_RDWR of a write and a read message")
    func combinedTransfer() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        let bytes = try bus.writeRead(address: device, write: [0x10], readCount: 6)
        #expect(bytes == Array(kernel.registers[0x10..<0x16]))
        #expect(kernel.dataCalls == [.transfer([
            .init(address: 0x76, isRead: false, length: 1, written: [0x10]),
            .init(address: 0x76, isRead: true, length: 6, written: []),
        ])])
    }

    @Test("write and read are single I2C_RDWR messages")
    func singleMessages() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        try bus.write(address: device, [0x20, 0x01, 0x02])
        #expect(try bus.read(address: device, count: 2).count == 2)
        #expect(kernel.registers[0x20...0x21] == [0x01, 0x02])
        #expect(kernel.transferCalls == [
            [.init(address: 0x76, isRead: false, length: 3, written: [0x20, 0x01, 0x02])],
            [.init(address: 0x76, isRead: true, length: 2, written: [])],
        ])
    }

    @Test("transfers from and into the caller's memory hand the kernel that memory, in the same messages")
    func callerMemoryTransfers() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        var register: UInt8 = 0x10
        var data = [UInt8](repeating: 0, count: 6)
        try withUnsafeBytes(of: &register) { registerBytes in
            try data.withUnsafeMutableBytes { buffer in
                try bus.writeRead(address: device, write: registerBytes, into: buffer)
                #expect(kernel.messageBuffers.last == [registerBytes.baseAddress, UnsafeRawPointer(buffer.baseAddress)])
            }
        }
        #expect(data == Array(kernel.registers[0x10..<0x16]))
        let command: [UInt8] = [0x20, 0x5A]
        try command.withUnsafeBytes { bytes in
            try bus.write(address: device, bytes)
            #expect(kernel.messageBuffers.last == [bytes.baseAddress])
        }
        #expect(kernel.registers[0x20] == 0x5A)
        #expect(kernel.transferCalls == [
            [.init(address: 0x76, isRead: false, length: 1, written: [0x10]),
             .init(address: 0x76, isRead: true, length: 6, written: [])],
            [.init(address: 0x76, isRead: false, length: 2, written: [0x20, 0x5A])],
        ])
        // No register byte: a plain read into the buffer; no read buffer: a plain write.
        try data.withUnsafeMutableBytes { buffer in
            try bus.writeRead(address: device, write: UnsafeRawBufferPointer(start: nil, count: 0),
                              into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<2]))
            #expect(kernel.messageBuffers.last == [UnsafeRawPointer(buffer.baseAddress)])
            try command.withUnsafeBytes { bytes in
                try bus.writeRead(address: device, write: bytes,
                                  into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<0]))
            }
        }
        #expect(kernel.transferCalls.suffix(2) == [
            [.init(address: 0x76, isRead: true, length: 2, written: [])],
            [.init(address: 0x76, isRead: false, length: 2, written: [0x20, 0x5A])],
        ])
    }

    @Test("without I2C_FUNC_I2C a read into the caller's memory fills it chunk by chunk in place")
    func smbusCallerMemory() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly)
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        var data = [UInt8](repeating: 0, count: 40)
        let register: [UInt8] = [0x30]
        try register.withUnsafeBytes { registerBytes in
            try data.withUnsafeMutableBytes { buffer in
                try bus.writeRead(address: device, write: registerBytes, into: buffer)
                #expect(kernel.blockBuffers == [buffer.baseAddress, buffer.baseAddress! + 32])
            }
        }
        #expect(data == Array(kernel.registers[0x30..<0x58]))
        let write: [UInt8] = [0x40, 1, 2, 3]
        try write.withUnsafeBytes { try bus.write(address: device, $0) }
        #expect(kernel.registers[0x40...0x42] == [1, 2, 3])
        #expect(kernel.dataCalls.suffix(1) == [.smbusWriteBlock(command: 0x40, bytes: [1, 2, 3])])
    }

    @Test("EINTR is retried until the transfer completes")
    func interruptedTransferIsRetried() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        kernel.failures["transfer"] = [SystemErrno.interrupted.rawValue, SystemErrno.interrupted.rawValue]
        let bytes = try bus.writeRead(address: device, write: [0x00], readCount: 2)
        #expect(bytes == Array(kernel.registers[0..<2]))
        #expect(kernel.transferCalls.count == 3)
    }

    @Test("EINTR from libi2c's -errno return is retried too")
    func interruptedSMBusIsRetried() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly)
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        kernel.failures["smbusReadBlock"] = [SystemErrno.interrupted.rawValue]
        #expect(try bus.writeRead(address: device, write: [0x40], readCount: 4) == Array(kernel.registers[0x40..<0x44]))
        #expect(kernel.dataCalls.filter { if case .smbusReadBlock = $0 { true } else { false } }.count == 2)
    }

    @Test("EREMOTEIO is .noAcknowledge with bus, address, register, operation and errno")
    func remoteIOIsNoAcknowledge() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        kernel.failures["transfer"] = [SystemErrno.remoteIO.rawValue]
        #expect(throws: I2CError(.noAcknowledge, bus: path, address: device, register: 0xD0, operation: "I2C_RDWR",
                                 errno: 121)) {
            _ = try bus.writeRead(address: device, write: [0xD0], readCount: 1)
        }
        kernel.failures["transfer"] = [SystemErrno.remoteIO.rawValue]
        do {
            _ = try I2CDevice(transport: bus, address: device).readRegister(0xD0)
            Issue.record("expected a NACK")
        } catch I2CError.noAcknowledge {
            // The cause alone matches through `~=`, on a typed `I2CError`...
        } catch {
            Issue.record("unexpected \(error)")
        }
        kernel.failures["transfer"] = [SystemErrno.remoteIO.rawValue]
        do {
            let untyped: () throws -> [UInt8] = { try bus.writeRead(address: device, write: [0xD0], readCount: 1) }
            _ = try untyped()
            Issue.record("expected a NACK")
        } catch I2CError.noAcknowledge {
            // ...and on `any Error`.
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a transfer of fewer messages than sent is .protocolViolation")
    func shortTransfer() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        kernel.transferredOverride = 1
        #expect(throws: I2CError(.protocolViolation, bus: path, address: device, register: 0x04,
                                 operation: "I2C_RDWR (1 of 2 messages)")) {
            _ = try bus.writeRead(address: device, write: [0x04], readCount: 3)
        }
    }

    @Test("without I2C_FUNC_I2C reads go as SMBus I2C-block reads of at most 32 bytes at rising registers")
    func smbusFallbackChunks() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly)
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        let bytes = try bus.writeRead(address: device, write: [0x10], readCount: 70)
        #expect(bytes == Array(kernel.registers[0x10..<0x56]))
        #expect(kernel.dataCalls == [
            .setTarget(0x76),
            .smbusReadBlock(command: 0x10, length: 32),
            .smbusReadBlock(command: 0x30, length: 32),
            .smbusReadBlock(command: 0x50, length: 6),
        ])
        // The target stays selected for the next transfer to the same device.
        _ = try bus.writeRead(address: device, write: [0x00], readCount: 1)
        #expect(kernel.dataCalls.filter { $0 == .setTarget(0x76) }.count == 1)
        #expect(kernel.transferCalls.isEmpty)
    }

    @Test("a short SMBus block is .protocolViolation at that chunk's register")
    func shortSMBusBlock() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly)
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        kernel.shortBlockRead = 5
        #expect(throws: I2CError(.protocolViolation, bus: path, address: device, register: 0x10,
                                 operation: "SMBus read I2C block (5 of 32 bytes)")) {
            _ = try bus.writeRead(address: device, write: [0x10], readCount: 40)
        }
    }

    @Test("a NACK in the SMBus fallback carries the chunk's register")
    func smbusNoAcknowledge() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly)
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        kernel.failures["smbusReadBlock"] = [0, SystemErrno.noSuchDeviceOrAddress.rawValue]   // the second chunk
        #expect(throws: I2CError(.noAcknowledge, bus: path, address: device, register: 0x28,
                                 operation: "SMBus read I2C block", errno: 6)) {
            _ = try bus.writeRead(address: device, write: [0x08], readCount: 40)
        }
    }

    @Test("without I2C_FUNC_I2C a one-byte plain read is an SMBus receive byte; a NACK is .noAcknowledge")
    func smbusReceiveByte() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly.union(.smbusReadByte))
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        #expect(try bus.read(address: device, count: 1) == [kernel.registers[0]])
        #expect(kernel.dataCalls == [.setTarget(0x76), .smbusReadByte])
        kernel.failures["smbusReadByte"] = [SystemErrno.noSuchDeviceOrAddress.rawValue]
        #expect(throws: I2CError(.noAcknowledge, bus: path, address: device, operation: "SMBus receive byte", errno: 6)) {
            _ = try bus.read(address: device, count: 1)
        }
        // Longer plain reads have no SMBus form.
        #expect(throws: I2CError.self) { _ = try bus.read(address: device, count: 2) }
    }

    @Test("without I2C_FUNC_I2C, writes are SMBus byte-data or I2C-block writes")
    func smbusWrites() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly)
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        try bus.write(address: device, [0x1B, 0x33])
        try bus.write(address: device, [0x30, 1, 2, 3])
        #expect(kernel.dataCalls == [
            .setTarget(0x76),
            .smbusWriteByteData(command: 0x1B, value: 0x33),
            .smbusWriteBlock(command: 0x30, bytes: [1, 2, 3]),
        ])
    }

    @Test("an adapter with neither capability refuses with .unsupported before any transfer")
    func noCapability() throws {
        let kernel = FakeI2CKernel(functionality: [.smbusQuick, .smbusReadByteData])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        let error = #expect(throws: I2CError.self) {
            _ = try bus.writeRead(address: device, write: [0x00], readCount: 4)
        }
        #expect(error?.cause == .unsupported)
        #expect(error?.bus == path)
        #expect(error?.operation.contains("adapter \(path)") == true, "the message names the adapter")
        #expect(error?.errno == nil)
        #expect(throws: I2CError.self) { _ = try bus.read(address: device, count: 3) }
        #expect(throws: I2CError.self) { try bus.write(address: device, [0x01, 0x02, 0x03]) }
        #expect(kernel.dataCalls.isEmpty)
    }

    @Test("the SMBus fallback refuses a multi-byte register address before any transfer")
    func smbusNeedsOneAddressByte() throws {
        let kernel = FakeI2CKernel(functionality: smbusOnly)
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        #expect(throws: I2CError.self) { _ = try bus.writeRead(address: device, write: [0xE1, 0x02], readCount: 2) }
        #expect(kernel.dataCalls.isEmpty)
    }

    @Test("setTimeout rounds up to 10 ms units")
    func timeoutUnits() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let bus = try LinuxI2CBus(path: path, calls: kernel)
        try bus.setTimeout(milliseconds: 25)
        try bus.setTimeout(milliseconds: 1)
        try bus.setRetries(3)
        #expect(kernel.log.suffix(3) == [.setTimeout(3), .setTimeout(1), .setRetries(3)])
    }

    @Test("withOpened closes on success and when the body throws, rethrowing the body's error")
    func withOpenedCloses() throws {
        struct BodyError: Error {}
        let kernel = FakeI2CKernel(functionality: [.i2c])
        let value = try LinuxI2CBus.withOpened(path, calls: kernel) { _ in 42 }
        #expect(value == 42)
        #expect(kernel.log.last == .close(kernel.descriptor))

        let failing = FakeI2CKernel(functionality: [.i2c])
        failing.failures["close"] = [SystemErrno.ioError.rawValue]
        #expect(throws: BodyError.self) {
            try LinuxI2CBus.withOpened(path, calls: failing) { _ in throw BodyError() }
        }
        #expect(failing.log.filter { $0 == .close(failing.descriptor) }.count == 1)
    }

    @Test("close is not retried on EINTR and happens once, deinit included")
    func closeOnce() throws {
        let kernel = FakeI2CKernel(functionality: [.i2c])
        do {
            let bus = try LinuxI2CBus(path: path, calls: kernel)
            kernel.failures["close"] = [SystemErrno.interrupted.rawValue]
            try bus.close()
            try bus.close()
        }
        #expect(kernel.log.filter { $0 == .close(kernel.descriptor) }.count == 1)

        let dropped = FakeI2CKernel(functionality: [.i2c])
        do { _ = try LinuxI2CBus(path: path, calls: dropped) }
        #expect(dropped.log.last == .close(dropped.descriptor))
    }
}
