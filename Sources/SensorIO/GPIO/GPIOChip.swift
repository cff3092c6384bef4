/// A GPIO chip opened through libgpiod v1.6 (`/dev/gpiochipN`). Lines are requested from it with `GPIOLine`'s
/// initializers; each line keeps its chip open.
///
/// Not thread-safe: one thread owns a chip and its lines at a time (reference/daemon.md §6.2). The chip is
/// closed, releasing every line requested through it, when the last reference to it goes away.
public final class GPIOChip {
    /// The chip as it was opened (a path or a name); it names the chip in every error.
    public let path: String
    /// The kernel's name for the chip, e.g. `gpiochip0`. The corresponding C call is `gpiod_chip_name`.
    public let name: String
    /// The driver's label, e.g. `gpio-sim.0-node0`. The corresponding C call is `gpiod_chip_label`.
    public let label: String
    /// How many lines the chip has; offsets run from 0 to `lineCount - 1`. The corresponding C call is
    /// `gpiod_chip_num_lines`.
    public let lineCount: Int

    let handle: OpaquePointer

    /// Opens a chip by its device path, e.g. `/dev/gpiochip0`.
    ///
    /// - Throws: `GPIOError` naming `path`: `.chipNotFound` when nothing is there, `.notAGPIOChip` for another
    ///   kind of file, `.permissionDenied`.
    ///
    /// The corresponding C call is `gpiod_chip_open`.
    public convenience init(path: String) throws(GPIOError) {
        try self.init(opened: GPIOD.openChip(path: path), as: path)
    }

    /// Opens a chip by its name, e.g. `gpiochip0` for `/dev/gpiochip0`.
    ///
    /// - Throws: `GPIOError` naming `name`, as `init(path:)`.
    ///
    /// The corresponding C call is `gpiod_chip_open_by_name`.
    public convenience init(name: String) throws(GPIOError) {
        try self.init(opened: GPIOD.openChip(name: name), as: name)
    }

    private init(opened: Result<OpaquePointer, SystemErrno>, as path: String) throws(GPIOError) {
        switch opened {
        case .success(let handle):
            self.handle = handle
        case .failure(let errno):
            throw GPIOError(errno, chip: path, operation: "open")
        }
        self.path = path
        self.name = GPIOD.chipName(handle)
        self.label = GPIOD.chipLabel(handle)
        self.lineCount = GPIOD.lineCount(handle)
    }

    deinit {
        GPIOD.closeChip(handle)
    }

    /// The libgpiod version this process runs with, e.g. `1.6.3`. The corresponding C call is
    /// `gpiod_version_string`.
    public static var libraryVersion: String { GPIOD.versionString() }

    /// The chip's line object at `offset`, not yet requested. Checks the offset before asking libgpiod, so a
    /// wrong offset in a rig file is an error naming chip and line.
    ///
    /// The corresponding C call is `gpiod_chip_get_line`.
    func lineHandle(_ offset: GPIOLineOffset, operation: String) throws(GPIOError) -> OpaquePointer {
        guard Int(offset.rawValue) < lineCount else {
            throw GPIOError(.invalidLine, chip: path, line: offset,
                            operation: "\(operation): the chip has \(lineCount) lines")
        }
        switch GPIOD.line(handle, offset: offset) {
        case .success(let line): return line
        case .failure(let errno): throw GPIOError(errno, chip: path, line: offset, operation: operation)
        }
    }
}
