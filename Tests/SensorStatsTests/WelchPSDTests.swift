import Foundation
@testable import SensorStats
import Testing

/// |a − b| ≤ tolerance·|b|.
private func isClose(_ a: Double, _ b: Double, relative tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * abs(b)
}

/// The series behind the scipy references: x_n = 3 + 0.2·sin(2π·123.4·n/1000) + 0.1·g_n, n = 0…4999, with g_n from
/// `SplitMix(seed: 0x3E1C).gaussian()`. An offset (so detrending matters), a tone between bins 31 and 32 at
/// L = 256 (so leakage and dynamic range matter) and white noise.
///
/// Provenance of every scipy number in this file: the same generator ported to Python (SplitMix64 with
/// `& (2**64 − 1)` after each add and multiply; uniform = ((z >> 11) + 0.5) / 2**53; gaussian =
/// math.sqrt(−2·math.log(u1))·math.cos(2·math.pi·u2), u1 drawn first, as Swift evaluates left to right; the series
/// with math.sin and the same order of operations), whose first samples are bit-identical to these (checked
/// below), then `scipy.signal.welch(x, fs=1000.0, window=name, nperseg=L, scaling=…)` with numpy 2.4.6 and
/// scipy 1.17.1 (the reference machine of reference/statistics.md), printed with `repr`. A hand-written numpy
/// Welch (rfft of window·(segment − mean), one-sided c_k, segments every L − L//2) agreed with scipy to 1.3e-15.
private func referenceSeries() -> [Double] {
    var generator = SplitMix(seed: 0x3E1C)
    let fs = 1000.0, f0 = 123.4
    return (0..<5000).map { n in 3.0 + 0.2 * sin(2 * .pi * f0 * Double(n) / fs) + 0.1 * generator.gaussian() }
}

/// One `scipy.signal.welch` result: some bins, the sum of all bins, and K = ⌊(N − noverlap)/hop⌋.
struct ScipyWelch: Sendable, CustomTestStringConvertible {
    var window: SpectralWindow.Kind
    var length: Int
    var scaling: WelchPSD.Scaling
    var segments: Int
    var bins: [Int: Double]
    var sum: Double
    var testDescription: String { "\(window.scipyName) L=\(length) \(scaling.rawValue)" }
}

private let scipyWelch: [ScipyWelch] = [
    .init(window: .hann, length: 256, scaling: .density, segments: 38, bins: [0: 3.80286928135765e-06, 1: 1.921334820214644e-05, 31: 0.0022058552521396525, 32: 0.002801090020177078, 77: 1.697221594648903e-05, 128: 1.0593346697702455e-05], sum: 0.007766858229938665),
    .init(window: .hann, length: 256, scaling: .spectrum, segments: 38, bins: [0: 2.2282437195454994e-05, 1: 0.00011257821212195184, 31: 0.012924933118005782, 32: 0.01641263683697507, 77: 9.944657781145916e-05, 128: 6.207039080685033e-05], sum: 0.04550893494104689),
    .init(window: .blackmanHarris, length: 256, scaling: .density, segments: 38, bins: [0: 5.327804482412541e-06, 1: 1.6566895847059224e-05, 31: 0.0020074036530474486, 32: 0.002307954544114228, 77: 1.797001385842597e-05, 128: 1.087582532272111e-05], sum: 0.007761420813362743),
    .init(window: .blackmanHarris, length: 256, scaling: .spectrum, segments: 38, bins: [0: 4.171406472097476e-05, 1: 0.00012971057175073828, 31: 0.015716974258489422, 32: 0.018070138561588844, 77: 0.00014069628936303586, 128: 8.515231422316974e-05], sum: 0.060768072703135056),
    .init(window: .flatTop, length: 256, scaling: .density, segments: 38, bins: [0: 7.277937261909523e-06, 1: 1.5458236712696557e-05, 31: 0.0013896036112088525, 32: 0.0014094597788002503, 77: 1.9506835449065715e-05, 128: 1.161280304312991e-05], sum: 0.00773195269279087),
    .init(window: .flatTop, length: 256, scaling: .spectrum, segments: 38, bins: [0: 0.00010718600432199422, 1: 0.0002276615705069678, 31: 0.02046542218169818, 32: 0.020757854389984537, 77: 0.0002872874103621232, 128: 0.0001710278492899249], sum: 0.11387252801482586),
    // Lengths that are not powers of two: even (hop 125, K = 39) and odd (noverlap 127, hop 128, no Nyquist bin).
    .init(window: .blackmanHarris, length: 250, scaling: .density, segments: 39, bins: [0: 4.40340435327074e-06, 1: 1.6495058296402377e-05, 31: 0.0025015534326047442, 32: 0.0009120981280718255, 77: 2.005627863311764e-05, 125: 9.156110682066824e-06], sum: 0.007603129044365078),
    .init(window: .blackmanHarris, length: 250, scaling: .spectrum, segments: 39, bins: [0: 3.530390581454374e-05, 1: 0.00013224767424982223, 31: 0.020055983890993022, 32: 0.007312666251772124, 77: 0.00016079944403195632, 125: 7.340830939296447e-05], sum: 0.060957416158866025),
    .init(window: .hann, length: 255, scaling: .density, segments: 38, bins: [0: 3.8850769308194945e-06, 1: 1.9314472196815193e-05, 31: 0.002613134678539977, 32: 0.0023939678853010593, 77: 1.657901169162691e-05, 127: 2.1264996066817533e-05], sum: 0.007737165259308754),
    .init(window: .hann, length: 255, scaling: .spectrum, segments: 38, bins: [0: 2.2853393710702918e-05, 1: 0.00011361454233420711, 31: 0.015371380461999868, 32: 0.014082164031182709, 77: 9.75235981860407e-05, 127: 0.00012508821215775028], sum: 0.04551273681946327),
]

@Suite("WelchPSD")
struct WelchPSDTests {
    @Test("the test series is bit-identical to its Python port")
    func seriesMatchesPython() {
        let x = referenceSeries()
        #expect(x[0] == 0x1.6d5b5ae2af45ap+1 && x[1] == 0x1.9dae62384579cp+1 && x[2] == 0x1.95f539949db63p+1)
    }

    /// Tolerance 1e-12 relative per bin: both sides compute the same sums in a different order and with different
    /// FFTs (FFTW and pocketfft), which differ by rounding: at most 2e-15 here, and 2e-14 in bins 0–1, which the last bit of the removed mean (offset 3) reaches (statistics.md §3.3 saw 1.6e-15); a
    /// defect in scaling, c_k, detrending, window or segment bookkeeping errs by 1e-3 or far more.
    @Test("equals scipy.signal.welch on the same samples (§3.3)", arguments: scipyWelch)
    func matchesScipy(_ reference: ScipyWelch) {
        var welch = WelchPSD(sampleRate: 1000, segmentLength: reference.length, window: reference.window)
        welch.add(contentsOf: referenceSeries())
        let psd = welch.psd(scaling: reference.scaling)
        #expect(welch.segmentCount == reference.segments)
        #expect(psd.count == reference.length / 2 + 1)
        for (k, expected) in reference.bins {
            #expect(isClose(psd[k], expected, relative: 1e-12), "bin \(k): \(psd[k]) vs scipy \(expected)")
        }
        #expect(isClose(psd.reduce(0, +), reference.sum, relative: 1e-12))
        #expect(welch.frequencies[31] == 31 * 1000 / Double(reference.length))
    }

    /// White noise σ = 0.01 at 1 kHz has the one-sided density 2σ²/fs = 2.0e-7 units²/Hz, ASD 4.47e-4 (§3.4).
    /// The band 10–490 Hz avoids the bins detrending depresses and the Nyquist bin. Tolerance 1.5 % on the ASD:
    /// the band mean has ν ≈ 470 bins × 2K/1.0556, correlated by the window, a relative spread of ~0.5 % in power
    /// (numpy's generator gave −0.6 %, +0.3 %, −0.1 % on three seeds), so 3 % in power is six spreads.
    @Test("white noise reads 2σ²/fs (§3.4)")
    func whiteNoiseFloor() {
        var random = SplitMix(seed: 0xF100)
        let sigma = 0.01, fs = 1000.0
        let x = (0..<100_000).map { _ in sigma * random.gaussian() }
        var welch = WelchPSD(sampleRate: fs, segmentLength: 1024)
        x.withUnsafeBufferPointer { welch.add($0) }
        #expect(welch.segmentCount == 194, "K = ⌊(N − 512)/512⌋, as in §3.3")
        let floor = 2 * sigma * sigma / fs
        #expect(isClose(welch.noiseDensity(band: 10...490), floor.squareRoot(), relative: 0.015))
        let density = welch.psd(scaling: .density).sorted()
        #expect(isClose(density[density.count / 2], floor, relative: 0.05), "the median bin, as in §3.4")
        // Parseval (§3.2): Σ P_k·Δf ≈ var(x) = σ²; the same spread argument as above.
        #expect(isClose(welch.psd().reduce(0, +) * welch.binWidth, sigma * sigma, relative: 0.03))
    }

    /// A = 2, fs = 1000, L = 1024, Hann, 8·L samples (K = 15). The phase is taken mod 2π exactly ((k·n) mod L).
    /// Bin-centred: spectrum peak A²/2 = 2, density peak 2/ENBW_Hz = 2/1.46484 = 1.365333…, Σ density·Δf = 2
    /// (§3.4); scipy gives 1.9999999999999978, 1.3653333333333326, 1.9999999999999991. Tolerance 1e-9 (rounding).
    /// Half a bin off: the peak holds 0.7205 of the power and the sum stays 2.0000 (§3.4); scipy gives 0.72050620
    /// and 2.0000218 (the per-segment mean of a tone that is not whole cycles takes a little). Tolerance 1e-4.
    @Test("a sine's peak, density and total power (§3.4)", arguments: [100.0, 100.5])
    func sineKnownAnswers(bin: Double) {
        let length = 1024, fs = 1000.0
        let cycles = Int(bin * 2)   // half-cycles per segment, so the phase reduces exactly
        let x = (0..<(8 * length)).map { n in 2 * sin(Double.pi * Double((cycles * n) % (2 * length)) / Double(length)) }
        var welch = WelchPSD(sampleRate: fs, segmentLength: length)
        welch.add(contentsOf: x)
        #expect(welch.segmentCount == 15)
        let spectrum = welch.psd(scaling: .spectrum)
        let density = welch.psd(scaling: .density)
        let power = density.reduce(0, +) * welch.binWidth
        if bin == 100 {
            #expect(isClose(spectrum[100], 2, relative: 1e-9))
            #expect(isClose(density[100], 2 / (1.5 * fs / Double(length)), relative: 1e-9))
            #expect(abs(density[100] - 1.3653) < 5e-5)
            #expect(isClose(power, 2, relative: 1e-9))
        } else {
            let peak = spectrum.max()!
            #expect(abs(peak / 2 - 0.7205) < 1e-4, "Hann scalloping loss, 1.42 dB")
            #expect(spectrum[100] == peak || spectrum[101] == peak)
            #expect(abs(power - 2) < 1e-4)
        }
    }

    @Test("a shared window is the window: the same values as a new one, one per kind and length")
    func sharedWindows() {
        for kind in SpectralWindow.Kind.allCases {
            for length in [2, 255, 4096] {
                #expect(SpectralWindow.shared(kind, length: length) == SpectralWindow(kind, length: length))
            }
        }
        // Beyond the limit the cache starts over: still the right windows.
        for length in 100..<(100 + SpectralWindow.sharedLimit * 2) {
            #expect(SpectralWindow.shared(.hann, length: length).coefficients.count == length)
        }
        #expect(SpectralWindow.shared(.flatTop, length: 300) == SpectralWindow(.flatTop, length: 300))
    }

    @Test("reset() forgets every segment and sample: what follows equals a new estimator's, bit for bit")
    func resetIsANewEstimator() {
        let x = referenceSeries()
        var reused = WelchPSD(sampleRate: 1000, segmentLength: 256, window: .blackmanHarris, overlap: 100)
        reused.add(contentsOf: x[..<1234])          // some whole segments and a partial one, then forgotten
        reused.reset()
        #expect(reused.segmentCount == 0 && reused.nextSegmentStart == 0)
        reused.add(contentsOf: x[1234...])
        var fresh = WelchPSD(sampleRate: 1000, segmentLength: 256, window: .blackmanHarris, overlap: 100)
        fresh.add(contentsOf: x[1234...])
        #expect(reused.segmentCount == fresh.segmentCount && reused.segmentCount > 0)
        #expect(reused.psd() == fresh.psd())
    }

    @Test("a trailing partial segment is dropped, as in scipy; K = ⌊(N − overlap)/hop⌋ (§3.1)")
    func trailingPartialSegment() {
        let x = referenceSeries()
        var exact = WelchPSD(sampleRate: 1000, segmentLength: 256)
        exact.add(contentsOf: x[..<4992])          // segment 38 ends at 4992
        var longer = exact
        longer.add(contentsOf: x[4992...])          // 8 more samples: no new segment
        #expect(exact.segmentCount == 38 && longer.segmentCount == 38)
        #expect(exact.psd() == longer.psd())
        for count in [0, 99, 100, 255, 256, 411, 412, 413, 1000] {
            var welch = WelchPSD(sampleRate: 1000, segmentLength: 256, overlap: 100)
            welch.add(contentsOf: x[..<count])
            #expect(welch.hop == 156)
            #expect(welch.segmentCount == max(0, (count - 100) / 156), "N = \(count)")
        }
        let empty = WelchPSD(sampleRate: 1000, segmentLength: 8).psd()
        #expect(empty.count == 5 && empty.allSatisfy { $0.isNaN }, "no segment, no estimate")
    }

    /// The same operations in the same order whatever the blocks: equality is exact.
    @Test("blocks of any size give the same estimate as one sample at a time")
    func blockSizes() {
        let x = referenceSeries()
        var single = WelchPSD(sampleRate: 1000, segmentLength: 256, window: .flatTop, overlap: 192)
        for sample in x { single.add(sample) }
        var blocks = WelchPSD(sampleRate: 1000, segmentLength: 256, window: .flatTop, overlap: 192)
        var random = SplitMix(seed: 7)
        var start = 0
        while start < x.count {
            let end = min(x.count, start + Int(random.next() % 700))
            x[start..<end].withUnsafeBufferPointer { blocks.add($0) }
            start = end
        }
        #expect(blocks.segmentCount == single.segmentCount)
        #expect(blocks.psd(scaling: .spectrum) == single.psd(scaling: .spectrum))
    }

    /// B starts where A's next segment would: no segment straddles the split, so the merge is the one pass.
    /// Tolerance 1e-12 relative: the per-bin sums are added in another order.
    @Test("merging two halves split at a segment start equals one pass", arguments: [300, 2500, 2560, 4999])
    func mergeEqualsOnePass(split: Int) {
        let x = referenceSeries()
        var whole = WelchPSD(sampleRate: 1000, segmentLength: 256)
        whole.add(contentsOf: x)
        var first = WelchPSD(sampleRate: 1000, segmentLength: 256)
        first.add(contentsOf: x[..<split])
        var second = WelchPSD(sampleRate: 1000, segmentLength: 256)
        second.add(contentsOf: x[first.nextSegmentStart...])
        #expect(first.isMergeable(with: second))
        first.merge(second)
        #expect(first.segmentCount == whole.segmentCount)
        for (merged, reference) in zip(first.psd(), whole.psd()) {
            #expect(isClose(merged, reference, relative: 1e-12))
        }
    }

    /// Disjoint halves split at 2560 (a multiple of the hop): the one segment over the split (2432..<2688) is
    /// missing, and nothing else. Checked through the per-segment sums: 38·P_whole = 37·P_merged + 1·P_straddling.
    @Test("merging disjoint halves counts only whole segments")
    func mergeDisjointHalves() {
        let x = referenceSeries()
        var whole = WelchPSD(sampleRate: 1000, segmentLength: 256)
        whole.add(contentsOf: x)
        var merged = WelchPSD(sampleRate: 1000, segmentLength: 256)
        merged.add(contentsOf: x[..<2560])
        var second = WelchPSD(sampleRate: 1000, segmentLength: 256)
        second.add(contentsOf: x[2560...])
        merged.merge(second)
        var straddling = WelchPSD(sampleRate: 1000, segmentLength: 256)
        straddling.add(contentsOf: x[2432..<2688])
        #expect(whole.segmentCount == 38 && merged.segmentCount == 37 && straddling.segmentCount == 1)
        for (k, reference) in whole.psd().enumerated() {
            let rebuilt = (37 * merged.psd()[k] + straddling.psd()[k]) / 38
            #expect(isClose(rebuilt, reference, relative: 1e-12), "bin \(k)")
        }
        #expect(!merged.isMergeable(with: WelchPSD(sampleRate: 1000, segmentLength: 256, overlap: 64)))
        #expect(!merged.isMergeable(with: WelchPSD(sampleRate: 1000, segmentLength: 256, window: .flatTop)))
        #expect(!merged.isMergeable(with: WelchPSD(sampleRate: 999, segmentLength: 256)))
    }

    /// ν = 2K/(1 + 2Σ(1 − j/K)ρ(j·hop)). Hann 50 %: ρ = 1/36, so 2K/1.0556 for large K (§3.3); Hann 75 %: 1.92/K
    /// (§3.3; numpy gives 1.92464); no overlap: 2K exactly. K = 38 at L = 256: 72.0998613037448 (numpy, same
    /// formula). Tolerances: 1e-12 where the formula is evaluated exactly, 1e-3 for the large-K limits.
    @Test("equivalent degrees of freedom (Welch 1967; §3.3)")
    func degreesOfFreedom() {
        func welch(length: Int, overlap: Int, segments: Int) -> WelchPSD {
            var welch = WelchPSD(sampleRate: 1, segmentLength: length, overlap: overlap)
            let hop = length - overlap
            welch.add(contentsOf: repeatElement(0.0, count: length + (segments - 1) * hop))
            #expect(welch.segmentCount == segments)
            return welch
        }
        #expect(isClose(welch(length: 256, overlap: 128, segments: 38).equivalentDegreesOfFreedom, 72.0998613037448,
                        relative: 1e-12))
        #expect(isClose(welch(length: 64, overlap: 32, segments: 2000).equivalentDegreesOfFreedom, 2 * 2000 / 1.0556,
                        relative: 1e-3))
        #expect(isClose(welch(length: 64, overlap: 48, segments: 2000).equivalentDegreesOfFreedom, 2 * 2000 / 1.92464,
                        relative: 1e-3))
        #expect(welch(length: 64, overlap: 0, segments: 10).equivalentDegreesOfFreedom == 20)
        #expect(welch(length: 64, overlap: 32, segments: 1).equivalentDegreesOfFreedom == 2)
        #expect(WelchPSD(sampleRate: 1, segmentLength: 64).equivalentDegreesOfFreedom == 0)
    }
}

@Suite("SpectralWindow")
struct SpectralWindowTests {
    /// Sums and ENBW of scipy's periodic windows at L = 256 (`scipy.signal.get_window(name, 256)`, scipy 1.17.1):
    /// hann Σw = 128, Σw² = 96, ENBW 1.5; blackmanharris 91.84, 66.0386188672, 2.0043529382170475; flattop
    /// 55.1882112, 44.856192756146, 3.770246447443429. Tolerance 1e-12: cosines summed in another order.
    @Test("sums and ENBW equal scipy's periodic windows (§3.2)", arguments: [
        (SpectralWindow.Kind.hann, 128.0, 96.0, 1.5),
        (.blackmanHarris, 91.84, 66.0386188672, 2.0043529382170475),
        (.flatTop, 55.1882112, 44.856192756146, 3.770246447443429),
    ])
    func matchesScipy(kind: SpectralWindow.Kind, sum: Double, sumOfSquares: Double, bins: Double) {
        let window = SpectralWindow(kind, length: 256)
        #expect(isClose(window.sum, sum, relative: 1e-12))
        #expect(isClose(window.sumOfSquares, sumOfSquares, relative: 1e-12))
        #expect(isClose(window.equivalentNoiseBandwidthBins, bins, relative: 1e-12))
        #expect(isClose(window.equivalentNoiseBandwidth(sampleRate: 1000), bins * 1000 / 256, relative: 1e-12))
    }

    /// §3.2: periodic Hann 1.5 bins exactly, flattop 3.77 [measured]. For a periodic cosine-sum window the ENBW
    /// does not depend on L once L exceeds twice the number of terms, so L = 1024 reads the same as L = 256.
    @Test("ENBW: 1.5 bins for periodic Hann, 3.77 for flat-top")
    func equivalentNoiseBandwidth() {
        #expect(abs(SpectralWindow(.hann, length: 1024).equivalentNoiseBandwidthBins - 1.5) < 1e-12)
        #expect(abs(SpectralWindow(.flatTop, length: 1024).equivalentNoiseBandwidthBins - 3.77) < 5e-3)
        #expect(abs(SpectralWindow(.hann, length: 1024).equivalentNoiseBandwidth(sampleRate: 1000) - 1.46484) < 1e-5)
        let hann = SpectralWindow(.hann, length: 256)
        #expect(hann.coefficients[0] == 0 && abs(hann.coefficients[128] - 1) < 1e-15, "periodic: zero at n = 0 only")
        #expect(abs(hann.overlapCorrelation(lag: 128) - 1.0 / 36) < 1e-15, "§3.3: 0.0278 at 50 % overlap")
    }

    /// The normalised |C_D(m)|² of `WelchPSD.bandDegreesOfFreedom`: unshifted, Hann's bins one apart correlate with
    /// squared coefficient 4/9 and two apart 1/36, three apart 0 (its transform has three non-zero lines); at half its
    /// length, m = 0 is the §3.3 overlap correlation 1/36; any (D, m) against the DFT sum written out.
    @Test("shifted-product spectrum: Hann's 4/9 and 1/36, its overlap, and the DFT written out")
    func shiftedProductSpectrum() {
        let hann = SpectralWindow(.hann, length: 1000)
        let unshifted = hann.shiftedProductSpectrum(shift: 0)
        #expect(unshifted.count == 501)
        #expect(abs(unshifted[0] - 1) < 1e-12)
        #expect(abs(unshifted[1] - 4.0 / 9) < 1e-12)
        #expect(abs(unshifted[2] - 1.0 / 36) < 1e-12)
        #expect(unshifted[3] < 1e-24)
        #expect(abs(hann.shiftedProductSpectrum(shift: 500)[0] - hann.overlapCorrelation(lag: 500)) < 1e-15)
        let blackman = SpectralWindow(.blackmanHarris, length: 250)
        for (shift, m) in [(0, 7), (60, 0), (60, 3), (125, 11), (249, 124)] {
            var real = 0.0, imaginary = 0.0
            for n in 0..<(250 - shift) {
                let product = blackman.coefficients[n] * blackman.coefficients[n + shift]
                let angle = -2 * Double.pi * Double(m * n % 250) / 250
                real += product * cos(angle)
                imaginary += product * sin(angle)
            }
            let expected = (real * real + imaginary * imaginary) / (blackman.sumOfSquares * blackman.sumOfSquares)
            let spectrum = blackman.shiftedProductSpectrum(shift: shift)
            #expect(abs(spectrum[m] - expected) <= 1e-12 * Swift.max(expected, 1e-6), "D = \(shift), m = \(m)")
            #expect(blackman.shiftedProductSpectrum(shift: shift) == spectrum, "the shared copy is the same")
        }
    }
}

@Suite("RealFFT plan cache")
struct RealFFTPlanCacheTests {
    @Test("one shared transform per length, from any task")
    func sharedPerLength() async {
        let length = 4099   // used by no other test, so no other test holds it
        let mine = RealFFT.shared(length: length)
        #expect(RealFFT.shared(length: length) === mine)
        #expect(RealFFT.shared(length: 4100) !== mine)
        let fromTasks = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { RealFFT.shared(length: length) === mine } }
            return await group.reduce(true) { $0 && $1 }
        }
        #expect(fromTasks)
        let x = (0..<length).map { Double($0 % 13) - 6 }
        #expect(mine.forward(x) == RealFFT(length: length).forward(x), "the shared plan is an ordinary one")
    }

    @Test("the cache keeps no transform alive by itself")
    func weakCache() {
        weak var released: RealFFT?
        do {
            let transform = RealFFT.shared(length: 4097)
            released = transform
            #expect(released != nil)
        }
        #expect(released == nil)
    }
}
