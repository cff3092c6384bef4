/// A WAV file in memory: its stream format and its samples, interleaved and normalized to ±1.0 digital full
/// scale (acoustic.md §1.2), the same scale as captured `PCMBlock`s, so a recording and a live capture go through
/// the same analysis.
///
/// Reads what lab tools write: RIFF/WAVE with `WAVE_FORMAT_PCM` (16, 24 packed, 32 bit),
/// `WAVE_FORMAT_IEEE_FLOAT` (32 bit, and 64 bit), and `WAVE_FORMAT_EXTENSIBLE` with a PCM or float subformat.
/// Unknown chunks (`LIST`, `fact`, `PEAK`, `bext`…) are skipped, odd-sized chunks are followed by their pad byte,
/// and a file written to a pipe, whose writer could not seek back to fill in the sizes, is read to its end.
/// Writes 16/24/32-bit PCM and 32-bit float, in the layout sox uses (see `encoded(path:)`).
public struct WAVFile: Sendable {
    /// Sample format, rate and channel count. A 64-bit float file reads as `.float32` (the nearest format SensorIO
    /// has); its samples keep their full precision, but `write` stores them as 32-bit float.
    public var format: PCMStreamFormat
    /// Frames (one sample of every channel).
    public var frameCount: Int
    /// `frameCount × channels` samples, frame after frame, in ±1.0 full-scale units.
    public var interleaved: [Double]

    /// A file of `interleaved` samples; `frameCount` is the number of whole frames they hold.
    public init(format: PCMStreamFormat, interleaved: [Double]) {
        self.format = format
        self.interleaved = interleaved
        self.frameCount = format.channels > 0 ? interleaved.count / format.channels : 0
    }

    /// The samples of one channel (0-based), in order.
    public func samples(channel: Int) -> [Double] {
        precondition((0..<format.channels).contains(channel),
                     "channel \(channel) is not in 0..<\(format.channels)")
        let channels = format.channels
        return (0..<frameCount).map { interleaved[$0 * channels + channel] }
    }

    /// Reads and decodes the file at `path`.
    public static func read(path: String) throws(WAVError) -> WAVFile {
        let bytes: [UInt8]
        switch AudioFileSyscalls.readAll(path: path) {
        case .success(let value): bytes = value
        case .failure(let failure):
            throw WAVError(path: path, reason: .io(operation: failure.operation, errno: failure.errno, message: failure.message))
        }
        return try WAVFile(decoding: bytes, path: path)
    }

    /// Encodes the file and writes it to `path`, replacing what was there.
    public func write(path: String) throws(WAVError) {
        let bytes = try encoded(path: path)
        if case .failure(let failure) = AudioFileSyscalls.writeAll(path: path, bytes) {
            throw WAVError(path: path, reason: .io(operation: failure.operation, errno: failure.errno, message: failure.message))
        }
    }
}

// MARK: - Reading

extension WAVFile {
    /// A data chunk longer than this that runs past the end of the file is the placeholder of a writer that could
    /// not seek back (sox to a pipe writes 0x7FFFF000 rounded down to whole frames), not a truncated file.
    private static let placeholderDataSize = 0x7FFF_0000

    /// Decodes a whole WAV file held in memory; `path` only names it in errors.
    init(decoding bytes: [UInt8], path: String) throws(WAVError) {
        func fail(_ reason: WAVError.Reason) -> WAVError { WAVError(path: path, reason: reason) }
        guard bytes.count >= 12 else { throw fail(.notRIFFWAVE) }
        let magic = RIFFBytes.fourCC(bytes, at: 0)
        if magic == "RF64" || magic == "BW64" { throw fail(.rf64) }
        guard magic == "RIFF", RIFFBytes.fourCC(bytes, at: 8) == "WAVE" else { throw fail(.notRIFFWAVE) }

        // A RIFF size of 0 or 0xFFFFFFFF marks a stream whose length was unknown when the header was written.
        let riffSize = Int(RIFFBytes.uint32(bytes, at: 4))
        let streamed = riffSize == 0 || riffSize == 0xFFFF_FFFF
        let scanEnd = streamed ? bytes.count : min(bytes.count, 8 + riffSize)
        var format: WAVFormatChunk?
        var offset = 12
        while offset + 8 <= scanEnd {
            let id = RIFFBytes.fourCC(bytes, at: offset)
            let size = Int(RIFFBytes.uint32(bytes, at: offset + 4))
            let body = offset + 8
            let available = bytes.count - body
            if id == "data" {
                guard let format else { throw fail(.noFormatChunk) }
                let dataSize: Int
                if size <= available && !(streamed && size == 0) {
                    dataSize = size
                } else if streamed || size == 0xFFFF_FFFF || size >= Self.placeholderDataSize {
                    dataSize = available
                } else {
                    throw fail(.truncated("data chunk: its header says \(size) bytes, the file holds \(available)"))
                }
                self = format.decode(bytes[body..<(body + dataSize)])
                return
            }
            guard size <= available else {
                throw fail(.truncated("'\(id)' chunk at byte \(offset): its header says \(size) bytes, the file holds \(available)"))
            }
            if id == "fmt " {
                format = try WAVFormatChunk(bytes[body..<(body + size)], path: path)
            }
            offset = body + size + (size & 1)   // Chunks start on even offsets: an odd chunk has a pad byte.
        }
        if offset < scanEnd && offset + 8 > scanEnd {
            throw fail(.truncated("chunk header at byte \(offset)"))
        }
        throw fail(format == nil ? .noFormatChunk : .noDataChunk)
    }
}

// MARK: - Writing

extension WAVFile {
    /// The file's bytes. `.s24` (24 bits in a 32-bit container, an ALSA layout) is stored packed, as 24-bit WAV
    /// always is; the other formats are stored as they are. Like sox, the header is `WAVE_FORMAT_EXTENSIBLE` when
    /// there are more than two channels or more than 16 integer bits, and a float or EXTENSIBLE file carries a
    /// `fact` chunk. (sox keeps plain IEEE float at any channel count; past two channels Microsoft asks for
    /// EXTENSIBLE, which sox reads back.)
    func encoded(path: String) throws(WAVError) -> [UInt8] {
        func fail(_ text: String) -> WAVError { WAVError(path: path, reason: .invalidSamples(text)) }
        let chunk = WAVFormatChunk(storing: format)
        try Self.checkStorable(chunk, path: path)
        let channels = format.channels
        guard interleaved.count % channels == 0 else {
            throw fail("\(interleaved.count) samples are not a whole number of \(channels)-channel frames")
        }
        guard frameCount == interleaved.count / channels else {
            throw fail("frameCount is \(frameCount) but the samples hold \(interleaved.count / channels) frames")
        }
        var bytes = try Self.header(chunk, frameCount: frameCount, path: path)
        bytes.reserveCapacity(bytes.count + frameCount * chunk.blockAlign + 1)
        chunk.sample.encode(interleaved, into: &bytes)
        if (frameCount * chunk.blockAlign) & 1 == 1 { bytes.append(0) }
        return bytes
    }

    /// A channel count and a rate a WAV header can state (16 and 32 bits).
    static func checkStorable(_ chunk: WAVFormatChunk, path: String) throws(WAVError) {
        func fail(_ text: String) -> WAVError { WAVError(path: path, reason: .invalidSamples(text)) }
        guard (1...Int(UInt16.max)).contains(chunk.channels) else { throw fail("\(chunk.channels) channels cannot be stored in a WAV file") }
        guard (1...Int(UInt32.max)).contains(chunk.sampleRate) else {
            throw fail("sample rate \(chunk.sampleRate) Hz cannot be stored in a WAV file")
        }
    }

    /// Everything before the samples: RIFF header, `fmt `, `fact` when needed, and the data chunk's header, for
    /// `frameCount` frames. Its length does not depend on `frameCount`, so a stream writer rewrites it in place.
    /// Throws for a format a WAV file cannot hold.
    static func header(_ chunk: WAVFormatChunk, frameCount: Int, path: String) throws(WAVError) -> [UInt8] {
        func fail(_ text: String) -> WAVError { WAVError(path: path, reason: .invalidSamples(text)) }
        try checkStorable(chunk, path: path)
        let dataSize = frameCount * chunk.blockAlign
        let fmtBody = chunk.encoded()
        let hasFact = chunk.isFloat || chunk.isExtensible
        // RIFF size: "WAVE", the fmt chunk, the fact chunk, the data chunk and its pad byte.
        let riffSize = 4 + (8 + fmtBody.count) + (hasFact ? 12 : 0) + 8 + dataSize + (dataSize & 1)
        guard riffSize <= Int(UInt32.max) else { throw fail("\(dataSize) bytes of samples exceed the 4 GiB limit of a RIFF file") }
        var bytes: [UInt8] = []
        RIFFBytes.append(fourCC: "RIFF", to: &bytes)
        RIFFBytes.append(uint32: UInt32(riffSize), to: &bytes)
        RIFFBytes.append(fourCC: "WAVE", to: &bytes)
        RIFFBytes.append(fourCC: "fmt ", to: &bytes)
        RIFFBytes.append(uint32: UInt32(fmtBody.count), to: &bytes)
        bytes += fmtBody
        if hasFact {
            RIFFBytes.append(fourCC: "fact", to: &bytes)
            RIFFBytes.append(uint32: 4, to: &bytes)
            RIFFBytes.append(uint32: UInt32(truncatingIfNeeded: frameCount), to: &bytes)
        }
        RIFFBytes.append(fourCC: "data", to: &bytes)
        RIFFBytes.append(uint32: UInt32(dataSize), to: &bytes)
        return bytes
    }
}
