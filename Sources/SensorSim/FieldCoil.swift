import SensorDrivers

/// The three-axis Helmholtz coil set inside the bench's magnetic shield (sensors.md §8.5): the field at the DUTs
/// is the shield's residual field plus, per axis, the coil constant times the current the source drives.
/// A current step reaches its field at once (the coils' L/R time of milliseconds is far below any dwell).
/// The field before the last change is kept so a conversion that completed before it reads the old field.
struct FieldCoil: Sendable {
    /// The shield's residual field at the DUTs, µT (a multi-layer mu-metal shield leaves ≲ nT).
    var residual = FieldVector(x: 0.0004, y: -0.0002, z: 0.0003)
    /// Field per ampere on each axis, µT/A: the true constant, which the coil's certificate states to within
    /// its uncertainty.
    var constant = FieldVector(x: 100, y: 100, z: 100)
    private(set) var current = [0.0, 0.0, 0.0]
    private var previousCurrent = [0.0, 0.0, 0.0]
    private var changeTime = -Double.infinity

    /// The source sets the current of one axis (0/1/2 = X/Y/Z), A, at time t.
    mutating func drive(axis: Int, amperes: Double, at t: Double) {
        guard (0..<3).contains(axis) else { return }
        previousCurrent = current
        current[axis] = amperes
        changeTime = t
    }

    /// The field at the DUTs at time t, µT.
    func field(at t: Double) -> FieldVector {
        let amps = t < changeTime ? previousCurrent : current
        return FieldVector(x: residual.x + constant.x * amps[0], y: residual.y + constant.y * amps[1],
                           z: residual.z + constant.z * amps[2])
    }
}
