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
           let adapters = mux.kernelAdapters {
            // The kernel switches this mux: each channel is an adapter of its own, on the same wires.
            return try open(Rig.Bus(id: bus.id + "/" + mux.id + ":\(channel.channel)", device: adapters[channel.channel], muxes: []))
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
