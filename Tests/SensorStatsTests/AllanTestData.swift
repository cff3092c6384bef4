/// Shared inputs of the Allan-family tests (reference/statistics.md §8).
enum AllanTestData {
    /// T1: NBS14 10-point frequency data (Riley; SP1065 p. 107), τ₀ = 1.
    static let nbs14TenPoint: [Double] = [892, 809, 823, 798, 671, 644, 883, 903, 677]

    /// T2: NBS14 1000-point frequency data, n₀ = 1234567890 the first reading, n_{i+1} = 16807·n_i mod (2³¹ − 1),
    /// y_i = n_i/(2³¹ − 1). Integrated with x₀ = 0 it is Stable32's PHASE.DAT (T3).
    static func nbs14ThousandPoint() -> [Double] {
        var n: UInt64 = 1_234_567_890
        var values: [Double] = []
        for _ in 0..<1000 {
            values.append(Double(n) / 2_147_483_647)
            n = 16807 * n % 2_147_483_647
        }
        return values
    }

    /// T14 series: white plus random walk from `SplitMix(seed: 2024)`; per reading w = signed(), r += 0.01·signed(),
    /// y = w + r. The python port in the tests' doc comments draws the same numbers (y₀ = 0.23747571146197322).
    static func whitePlusRandomWalk(count: Int) -> [Double] {
        var generator = SplitMix(seed: 2024)
        var walk = 0.0
        var values: [Double] = []
        values.reserveCapacity(count)
        for _ in 0..<count {
            let white = generator.signed()
            walk += 0.01 * generator.signed()
            values.append(white + walk)
        }
        return values
    }
}
