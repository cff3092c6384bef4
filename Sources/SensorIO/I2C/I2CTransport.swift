/// One I2C adapter: the Linux `/dev/i2c-N` or a simulated bus. Drivers see only this.
///
/// Calls block the calling thread until the transfer ends or fails; run them on the bus's own
/// acquisition thread, never on the Swift concurrency pool (DESIGN.md §3).
/// Conforming types are not required to be thread-safe: one thread owns a bus at a time.
public protocol I2CTransport: AnyObject {
    /// Human name of the adapter for errors and reports (`/dev/i2c-1`, `sim:bus0`).
    var name: String { get }

    /// Writes `bytes` to `address`, then, if `readCount > 0`, reads `readCount` bytes with a
    /// repeated START (one combined transaction where the adapter can; see reference/daemon.md §5.2).
    func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8]

    /// A plain write followed by a STOP, for command-based chips and register writes.
    func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError)

    /// A plain read after a previous write's STOP, for command-based chips (Sensirion, MS5611).
    func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8]

    /// `writeRead` of `bytes` in place into `buffer.count` bytes of `buffer`, for the transfers acquisition makes for
    /// every conversion (a register byte on the stack, the data into the reading's buffer): an adapter that takes
    /// them as they are spares two arrays per transfer. Fewer bytes than asked is a `.protocolViolation`.
    func writeRead(address: I2CAddress, write bytes: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) throws(I2CError)

    /// `write` of `bytes` in place: a register write or a mux's channel byte without an array per transfer.
    func write(address: I2CAddress, _ bytes: UnsafeRawBufferPointer) throws(I2CError)
}

extension I2CTransport {
    /// By way of the array-returning `writeRead`.
    public func writeRead(address: I2CAddress, write bytes: UnsafeRawBufferPointer, into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        let read = try writeRead(address: address, write: Array(bytes), readCount: buffer.count)
        guard read.count == buffer.count else {
            throw I2CError(.protocolViolation, bus: name, address: address, operation: "read \(buffer.count) bytes (got \(read.count))")
        }
        buffer.copyBytes(from: read)
    }

    /// By way of the array `write`.
    public func write(address: I2CAddress, _ bytes: UnsafeRawBufferPointer) throws(I2CError) {
        try write(address: address, Array(bytes))
    }
}

/// One register-addressed device on a transport: the unit a driver talks to.
public struct I2CDevice {
    public let transport: any I2CTransport
    public let address: I2CAddress

    public init(transport: any I2CTransport, address: I2CAddress) {
        self.transport = transport
        self.address = address
    }

    /// Reads `count` consecutive registers starting at `register` in one transaction.
    public func readRegisters(_ register: UInt8, count: Int) throws(I2CError) -> [UInt8] {
        do throws(I2CError) {
            let bytes = try transport.writeRead(address: address, write: OneByteWrite.of(register), readCount: count)
            guard bytes.count == count else {
                throw I2CError(.protocolViolation, bus: transport.name, address: address, register: register,
                               operation: "read \(count) bytes (got \(bytes.count))")
            }
            return bytes
        } catch {
            var located = error
            located.register = located.register ?? register
            throw located
        }
    }

    /// Reads `buffer.count` consecutive registers starting at `register` into `buffer`, in one transaction.
    public func readRegisters(_ register: UInt8, into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        do throws(I2CError) {
            try withUnsafeBytes(of: register) { (bytes) throws(I2CError) in
                try transport.writeRead(address: address, write: bytes, into: buffer)
            }
        } catch {
            var located = error
            located.register = located.register ?? register
            throw located
        }
    }

    public func readRegister(_ register: UInt8) throws(I2CError) -> UInt8 {
        var value: UInt8 = 0
        try withUnsafeMutableBytes(of: &value) { (buffer) throws(I2CError) in try readRegisters(register, into: buffer) }
        return value
    }

    /// Writes one register.
    public func writeRegister(_ register: UInt8, _ value: UInt8) throws(I2CError) {
        do throws(I2CError) {
            try withUnsafeBytes(of: (register, value)) { (bytes) throws(I2CError) in try transport.write(address: address, bytes) }
        } catch {
            var located = error
            located.register = located.register ?? register
            throw located
        }
    }

    /// A plain write of `bytes` (a command, or a register address and data) ended by a STOP.
    public func send(_ bytes: [UInt8]) throws(I2CError) {
        try transport.write(address: address, bytes)
    }

    /// A plain read of `count` bytes, for command-based chips that answer after a separate write.
    public func receive(count: Int) throws(I2CError) -> [UInt8] {
        let bytes = try transport.read(address: address, count: count)
        guard bytes.count == count else {
            throw I2CError(.protocolViolation, bus: transport.name, address: address,
                           operation: "read \(count) bytes (got \(bytes.count))")
        }
        return bytes
    }
}

/// The 256 one-byte writes (a register pointer, a mux channel mask), made once. Written as `[byte]` at the call,
/// each was a heap array per transfer: the transport is an existential, so the compiler cannot keep it on the
/// stack, and acquisition makes tens of thousands of such transfers a second.
enum OneByteWrite {
    private static let all: [[UInt8]] = (0...255).map { [UInt8($0)] }

    static func of(_ byte: UInt8) -> [UInt8] { all[Int(byte)] }
}
