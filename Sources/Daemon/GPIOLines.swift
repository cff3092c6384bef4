import Qualification
import SensorIO

/// A slot's INT line through libgpiod: rising edges with the kernel's CLOCK_MONOTONIC timestamps, which is
/// the real rig's clock (reference/daemon.md §6.3), so they compare with deadlines as they are.
final class GPIODataReadyLine: DataReadyLine {
    let line: GPIOLine
    let name: String

    init(_ reference: Rig.GPIOLineReference) throws(GPIOError) {
        let chip = try reference.chip.hasPrefix("/") ? GPIOChip(path: reference.chip) : GPIOChip(name: reference.chip)
        line = try GPIOLine(chip: chip, offset: GPIOLineOffset(rawValue: reference.line), edges: .rising)
        name = reference.description
    }

    /// Every edge queued now; never waits.
    func takeEdges() throws -> DataReadyEdges {
        var edges = DataReadyEdges()
        try line.takeQueuedEdges { edges.record(Int64($0.timestampNanoseconds)) }
        return edges
    }
}

/// A slot's power or enable line through libgpiod, requested switched on (`RigConnector.openPowerLine`): a slot that is
/// already on (left on by a bench tool) is not power-cycled by the request, which would reset its chip.
final class GPIOPowerSwitch: PowerSwitch {
    let line: GPIOLine
    let name: String

    init(_ reference: Rig.GPIOLineReference) throws(GPIOError) {
        let chip = try reference.chip.hasPrefix("/") ? GPIOChip(path: reference.chip) : GPIOChip(name: reference.chip)
        line = try GPIOLine(chip: chip, offset: GPIOLineOffset(rawValue: reference.line), output: .high,
                            activeLow: reference.activeLow)
        name = reference.description
    }

    func set(on: Bool) throws {
        try line.setValue(on ? .high : .low)
    }
}
