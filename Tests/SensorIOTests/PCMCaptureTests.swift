import Foundation
import Glibc
@testable import SensorIO
import Testing

/// PCMCapture through the real libasound: ALSA's `file` plugin with a `null` slave reads a prepared raw file or a
/// FIFO as if it were a sound card (no hardware, no ~/.asoundrc). What the plugin does at the end of its input
/// (libasound 1.2.8, measured): `snd_pcm_readi` keeps reporting full reads and leaves the buffer untouched; see
/// PCMCapture's documentation for how `read` tells and why it ends with `.endOfInput`.
@Suite("PCM capture")
struct PCMCaptureTests {
    /// One prepared stream: sample format and channel count.
    struct StreamCase: Sendable, CustomTestStringConvertible {
        var sample: PCMSampleFormat
        var channels: Int
        var bits: Int { sample.significantBits }
        var testDescription: String { "\(sample.rawValue) × \(channels) ch" }
    }

    static let streams = [
        StreamCase(sample: .s32, channels: 2), StreamCase(sample: .s32, channels: 8),
        StreamCase(sample: .s16, channels: 2), StreamCase(sample: .s16, channels: 8),
    ]

    @Test("a raw infile comes out bit-exact, in order, deinterleaved right, and its end is .endOfInput", arguments: streams)
    func rawInfile(_ stream: StreamCase) throws {
        let folder = try ScratchFolder("pcm-raw")
        defer { folder.remove() }
        // 5000 frames: not a whole number of 1024-frame periods, so the last request of a read is a short one.
        let frames = 5000
        let codes = FilePluginConfiguration.codes(bits: stream.bits, count: frames * stream.channels,
                                                  seed: UInt64(stream.channels * 100 + stream.bits))
        let infile = try folder.write(FilePluginConfiguration.rawBytes(codes, bytesPerSample: stream.bits / 8), to: "in.raw")
        let configuration = try folder.write(FilePluginConfiguration.capture(infile: infile), to: "asound.conf")
        let format = PCMStreamFormat(sample: stream.sample, sampleRate: 48_000, channels: stream.channels)
        let capture = try PCMCapture(device: "chamber", configurationFile: configuration, format: format)
        defer { capture.close() }
        #expect(capture.periodFrames == 1024)
        #expect(capture.bufferFrames == 4096)

        let fullScale = Double(Int64(1) << (stream.bits - 1))
        let expected = codes.map { Double($0) / fullScale }
        var offset = 0
        var firstBlock: PCMBlock?
        for count in [1500, 1500, 1500, 500] {
            let block = try capture.read(frames: count, timeout: 5)
            if firstBlock == nil { firstBlock = block }
            #expect(block.format == format)
            #expect(block.frames == count)
            let want = Array(expected[(offset * stream.channels)..<((offset + count) * stream.channels)])
            #expect(block.interleaved == want, "frames \(offset)..<\(offset + count) differ")
            for channel in [0, stream.channels - 1] {
                let wantChannel = stride(from: channel, to: want.count, by: stream.channels).map { want[$0] }
                #expect(block.channel(channel) == wantChannel, "channel \(channel) of frames \(offset)..<\(offset + count)")
            }
            offset += count
        }
        #expect(capture.framesRead == Int64(frames))
        #expect(capture.xruns == 0)
        // The extremes lead the file (−FS on channel 0, the most positive code on channel 1): both count as clipped.
        let lowest = Int32(truncatingIfNeeded: -(Int64(1) << (stream.bits - 1))), highest = Int32((Int64(1) << (stream.bits - 1)) - 1)
        let clipped = (0..<stream.channels).map { channel in
            stride(from: channel, to: 1500 * stream.channels, by: stream.channels).filter { [lowest, highest].contains(codes[$0]) }.count
        }
        #expect(clipped[0] >= 1 && clipped[1] >= 1)
        #expect(firstBlock?.clippedSamples == clipped)

        // Past the end the plugin would hand back stale memory forever; read ends at once instead.
        let started = ContinuousClock.now
        let error = #expect(throws: AudioError.self) { _ = try capture.read(frames: 100, timeout: 5) }
        #expect(error?.cause == .endOfInput)
        #expect(error?.description == "ALSA capture \"chamber\" (configuration \(configuration)): readi failed: the file plugin's "
            + "infile ended after 5000 frames (end of file, or every FIFO writer closed); 0 of 100 frames of this read arrived")
        #expect(ContinuousClock.now - started < .seconds(1), "no waiting for the deadline")
    }

    @Test("a FIFO fed by a writer thread in whole-frame writes of at most PIPE_BUF arrives bit-exact, then .endOfInput",
          arguments: [StreamCase(sample: .s32, channels: 8), StreamCase(sample: .s16, channels: 2)])
    func fifoInfile(_ stream: StreamCase) throws {
        let folder = try ScratchFolder("pcm-fifo")
        defer { folder.remove() }
        let frames = 12_000
        let frameBytes = stream.channels * stream.bits / 8
        let codes = FilePluginConfiguration.codes(bits: stream.bits, count: frames * stream.channels, seed: 0xF1F0 + UInt64(frameBytes))
        let payload = FilePluginConfiguration.rawBytes(codes, bytesPerSample: stream.bits / 8)
        let fifo = folder.file("chamber.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let configuration = try folder.write(FilePluginConfiguration.capture(infile: fifo), to: "asound.conf")

        // Opening a FIFO for reading blocks until it has a writer, and the plugin opens its infile inside
        // PCMCapture.init: hold a read-write placeholder so that open returns, then swap in a write-only end,
        // so the reader sees end of file when the writer closes (and the writer EPIPE if the reader goes first).
        signal(SIGPIPE, SIG_IGN)
        let placeholder = open(fifo, O_RDWR | O_CLOEXEC)
        #expect(placeholder >= 0)
        let capture: PCMCapture
        do {
            capture = try PCMCapture(device: "chamber", configurationFile: configuration,
                                     format: PCMStreamFormat(sample: stream.sample, sampleRate: 48_000, channels: stream.channels))
        } catch {
            close(placeholder)
            throw error
        }
        let writeEnd = open(fifo, O_WRONLY | O_CLOEXEC)
        close(placeholder)
        #expect(writeEnd >= 0)

        // Writes of at most PIPE_BUF bytes are atomic, and each holds whole frames, so the pipe never holds a
        // partial frame: a read(2) of the plugin, which asks for a period (up to 32 KiB here) and takes what is
        // there, always ends on a frame boundary. libasound drops the bytes of a partial frame, which would shift
        // every later sample into the wrong channel. The sizes vary, and the writer often waits for the pipe to
        // empty, to give the reader short reads of many sizes, which PCMCapture must continue without a gap.
        let writer = FIFOWriter(fd: writeEnd, payload: payload, frameBytes: frameBytes)
        writer.start()
        defer {
            capture.close()   // A writer still blocked on a full pipe then gets EPIPE and stops.
            writer.waitUntilDone()
        }

        let fullScale = Double(Int64(1) << (stream.bits - 1))
        var received: [Double] = []
        for _ in 0..<5 { received += try capture.read(frames: frames / 5, timeout: 10).interleaved }
        #expect(received == codes.map { Double($0) / fullScale }, "the FIFO's frames differ")
        #expect(capture.framesRead == Int64(frames))
        #expect(capture.fileInputShortReads > 0, "the writer's pauses gave the reader short reads to continue")

        writer.waitUntilDone()
        #expect(writer.failure == nil)
        let end = #expect(throws: AudioError.self) { _ = try capture.read(frames: 1, timeout: 5) }
        #expect(end?.cause == .endOfInput)
    }

    // MARK: Errors

    @Test("a PCM the configuration file does not define is .deviceNotFound naming device and file")
    func unknownDevice() throws {
        let folder = try ScratchFolder("pcm-unknown")
        defer { folder.remove() }
        let infile = try folder.write([UInt8](repeating: 0, count: 64), to: "in.raw")
        let configuration = try folder.write(FilePluginConfiguration.capture(infile: infile), to: "asound.conf")
        let error = #expect(throws: AudioError.self) {
            _ = try PCMCapture(device: "chamber2", configurationFile: configuration,
                               format: PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 2))
        }
        #expect(error?.cause == .deviceNotFound)
        #expect(error?.operation == "open")
        #expect(error?.errno == ENOENT)
        #expect(error?.description == "ALSA capture \"chamber2\" (configuration \(configuration)): open failed: "
            + "No such file or directory (\(configuration) defines no pcm.chamber2)")

        let global = #expect(throws: AudioError.self) {
            _ = try PCMCapture(device: "sensorqual_no_such_pcm", format: PCMStreamFormat(sample: .s16, sampleRate: 48_000, channels: 2))
        }
        #expect(global?.cause == .deviceNotFound)
        #expect(global?.description.hasPrefix("ALSA capture \"sensorqual_no_such_pcm\": open failed: ") == true)
    }

    @Test("a missing infile is an open error that blames the PCM's file, not the PCM name")
    func missingInfile() throws {
        let folder = try ScratchFolder("pcm-noinfile")
        defer { folder.remove() }
        let configuration = try folder.write(FilePluginConfiguration.capture(infile: folder.file("gone.raw")), to: "asound.conf")
        let error = #expect(throws: AudioError.self) {
            _ = try PCMCapture(device: "chamber", configurationFile: configuration,
                               format: PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 2))
        }
        #expect(error?.cause == .io(errno: ENOENT))
        #expect(error?.description.contains("a file or device that pcm.chamber uses is missing") == true)
    }

    @Test("a configuration file with a syntax error, or none at all, is .configurationFile naming the file")
    func badConfigurationFile() throws {
        let folder = try ScratchFolder("pcm-badconf")
        defer { folder.remove() }
        let broken = try folder.write("pcm.chamber {\n    type file\n    slave.pcm { type null \n", to: "broken.conf")
        let format = PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 2)
        let error = #expect(throws: AudioError.self) { _ = try PCMCapture(device: "chamber", configurationFile: broken, format: format) }
        #expect(error?.cause == .configurationFile)
        #expect(error?.operation == "load configuration")
        #expect(error?.description.hasPrefix("ALSA capture \"chamber\" (configuration \(broken)): load configuration failed: "
            + "\(broken) is not a valid ALSA configuration (") == true)

        let missing = folder.file("absent.conf")
        let missingError = #expect(throws: AudioError.self) {
            _ = try PCMCapture(device: "chamber", configurationFile: missing, format: format)
        }
        #expect(missingError?.cause == .configurationFile)
        #expect(missingError?.reason == "cannot read \(missing): No such file or directory")
    }

    @Test("a rate the device cannot do exactly is refused with the rate it offers (no resampling)")
    func inexactRate() throws {
        let folder = try ScratchFolder("pcm-rate")
        defer { folder.remove() }
        // A plug over a null slave fixed at 44.1 kHz: only libasound's resampler could give 48 kHz, and it is off.
        let configuration = try folder.write("pcm.fixed {\n  type plug\n  slave { pcm { type null } rate 44100 }\n}\n", to: "asound.conf")
        let error = #expect(throws: AudioError.self) {
            _ = try PCMCapture(device: "fixed", configurationFile: configuration,
                               format: PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 2))
        }
        #expect(error?.cause == .unsupportedFormat)
        #expect(error?.operation == "hw_params: rate")
        #expect(error?.reason.hasPrefix("48000 Hz requested; the device offers 44100 Hz, nearest 44100 Hz") == true,
                "\(error?.reason ?? "no error")")
    }

    @Test("nonsense arguments are .invalidArgument before anything is opened; a closed capture reads .closed")
    func invalidArguments() throws {
        let format = PCMStreamFormat(sample: .s16, sampleRate: 48_000, channels: 0)
        #expect(throws: AudioError.self) { _ = try PCMCapture(device: "null", format: format) }
        let error = #expect(throws: AudioError.self) {
            _ = try PCMCapture(device: "null", format: PCMStreamFormat(sample: .s16, sampleRate: 48_000, channels: 2), periods: 1)
        }
        #expect(error?.cause == .invalidArgument)

        let folder = try ScratchFolder("pcm-closed")
        defer { folder.remove() }
        let infile = try folder.write([UInt8](repeating: 0, count: 4096), to: "in.raw")
        let configuration = try folder.write(FilePluginConfiguration.capture(infile: infile), to: "asound.conf")
        let capture = try PCMCapture(device: "chamber", configurationFile: configuration,
                                     format: PCMStreamFormat(sample: .s16, sampleRate: 48_000, channels: 2))
        capture.close()
        capture.close()
        let closed = #expect(throws: AudioError.self) { _ = try capture.read(frames: 1, timeout: 1) }
        #expect(closed?.cause == .closed)
    }
}

/// Writes a payload into a FIFO from its own thread, in whole-frame writes of 1 to PIPE_BUF bytes.
final class FIFOWriter: @unchecked Sendable {
    private let fd: Int32
    private let payload: [UInt8]
    private let frameBytes: Int
    private let done = DispatchSemaphore(value: 0)
    private var joined = false
    /// errno of a failed write, read after `waitUntilDone`.
    private(set) var failure: Int32?

    init(fd: Int32, payload: [UInt8], frameBytes: Int) {
        self.fd = fd
        self.payload = payload
        self.frameBytes = frameBytes
    }

    func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.start()
    }

    /// Blocks until the writer has closed its end; later calls return at once.
    func waitUntilDone() {
        guard !joined else { return }
        done.wait()
        joined = true
    }

    private func run() {
        defer { close(fd) }
        let maximumFrames = Int(PIPE_BUF) / frameBytes
        // Whole frames, sizes cycling through 1 frame, a few, and the PIPE_BUF maximum.
        let pattern = [maximumFrames, 1, 37, maximumFrames / 2, maximumFrames, 3].map { min(max($0, 1), maximumFrames) }
        var offset = 0, turn = 0
        while offset < payload.count {
            let count = min(pattern[turn % pattern.count] * frameBytes, payload.count - offset)
            turn += 1
            let written = payload.withUnsafeBytes { write(fd, $0.baseAddress! + offset, count) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = errno
                return
            }
            // A pipe write of at most PIPE_BUF bytes is all or nothing.
            offset += written
            // Every third write waits until the reader has taken everything, so its next read(2) finds less
            // than it asks for (a short read); in between, writes pile up into full reads.
            if turn % 3 == 0 && !waitUntilDrained() { return }
        }
    }

    /// Spins (yielding the CPU) until the pipe is empty: FIONREAD counts the unread bytes from either end.
    /// False when the reader has gone (POLLERR on the write end).
    private func waitUntilDrained() -> Bool {
        while true {
            var unread: Int32 = 0
            guard ioctl(fd, UInt(FIONREAD), &unread) == 0 else { failure = errno; return false }
            if unread == 0 { return true }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&entry, 1, 0) > 0 && entry.revents & Int16(POLLERR) != 0 { return false }
            sched_yield()
        }
    }
}
