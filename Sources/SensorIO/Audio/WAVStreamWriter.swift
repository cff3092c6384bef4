/// Writes a WAV file as its samples arrive, in bounded memory: the header goes first with the placeholder sizes of a
/// stream of unknown length (0xFFFFFFFF, as a writer to a pipe leaves them), the samples are encoded as they are
/// appended and written in blocks of `writeSize` bytes, and `finish()` writes the rest, the pad byte, and the header
/// with the real sizes. The finished file is the one `WAVFile.write` makes of the same samples, byte for byte; a file
/// never finished (the daemon killed mid-record) still reads back (`WAVFile.read`) as the samples written so far:
/// those appended up to the last whole block, or to the last `flush()`.
///
/// **Why blocks.** A microphone run appends 4 096 samples (12 KiB at 24 bits) per channel at a time. Written as they
/// come, the page cache handles them page by page; in 128 KiB writes ext4 takes them in large folios, and the kernel's
/// share of writing a recording falls to a third (measured with dd on the rig's ext4: 400 MiB in 12 KiB writes 0.36 s
/// of system time, in 128–256 KiB writes 0.13 s).
///
/// One owner at a time: a writer is not shared between threads.
public final class WAVStreamWriter {
    public let path: String
    /// The samples' format as given (`.s24` is stored packed, as in `WAVFile`).
    public let format: PCMStreamFormat
    /// Frames appended so far.
    public private(set) var frameCount = 0

    /// The size of the writes of samples, bytes: samples wait in memory until this many are encoded.
    public static let writeSize = 128 * 1024

    private let chunk: WAVFormatChunk
    private var descriptor: Int32?
    /// Encoded samples not written yet: fewer than `writeSize` bytes between calls.
    private var pending: [UInt8] = []

    /// Creates (or truncates) `path` and writes the header of an empty file.
    /// - Throws: `WAVError` for a format WAV cannot hold (channels, rate) or a failed open or write.
    public init(path: String, format: PCMStreamFormat) throws(WAVError) {
        self.path = path
        self.format = format
        chunk = WAVFormatChunk(storing: format)
        var header = try WAVFile.header(chunk, frameCount: 0, path: path)
        // RIFF and data sizes unknown yet: the reader then takes the data chunk to the end of the file.
        for offset in [4, header.count - 4] { header.replaceSubrange(offset..<(offset + 4), with: [0xFF, 0xFF, 0xFF, 0xFF]) }
        switch AudioFileSyscalls.create(path: path) {
        case .success(let fd): descriptor = fd
        case .failure(let failure): throw Self.error(failure, path: path)
        }
        try write(header, at: nil)
    }

    deinit {
        if let descriptor { AudioFileSyscalls.close(descriptor) }
    }

    /// Encodes and appends whole frames of interleaved samples (±1.0 full scale; rounded and saturated as
    /// `PCMSampleFormat.encode` does).
    public func append(_ interleaved: UnsafeBufferPointer<Double>) throws(WAVError) {
        guard interleaved.count % format.channels == 0 else {
            throw WAVError(path: path, reason: .invalidSamples(
                "\(interleaved.count) samples are not a whole number of \(format.channels)-channel frames"))
        }
        let frames = interleaved.count / format.channels
        // The size the header will state must fit RIFF's 32 bits; checked before anything is written.
        _ = try WAVFile.header(chunk, frameCount: frameCount + frames, path: path)
        if pending.capacity < Self.writeSize { pending.reserveCapacity(Self.writeSize + interleaved.count * chunk.sample.bytesPerSample) }
        chunk.sample.encode(buffer: interleaved, into: &pending)
        frameCount += frames
        if pending.count >= Self.writeSize { try flush() }
    }

    /// Appends channel `channel` of a captured block to this mono file. When the block kept the bytes the device
    /// delivered (`PCMBlock.delivered`) in the file's own sample format, the channel's bytes are copied as they are:
    /// the same bytes `append(_:)` would encode from the decoded samples (decoding and encoding an integer code
    /// gives it back), without the encode, which cost the microphone run as much as its Welch spectra. Otherwise the
    /// channel's samples are encoded.
    /// - Throws: `WAVError` when this file is not mono, the channel is not in the block, or a write fails.
    public func append(channel: Int, of block: PCMBlock) throws(WAVError) {
        guard format.channels == 1, (0..<block.format.channels).contains(channel) else {
            throw WAVError(path: path, reason: .invalidSamples(
                "channel \(channel) of a \(block.format.channels)-channel block cannot go into a \(format.channels)-channel file"))
        }
        let frames = block.frames
        let width = chunk.sample.bytesPerSample
        guard let delivered = block.delivered, block.format.sample == chunk.sample,
              delivered.count == frames * block.format.bytesPerFrame else {
            try block.channel(channel).withUnsafeBufferPointer { samples throws(WAVError) in try append(samples) }
            return
        }
        guard frames > 0 else { return }
        _ = try WAVFile.header(chunk, frameCount: frameCount + frames, path: path)
        let frameBytes = block.format.bytesPerFrame
        let start = pending.count
        pending.append(contentsOf: repeatElement(0, count: frames * width))
        pending.withUnsafeMutableBytes { out in
            delivered.withUnsafeBytes { source in
                let from = source.baseAddress! + channel * width
                let to = out.baseAddress! + start
                // Fixed-size moves per sample width (a copy of a variable count would be a memcpy call per sample),
                // the source offset running on with a wrapping add, not a checked `frame * frameBytes` per sample (see
                // `PCMSampleFormat.decode(_:stride:into:)`).
                var offset = 0
                switch width {
                case 2:
                    for frame in 0..<frames {
                        to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt16.self), toByteOffset: frame &* 2, as: UInt16.self)
                        offset &+= frameBytes
                    }
                case 3:
                    for frame in 0..<frames {
                        to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt16.self), toByteOffset: frame &* 3, as: UInt16.self)
                        to.storeBytes(of: from.load(fromByteOffset: offset &+ 2, as: UInt8.self), toByteOffset: frame &* 3 &+ 2, as: UInt8.self)
                        offset &+= frameBytes
                    }
                case 4:
                    for frame in 0..<frames {
                        to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt32.self), toByteOffset: frame &* 4, as: UInt32.self)
                        offset &+= frameBytes
                    }
                default:
                    for frame in 0..<frames {
                        (to + frame * width).copyMemory(from: from + frame * frameBytes, byteCount: width)
                    }
                }
            }
        }
        frameCount += frames
        if pending.count >= Self.writeSize { try flush() }
    }

    /// Writes the samples appended so far that still wait in memory, so that the file, even if never finished, reads
    /// back as all of them.
    public func flush() throws(WAVError) {
        guard !pending.isEmpty else { return }
        try write(pending, at: nil)
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes the samples still in memory, the pad byte an odd data chunk needs, the header with the real sizes, and
    /// closes the file.
    public func finish() throws(WAVError) {
        guard let fd = descriptor else { return }
        try flush()
        if (frameCount * chunk.blockAlign) & 1 == 1 { try write([0], at: nil) }
        try write(try WAVFile.header(chunk, frameCount: frameCount, path: path), at: 0)
        descriptor = nil
        if case .failure(let failure) = AudioFileSyscalls.closeReporting(fd) { throw Self.error(failure, path: path) }
    }

    /// Closes and removes the file: half a recording is no recording.
    public func discard() {
        if let descriptor { AudioFileSyscalls.close(descriptor) }
        descriptor = nil
        pending = []
        AudioFileSyscalls.remove(path: path)
    }

    private func write(_ bytes: [UInt8], at offset: Int?) throws(WAVError) {
        guard let fd = descriptor else {
            throw WAVError(path: path, reason: .io(operation: "write", errno: 9, message: "the file is closed"))
        }
        let result = bytes.withUnsafeBytes { AudioFileSyscalls.write(fd, $0, at: offset) }
        if case .failure(let failure) = result { throw Self.error(failure, path: path) }
    }

    private static func error(_ failure: AudioFileSyscalls.Failure, path: String) -> WAVError {
        WAVError(path: path, reason: .io(operation: failure.operation, errno: failure.errno, message: failure.message))
    }
}
