import Dispatch
import Foundation
import SensorIO
import Synchronization

/// Feeds the simulated acoustic chamber's PCM into a FIFO, so that the daemon captures it through the real ALSA path:
/// ALSA's `file` plugin, configured by `alsaConfiguration(pcmName:)`, reads the FIFO as the capture data of a `null`
/// device (DESIGN.md §3, SensorSim).
///
/// **Thread.** The feed writes from a `Thread` of its own, never the Swift concurrency pool: it renders a batch of
/// chunks, encodes it in the stream format (`PCMSampleFormat.encode`, which rounds and saturates like an ADC),
/// writes its chunks one after the other, and blocks in `poll` while the pipe is full. That is the flow control: the
/// reader paces the feed, and the chamber's clock (its frame count) runs at most one pipe plus one batch ahead of
/// what the reader has taken.
///
/// **Batches.** A reader that keeps up waits in `read(2)` on an empty pipe, and every write into an empty pipe wakes
/// it. Chunk by chunk, that was a wake-up and a context switch on both threads per 4 KiB (a tenth of the acoustic
/// run); written back to back from a rendered batch, the chunks that follow the waking one are in the pipe by the time
/// the reader runs, and one wake-up delivers several. A batch is as many whole chunks as make about 20 ms
/// (`batchDuration`, at least one chunk).
///
/// **Pipe size.** The pipe is at most `pipeDuration` (0.12 s) of frames (`latencyCapacity(for:)`). A microphone run
/// reads 4 096 frames at a time (110 KiB of the representative S24_3LE × 9 stream); a pipe of 20 ms made the reader
/// sleep and be woken three or four times per read, and each wake-up on the other core cost tens of µs in this VM.
/// A 128 KiB pipe holds a whole read, which the feed fills while the reader analyses the previous one. So the
/// chamber's clock leads its reader by at most 0.12 s + one batch = 0.14 s: a source change is heard that much
/// later on the chamber's clock, inside a run's settling time with room to spare (acoustic.md §5.12: ≥ 0.5 s is
/// dropped; a test keeps the lead under 0.15 s).
///
/// **Whole frames.** Each write is a chunk of whole frames of at most 4096 bytes, PIPE_BUF on Linux, so it is atomic
/// (pipe(7)): the pipe always holds a whole number of frames, and a reader whose request is whole frames, as the
/// file plugin's `read(2)` of n·frame bytes is, always gets whole frames, never a frame cut in two.
///
/// **Short reads.** A pipe's `read(2)` returns what is there without waiting for more. The file plugin makes one
/// `read(2)` per `snd_pcm_readi` (alsa-lib pcm_file.c) and its `null` slave never waits (pcm_null.c: its `avail` is
/// always the whole buffer), so a capture that reads faster than the feed writes gets fewer frames than it asked
/// for while `snd_pcm_readi` still reports them all: the rest of its buffer keeps old data, and nothing in ALSA
/// tells it (unchecked, a capture ran ahead of the feed within the first 1 536 frames). `PCMCapture` therefore
/// checks which frames the plugin really wrote (a fill pattern) and reads on for the rest; the frames not yet
/// read stay in the pipe, so the stream stays whole and the reader may run as fast as the feed renders.
///
/// **Stopping.** The FIFO is opened read-write and non-blocking (Linux): opening never waits for a reader, writes
/// never meet EPIPE or SIGPIPE, and a writer waiting on a full pipe waits in `poll` together with a wake-up pipe that
/// `stop()` writes to, so `stop()` always releases it. Once stopped the feed closes the FIFO (a reader then drains
/// what is left and reads end-of-file) and removes its name.
public final class ChamberFeed: Sendable {
    /// The feed could not be set up, or its writer failed.
    public struct FeedError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The FIFO concerned.
        public var path: String
        public var reason: String
        public var description: String { "chamber feed \(path): \(reason)" }
    }

    public let chamber: AcousticChamber
    public let format: PCMStreamFormat
    /// The FIFO the feed writes and ALSA's file plugin reads: `folder/name.fifo`.
    public let fifoPath: String
    /// Frames per write: as many whole frames as fit in 4096 bytes (PIPE_BUF).
    public let framesPerWrite: Int
    /// Writes per rendered batch: as many as make `batchDuration`, at least one.
    public let writesPerBatch: Int
    /// The pipe's capacity in bytes (64 KiB unless set): how far the feed can run ahead of its reader.
    public let pipeCapacity: Int

    private let loop: FeedLoop
    private let phase = Mutex(Phase.ready)
    private let finished = DispatchSemaphore(value: 0)

    private enum Phase { case ready, running, stopped }

    /// The writing thread's name, also for the kernel.
    public static let threadName = "chamber feed"

    /// How long `stop()` waits for the writing thread, s. The thread waits only in `poll` on the wake-up pipe too,
    /// so only a bug can exhaust this.
    static let stopTimeout = 10.0

    /// Creates the FIFO `folder/name.fifo` and opens it; `start()` starts writing.
    ///
    /// - Parameters:
    ///   - chamber: the chamber to render; its sample rate and channel count must be the format's.
    ///   - format: how the samples are encoded, e.g. S24_LE, 48 000 Hz, 4 channels.
    ///   - folder: an existing folder for the FIFO (a temporary folder in tests).
    ///   - name: the FIFO's name without its `.fifo` suffix; no slash.
    ///   - pipeCapacity: the pipe capacity to ask for, bytes, or nil for `latencyCapacity(for:)`: at most 0.12 s of
    ///     frames. The pipe is how far the feed runs ahead of its reader, so it is how late the reader hears a source
    ///     change: the kernel's 64 KiB would be a whole second of 16-bit stereo at 16 kHz, longer than a run settles.
    /// - Throws: `FeedError` when the format does not match the chamber, a frame exceeds 4096 bytes, the name is
    ///   not a file name, or the FIFO cannot be made (it exists already, the folder is missing…) or opened.
    public init(chamber: AcousticChamber, format: PCMStreamFormat, folder: String, name: String = "acoustic-chamber",
                pipeCapacity requestedCapacity: Int? = nil) throws(FeedError) {
        let path = (folder.hasSuffix("/") ? folder : folder + "/") + name + ".fifo"
        func failure(_ reason: String) -> FeedError { FeedError(path: path, reason: reason) }
        guard !name.isEmpty, !name.contains("/") else {
            throw failure("the FIFO name \"\(name)\" must be a non-empty file name without '/'")
        }
        guard format.channels == chamber.channelCount else {
            throw failure("the stream has \(format.channels) channels but the chamber \(chamber.channelCount)")
        }
        guard Double(format.sampleRate) == chamber.sampleRate else {
            throw failure("the stream runs at \(format.sampleRate) Hz but the chamber at \(chamber.sampleRate) Hz")
        }
        guard format.bytesPerFrame <= ChamberFeedSyscalls.atomicWriteLimit else {
            throw failure("a frame of \(format.bytesPerFrame) bytes (\(format)) exceeds PIPE_BUF, "
                + "\(ChamberFeedSyscalls.atomicWriteLimit) bytes, so it could not be written atomically")
        }
        func explain(_ operation: String, _ errno: Int32) -> FeedError {
            failure("\(operation): \(ChamberFeedSyscalls.errorText(errno))")
        }

        if case .failure(let error) = ChamberFeedSyscalls.makeFIFO(path) { throw explain("mkfifo", error.errno) }
        let fifo: Int32
        switch ChamberFeedSyscalls.openFIFO(path) {
        case .success(let fd): fifo = fd
        case .failure(let error):
            ChamberFeedSyscalls.unlink(path)
            throw explain("open", error.errno)
        }
        func abandon(_ error: FeedError) -> FeedError {
            ChamberFeedSyscalls.close(fifo)
            ChamberFeedSyscalls.unlink(path)
            return error
        }
        let requested = requestedCapacity ?? Self.latencyCapacity(for: format)
        if case .failure(let error) = ChamberFeedSyscalls.setPipeCapacity(fifo, bytes: requested) {
            throw abandon(explain("fcntl(F_SETPIPE_SZ, \(requested))", error.errno))
        }
        let capacity: Int
        switch ChamberFeedSyscalls.pipeCapacity(fifo) {
        case .success(let bytes): capacity = bytes
        case .failure(let error): throw abandon(explain("fcntl(F_GETPIPE_SZ)", error.errno))
        }
        let wake: (read: Int32, write: Int32)
        switch ChamberFeedSyscalls.makeWakePipe() {
        case .success(let ends): wake = ends
        case .failure(let error): throw abandon(explain("pipe", error.errno))
        }

        self.chamber = chamber
        self.format = format
        fifoPath = path
        framesPerWrite = ChamberFeedSyscalls.atomicWriteLimit / format.bytesPerFrame
        writesPerBatch = max(1, Int(Self.batchDuration * Double(format.sampleRate)) / framesPerWrite)
        pipeCapacity = capacity
        loop = FeedLoop(chamber: chamber, sample: format.sample, framesPerWrite: framesPerWrite,
                        writesPerBatch: writesPerBatch, path: path, fifo: fifo, wakeRead: wake.read, wakeWrite: wake.write)
    }

    /// How much the feed renders at once, s: about as long as the pipe holds, so the chamber's lead over its reader
    /// at most doubles (`ChamberFeed`, "Batches").
    public static let batchDuration = 0.02

    deinit { stop() }

    /// The largest pipe the kernel makes (a power of two of 4096-byte pages) that holds at most `pipeDuration` of
    /// `format`'s frames, in bytes; at least one page, the kernel's smallest pipe. Rounded down, not up: the kernel
    /// would round a request up, to as much as twice the duration (`ChamberFeed`, "Pipe size").
    public static func latencyCapacity(for format: PCMStreamFormat) -> Int {
        let budget = Int(pipeDuration * Double(format.bytesPerFrame * format.sampleRate))
        var capacity = ChamberFeedSyscalls.atomicWriteLimit
        while capacity * 2 <= budget { capacity *= 2 }
        return capacity
    }

    /// The most the pipe holds, s of frames: enough for a microphone run's 4 096-frame read of the representative
    /// stream, little against a run's settling time (`ChamberFeed`, "Pipe size").
    public static let pipeDuration = 0.12

    /// Starts the writing thread. Calling it again, or after `stop()`, does nothing.
    public func start() {
        let first = phase.withLock { phase in
            guard phase == .ready else { return false }
            phase = .running
            return true
        }
        guard first else { return }
        let loop = self.loop
        let finished = self.finished
        let thread = Thread {
            // Named so that `make bench` can tell the simulator's rendering from the daemon's own work.
            ChamberFeedSyscalls.markAsSimulator(named: Self.threadName)
            loop.run()
            finished.signal()
        }
        thread.name = Self.threadName
        thread.start()
    }

    /// Stops writing, joins the thread, closes the FIFO and removes its name. A reader that has it open still
    /// drains the frames in the pipe, then reads end-of-file. Calling it again does nothing.
    public func stop() {
        let previous = phase.withLock { phase in
            defer { phase = .stopped }
            return phase
        }
        switch previous {
        case .stopped: return
        case .ready: break
        case .running:
            loop.requestStop()
            let joined = finished.wait(timeout: .now() + Self.stopTimeout) == .success
            precondition(joined, "the chamber feed's thread did not stop within \(Self.stopTimeout) s")
        }
        loop.close()
        ChamberFeedSyscalls.unlink(fifoPath)
    }

    /// Whether the writing thread has been started and not stopped.
    public var isRunning: Bool { phase.withLock { $0 == .running } }

    /// Frames written into the FIFO so far, whole chunks only: frames in the pipe plus frames read from it.
    public var framesWritten: Int { loop.written.load(ordering: .acquiring) }

    /// Why the writer ended early, if it did (a write or poll error); nil while it runs or after a clean stop.
    public var failure: FeedError? { loop.failure.withLock { $0 } }

    /// The text of a self-contained ALSA configuration file (for `ALSA_CONFIG_PATH`, or to include) that defines
    /// the capture PCM `pcmName` reading this feed: a `file` PCM (alsa-lib pcm_file.c: `slave`, `file`, `infile`,
    /// `format`) whose `null` slave supplies an endless device, `infile` the FIFO (raw frames only), and `file`, where
    /// the plugin also writes what passes through it, /dev/null. Open it for capture with exactly `format`: the
    /// plugin converts nothing and the null slave accepts any format.
    public func alsaConfiguration(pcmName: String) -> String {
        """
        # SensorQual simulated acoustic chamber: capture PCM "\(pcmName)" reads raw \(format) frames from the
        # chamber feed's FIFO. Open it for capture in exactly that format.
        pcm.\(Self.configurationKey(pcmName)) {
            type file
            slave.pcm {
                type null
            }
            file "/dev/null"
            infile "\(Self.configurationEscaped(fifoPath))"
            format "raw"
        }

        """
    }

    /// An ALSA configuration key: bare when it is letters, digits, '_' and '-', else a quoted string.
    private static func configurationKey(_ name: String) -> String {
        let bare = !name.isEmpty && name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
        return bare ? name : "\"\(configurationEscaped(name))\""
    }

    /// A string's text inside double quotes of an ALSA configuration: backslash and quote escaped.
    private static func configurationEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}

/// The writing thread's loop and the descriptors it shares with `stop()`.
private final class FeedLoop: Sendable {
    let chamber: AcousticChamber
    let sample: PCMSampleFormat
    let framesPerWrite: Int
    let writesPerBatch: Int
    let path: String
    let fifo: Int32
    let wakeRead: Int32
    let wakeWrite: Int32
    let written = Atomic<Int>(0)
    let failure = Mutex<ChamberFeed.FeedError?>(nil)
    /// Set by `requestStop()`: the loop looks at it before every chunk, the wake-up pipe wakes it while it waits.
    let stopping = Atomic<Bool>(false)

    init(chamber: AcousticChamber, sample: PCMSampleFormat, framesPerWrite: Int, writesPerBatch: Int, path: String,
         fifo: Int32, wakeRead: Int32, wakeWrite: Int32) {
        self.chamber = chamber
        self.sample = sample
        self.framesPerWrite = framesPerWrite
        self.writesPerBatch = writesPerBatch
        self.path = path
        self.fifo = fifo
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
    }

    /// Renders and encodes batches and writes their chunks until woken or a call fails.
    func run() {
        // One batch's bytes, reused. Each channel is rendered as one run of words and encoded straight into its
        // place in the interleaved frames: no interleaved buffer of Doubles in between.
        let frameBytes = chamber.channelCount * sample.bytesPerSample
        let chunkBytes = framesPerWrite * frameBytes
        var bytes = [UInt8](repeating: 0, count: writesPerBatch * chunkBytes)
        while !stopping.load(ordering: .acquiring) {
            bytes.withUnsafeMutableBytes { batch in
                chamber.render(frames: writesPerBatch * framesPerWrite) { channel, words in
                    sample.encode(buffer: words, into: batch.baseAddress! + channel * sample.bytesPerSample, stride: frameBytes)
                }
            }
            for chunk in 0..<writesPerBatch {
                // A stop drops the rest of the batch: what was written stays a prefix of the rendered stream.
                if chunk > 0 && stopping.load(ordering: .acquiring) { return }
                let outcome = bytes.withUnsafeBytes { batch in
                    ChamberFeedSyscalls.write(UnsafeRawBufferPointer(rebasing: batch[(chunk * chunkBytes)..<((chunk + 1) * chunkBytes)]),
                                              to: fifo, unlessWoken: wakeRead)
                }
                switch outcome {
                case .written:
                    written.wrappingAdd(framesPerWrite, ordering: .releasing)
                case .woken:
                    return
                case .failed(let operation, let errno):
                    let error = ChamberFeed.FeedError(path: path,
                                                      reason: "\(operation): \(ChamberFeedSyscalls.errorText(errno))")
                    failure.withLock { $0 = error }
                    return
                }
            }
        }
    }

    /// Wakes the loop wherever it waits; it returns before its next write.
    func requestStop() {
        stopping.store(true, ordering: .releasing)
        ChamberFeedSyscalls.wake(wakeWrite)
    }

    /// Closes the FIFO and the wake-up pipe; only once the loop has returned, or was never started.
    func close() {
        ChamberFeedSyscalls.close(fifo)
        ChamberFeedSyscalls.close(wakeRead)
        ChamberFeedSyscalls.close(wakeWrite)
    }
}
