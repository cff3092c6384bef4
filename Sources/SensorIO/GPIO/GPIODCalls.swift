// The only file in SensorIO/GPIO that imports C (STYLE §2.2): thin calls over libgpiod v1.6 (`<gpiod.h>`,
// reference/daemon.md §6.1). libgpiod reports failure as -1 or NULL plus errno; every call goes through
// `valueOrErrno` (I2C/I2CSyscalls.swift), the one errno reader of SensorIO. Chips and lines arrive as
// `OpaquePointer`; a line pointer belongs to its chip and dies with `gpiod_chip_close`.
import CGPIOD
import Glibc

internal enum GPIOD {
    /// `gpiod_version_string()`, e.g. "1.6.3".
    static func versionString() -> String {
        guard let version = gpiod_version_string() else { return "" }
        return String(cString: version)
    }

    /// `gpiod_chip_open(path)`: opens a chip by its device path.
    static func openChip(path: String) -> Result<OpaquePointer, SystemErrno> {
        path.withCString { cPath in pointerOrErrno { gpiod_chip_open(cPath) } }
    }

    /// `gpiod_chip_open_by_name(name)`: opens `/dev/<name>`.
    static func openChip(name: String) -> Result<OpaquePointer, SystemErrno> {
        name.withCString { cName in pointerOrErrno { gpiod_chip_open_by_name(cName) } }
    }

    /// `gpiod_chip_close(chip)`: closes the chip and releases every line requested through it.
    static func closeChip(_ chip: OpaquePointer) {
        gpiod_chip_close(chip)
    }

    /// `gpiod_chip_name(chip)`, e.g. "gpiochip0".
    static func chipName(_ chip: OpaquePointer) -> String {
        gpiod_chip_name(chip).map { String(cString: $0) } ?? ""
    }

    /// `gpiod_chip_label(chip)`, e.g. "gpio-sim.0-node0" (the driver's label).
    static func chipLabel(_ chip: OpaquePointer) -> String {
        gpiod_chip_label(chip).map { String(cString: $0) } ?? ""
    }

    /// `gpiod_chip_num_lines(chip)`.
    static func lineCount(_ chip: OpaquePointer) -> Int {
        Int(gpiod_chip_num_lines(chip))
    }

    /// `gpiod_chip_get_line(chip, offset)`: the chip's line object (not yet requested).
    static func line(_ chip: OpaquePointer, offset: GPIOLineOffset) -> Result<OpaquePointer, SystemErrno> {
        pointerOrErrno { gpiod_chip_get_line(chip, offset.rawValue) }
    }

    /// `gpiod_line_request_output_flags(line, consumer, flags, value)`: drives the line, starting at `level`.
    static func requestOutput(_ line: OpaquePointer, consumer: String, activeLow: Bool,
                              level: GPIOLevel) -> Result<Void, SystemErrno> {
        let flags = activeLow ? Int32(GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
        return consumer.withCString { cConsumer in
            valueOrErrno { gpiod_line_request_output_flags(line, cConsumer, flags, cValue(level)) }
        }.map { _ in }
    }

    /// `gpiod_line_request_{rising,falling,both}_edge(s)_events(line, consumer)`: an input that queues edges.
    static func requestEdgeEvents(_ line: OpaquePointer, consumer: String,
                                  edges: EdgeDetection) -> Result<Void, SystemErrno> {
        consumer.withCString { cConsumer in
            valueOrErrno {
                switch edges {
                case .rising: gpiod_line_request_rising_edge_events(line, cConsumer)
                case .falling: gpiod_line_request_falling_edge_events(line, cConsumer)
                case .both: gpiod_line_request_both_edges_events(line, cConsumer)
                }
            }
        }.map { _ in }
    }

    /// `gpiod_line_release(line)`.
    static func release(_ line: OpaquePointer) {
        gpiod_line_release(line)
    }

    /// `gpiod_line_set_value(line, value)`.
    static func setValue(_ line: OpaquePointer, _ level: GPIOLevel) -> Result<Void, SystemErrno> {
        valueOrErrno { gpiod_line_set_value(line, cValue(level)) }.map { _ in }
    }

    /// `gpiod_line_get_value(line)`.
    static func value(_ line: OpaquePointer) -> Result<GPIOLevel, SystemErrno> {
        valueOrErrno { gpiod_line_get_value(line) }.map { $0 == 0 ? .low : .high }
    }

    /// `gpiod_line_event_get_fd(line)`: the descriptor that becomes readable when an edge is queued.
    static func eventFileDescriptor(_ line: OpaquePointer) -> Result<Int32, SystemErrno> {
        valueOrErrno { gpiod_line_event_get_fd(line) }
    }

    /// `gpiod_line_event_wait(line, &timeout)` until `deadline`: true when an edge is queued, false at the
    /// deadline. An interrupted wait resumes with the time that is left, so EINTR never extends it.
    static func waitForEvent(_ line: OpaquePointer,
                             until deadline: ContinuousClock.Instant) -> Result<Bool, SystemErrno> {
        valueOrErrno { () -> Int32 in
            let parts = GPIOLine.timeoutParts(deadline - ContinuousClock.now)
            var timeout = timespec(tv_sec: parts.seconds, tv_nsec: parts.nanoseconds)
            return gpiod_line_event_wait(line, &timeout)
        }.map { $0 == 1 }
    }

    /// `gpiod_line_event_read(line, &event)`: the oldest queued edge. Blocks when none is queued, so call it
    /// only after `waitForEvent` returned true.
    static func readEvent(_ line: OpaquePointer) -> Result<EdgeEvent, SystemErrno> {
        var event = gpiod_line_event()
        return valueOrErrno { gpiod_line_event_read(line, &event) }.map { _ in edge(event) }
    }

    /// The most edges `readEvents` takes in one read: libgpiod v1.6 reads at most 16
    /// (`gpiod_line_event_read_fd_multiple`).
    static let eventsPerRead = 16

    /// `gpiod_line_event_read_multiple(line, events, 16)`: the oldest queued edges, up to 16, in one `read(2)`, passed
    /// to `body` oldest first; returns how many. Blocks when none is queued, so call it only after `waitForEvent`
    /// returned true.
    static func readEvents(_ line: OpaquePointer, _ body: (EdgeEvent) -> Void) -> Result<Int, SystemErrno> {
        withUnsafeTemporaryAllocation(of: gpiod_line_event.self, capacity: eventsPerRead) { events in
            let read = valueOrErrno { gpiod_line_event_read_multiple(line, events.baseAddress, UInt32(eventsPerRead)) }
            return read.map { count in
                for index in 0..<Int(count) { body(edge(events[index])) }
                return Int(count)
            }
        }
    }

    /// uAPI v1 knows two event types; libgpiod stores the kernel's nanosecond timestamp as a timespec.
    private static func edge(_ event: gpiod_line_event) -> EdgeEvent {
        let kind: EdgeEvent.Kind = event.event_type == Int32(GPIOD_LINE_EVENT_RISING_EDGE) ? .rising : .falling
        let nanoseconds = UInt64(clamping: event.ts.tv_sec) &* 1_000_000_000 &+ UInt64(clamping: event.ts.tv_nsec)
        return EdgeEvent(kind: kind, timestampNanoseconds: nanoseconds)
    }

    private static func cValue(_ level: GPIOLevel) -> Int32 {
        level == .high ? 1 : 0
    }

    /// A pointer-returning libgpiod call through `valueOrErrno`: NULL is its -1.
    private static func pointerOrErrno(_ call: () -> OpaquePointer?) -> Result<OpaquePointer, SystemErrno> {
        var pointer: OpaquePointer?
        return valueOrErrno { () -> Int32 in
            pointer = call()
            return pointer == nil ? -1 : 0
        }.flatMap { _ in
            // Success means the pointer is set; the nil branch cannot be taken.
            pointer.map { .success($0) } ?? .failure(.ioError)
        }
    }
}
