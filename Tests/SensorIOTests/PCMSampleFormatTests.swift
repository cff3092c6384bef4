import Testing
@testable import SensorIO

/// The sample encoder and decoder against their definitions, written out plainly here: a code is the sample times
/// 2^(bits−1), rounded half away from zero (`Double.rounded()`), saturated at the integer range, stored little-endian
/// (S24_LE sign-extended into its fourth byte); a float is stored as `Float`. The encoder's own rounding avoids
/// `rounded()`, so the values that decide a rounding are all tried: every code's halfway point, the doubles next to
/// it, both rails and beyond, zeros, tiny values, and random samples.
@Suite struct PCMSampleFormatTests {
    /// The encoding by definition, one sample at a time.
    static func definition(_ format: PCMSampleFormat, _ sample: Double) -> [UInt8] {
        let word: UInt32
        if format == .float32 {
            word = Float(sample).bitPattern
        } else {
            let full = Double(1 << (format.significantBits - 1))
            let code = Swift.min(Swift.max((sample * full).rounded(), -full), full - 1)
            word = UInt32(bitPattern: Int32(code))
        }
        return (0..<format.bytesPerSample).map { UInt8(truncatingIfNeeded: word >> UInt32(8 * $0)) }
    }

    /// Samples where rounding or saturation decides the code, for a format of `bits` significant bits.
    static func decisiveSamples(bits: Int) -> [Double] {
        let full = Double(1 << (bits - 1))
        var samples: [Double] = [0, -0.0, 1, -1, 1.5, -1.5, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1e-300, 0.9999999]
        let codes: [Double] = [0, 1, 2, 3, 4, 5, 1000, 1001, 65_535, full / 2, full / 2 + 1, full - 3, full - 2, full - 1, full]
        for code in codes {
            for sign in [1.0, -1.0] {
                let half = sign * (code + 0.5)
                for x in [half, half.nextUp, half.nextDown, sign * code, (sign * code).nextUp, (sign * code).nextDown] {
                    samples.append(x / full)
                }
            }
        }
        var random = SplitMix(seed: 24)
        for _ in 0..<20_000 { samples.append(1.25 * random.signed()) }
        return samples
    }

    @Test(arguments: PCMSampleFormat.allCases)
    func encodeIsTheDefinition(format: PCMSampleFormat) {
        let samples = Self.decisiveSamples(bits: format.significantBits)
        var encoded: [UInt8] = [7]   // appended after what is there
        format.encode(samples, into: &encoded)
        var expected: [UInt8] = [7]
        for sample in samples { expected += Self.definition(format, sample) }
        #expect(encoded == expected)
        // The generic and buffer forms are the same encoder.
        var generic: [UInt8] = [7]
        format.encode(samples.lazy.map { $0 }, into: &generic)
        #expect(generic == expected)
    }

    /// Encoding each channel with the stride of a frame, into its place, gives the interleaved encoding's bytes.
    @Test(arguments: PCMSampleFormat.allCases)
    func stridedEncodeIsTheInterleavedOne(format: PCMSampleFormat) {
        let channels = 3
        let samples = Array(Self.decisiveSamples(bits: format.significantBits).prefix(999))
        var interleaved: [UInt8] = []
        format.encode(samples, into: &interleaved)
        var strided = [UInt8](repeating: 0xEE, count: interleaved.count)
        let frameBytes = channels * format.bytesPerSample
        strided.withUnsafeMutableBytes { raw in
            for channel in 0..<channels {
                let words = stride(from: channel, to: samples.count, by: channels).map { samples[$0] }
                words.withUnsafeBufferPointer {
                    format.encode(buffer: $0, into: raw.baseAddress! + channel * format.bytesPerSample, stride: frameBytes)
                }
            }
        }
        #expect(strided == interleaved)
    }

    /// Decoding gives code / 2^(bits−1) (the float itself for FLOAT_LE), appended after what the array holds.
    @Test(arguments: PCMSampleFormat.allCases)
    func decodeInvertsTheEncoding(format: PCMSampleFormat) {
        let samples = Self.decisiveSamples(bits: format.significantBits)
        var bytes: [UInt8] = []
        format.encode(samples, into: &bytes)
        var decoded: [Double] = [42]
        bytes.withUnsafeBytes { format.decode($0, into: &decoded) }
        #expect(decoded.count == samples.count + 1 && decoded[0] == 42)
        for (sample, value) in zip(samples, decoded.dropFirst()) {
            if format == .float32 {
                #expect(value == Double(Float(sample)))
            } else {
                let full = Double(1 << (format.significantBits - 1))
                #expect(value == Swift.min(Swift.max((sample * full).rounded(), -full), full - 1) / full, "\(sample)")
            }
        }
    }

    /// Decoding one channel with the stride of a frame gives that channel of the interleaved decoding, and a block of
    /// delivered bytes alone reads as the block decoded from them: whole, per channel, and a channel's first frames.
    @Test(arguments: PCMSampleFormat.allCases)
    func stridedDecodeIsTheInterleavedOne(format: PCMSampleFormat) {
        let channels = 3
        let samples = Array(Self.decisiveSamples(bits: format.significantBits).prefix(999))
        var bytes: [UInt8] = []
        format.encode(samples, into: &bytes)
        var interleaved: [Double] = []
        bytes.withUnsafeBytes { format.decode($0, into: &interleaved) }
        let stream = PCMStreamFormat(sample: format, sampleRate: 48_000, channels: channels)
        let delivered = PCMBlock(format: stream, delivered: bytes)
        let decoded = PCMBlock(format: stream, interleaved: interleaved, delivered: bytes)
        #expect(delivered.frames == 333 && delivered.interleaved == interleaved && delivered == decoded)
        for channel in 0..<channels {
            let want = stride(from: channel, to: interleaved.count, by: channels).map { interleaved[$0] }
            var strided = [Double](repeating: .nan, count: want.count)
            bytes.withUnsafeBytes { raw in
                strided.withUnsafeMutableBufferPointer {
                    format.decode(raw.baseAddress! + channel * format.bytesPerSample, stride: stream.bytesPerFrame, into: $0)
                }
            }
            #expect(strided == want, "channel \(channel)")
            #expect(delivered.channel(channel) == want && decoded.channel(channel) == want, "channel \(channel)")
            var first = [Double](repeating: .nan, count: 10)
            first.withUnsafeMutableBufferPointer { delivered.decode(channel: channel, into: $0) }
            #expect(first == Array(want.prefix(10)), "channel \(channel), first frames")
        }
        // Samples set by hand no longer come from the bytes: the block forgets them.
        var edited = delivered
        edited.interleaved = Array(interleaved.prefix(6))
        #expect(edited.delivered == nil && edited.frames == 2 && edited.channel(1) == [interleaved[1], interleaved[4]])
    }
}
