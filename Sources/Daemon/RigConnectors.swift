import Qualification
import SensorDrivers
import SensorIO

/// A real rig: Linux i2c-dev adapters on CLOCK_MONOTONIC.
struct LinuxRigConnector: RigConnector {
    let manual: ManualPressureReference?
    let calibrator: AcousticCalibrator?
    let manualField: ManualFieldReference?
    let manualGas: ManualGasReference?
    var clock: any RigClock { MonotonicClock() }
    var isSimulated: Bool { false }

    func openBus(_ bus: Rig.Bus) throws -> any I2CTransport {
        guard bus.device.hasPrefix("/dev/i2c-") else {
            throw ConnectorError(description: "bus \(bus.id): '\(bus.device)' is not a /dev/i2c-N adapter; sim: buses need --simulate")
        }
        return try LinuxI2CBus(path: bus.device)
    }

    func openPressureReference(_ reference: Rig.Reference) throws -> any PressureReference {
        guard let opened = try PressureReferenceLink.open(reference, manual: manual) else {
            throw ConnectorError(description: "reference \(reference.id): link '\(reference.link)' is not scpi-tcp://, scpi-serial:// or manual")
        }
        return opened
    }

    func openDataReadyLine(_ line: Rig.GPIOLineReference) throws -> any DataReadyLine {
        try GPIODataReadyLine(line)
    }

    func openPowerLine(_ line: Rig.GPIOLineReference) throws -> any PowerSwitch {
        try GPIOPowerSwitch(line)
    }

    func openSoundSource(_ reference: Rig.Reference) throws -> any SoundSource {
        if reference.link == "manual", let calibrator { return calibrator }
        guard reference.link.hasPrefix("alsa:"), let fullScale = reference.fullScaleSPL else {
            throw ConnectorError(description: "sound source \(reference.id): link '\(reference.link)' is not alsa:<pcm>; sim: sources need --simulate")
        }
        // Stereo S32 at 48 kHz: name a plughw: device and ALSA converts to what the card takes.
        return try ALSATonePlayer(device: String(reference.link.dropFirst("alsa:".count)),
                                  format: PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 2), fullScaleSPL: fullScale)
    }
}

extension LinuxRigConnector {
    func openFieldSource(_ reference: Rig.Reference) throws -> any FieldSource {
        guard let opened = try FieldSourceLink.open(reference, manual: manualField) else {
            throw ConnectorError(description: "field source \(reference.id): link '\(reference.link)' is not scpi-tcp://, scpi-serial:// or manual")
        }
        return opened
    }

    func openGasReference(_ reference: Rig.Reference, clock: any RigClock) throws -> any GasReference {
        guard let opened = try GasReferenceLink.open(reference, manual: manualGas, clock: clock) else {
            throw ConnectorError(description: "gas mixer \(reference.id): link '\(reference.link)' is not scpi-serial://, scpi-tcp:// or manual")
        }
        return opened
    }
}

struct ConnectorError: Error, CustomStringConvertible {
    var description: String
}
