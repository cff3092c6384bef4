import Foundation
import SensorStats
import Testing

/// The textbook O(n²) DFT, X_k = Σ_j x_j·e^(−2πi·jk/n), bins 0…n/2. The angle uses jk mod n, so it stays in
/// [0, 2π) and loses no accuracy to large arguments.
private func naiveDFT(_ x: [Double]) -> [RealFFT.Bin] {
    let n = x.count
    return (0...(n / 2)).map { k in
        var re = 0.0
        var im = 0.0
        for (j, value) in x.enumerated() {
            let angle = 2 * Double.pi * Double((j * k) % n) / Double(n)
            re += value * cos(angle)
            im -= value * sin(angle)
        }
        return RealFFT.Bin(real: re, imaginary: im)
    }
}

@Suite("RealFFT")
struct RealFFTTests {
    /// Tolerance 1e-9 relative to Σ|x_j|, the largest any |X_k| can be. Both sides round: FFTW by O(ε·log n)
    /// and the naive sum by O(ε·n), about 1e-13 at n = 1024 with ε = 2.2e-16, so 1e-9 leaves four orders of
    /// margin; a real defect (a wrong sign, bin, scale or stride) errs by O(1) of that bound.
    @Test("matches a naive DFT on seeded random data", arguments: [1, 2, 3, 7, 16, 100, 257, 1024])
    func matchesNaiveDFT(length: Int) {
        var random = SplitMix(seed: 0x5EED_0000 + UInt64(length))
        let x = (0..<length).map { _ in random.signed() }
        let fft = RealFFT(length: length)
        let bins = fft.forward(x)
        let expected = naiveDFT(x)
        let scale = x.reduce(0) { $0 + abs($1) }
        #expect(bins.count == length / 2 + 1)
        #expect(fft.binCount == bins.count)
        for (k, (got, want)) in zip(bins, expected).enumerated() {
            #expect(abs(got.real - want.real) <= 1e-9 * scale, "bin \(k) real part")
            #expect(abs(got.imaginary - want.imaginary) <= 1e-9 * scale, "bin \(k) imaginary part")
        }
    }

    /// x_j = A·sin(2π·k·j/n) = (A/2i)(e^(iθ) − e^(−iθ)), so X_k = −i·A·n/2 and every other bin is 0.
    /// With A = 2, n = 1024: |X_k| = 1024. Tolerance 1e-9·A·n (roundoff only, as above).
    @Test("a sine of amplitude 2 at bin k on n = 1024 gives |X_k| = A·n/2", arguments: [1, 37, 200, 511])
    func sineKnownAnswer(bin k: Int) {
        let n = 1024
        let amplitude = 2.0
        let x = (0..<n).map { j in amplitude * sin(2 * Double.pi * Double((k * j) % n) / Double(n)) }
        let bins = RealFFT(length: n).forward(x)
        let tolerance = 1e-9 * amplitude * Double(n)
        #expect(abs(bins[k].magnitude - amplitude * Double(n) / 2) <= tolerance)
        #expect(abs(bins[k].imaginary + amplitude * Double(n) / 2) <= tolerance, "a sine is −i·A·n/2")
        for (index, bin) in bins.enumerated() where index != k {
            #expect(bin.magnitude <= tolerance, "bin \(index) should be empty")
        }
    }

    @Test("reusing the output array gives the same bins, and one transform serves many inputs")
    func reuse() {
        let fft = RealFFT(length: 64)
        var random = SplitMix(seed: 42)
        var bins: [RealFFT.Bin] = []
        for _ in 0..<3 {
            let x = (0..<64).map { _ in random.signed() }
            fft.forward(x, into: &bins)
            #expect(bins == fft.forward(x))
            #expect(bins.count == 33)
        }
    }

    @Test("accumulatePower adds exactly the |X_k|² of forward to the sums it is given")
    func accumulatedPower() {
        let fft = RealFFT(length: 64)
        var random = SplitMix(seed: 7)
        var sums = [Double](repeating: 1, count: 33)
        var expected = sums
        for _ in 0..<3 {
            let x = (0..<64).map { _ in random.signed() }
            for (k, bin) in fft.forward(x).enumerated() { expected[k] += bin.squaredMagnitude }
            sums.withUnsafeMutableBufferPointer { sums in
                fft.accumulatePower(into: sums) { input in _ = input.update(fromContentsOf: x) }
            }
        }
        #expect(sums == expected)
    }

    /// Plans are made and destroyed under one lock; concurrent creation must neither crash nor give wrong bins.
    @Test("transforms created concurrently agree with a serial one")
    func concurrentPlanning() async {
        let x = (0..<128).map { Double($0 % 7) - 3 }
        let reference = RealFFT(length: 128).forward(x)
        let results = await withTaskGroup(of: [RealFFT.Bin].self) { group in
            for _ in 0..<8 {
                group.addTask { RealFFT(length: 128).forward(x) }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.count == 8)
        for result in results {
            #expect(result == reference)
        }
    }
}
