import ControlProtocol
import Dispatch
import Foundation
import Qualification
import SensorDrivers
import SensorIO
import Synchronization

/// One connection's live read of a slot (`devices.read`, docs/protocol.md §8.16): the slot's driver polled on a thread
/// of its own, each reading sent to the connection as `device.reading` with the running statistics, until the one
/// reading of a read without `follow`, `devices.read.stop`, the connection closing, a run needing the bus, or a
/// device failure; then the chip is put in standby (its data registers keep the last conversion) and
/// `device.read.end` says why.
///
/// Paced in wall time even on the simulated rig's virtual clock, which it moves on by the same amount: a technician
/// watches the readings come at the chip's rate.
final class LiveRead: Sendable {
    let slot: String
    private let stopReason = Mutex<(reason: String, detail: String?)?>(nil)
    /// Signalled by `stop`, so that a wait between polls ends at once.
    private let wake = DispatchSemaphore(value: 0)

    private init(slot: String) {
        self.slot = slot
    }

    /// Asks the session to end (the first reason given is the one reported).
    func stop(_ reason: String, detail: String? = nil) {
        stopReason.withLock { if $0 == nil { $0 = (reason, detail) } }
        wake.signal()
    }

    private var stopRequest: (reason: String, detail: String?)? { stopReason.withLock { $0 } }

    /// Probes and configures the slot's chip on a new thread and returns once it is ready (or refuses with the
    /// driver's error); readings then go to `connection`. `finished` runs on the session's thread once the chip is
    /// in standby and `device.read.end` is queued, whatever ended it.
    static func start(_ params: ReadParams, slot: Rig.Slot, chip: ChipDescription, configuration: DaemonConfiguration,
                      connection: RPCConnection, claim: (LiveRead) async throws(RPCError) -> Void,
                      finished: @escaping @Sendable () -> Void) async throws(RPCError) -> (LiveRead, ReadStarted) {
        let session = LiveRead(slot: slot.id)
        try await claim(session)
        let rate = params.rateHz ?? (chip.sensorClass == "gas" ? 1 : 10)
        let follow = params.follow ?? false
        let started: Result<ReadStarted, RPCError> = await withCheckedContinuation { continuation in
            let name = "read \(slot.id)"
            let thread = Thread {
                ThreadSyscalls.nameCurrentThread(name)
                let reader: SlotReader
                // The supply stays on after the read (a run switches it off at its end), so a dump that follows reads
                // the chip as the read left it.
                let power: (any PowerSwitch)?
                do {
                    power = try slot.switchPowerOn(configuration.connector, settle: Rig.Slot.powerUpSettle)
                    let transport = try SlotTransports(rig: configuration.rig, connector: configuration.connector).transport(for: slot)
                    reader = try SlotReader(slot: slot, chip: chip, device: I2CDevice(transport: transport, address: slot.address), rate: rate)
                } catch {
                    continuation.resume(returning: .failure(RPCError(code: .deviceLost, message: "slot \(slot.id): \(error)")))
                    finished()
                    return
                }
                let tau = ReadingStatistics(rate: reader.rate).tau
                continuation.resume(returning: .success(ReadStarted(
                    slot: slot.id, model: reader.model, mode: reader.mode, rateHz: reader.rate, adevTauS: tau,
                    quantities: reader.quantities.map { .init(name: $0.name, unit: $0.unit) })))
                session.read(reader, clock: configuration.connector.clock, follow: follow, connection: connection)
                withExtendedLifetime(power) {}
                finished()
            }
            thread.name = name
            thread.stackSize = 1 << 20
            thread.start()
        }
        switch started {
        case .success(let started): return (session, started)
        case .failure(let error): throw error
        }
    }

    /// The polling loop: runs until a stop request, the one reading without `follow`, or a driver error. Polls keep
    /// to deadlines one reading interval apart from the first reading on, as the run engine's do (a late poll does not
    /// push the next one back), so each conversion is read once and the Allan deviation's τ is what it says; between
    /// them, the chip's own waits (a conversion in progress, not ready yet).
    private func read(_ reader: SlotReader, clock: any RigClock, follow: Bool, connection: RPCConnection) {
        var statistics = reader.quantities.map { _ in ReadingStatistics(rate: reader.rate) }
        let period = Int64((1e9 / reader.rate).rounded())
        var count = 0
        // Both anchored at the first reading: the chip's conversions set the phase of the polls.
        var first: Int64?
        var deadline: Int64 = 0
        var end: (reason: String, detail: String?) = ("stopped", nil)
        polling: while true {
            if let request = stopRequest {
                end = request
                break
            }
            let wait: Int64
            // A reading's time is its poll's start: the bus time of the transfers is not in the intervals.
            let now = clock.now()
            do throws(DriverError) {
                switch try reader.poll() {
                case .reading(let values, let valid):
                    count += 1
                    if first == nil {
                        first = now
                        deadline = now
                    }
                    var named: [String: Double] = [:]
                    var figures: [String: LiveReading.Statistics] = [:]
                    for (index, quantity) in reader.quantities.enumerated() {
                        let value = values[index]
                        guard value.isFinite else { continue }
                        named[quantity.name] = value
                        if valid { statistics[index].add(value) }
                        if let mean = statistics[index].mean {
                            figures[quantity.name] = .init(mean: mean, sd: statistics[index].standardDeviation,
                                                           adev: statistics[index].allanDeviation)
                        }
                    }
                    let reading = LiveReading(slot: slot, n: count, tS: Double(now - first!) * 1e-9, valid: valid,
                                              values: named, statistics: figures)
                    if let params = try? JSONValue(encoding: reading) {
                        connection.notify(method: NotificationMethod.deviceReading, params: params)
                    }
                    guard follow else {
                        end = ("done", nil)
                        break polling
                    }
                    // The next interval's deadline; after a stall, the next one still ahead.
                    deadline += period
                    let after = clock.now()
                    if deadline <= after { deadline += ((after - deadline) / period + 1) * period }
                    wait = deadline - after
                case .notReady: wait = max(1_000_000, period / 10)
                case .converting(let seconds): wait = Int64(seconds * 1e9)
                }
            } catch {
                end = ("lost", "\(error)")
                break
            }
            pause(wait, clock: clock)
        }
        let standby: String?
        do throws(DriverError) { try reader.standby(); standby = nil } catch { standby = "standby failed: \(error)" }
        let detail = [end.detail, standby].compactMap { $0 }.joined(separator: "; ")
        if let params = try? JSONValue(encoding: ReadEnd(slot: slot, reason: end.reason, detail: detail.isEmpty ? nil : detail)) {
            connection.notify(method: NotificationMethod.deviceReadEnd, params: params)
        }
    }

    /// Waits `nanoseconds` of wall time, or less if stopped; a virtual rig clock is moved on by the same amount.
    private func pause(_ nanoseconds: Int64, clock: any RigClock) {
        let start = clock.now()
        _ = wake.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
        if clock.isVirtual { clock.sleep(until: start + nanoseconds) }
    }
}
