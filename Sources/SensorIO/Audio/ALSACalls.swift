// The only file in SensorIO that calls libasound (STYLE §2.2): thin functions over ALSA's PCM and configuration
// API (`<alsa/asoundlib.h>`, libasound 1.2). libasound reports failure as a negative errno, so every call goes
// through `valueOrErrno(convention: .negatedReturn)` (I2C/I2CSyscalls.swift). PCMs, hardware parameter sets and
// configuration trees arrive as `OpaquePointer`s; their owners are PCMStream and the functions below.
import CALSA
import Glibc

/// The errno values the PCM code classifies (ALSA's own codes are errno values too).
extension SystemErrno {
    /// An overrun (capture) or underrun (playback): the stream stopped and must be prepared again.
    static let xrun = SystemErrno(rawValue: EPIPE)
    /// The device was suspended (system sleep) and must be resumed.
    static let suspended = SystemErrno(rawValue: ESTRPIPE)
    /// The operation is not implemented, e.g. resume on a device that cannot.
    static let notImplemented = SystemErrno(rawValue: ENOSYS)
}

internal enum ALSA {
    /// What loading a configuration file failed at.
    enum ConfigurationFailure: Error {
        /// The file could not be opened.
        case unreadable(SystemErrno)
        /// libasound could not parse it (it prints the line and column to stderr).
        case unparsable(SystemErrno)
    }

    /// `snd_strerror(code)`: strerror for errno values, ALSA's text for its own codes.
    static func errorText(_ errno: SystemErrno) -> String {
        snd_strerror(errno.rawValue).map { String(cString: $0) } ?? "error \(errno.rawValue)"
    }

    /// `snd_asoundlib_version()`, e.g. "1.2.8".
    static func libraryVersion() -> String {
        snd_asoundlib_version().map { String(cString: $0) } ?? ""
    }

    // MARK: Configuration

    /// A configuration tree loaded from `path` alone: `snd_config_top`, `snd_input_stdio_open`,
    /// `snd_config_load`. Free it with `freeConfiguration` once the PCM is open (libasound copies what it keeps).
    static func loadConfiguration(path: String) -> Result<OpaquePointer, ConfigurationFailure> {
        var top: OpaquePointer?
        if case .failure(let errno) = valueOrErrno(convention: .negatedReturn, { snd_config_top(&top) }) {
            return .failure(.unparsable(errno))
        }
        guard let top else { return .failure(.unparsable(.invalidArgument)) }
        var input: OpaquePointer?
        let opened = path.withCString { cPath in
            valueOrErrno(convention: .negatedReturn) { snd_input_stdio_open(&input, cPath, "r") }
        }
        guard case .success = opened, let input else {
            freeConfiguration(top)
            if case .failure(let errno) = opened { return .failure(.unreadable(errno)) }
            return .failure(.unreadable(.noSuchFileOrDirectory))
        }
        defer { snd_input_close(input) }
        if case .failure(let errno) = valueOrErrno(convention: .negatedReturn, { snd_config_load(top, input) }) {
            freeConfiguration(top)
            return .failure(.unparsable(errno))
        }
        return .success(top)
    }

    /// Whether `configuration` defines `pcm.<name>` (`snd_config_search`); `name` is the part of a PCM name
    /// before its arguments (`chamber` of `chamber:1`).
    static func definesPCM(_ configuration: OpaquePointer, named name: String) -> Bool {
        var node: OpaquePointer?
        return ("pcm." + name).withCString { snd_config_search(configuration, $0, &node) } == 0
    }

    /// `snd_config_delete(config)`.
    static func freeConfiguration(_ config: OpaquePointer) {
        snd_config_delete(config)
    }

    // MARK: Opening

    /// `snd_pcm_open(name, stream, SND_PCM_NONBLOCK)` on the global configuration, or `snd_pcm_open_lconf` on
    /// `configuration`. Non-blocking, so that every read and write waits in `wait(_:until:)`, which has a deadline.
    static func open(name: String, direction: PCMDirection, configuration: OpaquePointer?) -> Result<OpaquePointer, SystemErrno> {
        var pcm: OpaquePointer?
        let stream = direction == .capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK
        let mode = Int32(SND_PCM_NONBLOCK)
        let result = name.withCString { cName in
            valueOrErrno(convention: .negatedReturn) {
                if let configuration {
                    snd_pcm_open_lconf(&pcm, cName, stream, mode, configuration)
                } else {
                    snd_pcm_open(&pcm, cName, stream, mode)
                }
            }
        }
        return result.flatMap { _ in pcm.map { .success($0) } ?? .failure(.noSuchDevice) }
    }

    /// `snd_pcm_close(pcm)`. Its error is dropped: the handle is freed either way.
    static func close(_ pcm: OpaquePointer) {
        _ = snd_pcm_close(pcm)
    }

    /// Whether the PCM is ALSA's `file` plugin (`snd_pcm_type(pcm) == SND_PCM_TYPE_FILE`).
    static func isFilePlugin(_ pcm: OpaquePointer) -> Bool {
        snd_pcm_type(pcm) == SND_PCM_TYPE_FILE
    }

    // MARK: Hardware parameters

    /// `snd_pcm_hw_params_malloc` then `snd_pcm_hw_params_any(pcm, params)`: the full configuration space.
    static func hardwareParameters(_ pcm: OpaquePointer) -> Result<OpaquePointer, SystemErrno> {
        var params: OpaquePointer?
        return valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_malloc(&params) }.flatMap { _ in
            guard let params else { return .failure(.invalidArgument) }
            return valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_any(pcm, params) }
                .map { _ in params }
                .mapError { errno in snd_pcm_hw_params_free(params); return errno }
        }
    }

    /// `snd_pcm_hw_params_free(params)`.
    static func freeHardwareParameters(_ params: OpaquePointer) {
        snd_pcm_hw_params_free(params)
    }

    /// `snd_pcm_hw_params_set_access(…, SND_PCM_ACCESS_RW_INTERLEAVED)`.
    static func setInterleavedAccess(_ pcm: OpaquePointer, _ params: OpaquePointer) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_set_access(pcm, params, SND_PCM_ACCESS_RW_INTERLEAVED) }.map { _ in }
    }

    /// `snd_pcm_hw_params_test_format`: whether the space still holds `format`.
    static func offers(_ pcm: OpaquePointer, _ params: OpaquePointer, _ format: PCMSampleFormat) -> Bool {
        snd_pcm_hw_params_test_format(pcm, params, alsaFormat(format)) == 0
    }

    /// `snd_pcm_hw_params_set_format`.
    static func setFormat(_ pcm: OpaquePointer, _ params: OpaquePointer, _ format: PCMSampleFormat) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_set_format(pcm, params, alsaFormat(format)) }.map { _ in }
    }

    /// `snd_pcm_hw_params_get_channels_min/max`.
    static func channelRange(_ params: OpaquePointer) -> ClosedRange<Int> {
        var low: UInt32 = 0, high: UInt32 = 0
        _ = snd_pcm_hw_params_get_channels_min(params, &low)
        _ = snd_pcm_hw_params_get_channels_max(params, &high)
        return Int(low)...Int(max(low, high))
    }

    /// `snd_pcm_hw_params_set_channels`.
    static func setChannels(_ pcm: OpaquePointer, _ params: OpaquePointer, _ channels: Int) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_set_channels(pcm, params, UInt32(clamping: channels)) }.map { _ in }
    }

    /// `snd_pcm_hw_params_set_rate_resample(…, 0)`: no rate conversion inside libasound, whose resampler would
    /// add its own response to every measurement.
    static func disableResampling(_ pcm: OpaquePointer, _ params: OpaquePointer) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_set_rate_resample(pcm, params, 0) }.map { _ in }
    }

    /// `snd_pcm_hw_params_get_rate_min/max`: the whole rates in the space, Hz. ALSA's bounds can be open (a
    /// direction of +1 on the minimum or −1 on the maximum: the rate lies just inside), e.g. 44100–44101⁻ for a
    /// slave fixed at 44.1 kHz; an open bound moves one hertz inwards.
    static func rateRange(_ params: OpaquePointer) -> ClosedRange<Int> {
        var low: UInt32 = 0, high: UInt32 = 0
        var lowDirection: Int32 = 0, highDirection: Int32 = 0
        _ = snd_pcm_hw_params_get_rate_min(params, &low, &lowDirection)
        _ = snd_pcm_hw_params_get_rate_max(params, &high, &highDirection)
        let lower = Int(low) + (lowDirection > 0 ? 1 : 0)
        let upper = Int(high) - (highDirection < 0 ? 1 : 0)
        return lower...max(lower, upper)
    }

    /// The rate the device would pick for `rate`: `snd_pcm_hw_params_set_rate_near` on a copy of `params`.
    static func nearestRate(_ pcm: OpaquePointer, _ params: OpaquePointer, to rate: Int) -> Int? {
        var copy: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&copy) == 0, let copy else { return nil }
        defer { snd_pcm_hw_params_free(copy) }
        snd_pcm_hw_params_copy(copy, params)
        var value = UInt32(clamping: rate)
        var direction: Int32 = 0
        return snd_pcm_hw_params_set_rate_near(pcm, copy, &value, &direction) == 0 ? Int(value) : nil
    }

    /// `snd_pcm_hw_params_set_rate(…, rate, 0)`: exactly `rate`, or an error.
    static func setRate(_ pcm: OpaquePointer, _ params: OpaquePointer, _ rate: Int) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_set_rate(pcm, params, UInt32(clamping: rate), 0) }.map { _ in }
    }

    /// `snd_pcm_hw_params_set_period_size_near`: the period the device chose.
    static func setPeriodNear(_ pcm: OpaquePointer, _ params: OpaquePointer, _ frames: Int) -> Result<Int, SystemErrno> {
        var value = snd_pcm_uframes_t(frames)
        var direction: Int32 = 0
        return valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_set_period_size_near(pcm, params, &value, &direction) }
            .map { _ in Int(value) }
    }

    /// `snd_pcm_hw_params_set_buffer_size_near`: the buffer the device chose.
    static func setBufferNear(_ pcm: OpaquePointer, _ params: OpaquePointer, _ frames: Int) -> Result<Int, SystemErrno> {
        var value = snd_pcm_uframes_t(frames)
        return valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params_set_buffer_size_near(pcm, params, &value) }
            .map { _ in Int(value) }
    }

    /// `snd_pcm_hw_params(pcm, params)`: installs the parameters and prepares the stream.
    static func install(_ pcm: OpaquePointer, _ params: OpaquePointer) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_hw_params(pcm, params) }.map { _ in }
    }

    /// `snd_pcm_get_params(pcm)`: the installed buffer and period sizes, frames.
    static func installedSizes(_ pcm: OpaquePointer) -> Result<(buffer: Int, period: Int), SystemErrno> {
        var buffer: snd_pcm_uframes_t = 0, period: snd_pcm_uframes_t = 0
        return valueOrErrno(convention: .negatedReturn) { snd_pcm_get_params(pcm, &buffer, &period) }
            .map { _ in (Int(buffer), Int(period)) }
    }

    // MARK: Transfers

    /// `snd_pcm_readi(pcm, buffer, frames)`: the frames read, fewer when fewer were ready, EAGAIN when none.
    static func readInterleaved(_ pcm: OpaquePointer, into buffer: UnsafeMutableRawPointer, frames: Int) -> Result<Int, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_readi(pcm, buffer, snd_pcm_uframes_t(frames)) }
    }

    /// `snd_pcm_writei(pcm, buffer, frames)`: the frames written, fewer when the buffer filled, EAGAIN when full.
    static func writeInterleaved(_ pcm: OpaquePointer, from buffer: UnsafeRawPointer, frames: Int) -> Result<Int, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_writei(pcm, buffer, snd_pcm_uframes_t(frames)) }
    }

    /// `snd_pcm_wait(pcm, ms)` until `deadline`: true when the PCM is ready, false at the deadline. An interrupted
    /// wait resumes with the time that is left. EPIPE and ESTRPIPE report an xrun and a suspend.
    static func wait(_ pcm: OpaquePointer, until deadline: ContinuousClock.Instant) -> Result<Bool, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { () -> Int32 in
            let left = ContinuousClock.now.duration(to: deadline)
            let (seconds, attoseconds) = left.components
            // Round up, so the wait never ends just before the deadline and is called again with 0 ms.
            let attosecondsPerMillisecond: Int64 = 1_000_000_000_000_000
            let milliseconds = left <= .zero ? 0
                : Int32(clamping: seconds * 1000 + (attoseconds + attosecondsPerMillisecond - 1) / attosecondsPerMillisecond)
            return snd_pcm_wait(pcm, milliseconds)
        }.map { $0 > 0 }
    }

    /// `snd_pcm_prepare(pcm)`: after an xrun, makes the stream startable again.
    static func prepare(_ pcm: OpaquePointer) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_prepare(pcm) }.map { _ in }
    }

    /// `snd_pcm_resume(pcm)`: after a suspend; EAGAIN while the device is still waking, ENOSYS when it cannot
    /// resume (prepare it instead).
    static func resume(_ pcm: OpaquePointer) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_resume(pcm) }.map { _ in }
    }

    /// `snd_pcm_drain(pcm)`: plays out what is buffered. In non-blocking mode it returns EAGAIN while draining.
    static func drain(_ pcm: OpaquePointer) -> Result<Void, SystemErrno> {
        valueOrErrno(convention: .negatedReturn) { snd_pcm_drain(pcm) }.map { _ in }
    }

    /// `snd_pcm_state(pcm) == SND_PCM_STATE_DRAINING`.
    static func isDraining(_ pcm: OpaquePointer) -> Bool {
        snd_pcm_state(pcm) == SND_PCM_STATE_DRAINING
    }

    // MARK: Formats

    /// The `snd_pcm_format_t` of a sample format.
    private static func alsaFormat(_ format: PCMSampleFormat) -> snd_pcm_format_t {
        switch format {
        case .s16: SND_PCM_FORMAT_S16_LE
        case .s24: SND_PCM_FORMAT_S24_LE
        case .s24Packed: SND_PCM_FORMAT_S24_3LE
        case .s32: SND_PCM_FORMAT_S32_LE
        case .float32: SND_PCM_FORMAT_FLOAT_LE
        }
    }
}
