/// The bench tools a technician uses between runs (`sensorqual scan`, `read`, `dump`; docs/protocol.md §8.14–8.16):
/// the daemon owns the buses, so it does the transfers, one tool or run on a bus at a time.
extension Method {
    /// What answers on the rig's buses, named from the catalog: `ScanParams` → `ScanResult`.
    public static let devicesScan = "devices.scan"
    /// One slot's register file in i2cdump byte-mode format: `SlotParams` → `DumpResult`.
    public static let devicesDump = "devices.dump"
    /// Live readings of one slot outside a run: `ReadParams` → `ReadStarted`, then `device.reading` notifications
    /// until `device.read.end`.
    public static let devicesRead = "devices.read"
    /// Ends this connection's live read (`device.read.end` with reason `stopped`): no params → `{"stopped": slot}`.
    public static let devicesReadStop = "devices.read.stop"
}

extension NotificationMethod {
    /// One reading of a live read: `LiveReading`.
    public static let deviceReading = "device.reading"
    /// A live read ended: `ReadEnd`.
    public static let deviceReadEnd = "device.read.end"
}

/// `devices.scan` params: one bus by its rig id or its `/dev/i2c-N` (N alone is enough); all buses when absent.
public struct ScanParams: Codable, Sendable, Equatable {
    public var bus: String?
    public init(bus: String? = nil) { self.bus = bus }
}

/// `devices.scan` result: per bus, the trunk first, then each mux channel in order.
public struct ScanResult: Codable, Sendable, Equatable {
    public var buses: [ScannedBus]
    public init(buses: [ScannedBus]) { self.buses = buses }
}

public struct ScannedBus: Codable, Sendable, Equatable {
    /// The rig's bus id and its adapter.
    public var bus: String
    public var device: String
    public var devices: [ScannedDevice]
    /// Why the bus could not be scanned (the adapter would not open); the devices found before it, if any, stay.
    public var error: String?
    public init(bus: String, device: String, devices: [ScannedDevice], error: String? = nil) {
        self.bus = bus
        self.device = device
        self.devices = devices
        self.error = error
    }
}

/// One address that answered.
public struct ScannedDevice: Codable, Sendable, Equatable {
    /// The mux channel it answered behind; nil on the trunk.
    public var muxChannel: Int?
    public var address: String
    /// The catalog chip and model it was identified as; nil when unknown. A mux of the rig file is `tca9548a`.
    public var chip: String?
    public var model: String?
    /// The id register read and its value (`0x00`, `0x60`).
    public var idRegister: String?
    public var id: String?
    /// The rig file's slot at this place, if any, and whether the chip found is the one it names.
    public var slot: String?
    public var slotChip: String?
    /// For an unknown device, what was read; for a slot holding another chip, the mismatch.
    public var detail: String?

    enum CodingKeys: String, CodingKey {
        case muxChannel = "mux_channel", address, chip, model, idRegister = "id_register", id, slot
        case slotChip = "slot_chip", detail
    }

    public init(muxChannel: Int?, address: String, chip: String?, model: String?, idRegister: String?, id: String?,
                slot: String?, slotChip: String?, detail: String?) {
        self.muxChannel = muxChannel
        self.address = address
        self.chip = chip
        self.model = model
        self.idRegister = idRegister
        self.id = id
        self.slot = slot
        self.slotChip = slotChip
        self.detail = detail
    }
}

/// `devices.dump` params.
public struct SlotParams: Codable, Sendable, Equatable {
    public var slot: String
    public init(slot: String) { self.slot = slot }
}

/// `devices.dump` result.
public struct DumpResult: Codable, Sendable, Equatable {
    public var slot: String
    public var chip: String
    public var bus: String
    public var muxChannel: Int?
    public var address: String
    /// Registers left unread because reading them has a side effect (clear-on-read, FIFO): blank in the table.
    public var skipped: [String]
    /// The table, exactly as `i2cdump -y BUS ADDR b` prints it.
    public var i2cdump: String

    enum CodingKeys: String, CodingKey { case slot, chip, bus, muxChannel = "mux_channel", address, skipped, i2cdump }

    public init(slot: String, chip: String, bus: String, muxChannel: Int?, address: String, skipped: [String], i2cdump: String) {
        self.slot = slot
        self.chip = chip
        self.bus = bus
        self.muxChannel = muxChannel
        self.address = address
        self.skipped = skipped
        self.i2cdump = i2cdump
    }
}

/// `devices.read` params.
public struct ReadParams: Codable, Sendable, Equatable {
    public var slot: String
    /// Readings per second wanted; the chip's fastest rate at or below it is used. Default 10 (gas sensors: 1).
    public var rateHz: Double?
    /// Go on until stopped; otherwise one reading.
    public var follow: Bool?

    enum CodingKeys: String, CodingKey { case slot, rateHz = "rate_hz", follow }

    public init(slot: String, rateHz: Double? = nil, follow: Bool? = nil) {
        self.slot = slot
        self.rateHz = rateHz
        self.follow = follow
    }
}

/// `devices.read` result, once the chip is identified and configured.
public struct ReadStarted: Codable, Sendable, Equatable {
    public var slot: String
    public var model: String
    /// The mode set, in words (`ODR 50 Hz, OSR ×8/×1, IIR 0`).
    public var mode: String
    public var rateHz: Double
    /// The averaging time of the Allan deviation reported: the whole number of reading intervals nearest 1 s.
    public var adevTauS: Double
    /// The quantities each reading carries, in order, with their units.
    public var quantities: [Quantity]

    public struct Quantity: Codable, Sendable, Equatable {
        public var name: String
        public var unit: String
        public init(name: String, unit: String) {
            self.name = name
            self.unit = unit
        }
    }

    enum CodingKeys: String, CodingKey { case slot, model, mode, rateHz = "rate_hz", adevTauS = "adev_tau_s", quantities }

    public init(slot: String, model: String, mode: String, rateHz: Double, adevTauS: Double, quantities: [Quantity]) {
        self.slot = slot
        self.model = model
        self.mode = mode
        self.rateHz = rateHz
        self.adevTauS = adevTauS
        self.quantities = quantities
    }
}

/// `device.reading`: one reading and the running statistics of every reading so far.
public struct LiveReading: Codable, Sendable, Equatable {
    public var slot: String
    /// Readings so far, this one included.
    public var n: Int
    /// Seconds since the first reading, on the rig clock.
    public var tS: Double
    /// False when the chip marks the reading invalid (a gas sensor warming up); it is not in the statistics.
    public var valid: Bool
    /// Values by quantity name (`ReadStarted.quantities`).
    public var values: [String: Double]
    public var statistics: [String: Statistics]

    public struct Statistics: Codable, Sendable, Equatable {
        public var mean: Double
        /// Sample standard deviation; nil before the second reading.
        public var sd: Double?
        /// Overlapping Allan deviation at `adev_tau_s`; nil before 2τ of readings.
        public var adev: Double?
        public init(mean: Double, sd: Double?, adev: Double?) {
            self.mean = mean
            self.sd = sd
            self.adev = adev
        }
    }

    enum CodingKeys: String, CodingKey { case slot, n, tS = "t_s", valid, values, statistics }

    public init(slot: String, n: Int, tS: Double, valid: Bool, values: [String: Double], statistics: [String: Statistics]) {
        self.slot = slot
        self.n = n
        self.tS = tS
        self.valid = valid
        self.values = values
        self.statistics = statistics
    }
}

/// `device.read.end`.
public struct ReadEnd: Codable, Sendable, Equatable {
    public var slot: String
    /// done (the one reading of a read without follow), stopped (`devices.read.stop`), run (a run needs the bus),
    /// lost (the device failed; `detail` says how), shutdown.
    public var reason: String
    public var detail: String?
    public init(slot: String, reason: String, detail: String? = nil) {
        self.slot = slot
        self.reason = reason
        self.detail = detail
    }
}
