/// A run of captured frames: the samples of every channel, interleaved and normalized to ±1.0 digital full
/// scale (acoustic.md §1.2), in the order the device delivered them.
public struct PCMBlock: Sendable, Equatable {
    /// The stream the frames came from.
    public var format: PCMStreamFormat
    /// Frames (one sample of every channel).
    public var frames: Int
    /// `frames × channels` samples, frame after frame.
    public var interleaved: [Double]
    /// The frames as the device delivered them, `frames × format.bytesPerFrame` bytes in `format.sample`'s encoding,
    /// when the capture kept them (`PCMCapture` does); nil otherwise. Decoding them gives `interleaved` exactly, so a
    /// recording in the same sample format stores them as they are (`WAVStreamWriter.append(channel:of:)`).
    public var delivered: [UInt8]?

    /// A block of `interleaved` samples; `frames` is the number of whole frames they hold. `delivered`: the bytes
    /// they were decoded from, if kept.
    public init(format: PCMStreamFormat, interleaved: [Double], delivered: [UInt8]? = nil) {
        self.format = format
        self.interleaved = interleaved
        self.delivered = delivered
        self.frames = format.channels > 0 ? interleaved.count / format.channels : 0
    }

    /// The samples of one channel (a TDM slot, 0-based), in order.
    public func channel(_ index: Int) -> [Double] {
        precondition((0..<format.channels).contains(index), "channel \(index) is not in 0..<\(format.channels)")
        let channels = format.channels
        return (0..<frames).map { interleaved[$0 * channels + index] }
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
