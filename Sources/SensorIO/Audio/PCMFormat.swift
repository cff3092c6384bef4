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
        guard count > 0, let source = bytes.baseAddress else { return }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: count))
        output.withUnsafeMutableBufferPointer { whole in
            decode(source, stride: bytesPerSample, into: UnsafeMutableBufferPointer(rebasing: whole[start...]))
        }
    }

    /// Decodes `values.count` samples, sample k from `source + k·stride`, into `values`: with the stride of a frame,
    /// one channel out of interleaved frames (`source` at the channel's first byte), the counterpart of
    /// `encode(buffer:into:stride:)`. The caller owns `values.count · stride` bytes there.
    /// One loop per format, writing in place: the capture decodes every sample it analyses here.
    public func decode(_ source: UnsafeRawPointer, stride: Int, into values: UnsafeMutableBufferPointer<Double>) {
        let scale = 1 / fullScaleCode
        // The byte offset runs on with a wrapping add: `stride * index`, checked for overflow per sample, made the
        // S24_3LE loop half as slow again (2.7 against 1.8 ns a sample).
        var offset = 0
        switch self {
        case .s16:
            for index in values.indices {
                let word = source.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian
                values[index] = Double(Int16(bitPattern: word)) * scale
                offset &+= stride
            }
        case .s24:
            for index in values.indices {
                // Sign-extend the low 24 bits; the container's top byte is padding.
                let word = source.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
                values[index] = Double(Int32(bitPattern: word << 8) >> 8) * scale
                offset &+= stride
            }
        case .s24Packed:
            for index in values.indices {
                let low = UInt32(source.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian)
                let word = low | UInt32(source.load(fromByteOffset: offset &+ 2, as: UInt8.self)) << 16
                values[index] = Double(Int32(bitPattern: word << 8) >> 8) * scale
                offset &+= stride
            }
        case .s32:
            for index in values.indices {
                let word = source.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
                values[index] = Double(Int32(bitPattern: word)) * scale
                offset &+= stride
            }
        case .float32:
            for index in values.indices {
                let word = source.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian
                values[index] = Double(Float(bitPattern: word))
                offset &+= stride
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

    /// `encode(_:into:)` of an array: chosen over the generic form, so that no call goes through
    /// `withContiguousStorageIfAvailable`'s protocol dispatch (the generic is not specialized across modules).
    public func encode(_ samples: [Double], into bytes: inout [UInt8]) {
        samples.withUnsafeBufferPointer { encode(buffer: $0, into: &bytes) }
    }

    /// `encode(_:into:)` of contiguous samples.
    public func encode(buffer samples: UnsafeBufferPointer<Double>, into bytes: inout [UInt8]) {
        guard !samples.isEmpty else { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: samples.count * bytesPerSample))
        bytes.withUnsafeMutableBytes { raw in
            encode(buffer: samples, into: raw.baseAddress! + start, stride: bytesPerSample)
        }
    }

    /// Encodes `samples` as `encode(_:into:)` does, storing sample k at `destination + k·stride`: with the stride of
    /// a frame, one channel written in its place among interleaved frames (`destination` at the channel's first
    /// byte). The bytes in between are left as they are; the caller owns `samples.count · stride` bytes there.
    /// One loop per format, storing in place.
    public func encode(buffer samples: UnsafeBufferPointer<Double>, into destination: UnsafeMutableRawPointer, stride: Int) {
        let quantizer = Quantizer(fullScaleCode: fullScaleCode)
        let out = destination
        // The byte offset runs on with a wrapping add, as in `decode(_:stride:into:)`.
        var offset = 0
        switch self {
        case .s16:
            for sample in samples {
                let code = UInt16(truncatingIfNeeded: quantizer.code(sample))
                out.storeBytes(of: code.littleEndian, toByteOffset: offset, as: UInt16.self)
                offset &+= stride
            }
        case .s24Packed:
            for sample in samples {
                let word = UInt32(bitPattern: quantizer.code(sample))
                out.storeBytes(of: UInt16(truncatingIfNeeded: word).littleEndian, toByteOffset: offset, as: UInt16.self)
                out.storeBytes(of: UInt8(truncatingIfNeeded: word >> 16), toByteOffset: offset &+ 2, as: UInt8.self)
                offset &+= stride
            }
        case .s24, .s32:
            // S24_LE keeps the code in the low three bytes and sign-extends into the fourth, as ALSA does.
            for sample in samples {
                let word = UInt32(bitPattern: quantizer.code(sample))
                out.storeBytes(of: word.littleEndian, toByteOffset: offset, as: UInt32.self)
                offset &+= stride
            }
        case .float32:
            for sample in samples {
                out.storeBytes(of: Float(sample).bitPattern.littleEndian, toByteOffset: offset, as: UInt32.self)
                offset &+= stride
            }
        }
    }

    /// Normalized sample → integer code: scaled by 2^(bits−1), saturated at [−2^(bits−1), 2^(bits−1) − 1], rounded to
    /// the nearest code, halves away from zero, exactly as `Double.rounded()` does (saturating first gives the same
    /// code, the bounds being integers).
    ///
    /// The rounding is x + ±(½ − 2⁻⁵⁴) truncated, without a branch or a libm `round` call per sample (the feed's and
    /// the recordings' encode was a branch misprediction per noise sample). It is exact for |x| < 2³¹: a fraction of
    /// ½ or more carries the sum to the next integer, ½ itself because x + ½ − 2⁻⁵⁴ rounds to it (to even for x = ½,
    /// by the spacing above 1 otherwise), and a fraction below ½ is at least one ulp of x below it, which keeps the
    /// sum under the next integer.
    private struct Quantizer {
        let scale: Double
        let lowest: Double
        let highest: Double
        /// ½ − 2⁻⁵⁴, the largest double below ½.
        static let justBelowHalf = 0x1.fffffffffffffp-2

        init(fullScaleCode: Double) {
            scale = fullScaleCode
            lowest = -fullScaleCode
            highest = fullScaleCode - 1
        }

        func code(_ sample: Double) -> Int32 {
            let x = Swift.min(Swift.max(sample * scale, lowest), highest)
            return Int32(x + Double(signOf: x, magnitudeOf: Self.justBelowHalf))
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
