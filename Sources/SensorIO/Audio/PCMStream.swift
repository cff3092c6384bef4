/// An open ALSA PCM set up for one interleaved stream of a fixed format: the opening, the hardware parameters,
/// xrun and suspend recovery and the waits that PCMCapture and PCMPlayback share.
///
/// Not thread-safe: its owner uses it from one thread at a time.
final class PCMStream {
    let device: String
    let direction: PCMDirection
    let configurationFile: String?
    let format: PCMStreamFormat
    /// Frames per period, as the device set it (near the request).
    let periodFrames: Int
    /// Frames in the ring buffer, as the device set it.
    let bufferFrames: Int
    /// The PCM is ALSA's `file` plugin, whose capture side needs PCMCapture's input check.
    let isFilePlugin: Bool
    /// Overruns (capture) or underruns (playback) recovered so far.
    private(set) var xruns = 0
    private var handle: OpaquePointer?

    /// Opens `device` and installs the hardware parameters: interleaved read/write access, `format` exactly
    /// (sample format, channels and rate, with libasound's resampler off), a period near `periodFrames` and a
    /// buffer near `periods` periods. Software parameters stay ALSA's defaults (a stream starts at its first
    /// transfer).
    ///
    /// With `configurationFile`, the PCM is looked up in that file alone (`snd_pcm_open_lconf`), so a test or a
    /// simulated rig can define one (e.g. a `file` plugin) without touching `~/.asoundrc` or
    /// `/etc/asound.conf`; otherwise in ALSA's global configuration (`snd_pcm_open`), where `hw:1,0` lives.
    init(device: String, direction: PCMDirection, configurationFile: String?, format: PCMStreamFormat,
         periodFrames: Int, periods: Int) throws(AudioError) {
        self.device = device
        self.direction = direction
        self.configurationFile = configurationFile
        self.format = format
        func fail(_ cause: AudioError.Cause, _ operation: String, _ reason: String, _ errno: SystemErrno? = nil) -> AudioError {
            AudioError(cause, device: device, direction: direction, configurationFile: configurationFile,
                       operation: operation, reason: reason, errno: errno?.rawValue)
        }
        guard format.channels >= 1, format.sampleRate >= 1 else {
            throw fail(.invalidArgument, "open", "\(format) has no channels or no rate")
        }
        guard periodFrames >= 1, periods >= 2 else {
            throw fail(.invalidArgument, "open", "a period of \(periodFrames) frames × \(periods) periods; "
                + "need at least 1 frame and 2 periods")
        }

        var configuration: OpaquePointer?
        if let configurationFile {
            switch ALSA.loadConfiguration(path: configurationFile) {
            case .success(let tree): configuration = tree
            case .failure(.unreadable(let errno)):
                throw fail(.configurationFile, "load configuration",
                           "cannot read \(configurationFile): \(ALSA.errorText(errno))", errno)
            case .failure(.unparsable(let errno)):
                throw fail(.configurationFile, "load configuration",
                           "\(configurationFile) is not a valid ALSA configuration (\(ALSA.errorText(errno)); "
                           + "libasound printed the line and column on stderr)", errno)
            }
        }
        let baseName = String(device.prefix { $0 != ":" })
        let defined = configuration.map { ALSA.definesPCM($0, named: baseName) }
        let opened = ALSA.open(name: device, direction: direction, configuration: configuration)
        if let configuration { ALSA.freeConfiguration(configuration) }
        let pcm: OpaquePointer
        switch opened {
        case .success(let value): pcm = value
        case .failure(let errno):
            var cause = AudioError.Cause(errno: errno.rawValue, atOpen: true)
            var reason = ALSA.errorText(errno)
            switch (defined, configurationFile) {
            case (false?, let file?):
                reason += " (\(file) defines no pcm.\(baseName))"
            case (true?, _) where errno == .noSuchFileOrDirectory:
                // The PCM exists; one of the files its plugins open (a `file` plugin's infile…) does not.
                cause = .io(errno: errno.rawValue)
                reason += " (a file or device that pcm.\(baseName) uses is missing; libasound named it on stderr)"
            case (nil, _) where errno == .noSuchFileOrDirectory:
                reason += " (no such PCM in the ALSA configuration, or its card is missing)"
            default:
                break
            }
            throw fail(cause, "open", reason, errno)
        }
        isFilePlugin = ALSA.isFilePlugin(pcm)
        do throws(AudioError) {
            (periodFrames: self.periodFrames, bufferFrames: self.bufferFrames) =
                try Self.configure(pcm, format: format, periodFrames: periodFrames, periods: periods, fail: fail)
        } catch {
            ALSA.close(pcm)
            throw error
        }
        handle = pcm
    }

    deinit { close() }

    /// Closes the PCM; later calls do nothing.
    func close() {
        if let handle {
            ALSA.close(handle)
            self.handle = nil
        }
    }

    /// The open handle, or `.closed`.
    func openHandle(for operation: String) throws(AudioError) -> OpaquePointer {
        guard let handle else { throw error(.closed, operation: operation, reason: "the PCM is closed") }
        return handle
    }

    func error(_ cause: AudioError.Cause, operation: String, reason: String, errno: SystemErrno? = nil) -> AudioError {
        AudioError(cause, device: device, direction: direction, configurationFile: configurationFile,
                   operation: operation, reason: reason, errno: errno?.rawValue)
    }

    /// The error for a failed libasound call, with ALSA's text.
    func failure(_ errno: SystemErrno, operation: String) -> AudioError {
        error(AudioError.Cause(errno: errno.rawValue, atOpen: false), operation: operation, reason: ALSA.errorText(errno), errno: errno)
    }

    /// Recovers from what a transfer or a wait reported: an xrun (EPIPE) is counted and the stream prepared
    /// again; a suspend (ESTRPIPE) is resumed, or prepared when the device cannot resume. Anything else throws.
    func recover(from errno: SystemErrno, operation: String, until deadline: ContinuousClock.Instant) throws(AudioError) {
        let pcm = try openHandle(for: operation)
        switch errno {
        case .xrun:
            xruns += 1
            if case .failure(let cause) = ALSA.prepare(pcm) { throw failure(cause, operation: "prepare after xrun") }
        case .suspended:
            while true {
                switch ALSA.resume(pcm) {
                case .success: return
                case .failure(.tryAgain):
                    // Still waking; there is no descriptor to wait on in this state.
                    guard ContinuousClock.now < deadline else {
                        throw error(.suspended, operation: "resume", reason: "the device was still resuming at the deadline",
                                    errno: .suspended)
                    }
                    ClockSyscalls.sleepUntilMonotonic(nanoseconds: ClockSyscalls.monotonicNanoseconds() + 10_000_000)
                case .failure:
                    if case .failure(let cause) = ALSA.prepare(pcm) { throw failure(cause, operation: "prepare after suspend") }
                    return
                }
            }
        default:
            throw failure(errno, operation: operation)
        }
    }

    /// Waits until the PCM can transfer or `deadline` passes: true when ready (or after a recovered xrun or
    /// suspend, so the caller tries again), false at the deadline.
    func waitReady(until deadline: ContinuousClock.Instant, operation: String) throws(AudioError) -> Bool {
        let pcm = try openHandle(for: operation)
        switch ALSA.wait(pcm, until: deadline) {
        case .success(let ready): return ready
        case .failure(let errno) where errno == .xrun || errno == .suspended:
            try recover(from: errno, operation: operation, until: deadline)
            return true
        case .failure(let errno): throw failure(errno, operation: "wait")
        }
    }

    /// The instant `timeout` seconds from now; a negative or NaN timeout is now, and a huge one about 30 years.
    static func deadline(after timeout: Double) -> ContinuousClock.Instant {
        let seconds = timeout.isNaN ? 0 : min(max(timeout, 0), 1e9)
        return ContinuousClock.now + .seconds(seconds)
    }

    // MARK: Hardware parameters

    private static func configure(
        _ pcm: OpaquePointer, format: PCMStreamFormat, periodFrames: Int, periods: Int,
        fail: (AudioError.Cause, String, String, SystemErrno?) -> AudioError
    ) throws(AudioError) -> (periodFrames: Int, bufferFrames: Int) {
        let params: OpaquePointer
        switch ALSA.hardwareParameters(pcm) {
        case .success(let value): params = value
        case .failure(let errno): throw fail(.io(errno: errno.rawValue), "hw_params: any", ALSA.errorText(errno), errno)
        }
        defer { ALSA.freeHardwareParameters(params) }

        func unsupported(_ operation: String, _ errno: SystemErrno, _ reason: String) -> AudioError {
            fail(.unsupportedFormat, "hw_params: " + operation, reason, errno)
        }
        if case .failure(let errno) = ALSA.setInterleavedAccess(pcm, params) {
            throw unsupported("access", errno, "the device has no interleaved read/write access (RW_INTERLEAVED)")
        }
        if case .failure(let errno) = ALSA.setFormat(pcm, params, format.sample) {
            let offered = PCMSampleFormat.allCases.filter { ALSA.offers(pcm, params, $0) }.map(\.rawValue)
            throw unsupported("format", errno, "\(format.sample.rawValue) is not offered; the device offers "
                + (offered.isEmpty ? "none of S16_LE, S24_LE, S24_3LE, S32_LE, FLOAT_LE" : offered.joined(separator: ", ")))
        }
        let channels = ALSA.channelRange(params)
        if case .failure(let errno) = ALSA.setChannels(pcm, params, format.channels) {
            throw unsupported("channels", errno, "\(format.channels) channels requested; the device offers "
                + Self.rangeText(channels))
        }
        // A failure here only means the PCM has no resampler to turn off (a hw device).
        _ = ALSA.disableResampling(pcm, params)
        let rates = ALSA.rateRange(params)
        if case .failure(let errno) = ALSA.setRate(pcm, params, format.sampleRate) {
            let nearest = ALSA.nearestRate(pcm, params, to: format.sampleRate).map { ", nearest \($0) Hz" } ?? ""
            throw unsupported("rate", errno, "\(format.sampleRate) Hz requested; the device offers \(Self.rangeText(rates)) Hz"
                + nearest + " (libasound resampling is off: it would alter what is measured)")
        }
        switch ALSA.setPeriodNear(pcm, params, periodFrames) {
        case .success: break
        case .failure(let errno): throw unsupported("period", errno, "a period of \(periodFrames) frames: \(ALSA.errorText(errno))")
        }
        let requestedBuffer = periodFrames * periods
        switch ALSA.setBufferNear(pcm, params, requestedBuffer) {
        case .success: break
        case .failure(let errno): throw unsupported("buffer", errno, "a buffer of \(requestedBuffer) frames: \(ALSA.errorText(errno))")
        }
        if case .failure(let errno) = ALSA.install(pcm, params) {
            throw fail(.unsupportedFormat, "hw_params", "installing \(format), period \(periodFrames), buffer \(requestedBuffer) "
                + "frames: \(ALSA.errorText(errno))", errno)
        }
        switch ALSA.installedSizes(pcm) {
        case .success(let sizes) where sizes.period >= 1 && sizes.buffer >= sizes.period:
            return (sizes.period, sizes.buffer)
        case .success(let sizes):
            throw fail(.unsupportedFormat, "hw_params", "the device set a period of \(sizes.period) and a buffer of "
                + "\(sizes.buffer) frames", nil)
        case .failure(let errno):
            throw fail(.io(errno: errno.rawValue), "hw_params: get", ALSA.errorText(errno), errno)
        }
    }

    private static func rangeText(_ range: ClosedRange<Int>) -> String {
        range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound)–\(range.upperBound)"
    }
}
