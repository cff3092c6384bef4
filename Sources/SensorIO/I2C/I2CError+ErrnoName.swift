extension I2CError {
    /// The C name of the errno behind the error (`"ENXIO"`), so that logs and reports say what the kernel said;
    /// nil when there was no errno or it is not one SensorIO classifies.
    public var errnoName: String? { errno.flatMap(Self.errnoName) }

    /// The C name of an errno SensorIO classifies (reference/daemon.md §5.4), else nil.
    public static func errnoName(_ code: Int32) -> String? {
        let names: [(SystemErrno, String)] = [
            (.noSuchDeviceOrAddress, "ENXIO"), (.remoteIO, "EREMOTEIO"), (.timedOut, "ETIMEDOUT"), (.tryAgain, "EAGAIN"),
            (.busy, "EBUSY"), (.notSupported, "EOPNOTSUPP"), (.noSuchDevice, "ENODEV"), (.noSuchFileOrDirectory, "ENOENT"),
            (.accessDenied, "EACCES"), (.notPermitted, "EPERM"), (.protocolError, "EPROTO"), (.badMessage, "EBADMSG"),
            (.ioError, "EIO"), (.invalidArgument, "EINVAL"),
        ]
        return names.first { $0.0.rawValue == code }?.1
    }
}
