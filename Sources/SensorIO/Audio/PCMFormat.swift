/// How one PCM sample is stored, in ALSA's names (`snd_pcm_format_t`): little-endian, two's complement integers
/// or IEEE floats. Samples are exchanged with the rest of the daemon as `Double` normalized to digital full
/// scale, ±1.0, the scale on which a sine whose peak reaches full scale is 0 dBFS (reference/acoustic.md §1.2).
public enum PCMSampleFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// 16-bit integer.
    case s16 = "S16_LE"
    /// 24-bit integer in the low three bytes of a 32-bit container (ALSA's S24_LE; I2S codecs often deliver it).
    case s24 = "S24_LE"
    /// 24-bit integer packed in three bytes (ALSA's S24_3LE; WAV files' 24-bit).
    case s24Packed = "S24_3LE"
    /// 32-bit integer.
    case s32 = "S32_LE"
    /// 32-bit IEEE float, full scale ±1.0.
    case float32 = "FLOAT_LE"

    /// Bytes one sample occupies.
    public var bytesPerSample: Int {
        switch self {
        case .s16: 2
        case .s24Packed: 3
        case .s24, .s32, .float32: 4
        }
    }

    /// Bits that carry the value: what sets the quantization floor (acoustic.md §5.7).
    public var significantBits: Int {
        switch self {
        case .s16: 16
        case .s24, .s24Packed: 24
        case .s32, .float32: 32
        }
    }

    public var isFloat: Bool { self == .float32 }

    /// The integer code of positive full scale, 2^(bits−1): a code c reads c / fullScaleCode.
    private var fullScaleCode: Double { Double(1 << (significantBits - 1)) }

    /// The largest magnitude a sample can take, in full-scale units: one LSB below +1.0 for integers (the most
    /// positive code), 1.0 for float. A sample at or beyond it counts as clipped (acoustic.md §5.8).
    public var clipLevel: Double { isFloat ? 1.0 : (fullScaleCode - 1) / fullScaleCode }

    /// Decodes `count` samples starting at `bytes` into normalized values appended to `output`.
    public func decode(_ bytes: UnsafeRawBufferPointer, into output: inout [Double]) {
        let count = bytes.count / bytesPerSample
        output.reserveCapacity(output.count + count)
        let scale = 1 / fullScaleCode
        for index in 0..<count {
            let offset = index * bytesPerSample
            switch self {
            case .s16:
                output.append(Double(Int16(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)) * scale)
            case .s24:
                // Sign-extend the low 24 bits; the container's top byte is padding.
                let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
                output.append(Double(Int32(bitPattern: word << 8) >> 8) * scale)
            case .s24Packed:
                let word = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
                output.append(Double(Int32(bitPattern: word << 8) >> 8) * scale)
            case .s32:
                output.append(Double(Int32(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)) * scale)
            case .float32:
                output.append(Double(Float(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)))
            }
        }
    }

    /// Encodes normalized samples, rounding to the nearest code and saturating at the integer range (an ADC
    /// clips there too); float samples are stored as they are.
    public func encode<S: Sequence>(_ samples: S, into bytes: inout [UInt8]) where S.Element == Double {
        // Contiguous samples go through the concrete loop: a caller in another module would otherwise run this
        // generic one unspecialized, a protocol call per sample (a tenth of the simulated chamber's feed).
        let done: Void? = samples.withContiguousStorageIfAvailable { encode(buffer: $0, into: &bytes) }
        if done == nil { Array(samples).withUnsafeBufferPointer { encode(buffer: $0, into: &bytes) } }
    }

    /// `encode(_:into:)` of contiguous samples.
    public func encode(buffer samples: UnsafeBufferPointer<Double>, into bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + samples.count * bytesPerSample)
        let scale = fullScaleCode
        let lowest = -fullScaleCode
        let highest = fullScaleCode - 1
        for sample in samples {
            let word: UInt32
            if isFloat {
                word = Float(sample).bitPattern
            } else {
                let code = (sample * scale).rounded().clamped(lowest, highest)
                word = UInt32(bitPattern: Int32(code))
            }
            switch self {
            case .s16:
                bytes.append(UInt8(truncatingIfNeeded: word))
                bytes.append(UInt8(truncatingIfNeeded: word >> 8))
            case .s24Packed:
                bytes.append(UInt8(truncatingIfNeeded: word))
                bytes.append(UInt8(truncatingIfNeeded: word >> 8))
                bytes.append(UInt8(truncatingIfNeeded: word >> 16))
            case .s24, .s32, .float32:
                // S24_LE keeps the code in the low three bytes and sign-extends into the fourth, as ALSA does.
                for shift in stride(from: 0, to: 32, by: 8) {
                    bytes.append(UInt8(truncatingIfNeeded: word >> UInt32(shift)))
                }
            }
        }
    }
}

/// The shape of a PCM stream: sample format, rate and interleaved channel count.
public struct PCMStreamFormat: Sendable, Hashable, Codable, CustomStringConvertible {
    public var sample: PCMSampleFormat
    /// Frames per second, Hz.
    public var sampleRate: Int
    /// Interleaved channels per frame (TDM slots).
    public var channels: Int

    public init(sample: PCMSampleFormat, sampleRate: Int, channels: Int) {
        self.sample = sample
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// Bytes per frame: one sample of every channel.
    public var bytesPerFrame: Int { sample.bytesPerSample * channels }

    /// "S32_LE, 48000 Hz, 8 ch"
    public var description: String { "\(sample.rawValue), \(sampleRate) Hz, \(channels) ch" }
}

private extension Double {
    func clamped(_ lower: Double, _ upper: Double) -> Double { Swift.min(Swift.max(self, lower), upper) }
}
