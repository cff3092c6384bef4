/// One requested GPIO line: an output that enables or powers a DUT, or an input that reports edges (data-ready)
/// with kernel timestamps. The request lasts as long as the object; it keeps its chip open.
///
/// Not thread-safe: the thread that owns the chip owns its lines. Waits are bounded; to watch many lines from one
/// thread, poll their `eventFileDescriptor`s and call `waitForEdge(timeout: .zero)` on the readable ones.
public final class GPIOLine {
    /// The consumer name the kernel shows for our lines (`gpioinfo`).
    public static let defaultConsumer = "sensorquald"

    /// How the line was requested.
    public enum Mode: Sendable, Equatable {
        /// Driven by `setValue(_:)`.
        case output
        /// An input whose edges are queued for `waitForEdge(timeout:)`.
        case edgeEvents(EdgeDetection)
    }

    /// The chip the line belongs to; kept open while the line lives.
    public let chip: GPIOChip
    /// The line's offset on its chip.
    public let offset: GPIOLineOffset
    /// How the line was requested.
    public let mode: Mode

    private let handle: OpaquePointer

    /// Requests the line as an output, driven to `initialValue` from the moment of the request, e.g. a DUT's
    /// enable or power switch that must come up off.
    ///
    /// - Parameters:
    ///   - chip: The chip the line is on.
    ///   - offset: The line's offset on `chip`.
    ///   - initialValue: The level the line takes at the request.
    ///   - activeLow: Whether `.high` drives the wire low (an active-low enable).
    ///   - consumer: The name the kernel records as the line's user.
    /// - Throws: `GPIOError` naming chip and line: `.invalidLine`, `.lineBusy` when another consumer holds it,
    ///   `.permissionDenied`.
    ///
    /// The corresponding C call is `gpiod_line_request_output_flags`.
    public convenience init(chip: GPIOChip, offset: GPIOLineOffset, output initialValue: GPIOLevel,
                            activeLow: Bool = false, consumer: String = GPIOLine.defaultConsumer) throws(GPIOError) {
        let operation = "request output"
        let line = try chip.lineHandle(offset, operation: operation)
        if case .failure(let errno) = GPIOD.requestOutput(line, consumer: consumer, activeLow: activeLow,
                                                          level: initialValue) {
            throw GPIOError(errno, chip: chip.path, line: offset, operation: operation)
        }
        self.init(chip: chip, offset: offset, mode: .output, handle: line)
    }

    /// Requests the line as an input that queues `edges`, each with the kernel's CLOCK_MONOTONIC timestamp.
    ///
    /// - Parameters:
    ///   - chip: The chip the line is on.
    ///   - offset: The line's offset on `chip`.
    ///   - edges: The transitions to report.
    ///   - consumer: The name the kernel records as the line's user.
    /// - Throws: `GPIOError` naming chip and line, as the output initializer.
    ///
    /// The corresponding C call is `gpiod_line_request_rising_edge_events` (or its falling and both variants).
    public convenience init(chip: GPIOChip, offset: GPIOLineOffset, edges: EdgeDetection,
                            consumer: String = GPIOLine.defaultConsumer) throws(GPIOError) {
        let operation = "request \(edges) edge events"
        let line = try chip.lineHandle(offset, operation: operation)
        if case .failure(let errno) = GPIOD.requestEdgeEvents(line, consumer: consumer, edges: edges) {
            throw GPIOError(errno, chip: chip.path, line: offset, operation: operation)
        }
        self.init(chip: chip, offset: offset, mode: .edgeEvents(edges), handle: line)
    }

    private init(chip: GPIOChip, offset: GPIOLineOffset, mode: Mode, handle: OpaquePointer) {
        self.chip = chip
        self.offset = offset
        self.mode = mode
        self.handle = handle
    }

    deinit {
        GPIOD.release(handle)
    }

    /// Drives an output line. Calling it on an edge-event line is a programming error.
    ///
    /// The corresponding C call is `gpiod_line_set_value`.
    public func setValue(_ level: GPIOLevel) throws(GPIOError) {
        precondition(mode == .output, "setValue on \(chip.path) line \(offset), which was requested as \(mode)")
        if case .failure(let errno) = GPIOD.setValue(handle, level) {
            throw GPIOError(errno, chip: chip.path, line: offset, operation: "set value")
        }
    }

    /// The line's current logical level: the driven value of an output, the input level of an edge line.
    ///
    /// The corresponding C call is `gpiod_line_get_value`.
    public func value() throws(GPIOError) -> GPIOLevel {
        switch GPIOD.value(handle) {
        case .success(let level): return level
        case .failure(let errno): throw GPIOError(errno, chip: chip.path, line: offset, operation: "get value")
        }
    }

    /// Waits at most `timeout` for the next edge and returns it, or `.timedOut`. An edge already queued returns
    /// at once, so `timeout: .zero` reads one after a poll loop saw the descriptor readable. Never waits longer
    /// than `timeout`, and a signal does not restart the full wait. Requires an edge-event request.
    ///
    /// The corresponding C calls are `gpiod_line_event_wait` and `gpiod_line_event_read`.
    public func waitForEdge(timeout: Duration) throws(GPIOError) -> EdgeWait {
        precondition(isEdgeLine, "waitForEdge on \(chip.path) line \(offset), which was requested as \(mode)")
        let deadline = ContinuousClock.now + max(timeout, .zero)
        switch GPIOD.waitForEvent(handle, until: deadline) {
        case .failure(let errno):
            throw GPIOError(errno, chip: chip.path, line: offset, operation: "wait for edge")
        case .success(false):
            return .timedOut
        case .success(true):
            switch GPIOD.readEvent(handle) {
            case .success(let event): return .edge(event)
            case .failure(let errno): throw GPIOError(errno, chip: chip.path, line: offset, operation: "read edge")
            }
        }
    }

    /// Reads every edge queued now, without waiting, and passes each to `body`, oldest first; returns how many. A
    /// data-ready line's poll: one `ppoll` and one `read` for up to 16 queued edges (`waitForEdge(timeout: .zero)`
    /// until `.timedOut` makes a `ppoll` and a `read` per edge and a last `ppoll`). Requires an edge-event request.
    ///
    /// The corresponding C calls are `gpiod_line_event_wait` and `gpiod_line_event_read_multiple`.
    @discardableResult
    public func takeQueuedEdges(_ body: (EdgeEvent) -> Void) throws(GPIOError) -> Int {
        precondition(isEdgeLine, "takeQueuedEdges on \(chip.path) line \(offset), which was requested as \(mode)")
        var taken = 0
        while true {
            switch GPIOD.waitForEvent(handle, until: .now) {
            case .failure(let errno):
                throw GPIOError(errno, chip: chip.path, line: offset, operation: "wait for edge")
            case .success(false):
                return taken
            case .success(true):
                switch GPIOD.readEvents(handle, body) {
                case .success(let count):
                    taken += count
                    // Fewer than a full read: the queue was empty when the kernel copied it out.
                    if count < GPIOD.eventsPerRead { return taken }
                case .failure(let errno):
                    throw GPIOError(errno, chip: chip.path, line: offset, operation: "read edges")
                }
            }
        }
    }

    /// The descriptor that becomes readable when an edge is queued, for a poll loop that watches many lines.
    /// It belongs to the line: do not close it or read it directly. Requires an edge-event request.
    ///
    /// The corresponding C call is `gpiod_line_event_get_fd`.
    public var eventFileDescriptor: Int32 {
        precondition(isEdgeLine, "eventFileDescriptor of \(chip.path) line \(offset), requested as \(mode)")
        switch GPIOD.eventFileDescriptor(handle) {
        case .success(let fd): return fd
        case .failure(let errno):
            // libgpiod fails only for a line not requested for events, which the precondition rules out.
            preconditionFailure("\(chip.path) line \(offset): gpiod_line_event_get_fd failed, errno \(errno.rawValue)")
        }
    }

    private var isEdgeLine: Bool {
        if case .edgeEvents = mode { return true }
        return false
    }

    /// Splits a timeout into whole seconds and nanoseconds for a `timespec`, rounding up to the next
    /// nanosecond so a wait never ends early; negative timeouts count as zero.
    static func timeoutParts(_ timeout: Duration) -> (seconds: Int, nanoseconds: Int) {
        guard timeout > .zero else { return (0, 0) }
        let (seconds, attoseconds) = timeout.components
        let attosecondsPerNanosecond: Int64 = 1_000_000_000
        var nanoseconds = (attoseconds + attosecondsPerNanosecond - 1) / attosecondsPerNanosecond
        var wholeSeconds = seconds
        if nanoseconds == 1_000_000_000 {
            wholeSeconds += 1
            nanoseconds = 0
        }
        return (Int(clamping: wholeSeconds), Int(nanoseconds))
    }
}
