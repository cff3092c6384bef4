/// A run of captured frames: the samples of every channel, interleaved and normalized to ±1.0 digital full
/// scale (acoustic.md §1.2), in the order the device delivered them.
public struct PCMBlock: Sendable, Equatable {
    /// The stream the frames came from.
    public var format: PCMStreamFormat
    /// Frames (one sample of every channel).
    public var frames: Int
    /// The frames as the device delivered them, `frames × format.bytesPerFrame` bytes in `format.sample`'s encoding,
    /// when the capture kept them (`PCMCapture` does); nil otherwise. Decoding them gives `interleaved` exactly, so a
    /// recording in the same sample format stores them as they are (`WAVStreamWriter.append(channel:of:)`).
    public var delivered: [UInt8]?
    /// The decoded samples, when the block was made from them; nil in a block of delivered bytes alone, which decodes
    /// what it is asked for: a run takes each channel it analyses straight from the bytes (`decode(channel:into:)`),
    /// never the whole block as doubles.
    private var decoded: [Double]?

    /// A block of `interleaved` samples; `frames` is the number of whole frames they hold. `delivered`: the bytes
    /// they were decoded from, if kept.
    public init(format: PCMStreamFormat, interleaved: [Double], delivered: [UInt8]? = nil) {
        self.format = format
        self.decoded = interleaved
        self.delivered = delivered
        self.frames = format.channels > 0 ? interleaved.count / format.channels : 0
    }

    /// A block of the bytes the device delivered, `format.bytesPerFrame` per frame; its samples are decoded when read.
    public init(format: PCMStreamFormat, delivered: [UInt8]) {
        self.format = format
        self.delivered = delivered
        self.frames = format.bytesPerFrame > 0 ? delivered.count / format.bytesPerFrame : 0
    }

    /// `frames × channels` samples, normalized to ±1.0 full scale, frame after frame.
    public var interleaved: [Double] {
        get {
            if let decoded { return decoded }
            var samples: [Double] = []
            samples.reserveCapacity(frames * format.channels)
            delivered?.withUnsafeBytes { bytes in
                format.sample.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<(frames * format.bytesPerFrame)]), into: &samples)
            }
            return samples
        }
        set {
            decoded = newValue
            delivered = nil
            frames = format.channels > 0 ? newValue.count / format.channels : 0
        }
    }

    /// The samples of one channel (a TDM slot, 0-based), in order.
    public func channel(_ index: Int) -> [Double] {
        [Double](unsafeUninitializedCapacity: frames) { samples, count in
            decode(channel: index, into: UnsafeMutableBufferPointer(rebasing: samples[0..<frames]))
            count = frames
        }
    }

    /// Writes the first `samples.count` (at most `frames`) samples of one channel into `samples`: from the delivered
    /// bytes when the block holds only them, one strided pass over that channel's bytes.
    public func decode(channel index: Int, into samples: UnsafeMutableBufferPointer<Double>) {
        precondition((0..<format.channels).contains(index), "channel \(index) is not in 0..<\(format.channels)")
        precondition(samples.count <= frames, "\(samples.count) samples asked of a block of \(frames) frames")
        let channels = format.channels
        if let decoded {
            decoded.withUnsafeBufferPointer { interleaved in
                for frame in samples.indices { samples[frame] = interleaved[frame * channels + index] }
            }
        } else if let delivered {
            delivered.withUnsafeBytes { bytes in
                format.sample.decode(bytes.baseAddress! + index * format.sample.bytesPerSample, stride: format.bytesPerFrame,
                                     into: samples)
            }
        }
    }

    public static func == (a: PCMBlock, b: PCMBlock) -> Bool {
        a.format == b.format && a.frames == b.frames && a.delivered == b.delivered && a.interleaved == b.interleaved
    }

    /// Per channel, the samples at or beyond the format's clip level (`PCMSampleFormat.clipLevel`): the codes an
    /// ADC outputs when its input exceeds full scale.
    public var clippedSamples: [Int] {
        let channels = format.channels
        let level = format.sample.clipLevel
        var counts = [Int](repeating: 0, count: channels)
        for (index, sample) in interleaved.enumerated() where abs(sample) >= level {
            counts[index % channels] += 1
        }
        return counts
    }
}
