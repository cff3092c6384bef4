/// Readings held back until a block of them is ready, for streaming estimators that take them a block at a time:
/// their block paths (`WelchPSD.add(_:)`, `AllanReadingStream.add(_:)`, `RunningMoments.add(_:)`) run several times
/// faster per reading than their one-reading calls, whose fixed work dominated a 1 kHz run's estimator time.
///
/// One channel per measured quantity (a magnetometer's three axes), each stored contiguously so that a channel's
/// readings are one buffer. The owner hands the block over when it is full, and before anything that must see every
/// reading (a gap, the figures).
public struct ReadingBatch: Sendable {
    /// Readings per channel in a full batch.
    public static let capacity = 256

    public let channels: Int
    /// Channel c's readings in `values[c·capacity ..< c·capacity + count]`.
    private var values: [Double]
    /// Readings per channel held now.
    public private(set) var count = 0

    public init(channels: Int) {
        precondition(channels >= 1, "a batch holds at least one channel")
        self.channels = channels
        values = Array(repeating: 0, count: channels * Self.capacity)
    }

    public var isFull: Bool { count == Self.capacity }

    /// Holds one reading of a one-channel batch; the batch must not be full.
    public mutating func append(_ value: Double) {
        precondition(channels == 1 && count < Self.capacity, "append to a full or multi-channel batch")
        let slot = count
        values.withUnsafeMutableBufferPointer { $0[slot] = value }
        count = slot + 1
    }

    /// Holds one reading of a three-channel batch; the batch must not be full.
    public mutating func append(_ first: Double, _ second: Double, _ third: Double) {
        precondition(channels == 3 && count < Self.capacity, "append to a full or other-than-three-channel batch")
        let slot = count
        values.withUnsafeMutableBufferPointer { values in
            values[slot] = first
            values[Self.capacity + slot] = second
            values[2 * Self.capacity + slot] = third
        }
        count = slot + 1
    }

    /// Calls `body` with the readings of `channel` held now, oldest first.
    public func withReadings<Result>(of channel: Int, _ body: (UnsafeBufferPointer<Double>) throws -> Result) rethrows -> Result {
        precondition((0..<channels).contains(channel), "no channel \(channel) in a \(channels)-channel batch")
        let start = channel * Self.capacity
        return try values.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
    }

    /// Empties the batch, keeping its storage.
    public mutating func removeAll() {
        count = 0
    }
}
