import Foundation

/// White Gaussian noise addressed by sample index: the value at index n depends only on the key and n, never on how
/// the stream was cut into blocks, so the acoustic chamber renders the same samples whatever its feed's chunk size.
///
/// Index pair m = ⌊n/2⌋ takes SplitMix64 outputs 2m+1 and 2m+2 of the key's stream (what `SeededRandom` would draw
/// there, reached without drawing the ones before) as two uniforms, and Box–Muller turns them into the normal pair
/// (r·cos φ, r·sin φ) for n = 2m and 2m+1.
struct IndexedGaussianNoise: Sendable, Hashable {
    private let key: UInt64

    /// A stream for `seed`; `stream` separates the streams one seed feeds (self-noise, ambient noise…).
    init(seed: UInt64, stream: UInt64) {
        var random = SeededRandom(seed: seed).derived(stream)
        key = random.next()
    }

    /// Adds `deviation` times the standard normal values of indices `start ..< start + output.count` to `output`.
    func add(deviation: Double, from start: Int, to output: inout [Double]) {
        guard deviation != 0, !output.isEmpty else { return }
        var n = start
        var position = 0
        while position < output.count {
            let (c, s) = pair(n >> 1)
            if n & 1 == 0 {
                output[position] += deviation * c
                if position + 1 < output.count { output[position + 1] += deviation * s }
                position += 2
                n += 2
            } else {
                output[position] += deviation * s
                position += 1
                n += 1
            }
        }
    }

    /// The standard normal value at `index`.
    func value(at index: Int) -> Double {
        let (c, s) = pair(index >> 1)
        return index & 1 == 0 ? c : s
    }

    /// The Box–Muller pair of pair index m.
    private func pair(_ m: Int) -> (Double, Double) {
        let base = UInt64(bitPattern: Int64(m)) &* 2
        let u1 = Self.unit(Self.mix(key &+ (base &+ 1) &* Self.golden))
        let u2 = Self.unit(Self.mix(key &+ (base &+ 2) &* Self.golden))
        let r = (-2 * Foundation.log(u1)).squareRoot()
        let phi = 2 * Double.pi * u2
        return (r * Foundation.cos(phi), r * Foundation.sin(phi))
    }

    private static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// SplitMix64's output function (Steele, Lea & Flood 2014), as in `SeededRandom.next()`.
    private static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1), never 0, as `SeededRandom.unit()`.
    private static func unit(_ bits: UInt64) -> Double {
        (Double(bits >> 11) + 0.5) / 9_007_199_254_740_992.0
    }
}
