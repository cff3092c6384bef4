/// What the Allan-type estimators (`OverlappingAllanDeviation`, `ModifiedAllanDeviation`) take in: blocks of
/// readings or of integer ADC codes, in order. Each estimator implements the two block methods, where its fast
/// loop is; the one-value and sequence forms below route into them, so they are written once.
public protocol AllanReadingStream {
    /// Adds a block of readings, in order.
    mutating func add(_ block: UnsafeBufferPointer<Double>)
    /// Adds a block of integer codes, in order (exact `Int64` phase, statistics.md §2.3).
    mutating func add(codes block: UnsafeBufferPointer<Int32>)
}

extension AllanReadingStream {
    /// Adds one reading, in order.
    public mutating func add(_ reading: Double) {
        withUnsafePointer(to: reading) { add(UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Adds a sequence of readings. Arrays and other contiguous collections take the block path.
    public mutating func add<S: Sequence>(contentsOf readings: S) where S.Element == Double {
        let tookBlockPath: Void? = readings.withContiguousStorageIfAvailable { add($0) }
        if tookBlockPath == nil {
            for y in readings { add(y) }
        }
    }

    /// Adds one integer ADC code, in order.
    public mutating func add(code: Int32) {
        withUnsafePointer(to: code) { add(codes: UnsafeBufferPointer(start: $0, count: 1)) }
    }

    /// Adds a sequence of integer codes. Arrays and other contiguous collections take the block path.
    public mutating func add<S: Sequence>(codes: S) where S.Element == Int32 {
        let tookBlockPath: Void? = codes.withContiguousStorageIfAvailable { add(codes: $0) }
        if tookBlockPath == nil {
            for code in codes { add(code: code) }
        }
    }
}
