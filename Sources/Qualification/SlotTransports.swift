import SensorIO

/// Opens each bus of a rig once and hands out the transport that reaches a slot: the adapter itself, or one
/// channel of a TCA9548A on it switched from user space. Confined to the thread that owns the buses.
public final class SlotTransports {
    let rig: Rig
    let connector: any RigConnector
    private var buses: [String: Result<any I2CTransport, any Error>] = [:]
    private var muxes: [String: I2CMux] = [:]

    public init(rig: Rig, connector: any RigConnector) {
        self.rig = rig
        self.connector = connector
    }

    /// The transport for `slot`; throws the bus's open error (again for every slot on a bus that failed to open).
    public func transport(for slot: Rig.Slot) throws -> any I2CTransport {
        guard let bus = rig.bus(slot.bus) else { throw UnknownBus(slot: slot.id, bus: slot.bus) }
        if let channel = slot.mux, let mux = bus.muxes.first(where: { $0.id == channel.id }),
           let adapter = bus.kernelAdapter(of: mux, channel: channel.channel) {
            return try open(adapter)
        }
        let transport = try open(bus)
        guard let channel = slot.mux, let mux = bus.muxes.first(where: { $0.id == channel.id }) else { return transport }
        let key = bus.id + "/" + mux.id
        let device = muxes[key] ?? I2CMux(parent: transport, address: mux.address)
        muxes[key] = device
        return device.channel(channel.channel)
    }

    private func open(_ bus: Rig.Bus) throws -> any I2CTransport {
        let opened = buses[bus.id] ?? Result { try connector.openBus(bus) }
        buses[bus.id] = opened
        return try opened.get()
    }

    struct UnknownBus: Error, CustomStringConvertible {
        var slot: String
        var bus: String
        var description: String { "slot \(slot) names bus '\(bus)', which the rig does not have" }
    }
}

extension Rig.Bus {
    /// The adapter the kernel made of `mux`'s `channel` (i2c-mux-pca954x: each channel an adapter of its own, on the
    /// same wires); nil when the daemon switches the mux itself or the rig file lists no adapter for the channel.
    public func kernelAdapter(of mux: Rig.Mux, channel: Int) -> Rig.Bus? {
        guard let adapters = mux.kernelAdapters, adapters.indices.contains(channel) else { return nil }
        return Rig.Bus(id: id + "/" + mux.id + ":\(channel)", device: adapters[channel], muxes: [])
    }
}
