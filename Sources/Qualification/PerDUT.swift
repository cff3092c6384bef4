/// What a run engine keeps for each DUT of a run (a noise record, a temperature mean), by DUT index
/// (`AcquiredDUT.index`, the DUT's place in the run's list); nil until set.
///
/// Engines change these for every reading, so they sit in an array and change in place. A dictionary hashed
/// the index on every reading and, for `records[dut]?.add(x)`, copied the record out and back (about 4 % of a
/// pressure run's CPU time).
struct PerDUT<Value> {
    private var values: [Value?] = []

    subscript(index: Int) -> Value? {
        get { index < values.count ? values[index] : nil }
        _modify {
            if index >= values.count { values += repeatElement(nil, count: index + 1 - values.count) }
            yield &values[index]
        }
    }

    /// The value at `index`, set to `defaultValue` first when there is none.
    subscript(index: Int, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[index] ?? defaultValue() }
        _modify {
            if self[index] == nil { self[index] = defaultValue() }
            yield &values[index]!
        }
    }

    /// Changes the value at `index` in place, if there is one. For the sinks that run once per reading:
    /// `records[dut]?.add(x)` goes through the subscript's `_modify` coroutine, whose frame, reached through an
    /// engine's stored property, was a heap allocation per reading (800 000 in a magnetometer run).
    mutating func update(at index: Int, _ body: (inout Value) -> Void) {
        guard index < values.count else { return }
        values.withUnsafeMutableBufferPointer { values in
            guard values[index] != nil else { return }
            body(&values[index]!)
        }
    }

    /// Changes the value at `index` in place, set to `defaultValue` first when there is none.
    mutating func update(at index: Int, default defaultValue: @autoclosure () -> Value, _ body: (inout Value) -> Void) {
        if index >= values.count || values[index] == nil { self[index] = defaultValue() }
        update(at: index, body)
    }

    /// Takes the value out, leaving none.
    mutating func removeValue(at index: Int) -> Value? {
        guard index < values.count else { return nil }
        defer { values[index] = nil }
        return values[index]
    }
}
