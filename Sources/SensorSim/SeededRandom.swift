/// Deterministic random numbers for the simulator: SplitMix64 (Steele, Lea & Flood 2014), so a seed gives
/// the same rig, the same noise and the same report on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    public mutating func unit() -> Double {
        (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0
    }

    /// A standard normal value by the ziggurat method (`ZigguratLayers`, as `IndexedGaussianNoise` draws): exact, and
    /// for 99 % of values one draw, a table look-up and a multiply. Box–Muller's logarithm, sine and cosine per pair
    /// were a twentieth of a simulated magnetometer's reading.
    public mutating func gaussian() -> Double {
        ZigguratLayers.standard.withTables { tables in
            while true {
                let bits = next()
                let layer = Int(bits & ZigguratLayers.layerMask)
                let u = ZigguratLayers.signedUnit(bits)
                if abs(u) < tables.inside[layer] { return u * tables.x[layer] }
                if let accepted = ZigguratLayers.outsideRectangle(layer: layer, u: u, tables, random: &self) { return accepted }
            }
        }
    }

    /// A generator for a sub-stream, so adding a unit does not shift every other unit's noise.
    public func derived(_ salt: UInt64) -> SeededRandom {
        var copy = SeededRandom(seed: state ^ (salt &* 0xD6E8_FEB8_6659_FD93))
        _ = copy.next()
        return copy
    }
}

import Foundation
