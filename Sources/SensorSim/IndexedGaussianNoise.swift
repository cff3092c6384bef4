import Foundation

/// White Gaussian noise addressed by sample index: the value at index n depends only on the key and n, never on how
/// the stream was cut into blocks, so the acoustic chamber renders the same samples whatever its feed's chunk size.
///
/// **Generator.** The ziggurat method (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random
/// Variables", J. Stat. Softw. 5(8)), with 256 layers, in Doornik's form (2005, "An Improved Ziggurat Method to
/// Generate Normal Random Samples"): a layer and a signed uniform from independent bits, so that the layer does not
/// leak into the value. It is exact, not an approximation: every draw lands in one of 256 strips of equal area under
/// exp(−x²/2), and is accepted only where it lies under the curve (`ZigguratLayers`). About 99 % of draws are inside a
/// strip's rectangle and cost one hash, a table look-up, a compare and a multiply; the chamber renders ten values per
/// frame, so this is most of the simulator's work (Box–Muller cost a logarithm, a square root, a sine and a cosine
/// per pair).
///
/// **Addressing.** Index n's first draw is SplitMix64 output n + 1 of the key's stream (what `SeededRandom` would
/// draw there, reached without drawing the ones before): the low 8 bits pick the layer, the top 54 the uniform. The
/// rare draw that is rejected (a wedge or the tail, 1 % of indices) draws on from a `SeededRandom` seeded by a hash
/// of (a second key, n), so attempt k of index n is fixed too: the value is a function of (key, n) alone.
struct IndexedGaussianNoise: Sendable, Hashable {
    private let key: UInt64
    /// The key of the further draws of rejected indices.
    private let retryKey: UInt64

    /// A stream for `seed`; `stream` separates the streams one seed feeds (self-noise, ambient noise…).
    init(seed: UInt64, stream: UInt64) {
        var random = SeededRandom(seed: seed).derived(stream)
        key = random.next()
        retryKey = random.next()
    }

    /// Adds `deviation` times the standard normal values of indices `start ..< start + output.count` to `output`.
    func add(deviation: Double, from start: Int, to output: inout [Double]) {
        output.withUnsafeMutableBufferPointer { add(deviation: deviation, from: start, to: $0) }
    }

    /// Adds `deviation` times the standard normal values of indices `start ..< start + output.count` to `output`.
    func add(deviation: Double, from start: Int, to output: UnsafeMutableBufferPointer<Double>) {
        guard deviation != 0, !output.isEmpty else { return }
        ZigguratLayers.standard.withTables { tables in
            for position in output.indices {
                output[position] += deviation * value(at: start + position, tables)
            }
        }
    }

    /// Writes `deviation` times the standard normal values of indices `start ..< start + output.count` into
    /// `output`, replacing what it held.
    func fill(deviation: Double, from start: Int, into output: UnsafeMutableBufferPointer<Double>) {
        guard !output.isEmpty else { return }
        ZigguratLayers.standard.withTables { tables in
            for position in output.indices {
                output[position] = deviation * value(at: start + position, tables)
            }
        }
    }

    /// The standard normal value at `index`.
    func value(at index: Int) -> Double {
        ZigguratLayers.standard.withTables { value(at: index, $0) }
    }

    /// The standard normal value at `index`: the first draw's rectangle test here, the rest out of line.
    private func value(at index: Int, _ tables: ZigguratLayers.Tables) -> Double {
        let bits = Self.mix(key &+ (UInt64(bitPattern: Int64(index)) &+ 1) &* Self.golden)
        let layer = Int(bits & ZigguratLayers.layerMask)
        let u = ZigguratLayers.signedUnit(bits)
        if abs(u) < tables.inside[layer] { return u * tables.x[layer] }
        return rejected(index: index, layer: layer, u: u, tables)
    }

    /// The value of an index whose first draw fell outside its layer's rectangle: that draw's wedge or tail test,
    /// then fresh draws of the index's own retry stream until one is accepted. Never inlined: it runs for 1 % of the
    /// indices and would only bloat the block loops.
    @inline(never)
    private func rejected(index: Int, layer: Int, u: Double, _ tables: ZigguratLayers.Tables) -> Double {
        var retry = SeededRandom(seed: Self.mix(retryKey &+ UInt64(bitPattern: Int64(index)) &* Self.golden))
        var layer = layer
        var u = u
        while true {
            if let accepted = ZigguratLayers.outsideRectangle(layer: layer, u: u, tables, random: &retry) {
                return accepted
            }
            let bits = retry.next()
            layer = Int(bits & ZigguratLayers.layerMask)
            u = ZigguratLayers.signedUnit(bits)
            if abs(u) < tables.inside[layer] { return u * tables.x[layer] }
        }
    }

    private static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// SplitMix64's output function (Steele, Lea & Flood 2014), as in `SeededRandom.next()`.
    private static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The ziggurat of the standard normal density's shape f(x) = exp(−x²/2), x ≥ 0 (Marsaglia & Tsang 2000, §2):
/// 256 horizontal strips of equal area v. Strip 0 is the rectangle [0, r] × [0, f(r)] plus the tail beyond r,
/// drawn as a rectangle of width x₀ = v / f(r); strip i ≥ 1 is [0, xᵢ] × [f(xᵢ), f(xᵢ₊₁)], with x₁ = r, f(xᵢ₊₁) =
/// f(xᵢ) + v / xᵢ and x₂₅₆ = 0. r is solved for at start-up (bisection) so that the top strip closes at x = 0 with
/// area v to rounding, which is what makes the method exact; r ≈ 3.6542, v ≈ 0.0049287 (the paper's 256-strip values).
///
/// A draw picks a strip i and u uniform in (−1, 1), x = u·xᵢ. Inside xᵢ₊₁ (r for strip 0) the whole column lies under
/// the curve: accepted. Otherwise strip 0 draws from the tail (Marsaglia 1964) and strip i ≥ 1 accepts x when a
/// uniform height in [f(xᵢ), f(xᵢ₊₁)] falls under f(x) (the wedge); a rejected draw starts over.
struct ZigguratLayers: Sendable {
    /// Strips: 2^8, the layer taking the low 8 bits of a draw.
    static let count = 256
    static let layerMask: UInt64 = 0xFF

    /// xᵢ, i = 0…256 (x₀ = v/f(r), x₁ = r, x₂₅₆ = 0).
    let x: [Double]
    /// f(xᵢ), i = 0…256 (f(x₀) unused).
    let density: [Double]
    /// The fraction of strip i's width wholly under the curve: xᵢ₊₁/xᵢ, and r/x₀ for strip 0.
    let inside: [Double]
    /// r, where the tail begins.
    let tailStart: Double

    /// The tables, computed once per process.
    static let standard = ZigguratLayers()

    private init() {
        let n = Self.count
        func f(_ x: Double) -> Double { Foundation.exp(-0.5 * x * x) }
        /// The area of each strip for a tail starting at r: the base rectangle plus ∫_r^∞ f = √(π/2)·erfc(r/√2).
        func area(_ r: Double) -> Double { r * f(r) + (Double.pi / 2).squareRoot() * Foundation.erfc(r / 2.0.squareRoot()) }
        /// Builds x₁…x₂₅₅ upward from r; the top strip's height f(x₂₅₆) − 1 = 0 when r is right. Positive (or NaN,
        /// the strips overtopping the peak early) when r is too small, negative when too large.
        func strips(_ r: Double) -> (x: [Double], excess: Double) {
            let v = area(r)
            var x = [Double](repeating: 0, count: n + 1)
            x[0] = v / f(r)
            x[1] = r
            for i in 2..<n {
                let height = v / x[i - 1] + f(x[i - 1])
                guard height < 1 else { return (x, .nan) }
                x[i] = (-2 * Foundation.log(height)).squareRoot()
            }
            return (x, v / x[n - 1] + f(x[n - 1]) - 1)
        }
        var low = 3.0
        var high = 4.5
        for _ in 0..<200 {
            let middle = (low + high) / 2
            guard middle > low, middle < high else { break }
            let excess = strips(middle).excess
            if excess.isNaN || excess > 0 { low = middle } else { high = middle }
        }
        let r = high
        var x = strips(r).x
        x[n] = 0
        self.x = x
        density = x.map(f)
        inside = (0..<n).map { $0 == 0 ? r / x[0] : x[$0 + 1] / x[$0] }
        tailStart = r
    }

    /// The tables as buffers, for loops that must not check bounds or retain arrays per value.
    struct Tables {
        let x: UnsafeBufferPointer<Double>
        let density: UnsafeBufferPointer<Double>
        let inside: UnsafeBufferPointer<Double>
        let tailStart: Double
    }

    func withTables<Result>(_ body: (Tables) -> Result) -> Result {
        x.withUnsafeBufferPointer { x in
            density.withUnsafeBufferPointer { density in
                inside.withUnsafeBufferPointer { inside in
                    body(Tables(x: x, density: density, inside: inside, tailStart: tailStart))
                }
            }
        }
    }

    /// Uniform in (−1, 1), symmetric and never 0, from the top 54 bits of `bits` (the layer takes the low 8).
    static func signedUnit(_ bits: UInt64) -> Double {
        (Double(Int64(bitPattern: bits) >> 10) + 0.5) * 0x1p-53
    }

    /// A draw (`layer`, `u`) outside its strip's rectangle: the tail value or the wedge's x if accepted, nil if the
    /// draw is rejected.
    static func outsideRectangle(layer: Int, u: Double, _ tables: Tables, random: inout SeededRandom) -> Double? {
        if layer == 0 {
            // The tail beyond r (Marsaglia 1964): a = −ln(U₁)/r, b = −ln(U₂), accepted when 2b > a²; r + a.
            let r = tables.tailStart
            while true {
                let a = -Foundation.log(random.unit()) / r
                let b = -Foundation.log(random.unit())
                if 2 * b > a * a { return u < 0 ? -(r + a) : r + a }
            }
        }
        let x = u * tables.x[layer]
        let low = tables.density[layer]
        let height = low + random.unit() * (tables.density[layer + 1] - low)
        return height < Foundation.exp(-0.5 * x * x) ? x : nil
    }
}
