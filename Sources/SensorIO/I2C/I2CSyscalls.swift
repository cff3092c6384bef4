// The only file in SensorIO/I2C that imports C (STYLE §2.2). Every raw call into i2c-dev and libi2c is here,
// behind `I2CSystemCalls`, so unit tests can put a scripted kernel in its place (STYLE §2.11). This file also
// holds SensorIO's one errno reader, `valueOrErrno`, which GPIO/GPIODCalls.swift uses too (STYLE §2.3).
import CI2C
import Glibc

// MARK: - errno

/// An errno value. The named codes are the ones SensorIO classifies; any other keeps its number.
internal struct SystemErrno: Error, RawRepresentable, Hashable, Sendable {
    let rawValue: Int32

    init(rawValue: Int32) { self.rawValue = rawValue }

    static let interrupted = SystemErrno(rawValue: EINTR)
    static let noSuchFileOrDirectory = SystemErrno(rawValue: ENOENT)
    static let noSuchDevice = SystemErrno(rawValue: ENODEV)
    static let noSuchDeviceOrAddress = SystemErrno(rawValue: ENXIO)
    /// Not named by swift-system either; the NACK code of i2c-bcm2835 and i2c-designware (reference/daemon.md §5.4).
    static let remoteIO = SystemErrno(rawValue: EREMOTEIO)
    static let timedOut = SystemErrno(rawValue: ETIMEDOUT)
    static let tryAgain = SystemErrno(rawValue: EAGAIN)
    static let busy = SystemErrno(rawValue: EBUSY)
    static let notSupported = SystemErrno(rawValue: EOPNOTSUPP)
    static let accessDenied = SystemErrno(rawValue: EACCES)
    static let notPermitted = SystemErrno(rawValue: EPERM)
    static let protocolError = SystemErrno(rawValue: EPROTO)
    static let badMessage = SystemErrno(rawValue: EBADMSG)
    static let invalidArgument = SystemErrno(rawValue: EINVAL)
    static let notATypewriter = SystemErrno(rawValue: ENOTTY)
    static let ioError = SystemErrno(rawValue: EIO)
    static let badFileDescriptor = SystemErrno(rawValue: EBADF)
    static let badAddress = SystemErrno(rawValue: EFAULT)

    /// A bad descriptor or pointer is SensorIO's own bug, never the world's doing (STYLE §2.3):
    /// callers turn it into a precondition failure instead of a thrown error.
    var isProgrammingError: Bool { self == .badFileDescriptor || self == .badAddress }
}

/// How a C function reports failure.
internal enum ErrnoConvention {
    /// Returns -1 and sets errno: the system calls and libgpiod.
    case minusOneSetsErrno
    /// Returns -errno: libi2c 4.x (it also sets errno, but the return value is what it documents in practice;
    /// reference/daemon.md §5.3).
    case negatedReturn
}

/// The calling thread's errno. Only `valueOrErrno` and `LinuxI2CSystemCalls.lastErrno` read it.
private func threadErrno() -> Int32 { Glibc.errno }

/// Runs `call` and returns its value, or the errno it failed with. The one place in SensorIO that reads errno:
/// `readErrno` runs right after `call` returns, before anything else can change it, and `EINTR` runs `call`
/// again unless `retryOnInterrupt` is false (`close` must never be retried). Negative values are failures.
///
/// `readErrno` is the real errno except under the syscall fake of the unit tests.
internal func valueOrErrno<Value: FixedWidthInteger & SignedInteger>(
    retryOnInterrupt: Bool = true,
    convention: ErrnoConvention = .minusOneSetsErrno,
    readErrno: () -> Int32 = threadErrno,
    _ call: () -> Value
) -> Result<Value, SystemErrno> {
    while true {
        let value = call()
        guard value < 0 else { return .success(value) }
        let code: Int32 = switch convention {
        case .minusOneSetsErrno: readErrno()
        case .negatedReturn: Int32(truncatingIfNeeded: 0 - value)
        }
        if retryOnInterrupt && code == EINTR { continue }
        return .failure(SystemErrno(rawValue: code))
    }
}

// MARK: - Kernel constants

/// The i2c-dev constants SensorIO uses, as imported from the uapi headers (never as raw numbers elsewhere).
internal enum KernelI2C {
    static let funcI2C = UInt(I2C_FUNC_I2C)
    static let func10BitAddress = UInt(I2C_FUNC_10BIT_ADDR)
    static let funcProtocolMangling = UInt(I2C_FUNC_PROTOCOL_MANGLING)
    static let funcSMBusPEC = UInt(I2C_FUNC_SMBUS_PEC)
    static let funcNoStart = UInt(I2C_FUNC_NOSTART)
    static let funcSMBusQuick = UInt(I2C_FUNC_SMBUS_QUICK)
    static let funcSMBusReadByte = UInt(I2C_FUNC_SMBUS_READ_BYTE)
    static let funcSMBusWriteByte = UInt(I2C_FUNC_SMBUS_WRITE_BYTE)
    static let funcSMBusReadByteData = UInt(I2C_FUNC_SMBUS_READ_BYTE_DATA)
    static let funcSMBusWriteByteData = UInt(I2C_FUNC_SMBUS_WRITE_BYTE_DATA)
    static let funcSMBusReadWordData = UInt(I2C_FUNC_SMBUS_READ_WORD_DATA)
    static let funcSMBusWriteWordData = UInt(I2C_FUNC_SMBUS_WRITE_WORD_DATA)
    static let funcSMBusReadBlockData = UInt(I2C_FUNC_SMBUS_READ_BLOCK_DATA)
    static let funcSMBusWriteBlockData = UInt(I2C_FUNC_SMBUS_WRITE_BLOCK_DATA)
    static let funcSMBusReadI2CBlock = UInt(I2C_FUNC_SMBUS_READ_I2C_BLOCK)
    static let funcSMBusWriteI2CBlock = UInt(I2C_FUNC_SMBUS_WRITE_I2C_BLOCK)

    /// The most bytes one SMBus I2C-block transfer carries (`I2C_SMBUS_BLOCK_MAX`).
    static let smbusBlockMax = Int(I2C_SMBUS_BLOCK_MAX)
    /// i2c-dev refuses an `I2C_RDWR` message longer than this with EINVAL (drivers/i2c/i2c-dev.c, `8192`);
    /// the uapi has no name for it.
    static let maxMessageLength = 8192
}

// MARK: - The seam

/// One message of an `I2C_RDWR` transfer in Swift terms, so the seam's fake never handles `struct i2c_msg`.
internal struct I2CSyscallMessage {
    var address: UInt16
    var isRead: Bool
    /// The bytes to send, or the space the kernel fills for a read: the caller's own memory either way. `i2c_msg`'s
    /// `buf` is not const because reads share it; the kernel only copies from a write message's bytes.
    var buffer: UnsafeMutableRawBufferPointer
}

/// The few calls `LinuxI2CBus` makes, each one attempt with its C return convention: -1 and errno for the system
/// calls, -errno for the libi2c functions. `valueOrErrno` wraps every call, so the EINTR retry and the errno read
/// are the same under the real kernel and under the unit tests' fake.
internal protocol I2CSystemCalls {
    /// errno right after a failed call; read only by `valueOrErrno`.
    func lastErrno() -> Int32
    /// `open(path, O_RDWR | O_CLOEXEC)`.
    func open(_ path: UnsafePointer<CChar>) -> Int32
    /// `close(fd)`.
    func close(_ fd: Int32) -> Int32
    /// `ioctl(fd, I2C_FUNCS, &bits)`.
    func functionality(_ fd: Int32, _ bits: inout UInt) -> Int32
    /// `ioctl(fd, I2C_SLAVE, address)`: the target of later SMBus calls. Never `I2C_SLAVE_FORCE`, which would
    /// hide a kernel driver that owns the address (reference/daemon.md §5.1).
    func setTarget(_ fd: Int32, _ address: UInt8) -> Int32
    /// `ioctl(fd, I2C_TIMEOUT, units)`, in units of 10 ms.
    func setTimeout(_ fd: Int32, tenMilliseconds units: Int32) -> Int32
    /// `ioctl(fd, I2C_RETRIES, count)`.
    func setRetries(_ fd: Int32, _ count: Int32) -> Int32
    /// `ioctl(fd, I2C_RDWR, &data)`: returns the number of messages transferred.
    func transfer(_ fd: Int32, _ messages: UnsafeMutableBufferPointer<I2CSyscallMessage>) -> Int32
    /// `i2c_smbus_read_i2c_block_data(fd, command, buffer.count, buffer)`: returns the bytes read, or -errno.
    func smbusReadI2CBlock(_ fd: Int32, _ command: UInt8, _ buffer: UnsafeMutableRawBufferPointer) -> Int32
    /// `i2c_smbus_write_i2c_block_data(fd, command, bytes.count, bytes)`: returns 0, or -errno.
    func smbusWriteI2CBlock(_ fd: Int32, _ command: UInt8, _ bytes: UnsafeRawBufferPointer) -> Int32
    /// `i2c_smbus_write_byte_data(fd, command, value)`: returns 0, or -errno.
    func smbusWriteByteData(_ fd: Int32, _ command: UInt8, _ value: UInt8) -> Int32
    /// `i2c_smbus_read_byte(fd)` (SMBus receive byte): returns the byte, or -errno.
    func smbusReadByte(_ fd: Int32) -> Int32
}

/// The real kernel and libi2c.
internal struct LinuxI2CSystemCalls: I2CSystemCalls, Sendable {
    func lastErrno() -> Int32 { threadErrno() }

    func open(_ path: UnsafePointer<CChar>) -> Int32 {
        Glibc.open(path, O_RDWR | O_CLOEXEC)
    }

    func close(_ fd: Int32) -> Int32 {
        Glibc.close(fd)
    }

    func functionality(_ fd: Int32, _ bits: inout UInt) -> Int32 {
        var funcs: CUnsignedLong = 0   // the kernel writes an unsigned long
        let result = ioctl(fd, UInt(I2C_FUNCS), &funcs)
        bits = UInt(funcs)
        return result
    }

    func setTarget(_ fd: Int32, _ address: UInt8) -> Int32 {
        ioctl(fd, UInt(I2C_SLAVE), Int32(address))
    }

    func setTimeout(_ fd: Int32, tenMilliseconds units: Int32) -> Int32 {
        ioctl(fd, UInt(I2C_TIMEOUT), units)
    }

    func setRetries(_ fd: Int32, _ count: Int32) -> Int32 {
        ioctl(fd, UInt(I2C_RETRIES), count)
    }

    func transfer(_ fd: Int32, _ messages: UnsafeMutableBufferPointer<I2CSyscallMessage>) -> Int32 {
        // On the stack for the one or two messages a transfer has: nothing is freed between the ioctl and the
        // errno read.
        withUnsafeTemporaryAllocation(of: i2c_msg.self, capacity: messages.count) { cMessages in
            for (index, message) in messages.enumerated() {
                cMessages.initializeElement(at: index, to: i2c_msg(
                    addr: message.address,
                    flags: message.isRead ? UInt16(I2C_M_RD) : 0,
                    len: UInt16(message.buffer.count),
                    buf: message.buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)))
            }
            var data = i2c_rdwr_ioctl_data(msgs: cMessages.baseAddress, nmsgs: UInt32(messages.count))
            return ioctl(fd, UInt(I2C_RDWR), &data)
        }
    }

    func smbusReadI2CBlock(_ fd: Int32, _ command: UInt8, _ buffer: UnsafeMutableRawBufferPointer) -> Int32 {
        i2c_smbus_read_i2c_block_data(fd, command, UInt8(buffer.count),
                                      buffer.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }

    func smbusWriteI2CBlock(_ fd: Int32, _ command: UInt8, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        i2c_smbus_write_i2c_block_data(fd, command, UInt8(bytes.count),
                                       bytes.baseAddress?.assumingMemoryBound(to: UInt8.self))
    }

    func smbusWriteByteData(_ fd: Int32, _ command: UInt8, _ value: UInt8) -> Int32 {
        i2c_smbus_write_byte_data(fd, command, value)
    }

    func smbusReadByte(_ fd: Int32) -> Int32 {
        i2c_smbus_read_byte(fd)
    }
}
