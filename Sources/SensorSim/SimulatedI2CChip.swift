/// A chip model on the simulated bench, at the level of its I2C interface: what a write does to its
/// registers (or which command it starts) and what a read returns at a given simulated time.
/// Register-mapped chips take a register pointer as the first written byte; command-based chips take a
/// command. Times are seconds on the simulated clock.
protocol SimulatedI2CChip: Sendable {
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment)
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8]
    /// `read(count:)` into `buffer`, `buffer.count` bytes: how the bench reads. The chips read for every conversion
    /// fill it directly and spare an array per transfer.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer, at time: Double, environment: BenchEnvironment)
    /// Times of the rising edges the chip's INT pin made since the last call, up to `time`: one per
    /// conversion while the chip's data-ready interrupt is enabled. Chips without one return none.
    mutating func dataReadyEdges(through time: Double, environment: BenchEnvironment) -> [Double]
}

extension SimulatedI2CChip {
    mutating func read(into buffer: UnsafeMutableRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        buffer.copyBytes(from: read(count: buffer.count, at: time, environment: environment))
    }

    mutating func dataReadyEdges(through time: Double, environment: BenchEnvironment) -> [Double] { [] }
}

/// A chip model that reads straight into the bench's buffer (`read(into:)`, which it must implement), its array read
/// made from that: the chips the representative rig reads for every conversion.
protocol BufferReadChip: SimulatedI2CChip {}

extension BufferReadChip {
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { read(into: $0, at: time, environment: environment) }
        return out
    }
}
