/// A line level. With an active-low request, `.high` means asserted, whatever the wire does.
public enum GPIOLevel: Sendable, Equatable {
    /// Inactive, logical 0.
    case low
    /// Active, logical 1.
    case high
}

/// Which edges a line reports.
public enum EdgeDetection: Sendable, Equatable {
    /// Low-to-high transitions only.
    case rising
    /// High-to-low transitions only.
    case falling
    /// Both transitions.
    case both
}

/// One edge the kernel saw on a line.
public struct EdgeEvent: Sendable, Equatable {
    /// The direction of the transition.
    public enum Kind: Sendable, Equatable {
        /// Low to high.
        case rising
        /// High to low.
        case falling
    }

    /// The direction of the transition.
    public var kind: Kind
    /// When the kernel saw the edge, in nanoseconds of CLOCK_MONOTONIC (Linux ≥ 5.7; reference/daemon.md §6.1).
    public var timestampNanoseconds: UInt64

    /// Creates an event.
    public init(kind: Kind, timestampNanoseconds: UInt64) {
        self.kind = kind
        self.timestampNanoseconds = timestampNanoseconds
    }
}

/// How a bounded wait for an edge ended. Errors are thrown, not returned.
public enum EdgeWait: Sendable, Equatable {
    /// An edge arrived before the deadline.
    case edge(EdgeEvent)
    /// The deadline passed without an edge.
    case timedOut
}
