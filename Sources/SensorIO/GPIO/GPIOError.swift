/// A failed GPIO call: what went wrong, classified from errno, and on which chip and line.
public struct GPIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The classified cause. New causes may be added; switch with a default.
    public enum Cause: Sendable, Equatable {
        /// No such chip, or it was removed (ENOENT, ENODEV).
        case chipNotFound
        /// The path exists but is not a GPIO character device (ENOTTY).
        case notAGPIOChip
        /// Permission to open the chip or request the line was refused (EACCES, EPERM).
        case permissionDenied
        /// Another consumer, or another request of ours, holds the line (EBUSY).
        case lineBusy
        /// The chip has no line at that offset (EINVAL from the lookup, or checked before it).
        case invalidLine
        /// The kernel or the chip cannot do what was asked, e.g. a bias setting (EOPNOTSUPP).
        case unsupported
        /// Any other errno.
        case io(errno: Int32)
    }

    /// The classified cause.
    public var cause: Cause
    /// The chip as it was opened: a path such as `/dev/gpiochip0`, or a name such as `gpiochip0`.
    public var chip: String
    /// The line, when the call concerned one.
    public var line: GPIOLineOffset?
    /// What was being done: "open", "request output", "set value", "wait for edge"...
    public var operation: String
    /// The errno behind the cause, when there was one.
    public var errno: Int32?

    /// Creates an error from its parts.
    public init(_ cause: Cause, chip: String, line: GPIOLineOffset? = nil, operation: String, errno: Int32? = nil) {
        self.cause = cause
        self.chip = chip
        self.line = line
        self.operation = operation
        self.errno = errno
    }

    /// The error for a failed libgpiod call, with its errno. A bad descriptor or pointer is a bug in SensorIO and
    /// stops the process instead (STYLE §2.3).
    init(_ errno: SystemErrno, chip: String, line: GPIOLineOffset? = nil, operation: String) {
        precondition(!errno.isProgrammingError,
                     "\(chip): \(operation) failed with errno \(errno.rawValue): a SensorIO bug")
        self.init(Cause(errno: errno.rawValue), chip: chip, line: line, operation: operation, errno: errno.rawValue)
    }

    /// `chip line 17: request output failed: lineBusy (errno 16)`.
    public var description: String {
        var text = chip
        if let line { text += " line \(line)" }
        text += ": \(operation) failed: \(cause)"
        if let errno { text += " (errno \(errno))" }
        return text
    }
}

extension GPIOError {
    // The causes as members of `GPIOError`, so `catch GPIOError.lineBusy` is an expression pattern that `~=`
    // below matches (`GPIOError.Cause.lineBusy` would be read as an enum-case pattern instead).
    /// Matches errors whose cause is `.chipNotFound`.
    public static let chipNotFound = Cause.chipNotFound
    /// Matches errors whose cause is `.notAGPIOChip`.
    public static let notAGPIOChip = Cause.notAGPIOChip
    /// Matches errors whose cause is `.permissionDenied`.
    public static let permissionDenied = Cause.permissionDenied
    /// Matches errors whose cause is `.lineBusy`.
    public static let lineBusy = Cause.lineBusy
    /// Matches errors whose cause is `.invalidLine`.
    public static let invalidLine = Cause.invalidLine
    /// Matches errors whose cause is `.unsupported`.
    public static let unsupported = Cause.unsupported
}

extension GPIOError.Cause {
    /// Classifies an errno from libgpiod v1.6. The only errno-to-cause table for GPIO.
    init(errno: Int32) {
        // Qualified patterns: a bare `.timedOut` could resolve to the cause, matched through `~=` against the
        // errno as `any Error`, and never match.
        switch SystemErrno(rawValue: errno) {
        case SystemErrno.noSuchFileOrDirectory, SystemErrno.noSuchDevice: self = .chipNotFound
        case SystemErrno.notATypewriter: self = .notAGPIOChip
        case SystemErrno.accessDenied, SystemErrno.notPermitted: self = .permissionDenied
        case SystemErrno.busy: self = .lineBusy
        case SystemErrno.invalidArgument: self = .invalidLine
        case SystemErrno.notSupported: self = .unsupported
        default: self = .io(errno: errno)
        }
    }

    /// Lets `catch GPIOError.lineBusy` style matching work on the cause alone.
    public static func ~= (cause: GPIOError.Cause, error: any Error) -> Bool {
        (error as? GPIOError)?.cause == cause
    }

    /// The same inside `do` blocks whose error is inferred as `GPIOError` (typed throws).
    public static func ~= (cause: GPIOError.Cause, error: GPIOError) -> Bool {
        error.cause == cause
    }
}
