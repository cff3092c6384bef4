import Qualification
import SensorDrivers
import SensorIO
import SensorSim

/// The built-in simulated rig behind the same connector interface as a real one.
struct SimulatedRigConnector: RigConnector {
    let rig: SimulatedRig
    var clock: any RigClock { rig.clock }
    var isSimulated: Bool { true }

    func openBus(_ bus: Rig.Bus) throws -> any I2CTransport {
        guard bus.device == SimulatedRig.busName else {
            throw ConnectorError(description: "the simulated rig has no bus \(bus.device)")
        }
        return rig.bus
    }

    func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference {
        guard reference.link == "sim:pressure-controller" else {
            throw ConnectorError(description: "the simulated rig has no instrument at \(reference.link)")
        }
        return rig.controller
    }
}

/// A real rig: Linux i2c-dev adapters on CLOCK_MONOTONIC.
struct LinuxRigConnector: RigConnector {
    var clock: any RigClock { MonotonicClock() }
    var isSimulated: Bool { false }

    func openBus(_ bus: Rig.Bus) throws -> any I2CTransport {
        guard bus.device.hasPrefix("/dev/i2c-") else {
            throw ConnectorError(description: "bus \(bus.id): '\(bus.device)' is not a /dev/i2c-N adapter; sim: buses need --simulate")
        }
        return try LinuxI2CBus(path: bus.device)
    }

    func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference {
        // The SCPI pressure-controller driver (serial and TCP) is its own piece of work; until it lands a real
        // rig cannot run an accuracy sweep, and says so instead of guessing.
        throw ConnectorError(description: "reference \(reference.id): link '\(reference.link)' needs the SCPI instrument driver, which this build does not have yet")
    }
}

struct ConnectorError: Error, CustomStringConvertible {
    var description: String
}
