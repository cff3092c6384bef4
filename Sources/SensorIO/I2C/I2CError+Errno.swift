extension I2CError.Cause {
    /// Classifies an errno from i2c-dev or libi2c by the kernel's I2C fault-code convention
    /// (Documentation/i2c/fault-codes.rst; reference/daemon.md §5.4). The only errno-to-cause table for I2C.
    init(errno: Int32) {
        // Qualified patterns: a bare `.timedOut` could resolve to the cause, matched through `~=` against the
        // errno as `any Error`, and never match.
        switch SystemErrno(rawValue: errno) {
        case SystemErrno.noSuchDeviceOrAddress, SystemErrno.remoteIO: self = .noAcknowledge
        case SystemErrno.timedOut: self = .timedOut
        case SystemErrno.tryAgain, SystemErrno.busy: self = .arbitrationLost
        case SystemErrno.notSupported: self = .unsupported
        case SystemErrno.noSuchDevice, SystemErrno.noSuchFileOrDirectory: self = .adapterGone
        case SystemErrno.accessDenied, SystemErrno.notPermitted: self = .permissionDenied
        case SystemErrno.protocolError, SystemErrno.badMessage: self = .protocolViolation
        default: self = .io(errno: errno)
        }
    }
}

extension I2CError {
    /// The error for a failed call on `bus`, with its errno. A bad descriptor or pointer is a bug in SensorIO and
    /// stops the process instead (STYLE §2.3).
    init(_ errno: SystemErrno, bus: String, address: I2CAddress? = nil, register: UInt8? = nil, operation: String) {
        precondition(!errno.isProgrammingError,
                     "\(bus): \(operation) failed with errno \(errno.rawValue): a SensorIO bug")
        self.init(Cause(errno: errno.rawValue), bus: bus, address: address, register: register,
                  operation: operation, errno: errno.rawValue)
    }
}
