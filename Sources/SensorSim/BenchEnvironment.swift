/// What the DUTs on the simulated bench sense at once: the pneumatic manifold, the field of the coil set
/// inside the magnetic shield, and the gas in the flow-through chamber. The bench's instruments change it
/// (the pressure controller, the coil's current source, the gas mixer); the chip models read it.
struct BenchEnvironment: Sendable {
    var pressure = PressureChamber()
    var coil = FieldCoil()
    var gas = GasChamber()
}
