/// A failed I2C transfer: what went wrong, classified from the kernel's fault codes
/// (reference/daemon.md §5.4), and where.
public struct I2CError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The classified cause. New causes may be added; switch with a default.
    public enum Cause: Sendable, Equatable {
        /// The address or a data byte was not acknowledged (ENXIO, EREMOTEIO): usually nothing at that address.
        case noAcknowledge
        /// The adapter gave up waiting (ETIMEDOUT), e.g. on clock stretching.
        case timedOut
        /// Lost arbitration or bus busy (EAGAIN, EBUSY).
        case arbitrationLost
        /// The adapter cannot do this kind of transfer (EOPNOTSUPP, or a missing I2C_FUNCS capability).
        case unsupported
        /// The adapter is gone (ENODEV, ENOENT on open, or the simulated bus was removed).
        case adapterGone
        /// Permission to open the adapter was refused (EACCES, EPERM).
        case permissionDenied
        /// A device answered with data that breaks its protocol (wrong length, bad CRC, EPROTO, EBADMSG).
        case protocolViolation
        /// Any other errno.
        case io(errno: Int32)
    }

    public var cause: Cause
    /// The adapter, e.g. `/dev/i2c-1` or `sim:bus0`.
    public var bus: String
    public var address: I2CAddress?
    public var register: UInt8?
    /// What was being done: "open", "I2C_FUNCS", "I2C_RDWR", "SMBus read block", "write"...
    public var operation: String
    /// The errno behind the cause, when there was one.
    public var errno: Int32?

    public init(_ cause: Cause, bus: String, address: I2CAddress? = nil, register: UInt8? = nil,
                operation: String, errno: Int32? = nil) {
        self.cause = cause
        self.bus = bus
        self.address = address
        self.register = register
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        var text = "\(bus)"
        if let address { text += " \(address)" }
        if let register { text += " reg 0x\(String(register, radix: 16))" }
        text += ": \(operation) failed: \(cause)"
        if let errno { text += " (errno \(errno))" }
        return text
    }
}

extension I2CError {
    // The causes as members of `I2CError`, so `catch I2CError.noAcknowledge` is an expression pattern that
    // `~=` below matches (`I2CError.Cause.noAcknowledge` would be read as an enum-case pattern instead).
    /// Matches errors whose cause is `.noAcknowledge`.
    public static let noAcknowledge = Cause.noAcknowledge
    /// Matches errors whose cause is `.timedOut`.
    public static let timedOut = Cause.timedOut
    /// Matches errors whose cause is `.arbitrationLost`.
    public static let arbitrationLost = Cause.arbitrationLost
    /// Matches errors whose cause is `.unsupported`.
    public static let unsupported = Cause.unsupported
    /// Matches errors whose cause is `.adapterGone`.
    public static let adapterGone = Cause.adapterGone
    /// Matches errors whose cause is `.permissionDenied`.
    public static let permissionDenied = Cause.permissionDenied
    /// Matches errors whose cause is `.protocolViolation`.
    public static let protocolViolation = Cause.protocolViolation
}

extension I2CError.Cause {
    /// Lets `catch I2CError.noAcknowledge` style matching work on the cause alone.
    /// (A member of `Cause`: an operator declared in `I2CError` needs an `I2CError` operand.)
    public static func ~= (cause: I2CError.Cause, error: any Error) -> Bool {
        (error as? I2CError)?.cause == cause
    }

    /// The same inside `do` blocks whose error is inferred as `I2CError` (typed throws).
    public static func ~= (cause: I2CError.Cause, error: I2CError) -> Bool {
        error.cause == cause
    }
}
