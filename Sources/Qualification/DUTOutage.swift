import Foundation
import SensorDrivers
import SensorIO

/// One stretch of run time during which a DUT did not answer (DESIGN.md §5): when it was declared lost, why (the
/// kernel's errno, reference/daemon.md §5.4), when a re-probe found it again, and what was not read meanwhile.
/// Readings of the outage are never invented: the conversions it swallowed are counted missed and the noise
/// records mark a gap there, so no Allan difference spans it (statistics.md §2.3 "Gaps").
public struct DUTOutage: Sendable, Codable, Equatable {
    /// Run-clock seconds from the run's start at which the DUT was declared lost.
    public var lostAtS: Double
    /// The same instant in UTC, ISO 8601 with milliseconds; absent on a virtual (simulated) clock.
    public var lostAtUtc: String?
    /// Run-clock seconds at which a re-probe found the same chip and it was configured again; absent while it is
    /// still lost (the outage is open at the end of the run).
    public var returnedAtS: Double?
    public var returnedAtUtc: String?
    /// The cause, errno first where there was one: `"ENXIO (6): no ACK at 0x76 on sim:i2c-1 (mux0 channel 1)"`.
    public var cause: String
    /// The errno of the failure that lost the DUT, and its C name (`6`, `"ENXIO"`).
    public var errno: Int32?
    public var errnoName: String?
    /// Re-probes that found no answer, or not the right chip, before the return (or the end of the run).
    public var failedReprobes: Int = 0
    /// Conversions due during the outage that were never read (they are in `integrity.missed_samples` too).
    public var missedSamples: Int = 0

    public init(lostAtS: Double, lostAtUtc: String? = nil, cause: String, errno: Int32? = nil, errnoName: String? = nil) {
        self.lostAtS = lostAtS
        self.lostAtUtc = lostAtUtc
        self.cause = cause
        self.errno = errno
        self.errnoName = errnoName
    }

    /// Whether the DUT came back before the end of the run.
    public var hasEnded: Bool { returnedAtS != nil }

    /// What a watcher is told when the DUT is lost: the cause and the run time.
    public var lostSummary: String { String(format: "%@ (lost at %.3f s)", cause, lostAtS) }

    /// What a watcher is told when the DUT comes back.
    public var returnSummary: String {
        String(format: "returned at %.3f s after %.3f s lost (%@), %d conversions missed", returnedAtS ?? .nan,
               (returnedAtS ?? lostAtS) - lostAtS, cause, missedSamples)
    }
}

extension DUTOutage {
    /// The outage that `error` starts for the DUT in `slot` at `now` (run clock ns; `runStart` is the run's zero).
    init(error: any Error, slot: Rig.Slot, bus: Rig.Bus, now: Int64, runStart: Int64, clock: any RigClock) {
        let place = "\(slot.address) on \(bus.device)" + (slot.mux.map { " (\($0.id) channel \($0.channel))" } ?? "")
        var cause = "\(error)"
        var code: Int32?
        var name: String?
        var transfer = error as? I2CError
        if case .bus(let failure)? = error as? DriverError { transfer = failure }
        if let failure = transfer {
            code = failure.errno
            name = failure.errnoName
            let what = switch failure.cause {
            case .noAcknowledge: "no ACK at \(place)"
            case .timedOut: "transfer timed out at \(place)"
            case .arbitrationLost: "bus busy or arbitration lost at \(place)"
            case .unsupported: "transfer not supported by the adapter for \(place)"
            // ENODEV in a transfer: the adapter went away, or (i2c-stub) nothing answers at the address.
            case .adapterGone: "no such device: adapter or device gone (\(place))"
            case .permissionDenied: "permission denied on the adapter (\(place))"
            case .protocolViolation: "protocol error from \(place)"
            case .io: "I/O error at \(place)"
            }
            cause = (code.map { "\(name ?? "errno") (\($0)): " } ?? "") + what + " during \(failure.operation)"
        }
        let utc = clock.isVirtual ? nil : Self.iso(Date())
        self.init(lostAtS: Double(now - runStart) * 1e-9, lostAtUtc: utc, cause: cause, errno: code, errnoName: name)
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
