/// An I2C adapter opened through Linux i2c-dev (`/dev/i2c-N`).
///
/// Transfers use one `I2C_RDWR` ioctl where the adapter has `I2C_FUNC_I2C` (a register read is a write and a read
/// joined by a repeated START, reference/daemon.md §5.2), and SMBus I2C-block transfers where it only speaks SMBus
/// (`LinuxI2CBus+SMBus.swift`). A transfer the adapter cannot do fails with `.unsupported` before anything is sent.
/// Every transfer has a kernel deadline: `I2C_TIMEOUT` is set to `defaultTimeoutMilliseconds` at open.
///
/// Calls block the calling thread; one thread owns a bus at a time (`I2CTransport`). The descriptor is closed by
/// `close()`, by `withOpened(_:_:)`, or at the latest when the bus is deinitialized.
public final class LinuxI2CBus: I2CTransport {
    /// The I2C deadline set at open, in milliseconds.
    public static let defaultTimeoutMilliseconds = 100

    /// The device path, e.g. `/dev/i2c-1`; it names the adapter in every error.
    public let name: String
    /// What the adapter can do, read once at open. The corresponding C call is `ioctl(I2C_FUNCS)`.
    public let functionality: I2CFunctionality

    let calls: any I2CSystemCalls
    /// -1 once closed.
    private var descriptor: Int32
    /// The address last set with `I2C_SLAVE`, so a run of SMBus calls to one device sets it once.
    var smbusTarget: I2CAddress?

    /// Opens an adapter read-write and close-on-exec, reads its functionality and sets the default timeout.
    ///
    /// - Parameter path: The device file, e.g. `/dev/i2c-1`. Adapter numbers can change between boots; resolve
    ///   them by name through `/sys/class/i2c-dev/` (reference/daemon.md §5.1).
    /// - Throws: `I2CError` naming `path`: `.adapterGone` if there is no such device, `.permissionDenied`, or
    ///   the errno of `ioctl(I2C_FUNCS)` or `ioctl(I2C_TIMEOUT)`.
    ///
    /// The corresponding C calls are `open(path, O_RDWR | O_CLOEXEC)` and `ioctl(I2C_FUNCS)`.
    public convenience init(path: String) throws(I2CError) {
        try self.init(path: path, calls: LinuxI2CSystemCalls())
    }

    /// Opens through `calls`: the real kernel, or the unit tests' fake.
    init(path: String, calls: any I2CSystemCalls) throws(I2CError) {
        let opened = path.withCString { cPath in
            valueOrErrno(readErrno: calls.lastErrno) { calls.open(cPath) }
        }
        let fd: Int32
        switch opened {
        case .success(let value): fd = value
        case .failure(let errno): throw I2CError(errno, bus: path, operation: "open")
        }
        var bits: UInt = 0
        if case .failure(let errno) = valueOrErrno(readErrno: calls.lastErrno, { calls.functionality(fd, &bits) }) {
            // The open failed as a whole; the ioctl's error is the one to report, so a close error is dropped.
            _ = calls.close(fd)
            throw I2CError(errno, bus: path, operation: "I2C_FUNCS")
        }
        self.name = path
        self.calls = calls
        self.descriptor = fd
        self.functionality = I2CFunctionality(rawValue: bits)
        // From here on deinit closes the descriptor if this throws.
        try setTimeout(milliseconds: Self.defaultTimeoutMilliseconds)
    }

    deinit {
        // Nobody can be told about a close error here; Linux releases the descriptor even when close fails.
        if descriptor >= 0 { _ = calls.close(descriptor) }
    }

    /// Opens `path`, runs `body` with the bus and closes it on every path. If `body` throws, its error is
    /// rethrown and a close error is dropped; otherwise a close error is thrown. `body` must not keep the bus.
    ///
    /// The corresponding C calls are `open` and `close`.
    public static func withOpened<R>(_ path: String, _ body: (LinuxI2CBus) throws -> R) throws -> R {
        try withOpened(path, calls: LinuxI2CSystemCalls(), body)
    }

    static func withOpened<R>(_ path: String, calls: any I2CSystemCalls,
                              _ body: (LinuxI2CBus) throws -> R) throws -> R {
        let bus = try LinuxI2CBus(path: path, calls: calls)
        let result: R
        do {
            result = try body(bus)
        } catch {
            // The body's error is the one that matters; a close error after it is dropped on purpose.
            try? bus.close()
            throw error
        }
        try bus.close()
        return result
    }

    /// Closes the descriptor. Later transfers are a programming error. Calling it again does nothing.
    ///
    /// `EINTR` is not retried: Linux has released the descriptor by then, and a retry could close a descriptor
    /// another thread has just been given (swift-nio `Posix.close`).
    ///
    /// The corresponding C call is `close`.
    public func close() throws(I2CError) {
        guard descriptor >= 0 else { return }
        let fd = descriptor
        descriptor = -1
        smbusTarget = nil
        let closed = valueOrErrno(retryOnInterrupt: false, readErrno: calls.lastErrno) { calls.close(fd) }
        if case .failure(let errno) = closed, errno != .interrupted {
            throw I2CError(errno, bus: name, operation: "close")
        }
    }

    /// Sets how long the adapter waits for a transfer, rounded up to the kernel's 10 ms units. The setting
    /// belongs to the adapter, so it applies to every user of it.
    ///
    /// The corresponding C call is `ioctl(I2C_TIMEOUT)`.
    public func setTimeout(milliseconds: Int) throws(I2CError) {
        precondition(milliseconds > 0, "an I2C timeout must be positive")
        let units = Int32(clamping: (milliseconds + 9) / 10)
        let fd = openDescriptor()
        let outcome = valueOrErrno(readErrno: calls.lastErrno) { calls.setTimeout(fd, tenMilliseconds: units) }
        _ = try check(outcome, operation: "I2C_TIMEOUT")
    }

    /// Sets how many times the adapter repeats a transfer the target did not acknowledge. The setting belongs
    /// to the adapter, so it applies to every user of it.
    ///
    /// The corresponding C call is `ioctl(I2C_RETRIES)`.
    public func setRetries(_ count: Int) throws(I2CError) {
        precondition(count >= 0, "I2C retries cannot be negative")
        let fd = openDescriptor()
        let outcome = valueOrErrno(readErrno: calls.lastErrno) { calls.setRetries(fd, Int32(clamping: count)) }
        _ = try check(outcome, operation: "I2C_RETRIES")
    }

    // MARK: I2CTransport

    /// Writes `bytes` to `address`, then reads `readCount` bytes after a repeated START, in one `I2C_RDWR`
    /// transfer. Without `I2C_FUNC_I2C`, a one-byte register address is served by SMBus I2C-block reads of at
    /// most 32 bytes each, which assume the device increments its register pointer.
    ///
    /// - Throws: `I2CError` with bus, address, the register when `bytes` is a single register byte, operation
    ///   and errno; `.protocolViolation` when the kernel transfers less than asked; `.unsupported` before any
    ///   transfer when the adapter can do neither.
    ///
    /// The corresponding C call is `ioctl(I2C_RDWR)`, or `i2c_smbus_read_i2c_block_data`.
    public func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        precondition(readCount >= 0, "readCount cannot be negative")
        var result = [UInt8](repeating: 0, count: readCount)
        // The arrays' closures are untyped `rethrows`: the error comes out as a typed `Result`.
        try bytes.withUnsafeBytes { bytes in
            result.withUnsafeMutableBytes { buffer in
                Result { () throws(I2CError) in try writeRead(address: address, write: bytes, into: buffer) }
            }
        }.get()
        return result
    }

    /// `writeRead(address:write:readCount:)` from and into the caller's memory, which the kernel is handed as it
    /// is: no copy and no allocation per transfer, the path every conversion of an acquisition takes.
    public func writeRead(address: I2CAddress, write bytes: UnsafeRawBufferPointer,
                          into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        if buffer.isEmpty { return try write(address: address, bytes) }
        if bytes.isEmpty { return try read(address: address, into: buffer) }
        let register = bytes.count == 1 ? bytes[0] : nil
        if functionality.contains(.i2c) {
            return try rdwr(address: address, write: bytes, read: buffer, register: register)
        }
        try smbusReadBlocks(address: address, write: bytes, into: buffer)
    }

    /// Writes `bytes` to `address` and ends with a STOP, in one `I2C_RDWR` message. Without `I2C_FUNC_I2C`, a
    /// register byte plus data goes as SMBus write byte data (one data byte) or I2C-block write (up to 32).
    ///
    /// The corresponding C call is `ioctl(I2C_RDWR)`, or `i2c_smbus_write_byte_data` /
    /// `i2c_smbus_write_i2c_block_data`.
    public func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        try bytes.withUnsafeBytes { bytes in
            Result { () throws(I2CError) in try write(address: address, bytes) }
        }.get()
    }

    /// `write(address:_:)` of the caller's memory, handed to the kernel as it is.
    public func write(address: I2CAddress, _ bytes: UnsafeRawBufferPointer) throws(I2CError) {
        if functionality.contains(.i2c) {
            try rdwr(address: address, write: bytes, read: nil, register: nil)
        } else {
            try smbusWrite(address: address, bytes)
        }
    }

    /// Reads `count` bytes from `address` in one `I2C_RDWR` message with `I2C_M_RD`. Without `I2C_FUNC_I2C`, one
    /// byte is an SMBus receive byte (`i2cdetect -r`'s probe) where the adapter has it; anything longer fails with
    /// `.unsupported` before any transfer.
    ///
    /// The corresponding C call is `ioctl(I2C_RDWR)`, or `i2c_smbus_read_byte`.
    public func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
        precondition(count >= 0, "count cannot be negative")
        var result = [UInt8](repeating: 0, count: count)
        try result.withUnsafeMutableBytes { buffer in
            Result { () throws(I2CError) in try read(address: address, into: buffer) }
        }.get()
        return result
    }

    /// `read(address:count:)` into `buffer.count` bytes of the caller's memory.
    private func read(address: I2CAddress, into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        if buffer.isEmpty { return }
        if !functionality.contains(.i2c) && buffer.count == 1 && functionality.contains(.smbusReadByte) {
            buffer[0] = try smbusReceiveByte(address: address)
            return
        }
        guard functionality.contains(.i2c) else {
            throw I2CError(.unsupported, bus: name, address: address,
                           operation: "read: adapter \(name) lacks I2C_FUNC_I2C \(functionality)")
        }
        try rdwr(address: address, write: nil, read: buffer, register: nil)
    }

    // MARK: Internals shared with the SMBus fallback

    /// The descriptor of an open bus. A transfer after `close()` is a bug in the caller.
    func openDescriptor() -> Int32 {
        precondition(descriptor >= 0, "\(name) used after close()")
        return descriptor
    }

    /// The value of a call, or its errno as an `I2CError` located on this bus.
    func check<Value>(_ result: Result<Value, SystemErrno>, operation: String, address: I2CAddress? = nil,
                      register: UInt8? = nil) throws(I2CError) -> Value {
        switch result {
        case .success(let value):
            return value
        case .failure(let errno):
            throw I2CError(errno, bus: name, address: address, register: register, operation: operation)
        }
    }

    /// One `I2C_RDWR`: an optional write message, then an optional read message, one STOP at the end. The messages
    /// point at the caller's memory and live on the stack: a transfer allocates nothing.
    private func rdwr(address: I2CAddress, write bytes: UnsafeRawBufferPointer?,
                      read buffer: UnsafeMutableRawBufferPointer?, register: UInt8?) throws(I2CError) {
        let longest = max(bytes?.count ?? 0, buffer?.count ?? 0)
        precondition(longest <= KernelI2C.maxMessageLength,
                     "an I2C_RDWR message carries at most \(KernelI2C.maxMessageLength) bytes")
        let fd = openDescriptor()
        let target = UInt16(address.rawValue)
        let (outcome, sent) = withUnsafeTemporaryAllocation(of: I2CSyscallMessage.self, capacity: 2) { storage in
            var count = 0
            if let bytes {
                storage.initializeElement(at: count, to: I2CSyscallMessage(
                    address: target, isRead: false, buffer: UnsafeMutableRawBufferPointer(mutating: bytes)))
                count += 1
            }
            if let buffer, !buffer.isEmpty {
                storage.initializeElement(at: count, to: I2CSyscallMessage(
                    address: target, isRead: true, buffer: buffer))
                count += 1
            }
            let messages = UnsafeMutableBufferPointer(rebasing: storage[0..<count])
            defer { messages.deinitialize() }
            return (valueOrErrno(readErrno: calls.lastErrno) { calls.transfer(fd, messages) }, count)
        }
        let transferred = try check(outcome, operation: "I2C_RDWR", address: address, register: register)
        guard transferred == sent else {
            throw I2CError(.protocolViolation, bus: name, address: address, register: register,
                           operation: "I2C_RDWR (\(transferred) of \(sent) messages)")
        }
    }
}
