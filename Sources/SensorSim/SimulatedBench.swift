import SensorDrivers
import SensorIO
import Synchronization

/// The whole simulated test bench behind one lock: the pressure manifold, the coil set in the magnetic shield, the
/// gas chamber, the reference controller's state, a TCA9548A mux and the units behind it. Buses and instruments are thin fronts onto it, so the
/// daemon's probe at start-up and a run's acquisition thread see one consistent world.
public final class SimulatedBench: Sendable {
    struct Location: Hashable {
        var channel: Int?
        var address: I2CAddress

        /// The location's entry in `State.unitAt`.
        var row: Int { ((channel ?? -1) + 1) * 128 + Int(address.rawValue) }
    }

    struct State {
        var environment = BenchEnvironment()
        var muxAddress: I2CAddress
        var muxMask: UInt8 = 0
        var units: [any SimulatedI2CChip] = []
        /// Which unit sits where: the index into `units` of the unit off the mux (row 0) and behind each channel
        /// (row channel + 1), per 7-bit address; -1 for none. A transfer routes by table, not by hashing locations.
        var unitAt = [Int32](repeating: -1, count: 9 * 128)
        var absent: Set<Location> = []
        var unpowered: Set<Location> = []
        /// Faults injected for tests and `--simulate-faults` (`SimulatedBusFault`).
        var faults: [SimulatedBusFault] = []
        var referenceRandom: SeededRandom
        var referenceBias: Double
        var referenceNoise: Double

        /// The unit at `location`, if one sits there (present or not).
        func unit(at location: Location) -> Int? {
            let index = unitAt[location.row]
            return index < 0 ? nil : Int(index)
        }

        /// Puts `model` at `location`, in place of the unit there if any.
        mutating func place(_ model: any SimulatedI2CChip, at location: Location) {
            precondition((location.channel ?? 0) >= 0 && (location.channel ?? 0) < 8, "a TCA9548A has channels 0–7")
            if let index = unit(at: location) {
                units[index] = model
            } else {
                unitAt[location.row] = Int32(units.count)
                units.append(model)
            }
        }
    }

    public let clock: SimulatedClock
    /// The bus clock a transfer's time is counted at, Hz; nil: transfers take no run time (`SimulatedRig.Lot`).
    let busClock: Double?
    private let state: Mutex<State>

    init(clock: SimulatedClock, muxAddress: I2CAddress, units: [(channel: Int?, address: I2CAddress, model: any SimulatedI2CChip)],
         referenceRandom: SeededRandom, referenceBias: Double, referenceNoise: Double, busClock: Double? = fastModeClock) {
        self.clock = clock
        self.busClock = busClock
        var initial = State(muxAddress: muxAddress, referenceRandom: referenceRandom,
                            referenceBias: referenceBias, referenceNoise: referenceNoise)
        for unit in units { initial.place(unit.model, at: Location(channel: unit.channel, address: unit.address)) }
        state = Mutex(initial)
    }

    private var time: Double { Double(clock.now()) * 1e-9 }

    // MARK: I2C

    /// I2C fast mode's bus clock, Hz: the simulated bus's unless the rig says otherwise.
    static let fastModeClock = 400_000.0
    /// How long the adapter waits on a hung transfer before it returns ETIMEDOUT, s: the SMBus clock-low timeout
    /// tTIMEOUT,MAX of 35 ms. A transfer that times out holds the bus that long, so the run clock moves on by it.
    public static let adapterTimeout = 0.035

    func writeRead(bus: String, address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        var read = [UInt8](repeating: 0, count: readCount)
        let failure = bytes.withUnsafeBytes { bytes in
            read.withUnsafeMutableBytes { transfer(bus: bus, address: address, write: bytes, into: $0) }
        }
        if let failure { throw failure }
        return read
    }

    func writeRead(bus: String, address: I2CAddress, write bytes: UnsafeRawBufferPointer,
                   into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        if let failure = transfer(bus: bus, address: address, write: bytes, into: buffer) { throw failure }
    }

    /// Writes `bytes` to the unit at `address`, then reads `buffer.count` bytes into `buffer`; the error, if any.
    private func transfer(bus: String, address: I2CAddress, write bytes: UnsafeRawBufferPointer,
                          into buffer: UnsafeMutableRawBufferPointer) -> I2CError? {
        let t = time
        let readCount = buffer.count
        // A transfer takes bus time: 9 clocks per byte (8 data + ACK) plus the address byte of each message
        // and its START; the run clock moves on by that much, as it would on a real adapter.
        let messages = (bytes.isEmpty ? 0 : 1) + (readCount > 0 ? 1 : 0)
        if let busClock { clock.advance(by: Double(9 * (bytes.count + readCount + messages) + messages) / busClock) }
        let failure: I2CError? = state.withLock { state in
            if address == state.muxAddress {
                if let mask = bytes.last { state.muxMask = mask }
                buffer.initializeMemory(as: UInt8.self, repeating: state.muxMask)
                return nil
            }
            if let fault = state.fault(at: address, time: t) { return fault.error(bus: bus) }
            guard let unit = state.route(address) else {
                return I2CError(.noAcknowledge, bus: bus, address: address, operation: "transfer",
                                errno: 6 /* ENXIO: nothing acknowledged the address */)
            }
            // The environment is lent, not copied: a copy retained and released its chambers' arrays per transfer.
            if !bytes.isEmpty { state.units[unit].write(bytes, at: t, environment: state.environment) }
            if readCount > 0 { state.units[unit].read(into: buffer, at: t, environment: state.environment) }
            return nil
        }
        if let failure, failure.cause == .timedOut { clock.advance(by: Self.adapterTimeout) }
        return failure
    }

    /// From `fault.from` to `fault.to` on the simulated clock, transfers to the device fail as `fault.kind` says.
    public func inject(_ fault: SimulatedBusFault) {
        state.withLock { $0.faults.append(fault) }
    }

    /// Puts another chip model at (channel, address), as a technician swapping a part: tests of a unit that comes
    /// back as a different one.
    func replace(channel: Int?, address: I2CAddress, with model: any SimulatedI2CChip) {
        state.withLock { $0.place(model, at: Location(channel: channel, address: address)) }
    }

    /// Makes a unit stop answering (a pulled connector) or come back, for fault tests.
    public func setPresent(_ present: Bool, channel: Int?, address: I2CAddress) {
        state.withLock { state in
            let location = Location(channel: channel, address: address)
            if present { state.absent.remove(location) } else { state.absent.insert(location) }
        }
    }

    /// The INT edges of the unit at (channel, address) up to now, in seconds of simulated time.
    func dataReadyEdges(channel: Int?, address: I2CAddress) -> [Double] {
        let t = time
        return state.withLock { state in
            let location = Location(channel: channel, address: address)
            guard let unit = state.unit(at: location), !state.absent.contains(location), !state.unpowered.contains(location) else { return [] }
            let environment = state.environment
            let edges = state.units[unit].dataReadyEdges(through: t, environment: environment)
            // A pulled connector takes the INT line with it: its edges never reach the GPIO chip.
            let cut = state.faults.contains { $0.kind == .absent && $0.channel == channel && $0.address == address && $0.isActive(at: t) }
            return cut ? [] : edges
        }
    }

    /// Switches a unit's supply (its power GPIO): unpowered, it does not answer.
    public func setPowered(_ powered: Bool, channel: Int?, address: I2CAddress) {
        state.withLock { state in
            let location = Location(channel: channel, address: address)
            if powered { state.unpowered.remove(location) } else { state.unpowered.insert(location) }
        }
    }

    // MARK: Pressure controller

    func command(setpoint: Double) {
        let t = time
        state.withLock { $0.environment.pressure.command(target: setpoint, at: t) }
    }

    func setpoint() -> Double { state.withLock { $0.environment.pressure.target } }

    /// The manifold's true pressure now, Pa (tests compare the reference and the DUTs with it).
    public func truePressure() -> Double {
        let t = time
        return state.withLock { $0.environment.pressure.settledPressure(at: t) }
    }

    func referenceReading() -> Double {
        let t = time
        return state.withLock { state in
            state.environment.pressure.settledPressure(at: t) + state.referenceBias
                + state.referenceNoise * state.referenceRandom.gaussian()
        }
    }

    // MARK: Coil current source

    /// The current source drives one coil axis (0/1/2 = X/Y/Z), A.
    func driveCoil(axis: Int, amperes: Double) {
        let t = time
        state.withLock { $0.environment.coil.drive(axis: axis, amperes: amperes, at: t) }
    }

    /// Sets the coil set's true constant, µT/A per axis (what its certificate states to within its uncertainty).
    func setCoilConstant(_ constant: FieldVector) {
        state.withLock { $0.environment.coil.constant = constant }
    }

    /// The current the source drives in each coil axis, A.
    func coilCurrents() -> [Double] { state.withLock { $0.environment.coil.current } }

    /// The true field at the DUTs now, µT (tests compare the DUTs and the coil constant with it).
    public func trueField() -> FieldVector {
        let t = time
        return state.withLock { $0.environment.coil.field(at: t) }
    }

    // MARK: Gas mixer

    /// The mixer starts delivering `mixture` (ppm by gas) into the chamber.
    func deliver(mixture: [String: Double]) {
        let t = time
        state.withLock { $0.environment.gas.command(mixture: mixture, at: t) }
    }

    /// The mixture the mixer is set to, ppm by gas.
    func mixture() -> [String: Double] { state.withLock { $0.environment.gas.setting } }

    /// The true concentration of `gas` at the DUTs now, ppm.
    public func trueConcentration(of gas: String) -> Double {
        let t = time
        return state.withLock { $0.environment.gas.concentration(of: gas, at: t) }
    }

    /// The chamber's flush time constant V/Q, s.
    public var gasFlushTimeConstant: Double { state.withLock { $0.environment.gas.flushTimeConstant } }
}

/// A simulated I2C adapter: one bus of a `SimulatedBench`.
public final class SimulatedI2CBus: I2CTransport, Sendable {
    public let name: String
    private let bench: SimulatedBench

    public init(name: String, bench: SimulatedBench) {
        self.name = name
        self.bench = bench
    }

    public func writeRead(address: I2CAddress, write bytes: [UInt8], readCount: Int) throws(I2CError) -> [UInt8] {
        try bench.writeRead(bus: name, address: address, write: bytes, readCount: readCount)
    }

    public func writeRead(address: I2CAddress, write bytes: UnsafeRawBufferPointer,
                          into buffer: UnsafeMutableRawBufferPointer) throws(I2CError) {
        try bench.writeRead(bus: name, address: address, write: bytes, into: buffer)
    }

    public func write(address: I2CAddress, _ bytes: [UInt8]) throws(I2CError) {
        _ = try bench.writeRead(bus: name, address: address, write: bytes, readCount: 0)
    }

    public func write(address: I2CAddress, _ bytes: UnsafeRawBufferPointer) throws(I2CError) {
        try bench.writeRead(bus: name, address: address, write: bytes, into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
    }

    public func read(address: I2CAddress, count: Int) throws(I2CError) -> [UInt8] {
        try bench.writeRead(bus: name, address: address, write: [], readCount: count)
    }
}

/// The transfer's look-ups on the locked state, always inlined: called (as static functions taking it, or as methods),
/// each got a copy of the state, 248 bytes, twice per transfer.
extension SimulatedBench.State {
    /// The fault in force at `time` for a transfer to `address` through the enabled mux channels, if any.
    @inline(__always)
    func fault(at address: I2CAddress, time: Double) -> SimulatedBusFault? {
        faults.first { fault in
            fault.address == address && fault.isActive(at: time)
                && (fault.channel.map { muxMask & (1 << UInt8($0)) != 0 } ?? true)
        }
    }

    /// The index of the unit that answers at `address` through the enabled mux channels; nil is a NACK.
    @inline(__always)
    func route(_ address: I2CAddress) -> Int? {
        typealias Location = SimulatedBench.Location
        // The candidates are the address off the mux and behind each enabled channel: at most nine table entries, not
        // a scan of every unit on every transfer (a 40-unit rig spent a tenth of its run in the scan).
        var found: Int?
        var channel: Int?
        var mask = muxMask
        while true {
            let location = Location(channel: channel, address: address)
            if let unit = unit(at: location), absent.isEmpty || !absent.contains(location),
               unpowered.isEmpty || !unpowered.contains(location) {
                if found != nil { return nil }  // two units answer at once: neither is heard
                found = unit
            }
            guard mask != 0 else { return found }
            channel = mask.trailingZeroBitCount
            mask &= mask - 1
        }
    }
}
