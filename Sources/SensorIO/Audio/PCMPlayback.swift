/// Playback to an ALSA PCM device: normalized samples encoded to the device's format, a deadline on every
/// write, underruns counted and recovered. It drives the acoustic chamber's loudspeaker (and, through ALSA's
/// `file` plugin, a file in tests).
///
/// Thread confinement: one instance is used from one dedicated thread at a time, like `PCMCapture`, which is
/// why `@unchecked Sendable` is allowed here (STYLE §3). Call `close()` on that thread or after it has stopped.
public final class PCMPlayback: @unchecked Sendable {
    private let stream: PCMStream
    private var bytes: [UInt8] = []

    /// Underruns seen and recovered (`snd_pcm_writei` or `snd_pcm_wait` returned EPIPE): each one is a gap in
    /// the sound.
    public var xruns: Int { stream.xruns }
    /// Frames accepted by `write` since the device was opened.
    public private(set) var framesWritten: Int64 = 0
    /// The PCM name as opened.
    public var device: String { stream.device }
    /// The configuration file the PCM was defined in, or nil for ALSA's global configuration.
    public var configurationFile: String? { stream.configurationFile }
    /// The stream's format: exactly the one requested.
    public var format: PCMStreamFormat { stream.format }
    /// Frames per period, as the device set it.
    public var periodFrames: Int { stream.periodFrames }
    /// Frames in the device's ring buffer: what `drain` may still have to play.
    public var bufferFrames: Int { stream.bufferFrames }

    /// Opens `device` for playback in `format` exactly (no resampling), with a period near `periodFrames` and a
    /// buffer near `periods` periods. With `configurationFile`, the PCM is defined by that file alone, e.g.
    /// `pcm.speaker { type file; slave.pcm { type null }; file "/tmp/out.raw"; format "raw" }`; otherwise by
    /// ALSA's global configuration.
    public init(device: String, configurationFile: String? = nil, format: PCMStreamFormat,
                periodFrames: Int = 1024, periods: Int = 4) throws(AudioError) {
        stream = try PCMStream(device: device, direction: .playback, configurationFile: configurationFile, format: format,
                               periodFrames: periodFrames, periods: periods)
    }

    deinit { stream.close() }

    /// Closes the device, dropping what is still buffered (call `drain()` first to play it out). Later calls do
    /// nothing; writes after it throw `.closed`.
    public func close() { stream.close() }

    /// Writes all of `interleaved` (whole frames, ±1.0 full scale; beyond it integer formats saturate), waiting
    /// at most `timeout` seconds in all for room in the buffer. The stream starts with the first write (ALSA's
    /// default start threshold). An underrun is counted in `xruns`, the stream prepared and the write continued.
    public func write(_ interleaved: [Double], timeout: Double) throws(AudioError) {
        let format = stream.format
        guard interleaved.count % format.channels == 0 else {
            throw stream.error(.invalidArgument, operation: "writei",
                               reason: "\(interleaved.count) samples are not a whole number of \(format.channels)-channel frames")
        }
        let frames = interleaved.count / format.channels
        guard frames > 0 else { return }
        let pcm = try stream.openHandle(for: "writei")
        let deadline = PCMStream.deadline(after: timeout)
        let frameBytes = format.bytesPerFrame
        bytes.removeAll(keepingCapacity: true)
        format.sample.encode(interleaved, into: &bytes)
        var done = 0
        while done < frames {
            let request = min(frames - done, stream.bufferFrames)
            let result = bytes.withUnsafeBytes { buffer in
                ALSA.writeInterleaved(pcm, from: buffer.baseAddress! + done * frameBytes, frames: request)
            }
            switch result {
            case .success(let count) where count > 0:
                done += count
                framesWritten += Int64(count)
                continue
            case .success, .failure(.tryAgain):
                break   // The buffer is full: wait below.
            case .failure(let errno):
                try stream.recover(from: errno, operation: "writei", until: deadline)
                continue
            }
            guard ContinuousClock.now < deadline, try stream.waitReady(until: deadline, operation: "writei") else {
                throw stream.error(.timedOut, operation: "writei", reason: "\(done) of \(frames) frames were accepted within \(timeout) s",
                                   errno: .timedOut)
            }
        }
    }

    /// Plays out what is buffered and stops the stream, waiting at most `timeout` seconds (a full buffer takes
    /// `bufferFrames / rate`). A `file` plugin writes its last frames to its file here.
    public func drain(timeout: Double = 10) throws(AudioError) {
        let pcm = try stream.openHandle(for: "drain")
        let deadline = PCMStream.deadline(after: timeout)
        while true {
            switch ALSA.drain(pcm) {
            case .success:
                return
            case .failure(.tryAgain):
                // Non-blocking: draining has begun; wait for it to end.
                while ALSA.isDraining(pcm) {
                    guard ContinuousClock.now < deadline, try stream.waitReady(until: deadline, operation: "drain") else {
                        throw stream.error(.timedOut, operation: "drain", reason: "still draining after \(timeout) s",
                                           errno: .timedOut)
                    }
                }
                return
            case .failure(let errno):
                // An underrun just before the drain leaves nothing to play: recovered, there is nothing to drain.
                try stream.recover(from: errno, operation: "drain", until: deadline)
                if errno == .xrun { return }
            }
        }
    }
}
