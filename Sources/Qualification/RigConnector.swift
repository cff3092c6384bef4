import Dispatch
import SensorDrivers
import SensorIO

/// Opens a rig's transports and instruments for a run. The daemon gives the run engine either the Linux
/// connector (`/dev/i2c-N`, SCPI links) or the simulated one; the engine cannot tell them apart.
///
/// `open…` calls happen on the run's own acquisition thread, which then owns what they return.
public protocol RigConnector: Sendable {
    /// The clock sampling deadlines are kept on.
    var clock: any RigClock { get }
    /// Whether the rig is simulated, which the report states.
    var isSimulated: Bool { get }
    func openBus(_ bus: Rig.Bus) throws -> any I2CTransport
    func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference
    /// Requests a slot's data-ready line for rising-edge events; the run owns it until it ends.
    func openDataReadyLine(_ line: Rig.GPIOLineReference) throws -> any DataReadyLine
    /// Requests a slot's power/enable line as an output, switched on.
    func openPowerLine(_ line: Rig.GPIOLineReference) throws -> any PowerSwitch
    /// Opens an audio interface for capture in its rig-file format.
    func openCapture(_ interface: Rig.AudioInterface) throws -> any AudioCapture
    /// Opens the sound source a `sound-source` reference names.
    func openSoundSource(_ reference: Rig.Reference) throws -> any SoundSource
    /// Opens the coil's current source (or the manual reference) a `field-source` reference names.
    func openFieldSource(_ reference: Rig.Reference) throws -> any FieldSource
    /// Opens the gas mixer (or the manual reference) a `gas-mixer` reference names; it waits for its flows on `clock`.
    func openGasReference(_ reference: Rig.Reference, clock: any RigClock) throws -> any GasReference
}

extension RigConnector {
    /// A connector for a rig without a coil set (its rig file names no field source).
    public func openFieldSource(_ reference: Rig.Reference) throws -> any FieldSource {
        throw RunFailure(description: "field source \(reference.id): this rig connector drives no coil (\(reference.link))")
    }

    /// A connector for a rig without a gas mixer.
    public func openGasReference(_ reference: Rig.Reference, clock: any RigClock) throws -> any GasReference {
        throw RunFailure(description: "gas mixer \(reference.id): this rig connector drives no gas mixer (\(reference.link))")
    }
}

/// A DUT's data-ready (INT) line: the conversions it announced since the last call, counted, with the latest one's
/// edge timestamp on the rig clock (the kernel's CLOCK_MONOTONIC timestamps on a real rig).
public protocol DataReadyLine: AnyObject {
    var name: String { get }
    func takeEdges() throws -> DataReadyEdges
}

/// The edges a data-ready line queued since it was last read: a DUT's poll needs how many conversions it announced
/// (all but the latest were missed) and when the latest completed, not a list of them.
public struct DataReadyEdges: Sendable, Equatable {
    /// The edges taken.
    public private(set) var count = 0
    /// The newest edge's timestamp, ns on the rig clock; nil when there was none.
    public private(set) var latest: Int64?

    public init() {}

    /// Counts an edge at `nanoseconds`, newer than those counted before.
    public mutating func record(_ nanoseconds: Int64) {
        count += 1
        latest = nanoseconds
    }
}

extension Rig.Slot {
    /// The longest power-up wait of the run engines (the DPS310 is ready about 40 ms after power-up, sensors.md §2.3):
    /// what a bench tool waits when it switches a slot on, whatever the chip.
    public static let powerUpSettle: Int64 = 50_000_000

    /// Switches the slot's supply on, where the rig file wires it to a power line, and waits `settle` ns on the rig
    /// clock for the chip to start. Returns the line, which the caller holds while it uses the slot; nil without one.
    public func switchPowerOn(_ connector: any RigConnector, settle: Int64) throws -> (any PowerSwitch)? {
        guard let power else { return nil }
        let line = try connector.openPowerLine(power)
        try line.set(on: true)
        connector.clock.sleep(until: connector.clock.now() + settle)
        return line
    }
}

/// A DUT's power or enable line.
public protocol PowerSwitch: AnyObject {
    var name: String { get }
    func set(on: Bool) throws
}

/// A run's cancel request, checked by the acquisition thread between transfers; the technician's go-ahead after the
/// run paused for an instrument; and the run's acquisition progress, which its threads beat and the daemon's
/// watchdog reads.
public final class RunCancellation: Sendable {
    private let flag = Mutex(false)
    private let resumed = Mutex(false)
    /// Signalled by `cancel()` and `resume()`, so a paused run thread wakes at once.
    private let wake = DispatchSemaphore(value: 0)
    public let progress = AcquisitionProgress()
    public init() {}
    public func cancel() {
        flag.withLock { $0 = true }
        wake.signal()
    }
    public var isCancelled: Bool { flag.withLock { $0 } }

    /// The technician says the run may go on (`sensorqual reference resume`).
    public func resume() {
        resumed.withLock { $0 = true }
        wake.signal()
    }

    /// How a pause for the technician ended.
    enum PauseEnd { case resumed, cancelled, timedOut }

    /// Asks the technician (`prompt`), then blocks the run thread until they resume, the run is cancelled, or `seconds`
    /// of real time pass. A resume given before the prompt does not count: the technician answers the prompt they saw.
    func awaitResume(within seconds: Double, after prompt: () -> Void) -> PauseEnd {
        resumed.withLock { $0 = false }
        prompt()
        let deadline = DispatchTime.now() + seconds
        while true {
            if isCancelled { return .cancelled }
            if resumed.withLock({ $0 }) { return .resumed }
            if wake.wait(timeout: deadline) == .timedOut { return isCancelled ? .cancelled : resumed.withLock { $0 } ? .resumed : .timedOut }
        }
    }
}

import Synchronization
