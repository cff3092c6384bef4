extension Double {
    /// `Int(rounded(.down))` by truncation, one instruction, where `rounded(.down)` is a call to libm's `floor` on
    /// x86-64's baseline (no SSE4.1): the chip models count their conversions with it at every register access. Traps
    /// where `Int(_:)` does (NaN, out of range), as the libm form did.
    var flooredToInt: Int {
        let truncated = Int(self)
        return Double(truncated) > self ? truncated - 1 : truncated
    }

    /// `rounded()` (to nearest, halves away from zero, the sign kept) without libm's `round`, a call per simulated
    /// output word on x86-64's baseline. |x| + (½ − 2⁻⁵⁴) truncated is exact below 2⁵²: a fraction of ½ or more
    /// carries the sum to the next integer, and a fraction below ½ is at least one ulp below it, which keeps the
    /// sum under the next integer (the argument of `PCMSampleFormat`'s quantizer). From 2⁵² on every double is whole.
    var roundedToNearest: Double {
        guard magnitude < 0x1p52 else { return rounded() }
        return Double(signOf: self, magnitudeOf: Double(Int64(magnitude + 0x1.fffffffffffffp-2)))
    }
}
