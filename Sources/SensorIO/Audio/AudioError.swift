/// A failed PCM operation: what went wrong, classified, on which device and direction, during which ALSA
/// operation, with ALSA's own text and the errno behind it.
public struct AudioError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The classified cause. New causes may be added; switch with a default.
    public enum Cause: Sendable, Equatable {
        /// No PCM of that name, or its card is missing (ENOENT, ENODEV, ENXIO at open).
        case deviceNotFound
        /// Another process holds the device (EBUSY).
        case deviceBusy
        /// Permission to open the device was refused (EACCES, EPERM).
        case permissionDenied
        /// The configuration file could not be read or parsed.
        case configurationFile
        /// The device cannot do the requested access, format, channel count or rate, or the period and buffer.
        case unsupportedFormat
        /// An overrun or underrun (EPIPE) that could not be recovered.
        case xrun
        /// The device was suspended (ESTRPIPE) and could not be resumed.
        case suspended
        /// The deadline passed before all frames were transferred.
        case timedOut
        /// ALSA's `file` plugin ran out of input: its `infile` ended (or a FIFO's writer closed it).
        case endOfInput
        /// The device went away while open, e.g. a USB interface was unplugged (ENODEV).
        case deviceLost
        /// The PCM was already closed.
        case closed
        /// The request itself is malformed, e.g. samples that are not a whole number of frames.
        case invalidArgument
        /// Any other errno.
        case io(errno: Int32)
    }

    /// The classified cause.
    public var cause: Cause
    /// The PCM name as opened: `hw:1,0`, `chamber`…
    public var device: String
    /// Capture or playback.
    public var direction: PCMDirection
    /// The ALSA configuration file the device was defined in, when it was not the global configuration.
    public var configurationFile: String?
    /// What was being done: "open", "load configuration", "hw_params: rate", "readi", "writei", "drain"…
    public var operation: String
    /// Why, in words: ALSA's `snd_strerror` text, or what the device offers instead of what was asked.
    public var reason: String
    /// The errno behind the cause, when there was one.
    public var errno: Int32?

    public init(_ cause: Cause, device: String, direction: PCMDirection, configurationFile: String? = nil,
                operation: String, reason: String, errno: Int32? = nil) {
        self.cause = cause
        self.device = device
        self.direction = direction
        self.configurationFile = configurationFile
        self.operation = operation
        self.reason = reason
        self.errno = errno
    }

    /// `ALSA capture "chamber": readi failed: Broken pipe (xrun)`; the configuration file follows the device
    /// when there is one.
    public var description: String {
        var text = "ALSA \(direction.rawValue) \"\(device)\""
        if let configurationFile { text += " (configuration \(configurationFile))" }
        text += ": \(operation) failed: \(reason)"
        switch cause {
        case .xrun: text += direction == .capture ? " (xrun: overrun)" : " (xrun: underrun)"
        case .suspended: text += " (suspended)"
        default: break
        }
        return text
    }
}

extension AudioError {
    // The causes as members of `AudioError`, so `catch AudioError.timedOut` matches through `~=` below.
    /// Matches errors whose cause is `.deviceNotFound`.
    public static let deviceNotFound = Cause.deviceNotFound
    /// Matches errors whose cause is `.configurationFile`.
    public static let configurationFile = Cause.configurationFile
    /// Matches errors whose cause is `.unsupportedFormat`.
    public static let unsupportedFormat = Cause.unsupportedFormat
    /// Matches errors whose cause is `.timedOut`.
    public static let timedOut = Cause.timedOut
    /// Matches errors whose cause is `.endOfInput`.
    public static let endOfInput = Cause.endOfInput
}

extension AudioError.Cause {
    /// Classifies an errno from libasound. The only errno-to-cause table for PCM devices; `atOpen` tells a
    /// device that does not exist from one that disappeared.
    init(errno: Int32, atOpen: Bool) {
        switch SystemErrno(rawValue: errno) {
        case SystemErrno.noSuchFileOrDirectory, SystemErrno.noSuchDeviceOrAddress: self = .deviceNotFound
        case SystemErrno.noSuchDevice: self = atOpen ? .deviceNotFound : .deviceLost
        case SystemErrno.busy: self = .deviceBusy
        case SystemErrno.accessDenied, SystemErrno.notPermitted: self = .permissionDenied
        case SystemErrno.xrun: self = .xrun
        case SystemErrno.suspended: self = .suspended
        default: self = .io(errno: errno)
        }
    }

    /// Lets `catch AudioError.timedOut` style matching work on the cause alone.
    public static func ~= (cause: AudioError.Cause, error: any Error) -> Bool {
        (error as? AudioError)?.cause == cause
    }

    /// The same inside `do` blocks whose error is inferred as `AudioError` (typed throws).
    public static func ~= (cause: AudioError.Cause, error: AudioError) -> Bool {
        error.cause == cause
    }
}
