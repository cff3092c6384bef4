import SensorDrivers
import SensorIO
import SensorMetrics

/// What every I2C DUT of a run holds, whatever its class: where it sits, its outcome so far, its lines and its read
/// schedule. `PressureDUT`, `MagneticDUT` and `GasDUT` add their driver and mode. Confined to the thread that serves
/// its bus; the run thread reads `outcome` only after acquisition has stopped.
class SlotDUT {
    let slot: Rig.Slot
    let chip: ChipDescription
    let bus: Rig.Bus
    /// Index in the run's DUT list: how readings name their DUT across threads.
    let index: Int
    let schedule = DUTSchedule()
    /// The outcome as recorded, without its timing summary (`outcome` adds it).
    private var recorded: DUTOutcome
    /// The DUT's outcome so far. Its timing summary (poll lateness, interval jitter) is taken from the schedule as the
    /// outcome is read: it is a mean and a standard deviation over every reading, worked out when asked for, not
    /// after each reading.
    var outcome: DUTOutcome {
        _read {
            schedule.summarize(into: &recorded.integrity)
            yield recorded
        }
        _modify {
            schedule.summarize(into: &recorded.integrity)
            yield &recorded
        }
    }
    /// The INT line when wired: edges confirm each conversion and timestamp it; else the driver polls STATUS.
    var dataReady: (any DataReadyLine)?
    /// The line that powers the DUT, switched on for the run.
    var power: (any PowerSwitch)?
    var isLost: Bool { recorded.lost != nil }
    /// What the first probe read: a re-probe after an outage must find this unit, not another one plugged in.
    private(set) var probedIdentity: SensorIdentity?
    /// When a lost DUT is next re-probed (run clock, ns), and the wait before that probe; `reprobeAt` is nil while
    /// the DUT answers, and for a DUT not to be probed again (lost at its first probe, or another chip answered).
    var reprobeAt: Int64?
    var reprobeWait: Int64 = 0
    /// The integrity counters, in place: each reading's `integrity.samples += 1` touches the count alone (with get and
    /// set, it copied the whole record out and back). Read through `outcome`, they come with the timing summary.
    var integrity: DataIntegrity {
        get { outcome.integrity }
        set { recorded.integrity = newValue }
        _modify { yield &recorded.integrity }
    }

    init(index: Int, slot: Rig.Slot, chip: ChipDescription, bus: Rig.Bus, serial: String?) {
        self.index = index
        self.slot = slot
        self.chip = chip
        self.bus = bus
        recorded = DUTOutcome(slot: slot.id, chip: chip.chip, model: chip.model, bus: bus.device,
                             mux: slot.mux?.id, muxChannel: slot.mux?.channel, address: slot.address, serial: serial, figures: [],
                             integrity: DataIntegrity())
    }

    /// Keeps what the probe read: the model, the id register's value, the calibration or serial bytes.
    func record(_ identity: SensorIdentity) {
        outcome.model = identity.model
        outcome.idRegisterValue = identity.idValue.map { String(format: "0x%02X", $0) }
        outcome.calibrationBytes = identity.calibration.isEmpty ? nil : identity.calibration.map { String(format: "%02X", $0) }.joined()
        probedIdentity = identity
    }

    /// Why the chip a re-probe found is not the unit the run started with, or nil when it is (as far as its
    /// identity tells: chips without calibration bytes or id register cannot be told apart from another unit).
    func replacementReason(_ identity: SensorIdentity) -> String? {
        guard let first = probedIdentity else { return nil }
        let at = slot.address.description
        if identity.model != first.model || identity.idValue != first.idValue {
            return "a different chip answered at \(at) (\(identity.model), id \(identity.idValue.map { String(format: "0x%02X", $0) } ?? "none"))"
        }
        if identity.calibration != first.calibration { return "a different chip answered at \(at) (calibration differs)" }
        return nil
    }

    /// Starts an outage: the DUT is lost with `reason` (shown to watchers and kept in `lost` until it returns), and
    /// is re-probed at `reprobeAt` when given.
    func beginOutage(_ outage: DUTOutage, reason: String, reprobeAt: Int64?, wait: Int64) {
        outcome.outages = (outcome.outages ?? []) + [outage]
        outcome.lost = reason
        self.reprobeAt = reprobeAt
        reprobeWait = wait
    }

    /// Ends the open outage at `seconds` (run clock from the run's start): the DUT answers again and is served.
    func endOutage(at seconds: Double, utc: String?, missed: Int) -> DUTOutage? {
        guard var outages = outcome.outages, var open = outages.last, open.returnedAtS == nil else { return nil }
        open.returnedAtS = seconds
        open.returnedAtUtc = utc
        open.missedSamples = missed
        outages[outages.count - 1] = open
        outcome.outages = outages
        outcome.lost = nil
        reprobeAt = nil
        return open
    }

    /// Counts a re-probe that found nothing (or not the right chip) against the open outage.
    func countFailedReprobe() {
        guard var outages = outcome.outages, !outages.isEmpty, outages[outages.count - 1].returnedAtS == nil else { return }
        outages[outages.count - 1].failedReprobes += 1
        outcome.outages = outages
    }

    func markLost(_ reason: String) {
        outcome.lost = reason
    }

    /// Switches the slot's power line on, where it has one, and waits `settle` ns on the rig clock for the chip to
    /// start (its datasheet's power-up time).
    func powerOn(_ connector: any RigConnector, settle: Int64) throws {
        power = try slot.switchPowerOn(connector, settle: settle)
    }

    /// Stops conversions (the subclass's driver) and switches the DUT's supply off, at the end of a run.
    func shutDown() {
        try? power?.set(on: false)
    }
}
