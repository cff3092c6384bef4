/// The SMBus fallback for adapters without `I2C_FUNC_I2C` (i2c-stub, many SMBus host controllers): register
/// reads as I2C-block reads, register writes as byte-data or I2C-block writes, each after `I2C_SLAVE`.
extension LinuxI2CBus {
    /// Reads `result.count` registers from the one-byte register address `bytes[0]` into `result`, as I2C-block reads
    /// of at most `I2C_SMBUS_BLOCK_MAX` (32) bytes, chunk i starting at register `bytes[0] + 32·i`.
    ///
    /// Each chunk is its own transaction with its own repeated START, so a read longer than 32 bytes is not
    /// atomic, and it relies on the device incrementing its register pointer: a FIFO data register that does
    /// not increment gives different bytes than one long `I2C_RDWR` read would. Register numbers wrap at 0xFF.
    func smbusReadBlocks(address: I2CAddress, write bytes: UnsafeRawBufferPointer,
                         into result: UnsafeMutableRawBufferPointer) throws(I2CError) {
        guard functionality.contains(.smbusReadI2CBlock) else {
            throw I2CError(.unsupported, bus: name, address: address, operation:
                "write-read: adapter \(name) has neither I2C_FUNC_I2C nor I2C_FUNC_SMBUS_READ_I2C_BLOCK "
                    + "\(functionality)")
        }
        guard bytes.count == 1 else {
            throw I2CError(.unsupported, bus: name, address: address, operation:
                "write-read of \(bytes.count) address bytes: adapter \(name) lacks I2C_FUNC_I2C and SMBus sends one")
        }
        let fd = openDescriptor()
        try selectSMBusTarget(address, register: bytes[0])
        var offset = 0
        while offset < result.count {
            let length = min(KernelI2C.smbusBlockMax, result.count - offset)
            let register = UInt8(truncatingIfNeeded: Int(bytes[0]) + offset)
            let chunk = UnsafeMutableRawBufferPointer(rebasing: result[offset..<offset + length])
            let outcome = valueOrErrno(convention: .negatedReturn, readErrno: calls.lastErrno) {
                calls.smbusReadI2CBlock(fd, register, chunk)
            }
            let received = try check(outcome, operation: "SMBus read I2C block", address: address, register: register)
            guard received == length else {
                throw I2CError(.protocolViolation, bus: name, address: address, register: register,
                               operation: "SMBus read I2C block (\(received) of \(length) bytes)")
            }
            offset += length
        }
    }

    /// Writes a register byte and its data: one data byte as SMBus write byte data where the adapter has it,
    /// otherwise up to 32 data bytes as one I2C-block write. Anything else fails with `.unsupported` before
    /// any transfer.
    func smbusWrite(address: I2CAddress, _ bytes: UnsafeRawBufferPointer) throws(I2CError) {
        guard bytes.count >= 2 else {
            throw I2CError(.unsupported, bus: name, address: address, operation:
                "write of \(bytes.count) bytes: adapter \(name) lacks I2C_FUNC_I2C and SMBus needs register and data")
        }
        let fd = openDescriptor()
        let register = bytes[0]
        if bytes.count == 2 && functionality.contains(.smbusWriteByteData) {
            try selectSMBusTarget(address, register: register)
            let outcome = valueOrErrno(convention: .negatedReturn, readErrno: calls.lastErrno) {
                calls.smbusWriteByteData(fd, register, bytes[1])
            }
            _ = try check(outcome, operation: "SMBus write byte data", address: address, register: register)
            return
        }
        guard functionality.contains(.smbusWriteI2CBlock), bytes.count - 1 <= KernelI2C.smbusBlockMax else {
            throw I2CError(.unsupported, bus: name, address: address, register: register, operation:
                "write of \(bytes.count - 1) data bytes: adapter \(name) lacks I2C_FUNC_I2C and "
                    + "an SMBus I2C-block write of them \(functionality)")
        }
        try selectSMBusTarget(address, register: register)
        let data = UnsafeRawBufferPointer(rebasing: bytes[1...])
        let outcome = valueOrErrno(convention: .negatedReturn, readErrno: calls.lastErrno) {
            calls.smbusWriteI2CBlock(fd, register, data)
        }
        _ = try check(outcome, operation: "SMBus write I2C block", address: address, register: register)
    }

    /// One byte read with no register address (SMBus receive byte): the device's current register, or its answer.
    func smbusReceiveByte(address: I2CAddress) throws(I2CError) -> UInt8 {
        let fd = openDescriptor()
        try selectSMBusTarget(address, register: nil)
        let outcome = valueOrErrno(convention: .negatedReturn, readErrno: calls.lastErrno) { calls.smbusReadByte(fd) }
        return UInt8(truncatingIfNeeded: try check(outcome, operation: "SMBus receive byte", address: address))
    }

    /// Points the descriptor at `address` for the SMBus calls that follow, unless it already is.
    ///
    /// `EBUSY` here means a kernel driver owns the address; it is reported, never overridden with
    /// `I2C_SLAVE_FORCE`.
    ///
    /// The corresponding C call is `ioctl(I2C_SLAVE)`.
    private func selectSMBusTarget(_ address: I2CAddress, register: UInt8?) throws(I2CError) {
        guard smbusTarget != address else { return }
        let fd = openDescriptor()
        smbusTarget = nil
        let outcome = valueOrErrno(readErrno: calls.lastErrno) { calls.setTarget(fd, address.rawValue) }
        _ = try check(outcome, operation: "I2C_SLAVE", address: address, register: register)
        smbusTarget = address
    }
}
