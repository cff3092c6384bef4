/// Capture from an ALSA PCM device: exactly the frames asked for, decoded to ±1.0 full scale, with a deadline on
/// every read, overruns counted and recovered.
///
/// Thread confinement: one instance is used from one dedicated thread at a time (DESIGN §3: one thread per PCM
/// device runs the blocking loop). It owns a C handle that is not safe to share, which is why `@unchecked
/// Sendable` is allowed here (STYLE §3): it may be handed to that thread, never used from two at once. Call
/// `close()` on the same thread, or after the reading thread has stopped.
///
/// **ALSA's `file` plugin as a source** (tests and the simulated chamber, DESIGN §6): with
/// `infile`, libasound 1.2.8 reads the input file with a plain `read(2)` inside `snd_pcm_readi` and copies only
/// the whole frames that `read` returned, yet `snd_pcm_readi` still reports every frame the (null) slave
/// produced. Measured here: at the end of the input, `snd_pcm_readi` keeps returning the full count and leaves
/// the caller's buffer untouched, forever, at full speed; a short `read` from a FIFO leaves the tail of the
/// buffer untouched the same way. A request larger than the ALSA buffer reads nothing at all ("requested more
/// frames than pcm buffer"), so reads go one period at a time. To see what was really delivered, `read` fills
/// the buffer with a fresh pseudo-random pattern before its first `snd_pcm_readi` on a `file` PCM (the frames a
/// partial read leaves untouched still hold it for the next one), and counts a trailing run of frames still
/// equal to the pattern as not delivered: a partial read keeps its delivered
/// frames and reads on, and a read that delivered nothing (end of file, or a FIFO whose writers all closed, as
/// `read(2)` on a FIFO blocks until data or end of file) ends `read` with `AudioError.endOfInput`. A genuine
/// last frame equal to the pattern would be taken as undelivered; the chance is 2^−(8 × bytes per frame) per
/// read (2^−256 for 8 × S32, 2^−16 for mono S16). Partial frames are lost inside libasound, so a FIFO writer
/// must write whole frames in single writes of at most PIPE_BUF (4096) bytes, which the kernel keeps atomic;
/// the input cannot honour the deadline while `read(2)` waits for a FIFO writer.
public final class PCMCapture: @unchecked Sendable {
    private let stream: PCMStream
    /// Raw bytes of the current read, reused between reads.
    private var bytes: [UInt8] = []
    /// The fill pattern of the `file` plugin check, and the state of its generator (SplitMix64).
    private var pattern: [UInt8] = []
    private var patternState: UInt64 = 0x5EED_A1_5A_0000_0001

    /// Reads on a `file` PCM that delivered fewer frames than `snd_pcm_readi` reported (the tests check that
    /// this path runs).
    private(set) var fileInputShortReads = 0
    /// Overruns seen and recovered (`snd_pcm_readi` or `snd_pcm_wait` returned EPIPE): each one lost samples.
    public var xruns: Int { stream.xruns }
    /// Frames delivered by `read` since the device was opened.
    public private(set) var framesRead: Int64 = 0
    /// The PCM name as opened.
    public var device: String { stream.device }
    /// The configuration file the PCM was defined in, or nil for ALSA's global configuration.
    public var configurationFile: String? { stream.configurationFile }
    /// The stream's format: exactly the one requested.
    public var format: PCMStreamFormat { stream.format }
    /// Frames per period, as the device set it; also the most frames one `snd_pcm_readi` asks for.
    public var periodFrames: Int { stream.periodFrames }
    /// Frames in the device's ring buffer; an overrun happens when reading falls this far behind.
    public var bufferFrames: Int { stream.bufferFrames }

    /// Opens `device` for capture in `format` exactly (no resampling), with a period near `periodFrames` and a
    /// buffer near `periods` periods. With `configurationFile`, the PCM is defined by that file alone, e.g.
    /// `pcm.chamber { type file; slave.pcm { type null }; file "/dev/null"; infile "/path/fifo"; format "raw" }`;
    /// otherwise by ALSA's global configuration (`hw:1,0`, `default`…).
    public init(device: String, configurationFile: String? = nil, format: PCMStreamFormat,
                periodFrames: Int = 1024, periods: Int = 4) throws(AudioError) {
        stream = try PCMStream(device: device, direction: .capture, configurationFile: configurationFile, format: format,
                               periodFrames: periodFrames, periods: periods)
    }

    deinit { stream.close() }

    /// Closes the device. Later calls do nothing; reads after it throw `.closed`.
    public func close() { stream.close() }

    /// Reads exactly `frames` frames, waiting at most `timeout` seconds in all. Short reads are continued;
    /// an overrun is counted in `xruns`, the stream prepared and the read continued (the block then has a gap
    /// the caller cannot see, hence the count); a suspended device is resumed.
    public func read(frames: Int, timeout: Double) throws(AudioError) -> PCMBlock {
        let format = stream.format
        guard frames > 0 else { return PCMBlock(format: format, interleaved: []) }
        let pcm = try stream.openHandle(for: "readi")
        let deadline = PCMStream.deadline(after: timeout)
        let frameBytes = format.bytesPerFrame
        if bytes.count < frames * frameBytes { bytes = [UInt8](repeating: 0, count: frames * frameBytes) }
        var got = 0
        // Whether the buffer from frame `got` on holds the fill pattern. A partial read leaves its undelivered frames
        // untouched, so they still do: the pattern is written once per `read`, not once per `snd_pcm_readi` (a FIFO
        // fed in 4 KiB chunks delivers a few of them per readi, and refilling a whole period each time was most of
        // the capture's own work). Anything else than a delivered prefix refills it, to be safe.
        var patternHolds = false
        while got < frames {
            let request = min(frames - got, stream.periodFrames)
            if stream.isFilePlugin && !patternHolds {
                fillPattern(at: got * frameBytes, count: (frames - got) * frameBytes)
                patternHolds = true
            }
            let result = bytes.withUnsafeMutableBytes { buffer in
                ALSA.readInterleaved(pcm, into: buffer.baseAddress! + got * frameBytes, frames: request)
            }
            switch result {
            case .success(let count) where count > 0:
                let delivered = stream.isFilePlugin ? deliveredFrames(at: got * frameBytes, count: count, frameBytes: frameBytes) : count
                guard delivered > 0 else {
                    throw stream.error(.endOfInput, operation: "readi", reason: "the file plugin's infile ended after \(framesRead) "
                        + "frames (end of file, or every FIFO writer closed); \(got) of \(frames) frames of this read arrived")
                }
                if delivered < count { fileInputShortReads += 1 }
                got += delivered
                framesRead += Int64(delivered)
                continue
            case .success, .failure(.tryAgain):
                patternHolds = false
                // Nothing ready: wait below.
            case .failure(let errno):
                patternHolds = false
                try stream.recover(from: errno, operation: "readi", until: deadline)
                continue
            }
            guard ContinuousClock.now < deadline, try stream.waitReady(until: deadline, operation: "readi") else {
                throw stream.error(.timedOut, operation: "readi", reason: "\(got) of \(frames) frames arrived within \(timeout) s",
                                   errno: .timedOut)
            }
        }
        // The bytes only: the reader decodes the channels it wants from them (`PCMBlock.decode(channel:into:)`); decoding
        // every sample to an interleaved copy first, then gathering each channel from it, was two passes and a block
        // of doubles per read.
        return PCMBlock(format: format, delivered: Array(bytes[0..<(frames * frameBytes)]))
    }

    // MARK: The file plugin's input check

    /// Writes a fresh pseudo-random pattern over `count` bytes of the read buffer from `offset`, and keeps a copy at
    /// the same offset of `pattern`.
    private func fillPattern(at offset: Int, count: Int) {
        if pattern.count < offset + count { pattern = [UInt8](repeating: 0, count: bytes.count) }
        pattern.withUnsafeMutableBytes { whole in
            let out = UnsafeMutableRawBufferPointer(rebasing: whole[offset..<(offset + count)])
            var index = 0
            while index < count {
                // SplitMix64 (Steele, Lea, Flood 2014): fast, and no two reads share a pattern.
                patternState &+= 0x9E37_79B9_7F4A_7C15
                var z = patternState
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                z ^= z >> 31
                if count - index >= 8 {
                    out.storeBytes(of: z.littleEndian, toByteOffset: index, as: UInt64.self)
                    index += 8
                } else {
                    for shift in stride(from: 0, to: 64, by: 8) where index < count {
                        out[index] = UInt8(truncatingIfNeeded: z >> UInt64(shift))
                        index += 1
                    }
                }
            }
        }
        bytes.withUnsafeMutableBytes { destination in
            pattern.withUnsafeBytes { source in
                (destination.baseAddress! + offset).copyMemory(from: source.baseAddress! + offset, byteCount: count)
            }
        }
    }

    /// Of the `count` frames `snd_pcm_readi` reported at `offset`, those the file plugin really wrote: the frames
    /// before the trailing run that still holds the pattern. The plugin writes a prefix of the request, so the first
    /// frame still holding the pattern is found by bisection: a few frame comparisons, not a scan of the untouched
    /// rest (most of each request when the reader outruns the feed).
    private func deliveredFrames(at offset: Int, count: Int, frameBytes: Int) -> Int {
        bytes.withUnsafeBytes { buffer in
            pattern.withUnsafeBytes { pattern in
                func untouched(_ frame: Int) -> Bool {
                    let start = offset + frame * frameBytes
                    return UnsafeRawBufferPointer(rebasing: buffer[start..<(start + frameBytes)])
                        .elementsEqual(UnsafeRawBufferPointer(rebasing: pattern[start..<(start + frameBytes)]))
                }
                // Invariant: frames below `low` were written, frames from `high` on hold the pattern.
                var low = 0
                var high = count
                while low < high {
                    let middle = (low + high) / 2
                    if untouched(middle) { high = middle } else { low = middle + 1 }
                }
                return low
            }
        }
    }
}
