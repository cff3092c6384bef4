import SensorIO

/// A three-axis magnetometer as the run engine drives it (reference/sensors.md §3): magneto-inductive (RM3100), AMR
/// with SET/RESET (MMC5983MA), Hall/AMR with on-chip scaling (LIS3MDL) or with host trim compensation (BMM150).
/// Drivers know registers and formulas only: no retries, no sleeps, no timing policy; the engine owns time
/// (DESIGN.md §3), as for `PressureSensor`.
public protocol MagneticSensor: AnyObject {
    /// The catalog's driver name (`rm3100`, `mmc5983ma` …).
    static var driverName: String { get }
    /// Reads the identification (id or revision register) and any trim the host needs (BMM150), and returns them;
    /// throws `wrongChip` or `invalidCalibration` for a part that is not right.
    func probe() throws(DriverError) -> SensorIdentity
    /// Starts conversions with the requested resolution setting and the fastest output data rate at or below the
    /// requested one that the chip sustains in it. Returns the mode actually set; throws `configurationRejected`
    /// for a setting the chip does not have.
    func configure(_ settings: MagneticSettings) throws(DriverError) -> MagneticMode
    /// Checks for a new conversion and reads it when there is one; a chip whose measurement is a sequence of
    /// conversions (MMC5983MA SET then RESET) advances it here and asks to be called again.
    func poll() throws(DriverError) -> MagneticPoll
    /// Stops conversions (power-down or single mode), at the end of a run.
    func standby() throws(DriverError)
}

/// Acquisition settings as a plan asks for them, in the datasheets' own numbers.
public struct MagneticSettings: Sendable, Equatable, Codable {
    /// Highest output data rate wanted, Hz.
    public var outputDataRate: Double
    /// The chip's resolution knob in its datasheet's numbers: RM3100 cycle count (50…400), MMC5983MA bandwidth
    /// code (0…3: 100/200/400/800 Hz filters), LIS3MDL operating mode (0…3: LP/MP/HP/UHP), BMM150 XY repetitions
    /// (1…511, odd). nil: the chip's default.
    public var resolution: Int?
    /// Full scale wanted, µT, on chips that have ranges (LIS3MDL ±400/800/1200/1600 µT); nil: the smallest.
    public var fullScale: Double?
    /// MMC5983MA: cancel the bridge offset by a SET and a RESET measurement per reading (sensors.md §3.2).
    public var offsetCancellation: Bool

    public init(outputDataRate: Double, resolution: Int? = nil, fullScale: Double? = nil, offsetCancellation: Bool = true) {
        self.outputDataRate = outputDataRate
        self.resolution = resolution
        self.fullScale = fullScale
        self.offsetCancellation = offsetCancellation
    }
}

/// The mode a chip was actually put in: the conditions every figure measured in it carries (sensors.md §8.5).
public struct MagneticMode: Sendable, Equatable, Codable {
    public var outputDataRate: Double
    /// The resolution setting actually set, in the datasheet's numbers (see `MagneticSettings.resolution`).
    public var resolution: Int
    /// Full scale, µT.
    public var fullScale: Double
    /// Counts per µT of the output words: the quantisation step is its inverse.
    public var countsPerMicrotesla: Double
    /// Chip-specific conditions worth stating (`SET/RESET offset cancellation`, `UHP mode`), or empty.
    public var notes: String

    public init(outputDataRate: Double, resolution: Int, fullScale: Double, countsPerMicrotesla: Double, notes: String = "") {
        self.outputDataRate = outputDataRate
        self.resolution = resolution
        self.fullScale = fullScale
        self.countsPerMicrotesla = countsPerMicrotesla
        self.notes = notes
    }

    /// Nanoseconds between conversions.
    public var periodNanoseconds: Int64 { Int64((1e9 / outputDataRate).rounded()) }
}

/// What one poll found.
public enum MagneticPoll: Sendable, Equatable {
    /// A new reading.
    case reading(MagneticReading)
    /// No new conversion yet.
    case notReady
    /// A conversion of a sequence was started: poll again after this many seconds.
    case converting(Double)
}

/// A field in µT, one component per axis of the chip's own frame.
public struct FieldVector: Sendable, Equatable, Codable {
    public var x: Double
    public var y: Double
    public var z: Double

    public init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    public var magnitude: Double { (x * x + y * y + z * z).squareRoot() }

    /// The component on axis 0, 1 or 2 (x, y, z).
    public subscript(axis: Int) -> Double {
        switch axis {
        case 0: x
        case 1: y
        case 2: z
        default: preconditionFailure("a field has axes 0 (x), 1 (y) and 2 (z), not \(axis)")
        }
    }
}

/// One converted reading.
public struct MagneticReading: Sendable, Equatable {
    /// The field, µT.
    public var field: FieldVector
    /// The bridge or sensor offset the reading removed (MMC5983MA SET/RESET), µT; nil where the chip has none.
    public var offset: FieldVector?
    /// °C, where the chip measures it.
    public var temperature: Double?
    /// The raw output words as the chip delivered them (sign-extended where signed; MMC5983MA unsigned 18-bit).
    public var raw: RawWords

    public init(field: FieldVector, offset: FieldVector? = nil, temperature: Double? = nil, raw: RawWords) {
        self.field = field
        self.offset = offset
        self.temperature = temperature
        self.raw = raw
    }
}

/// The magnetometer drivers by their catalog name (`driver:` in `Devices/<chip>.yaml`).
public enum MagneticDrivers {
    public static let names = [RM3100.driverName, MMC5983MA.driverName, LIS3MDL.driverName, BMM150.driverName]

    /// A driver for the chip at `device`, or nil when no driver has that name.
    public static func sensor(driver name: String, device: I2CDevice) -> (any MagneticSensor)? {
        switch name {
        case RM3100.driverName: RM3100(device: device)
        case MMC5983MA.driverName: MMC5983MA(device: device)
        case LIS3MDL.driverName: LIS3MDL(device: device)
        case BMM150.driverName: BMM150(device: device)
        default: nil
        }
    }
}
