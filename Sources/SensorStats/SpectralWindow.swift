import Foundation
import Synchronization

/// A data window for spectral estimation, as values: its samples w₀…w_{L−1} and the sums the PSD scaling needs
/// (reference/statistics.md §3.2).
///
/// Every window here is **periodic** (DFT-even), the form `scipy.signal.get_window` returns for spectral analysis and
/// the one `scipy.signal.welch` uses: the symmetric window of L + 1 points with its last point dropped, so that
/// w_n = Σ_k (−1)^k·a_k·cos(2π·k·n/L), n = 0…L−1.
public struct SpectralWindow: Sendable, Hashable {
    /// The window family.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Hann: w_n = 0.5 − 0.5·cos(2πn/L); scipy `hann` / `hann_periodic`, welch's default (§3.1).
        /// ENBW 1.5 bins exactly, scalloping loss 1.42 dB (§3.4).
        case hann
        /// 4-term Blackman-Harris (Harris 1978, −92 dB sidelobes); scipy `blackmanharris`. ENBW ≈ 2.004 bins.
        case blackmanHarris
        /// Flat-top (5 terms, D'Antona & Ferrero 2006); scipy `flattop`. ENBW ≈ 3.77 bins (§3.2) and a scalloping
        /// loss near zero, so a tone's peak reads its amplitude wherever it falls between bins.
        case flatTop

        /// The name `scipy.signal.get_window` takes for this window.
        public var scipyName: String {
            switch self {
            case .hann: "hann"
            case .blackmanHarris: "blackmanharris"
            case .flatTop: "flattop"
            }
        }

        /// The cosine-series coefficients a_k, exactly as scipy 1.17.1 writes them (`scipy/signal/windows/_windows.py`).
        public var cosineCoefficients: [Double] {
            switch self {
            case .hann: [0.5, 0.5]
            case .blackmanHarris: [0.35875, 0.48829, 0.14128, 0.01168]
            case .flatTop: [0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368]
            }
        }
    }

    /// The window family.
    public let kind: Kind
    /// The samples w₀…w_{L−1}.
    public let coefficients: [Double]
    /// Σw: the window's coherent gain times L; the `spectrum` scaling divides by its square.
    public let sum: Double
    /// Σw²: the window's power; the `density` scaling divides by fs·Σw².
    public let sumOfSquares: Double

    /// Makes the periodic window of `length` samples (at least 2).
    public init(_ kind: Kind, length: Int) {
        precondition(length >= 2, "a spectral window needs at least 2 samples, not \(length)")
        self.kind = kind
        let a = kind.cosineCoefficients
        // The angle uses (k·n) mod L, so it stays in [0, 2π) and loses nothing to large arguments.
        let samples = (0..<length).map { n in
            a.indices.reduce(0.0) { w, k in
                let term = a[k] * cos(2 * Double.pi * Double((k * n) % length) / Double(length))
                return k % 2 == 0 ? w + term : w - term
            }
        }
        coefficients = samples
        sum = samples.reduce(0, +)
        sumOfSquares = samples.reduce(0) { $0 + $1 * $1 }
    }

    /// The window of `kind` and `length`, computed once for the sizes in use: a 16 384-point window is 65 536
    /// cosines, and a microphone run starts a new analysis per channel per record. At most `sharedLimit` windows are
    /// kept (the cache starts over beyond that), so the memory stays bounded whatever lengths are asked for.
    public static func shared(_ kind: Kind, length: Int) -> SpectralWindow {
        sharedWindows.value(for: SharedKey(kind: kind, length: length)) { SpectralWindow(kind, length: length) }
    }

    static let sharedLimit = 16

    /// The number of samples L.
    public var length: Int { coefficients.count }

    /// The equivalent noise bandwidth in bins, L·Σw²/(Σw)² (§3.2): 1.5 for Hann, about 2.004 for Blackman-Harris
    /// and 3.77 for flat-top. A bin of the `spectrum` scaling holds the power of this many bins of white noise.
    public var equivalentNoiseBandwidthBins: Double {
        Double(length) * sumOfSquares / (sum * sum)
    }

    /// The equivalent noise bandwidth in hertz at `sampleRate`, fs·Σw²/(Σw)² (§3.2): `density` = `spectrum` / this.
    public func equivalentNoiseBandwidth(sampleRate: Double) -> Double {
        sampleRate * sumOfSquares / (sum * sum)
    }

    /// The squared correlation of the window with itself shifted by `lag` samples,
    /// ρ(m) = (Σ_n w_n·w_{n+m} / Σw²)², which sets how much two Welch segments `lag` apart share (Welch 1967;
    /// Percival & Walden 1993 eq. 292b). For Hann at half its length it is 1/36 ≈ 0.0278 (§3.3); 0 from L on.
    public func overlapCorrelation(lag: Int) -> Double {
        precondition(lag >= 0, "a lag cannot be negative")
        guard lag < length else { return 0 }
        var product = 0.0
        for n in 0..<(length - lag) {
            product += coefficients[n] * coefficients[n + lag]
        }
        let correlation = product / sumOfSquares
        return correlation * correlation
    }
}

extension SpectralWindow {
    /// |C_D(m)|² / (Σw²)² for m = 0 … L/2, with C_D(m) = Σ_n w_n·w_{n+D}·e^{−2πi·mn/L}: the spectrum of the window times
    /// itself shifted by D = `shift` samples, normalised by the window's power squared. It sets the covariance of the
    /// periodogram bins of two segments D apart (`WelchPSD.bandDegreesOfFreedom`, Isserlis' theorem). It depends on the
    /// window alone, so each (window, shift) is transformed once and shared: every axis of every magnetometer asks for
    /// the same few, twice each. At most `sharedLimit` are kept, as for the windows.
    public func shiftedProductSpectrum(shift: Int) -> [Double] {
        precondition(shift >= 0, "a shift cannot be negative")
        return shiftedProductSpectra.value(for: ShiftKey(window: SharedKey(kind: kind, length: length), shift: shift)) {
            var product = [Double](repeating: 0, count: length)
            for n in 0..<Swift.max(0, length - shift) { product[n] = coefficients[n] * coefficients[n + shift] }
            let norm = sumOfSquares * sumOfSquares
            return RealFFT.shared(length: length).forward(product).map { $0.squaredMagnitude / norm }
        }
    }
}

private struct SharedKey: Hashable {
    var kind: SpectralWindow.Kind
    var length: Int
}

private struct ShiftKey: Hashable {
    var window: SharedKey
    var shift: Int
}

/// Values made once per key and shared between threads, at most `SpectralWindow.sharedLimit` of them: beyond that the
/// table starts over, so its memory stays bounded whatever keys are asked for. A value is made outside the lock; two
/// threads asking for a new key at once may both make it, and either copy serves.
private final class SharedTable<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])

    func value(for key: Key, _ make: () -> Value) -> Value {
        if let value = entries.withLock({ $0[key] }) { return value }
        let value = make()
        entries.withLock { entries in
            if entries.count >= SpectralWindow.sharedLimit { entries.removeAll() }
            entries[key] = value
        }
        return value
    }
}

/// The windows `SpectralWindow.shared` has made.
private let sharedWindows = SharedTable<SharedKey, SpectralWindow>()

/// The spectra `SpectralWindow.shiftedProductSpectrum(shift:)` has computed.
private let shiftedProductSpectra = SharedTable<ShiftKey, [Double]>()
