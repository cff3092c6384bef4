import Foundation
@testable import SensorIO
import Testing

/// WAVFile against itself (every format), against files sox writes (to a file and to a pipe), against
/// hand-made headers (EXTENSIBLE 24-in-32, 64-bit float, odd chunks) and against bad files.
@Suite("WAV files")
struct WAVFileTests {
    // MARK: Round trips

    @Test("every format and channel count round-trips bit for bit, with sox's header layout",
          arguments: PCMSampleFormat.allCases, [1, 2, 3, 8])
    func roundTrip(sample: PCMSampleFormat, channels: Int) throws {
        let folder = try ScratchFolder("wav-roundtrip")
        defer { folder.remove() }
        // 1001 frames: with one 24-bit channel the data chunk has an odd size and needs its pad byte.
        let frames = 1001
        let format = PCMStreamFormat(sample: sample, sampleRate: 48_000, channels: channels)
        let samples = Self.exactSamples(sample, count: frames * channels, seed: UInt64(channels) << 8 | UInt64(sample.bytesPerSample))
        let path = folder.file("take.wav")
        try WAVFile(format: format, interleaved: samples).write(path: path)

        let read = try WAVFile.read(path: path)
        // .s24 (ALSA's 24-in-32) is stored packed, as 24-bit WAV always is.
        #expect(read.format == PCMStreamFormat(sample: sample == .s24 ? .s24Packed : sample, sampleRate: 48_000, channels: channels))
        #expect(read.frameCount == frames)
        #expect(read.interleaved == samples, "samples differ after a round trip")
        #expect(read.samples(channel: channels - 1) == stride(from: channels - 1, to: samples.count, by: channels).map { samples[$0] })

        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let tag = UInt16(bytes[20]) | UInt16(bytes[21]) << 8
        let extensible = channels > 2 || (!sample.isFloat && sample != .s16)
        #expect(tag == (extensible ? 0xFFFE : sample.isFloat ? 3 : 1), "format tag \(tag)")
        #expect(bytes.count % 2 == 0, "a RIFF file has an even size (pad byte after an odd data chunk)")
        #expect(Int(RIFFBytes.uint32(bytes, at: 4)) == bytes.count - 8, "RIFF size")
    }

    @Test("sox reads what WAVFile writes: channels, rate, bits, encoding and length")
    func soxReadsOurFiles() throws {
        let folder = try ScratchFolder("wav-soxreads")
        defer { folder.remove() }
        for (sample, channels, bits, encoding) in [(PCMSampleFormat.s24Packed, 2, "24", "Signed Integer PCM"),
                                                  (.float32, 8, "32", "Floating Point PCM"),
                                                  (.s16, 1, "16", "Signed Integer PCM")] {
            let path = folder.file("ours-\(sample.rawValue)-\(channels).wav")
            let format = PCMStreamFormat(sample: sample, sampleRate: 44_100, channels: channels)
            try WAVFile(format: format, interleaved: Self.exactSamples(sample, count: 300 * channels, seed: 7)).write(path: path)
            #expect(try Self.sox(["--i", "-c", path]) == "\(channels)")
            #expect(try Self.sox(["--i", "-r", path]) == "44100")
            #expect(try Self.sox(["--i", "-b", path]) == bits)
            #expect(try Self.sox(["--i", "-e", path]) == encoding)
            #expect(try Self.sox(["--i", "-s", path]) == "300")
        }
    }

    // MARK: Files sox writes

    /// One sox-made file: its sox arguments, the format it must read as, and its header tag.
    struct SoxCase: Sendable, CustomTestStringConvertible {
        var arguments: [String]
        var sample: PCMSampleFormat
        var channels: Int
        var tag: UInt16
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let soxCases = [
        SoxCase(arguments: ["-b", "16", "-c", "1"], sample: .s16, channels: 1, tag: 0x0001),
        SoxCase(arguments: ["-b", "24", "-c", "2"], sample: .s24Packed, channels: 2, tag: 0xFFFE),
        SoxCase(arguments: ["-b", "32", "-c", "2"], sample: .s32, channels: 2, tag: 0xFFFE),
        SoxCase(arguments: ["-e", "floating-point", "-b", "32", "-c", "1"], sample: .float32, channels: 1, tag: 0x0003),
        // sox keeps WAVE_FORMAT_IEEE_FLOAT for float at any channel count (WAVFile writes EXTENSIBLE past two).
        SoxCase(arguments: ["-e", "floating-point", "-b", "32", "-c", "4"], sample: .float32, channels: 4, tag: 0x0003),
        SoxCase(arguments: ["-b", "16", "-c", "4"], sample: .s16, channels: 4, tag: 0xFFFE),
    ]

    @Test("a 0.1 s, 1 kHz, −6 dBFS sine written by sox reads with its format, 4800 frames and the sine's values",
          arguments: soxCases)
    func soxFile(_ soxCase: SoxCase) throws {
        let folder = try ScratchFolder("wav-sox")
        defer { folder.remove() }
        let path = folder.file("sine.wav")
        // -D: no dither, so every sample is the rounded sine. vol 0.5: peak 0.5 FS (−6.02 dBFS), no clipping.
        _ = try Self.sox(["-D", "-n", "-r", "48000"] + soxCase.arguments + [path, "synth", "0.1", "sine", "1000", "vol", "0.5"])
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(RIFFBytes.uint16(bytes, at: 20) == soxCase.tag, "sox's header is the kind this case is about")

        let file = try WAVFile.read(path: path)
        #expect(file.format == PCMStreamFormat(sample: soxCase.sample, sampleRate: 48_000, channels: soxCase.channels))
        #expect(file.frameCount == 4800)
        try Self.expectSine(file, amplitude: 0.5, frequency: 1000)
    }

    @Test("a file sox streams to a pipe (placeholder sizes) is read to its end")
    func soxPipe() throws {
        let folder = try ScratchFolder("wav-pipe")
        defer { folder.remove() }
        let path = folder.file("piped.wav")
        _ = try Self.sox(["-D", "-n", "-r", "48000", "-b", "24", "-c", "2", "-t", "wav", "-",
                          "synth", "0.1", "sine", "1000", "vol", "0.5"], stdout: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        // sox could not seek back in the pipe: the sizes are its placeholders (0x7FFFF000 rounded to frames).
        #expect(Int(RIFFBytes.uint32(bytes, at: 4)) > bytes.count, "the RIFF size is a placeholder")
        let file = try WAVFile.read(path: path)
        #expect(file.format == PCMStreamFormat(sample: .s24Packed, sampleRate: 48_000, channels: 2))
        #expect(file.frameCount == 4800)
        try Self.expectSine(file, amplitude: 0.5, frequency: 1000)
    }

    // MARK: Hand-made files

    @Test("hand-made EXTENSIBLE: 24 valid bits in 32, 3 channels, 96 kHz, behind odd LIST and PEAK chunks")
    func handMadeExtensible() throws {
        let folder = try ScratchFolder("wav-ext")
        defer { folder.remove() }
        // 24-bit codes, left-justified in the 32-bit container (low byte zero), as the format requires.
        let codes: [Int32] = [0x40_0000, -0x40_0000, 0x7F_FFFF, -0x80_0000, 1, -1, 0, 0x12_3456, -0x65_4321]
        var data: [UInt8] = []
        for code in codes { RIFFBytes.append(uint32: UInt32(bitPattern: code << 8), to: &data) }
        let bytes = Self.riff([
            ("LIST", Array("INFOx".utf8)),                                  // 5 bytes: a pad byte follows
            ("fmt ", Self.extensibleFormat(channels: 3, rate: 96_000, container: 32, valid: 24, mask: 0x7, subformat: 1)),
            ("PEAK", [1, 2, 3, 4, 5, 6, 7]),                                // 7 bytes: a pad byte follows
            ("data", data),
        ])
        let file = try WAVFile.read(path: try folder.write(bytes, to: "ext.wav"))
        #expect(file.format == PCMStreamFormat(sample: .s32, sampleRate: 96_000, channels: 3))
        #expect(file.frameCount == 3)
        #expect(file.interleaved == codes.map { Double($0) / 8_388_608 })
        #expect(file.samples(channel: 1) == [-0.5, 1.0 / 8_388_608, 0x12_3456 / 8_388_608.0])
    }

    @Test("64-bit float reads at full precision; EXTENSIBLE float and the streamed size markers 0 and 0xFFFFFFFF")
    func handMadeFloatAndStreamed() throws {
        let folder = try ScratchFolder("wav-float")
        defer { folder.remove() }
        let values: [Double] = [0.1, -0.3333333333333333, 1.0e-12, 0.9999999999, -1.0, 0.0]
        var data: [UInt8] = []
        for value in values {
            RIFFBytes.append(uint32: UInt32(truncatingIfNeeded: value.bitPattern), to: &data)
            RIFFBytes.append(uint32: UInt32(truncatingIfNeeded: value.bitPattern >> 32), to: &data)
        }
        let float64Format = Self.plainFormat(tag: 3, channels: 2, rate: 8000, bits: 64)
        let float64 = try WAVFile.read(path: try folder.write(Self.riff([("fmt ", float64Format), ("data", data)]), to: "f64.wav"))
        #expect(float64.format == PCMStreamFormat(sample: .float32, sampleRate: 8000, channels: 2))
        #expect(float64.interleaved == values, "64-bit floats are not rounded to 32 bits")

        var floats: [UInt8] = []
        PCMSampleFormat.float32.encode([0.25, -0.5, 0.75, 1.5], into: &floats)
        let extensibleFloat = Self.extensibleFormat(channels: 4, rate: 48_000, container: 32, valid: 32, mask: 0, subformat: 3)
        for marker: UInt32 in [0, 0xFFFF_FFFF] {
            // A writer that could not seek back leaves both sizes as a marker; the data runs to the end of the file.
            let bytes = Self.riff([("fmt ", extensibleFloat), ("data", floats)], riffSize: marker, dataSize: marker)
            let file = try WAVFile.read(path: try folder.write(bytes, to: "streamed-\(marker).wav"))
            #expect(file.format == PCMStreamFormat(sample: .float32, sampleRate: 48_000, channels: 4))
            #expect(file.interleaved == [0.25, -0.5, 0.75, 1.5], "floats beyond ±1.0 are kept, not clipped")
        }
    }

    // MARK: Bad files

    @Test("a text file, an empty file and an RF64 file are refused naming the file")
    func notWAV() throws {
        let folder = try ScratchFolder("wav-bad")
        defer { folder.remove() }
        let text = try folder.write("time,pressure_pa\n0.0,101325\n", to: "log.wav")
        let error = #expect(throws: WAVError.self) { _ = try WAVFile.read(path: text) }
        #expect(error?.reason == .notRIFFWAVE)
        #expect(error?.description == "\(text): not a RIFF/WAVE file")

        let empty = try folder.write([UInt8](), to: "empty.wav")
        #expect(throws: WAVError(path: empty, reason: .notRIFFWAVE)) { _ = try WAVFile.read(path: empty) }

        var rf64 = Self.riff([("fmt ", Self.plainFormat(tag: 1, channels: 1, rate: 8000, bits: 16)), ("data", [0, 0])])
        rf64.replaceSubrange(0..<4, with: Array("RF64".utf8))
        let rf64Path = try folder.write(rf64, to: "big.wav")
        #expect(throws: WAVError(path: rf64Path, reason: .rf64)) { _ = try WAVFile.read(path: rf64Path) }
    }

    @Test("a data chunk cut short is 'truncated data chunk'; a cut chunk header and a missing file are named too")
    func truncated() throws {
        let folder = try ScratchFolder("wav-trunc")
        defer { folder.remove() }
        let whole = folder.file("whole.wav")
        try WAVFile(format: PCMStreamFormat(sample: .s16, sampleRate: 48_000, channels: 2),
                    interleaved: [Double](repeating: 0.25, count: 2000)).write(path: whole)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: whole)))
        let cut = try folder.write(Array(bytes.dropLast(101)), to: "cut.wav")
        let error = #expect(throws: WAVError.self) { _ = try WAVFile.read(path: cut) }
        #expect(error?.description == "\(cut): truncated data chunk: its header says 4000 bytes, the file holds 3899")

        // RIFF, WAVE and half a chunk header.
        let half = try folder.write(Array(bytes.prefix(16)), to: "half.wav")
        let halfError = #expect(throws: WAVError.self) { _ = try WAVFile.read(path: half) }
        #expect(halfError?.reason == .truncated("chunk header at byte 12"))

        let missing = folder.file("missing.wav")
        let missingError = #expect(throws: WAVError.self) { _ = try WAVFile.read(path: missing) }
        #expect(missingError?.reason == .io(operation: "open", errno: ENOENT, message: "No such file or directory"))
        #expect(missingError?.description.hasPrefix(missing) == true)
    }

    @Test("ADPCM, 8-bit PCM, an unknown EXTENSIBLE subformat and a bad block align are refused with the reason")
    func unsupportedFormats() throws {
        let folder = try ScratchFolder("wav-unsupported")
        defer { folder.remove() }
        func failure(_ format: [UInt8], _ name: String) throws -> WAVError? {
            let path = try folder.write(Self.riff([("fmt ", format), ("data", [0, 0, 0, 0])]), to: name)
            return #expect(throws: WAVError.self) { _ = try WAVFile.read(path: path) }
        }
        var adpcm = Self.plainFormat(tag: 2, channels: 1, rate: 8000, bits: 4)
        adpcm[12] = 0; adpcm[13] = 1   // block align 256, as IMA/MS ADPCM files have
        let adpcmError = try failure(adpcm, "adpcm.wav")
        #expect(adpcmError?.reason == .unsupportedFormatTag(2))
        #expect(adpcmError?.description.hasSuffix(
            "adpcm.wav: unsupported format tag 0x0002 (ADPCM); only PCM and IEEE float are read") == true)

        let eightBit = try failure(Self.plainFormat(tag: 1, channels: 1, rate: 8000, bits: 8), "u8.wav")
        #expect(eightBit?.description.hasSuffix("u8.wav: 8-bit PCM not supported") == true)

        let alaw = try failure(Self.extensibleFormat(channels: 1, rate: 8000, container: 16, valid: 16, mask: 0, subformat: 6), "alaw.wav")
        #expect(alaw?.reason == .unsupportedSubformat("{00000006-0000-0010-8000-00AA00389B71}"))

        var badAlign = Self.plainFormat(tag: 1, channels: 2, rate: 8000, bits: 16)
        badAlign[12] = 3
        let alignError = try failure(badAlign, "align.wav")
        #expect(alignError?.reason == .invalidFormat("block align 3 bytes, but 2 channels × 2 bytes = 4"))
    }

    @Test("no data chunk, data before fmt, and samples that are not whole frames are refused")
    func missingChunks() throws {
        let folder = try ScratchFolder("wav-chunks")
        defer { folder.remove() }
        let fmt = Self.plainFormat(tag: 1, channels: 1, rate: 8000, bits: 16)
        let noData = try folder.write(Self.riff([("fmt ", fmt), ("LIST", [1, 2, 3, 4])]), to: "nodata.wav")
        #expect(throws: WAVError(path: noData, reason: .noDataChunk)) { _ = try WAVFile.read(path: noData) }
        let dataFirst = try folder.write(Self.riff([("data", [0, 0]), ("fmt ", fmt)]), to: "datafirst.wav")
        #expect(throws: WAVError(path: dataFirst, reason: .noFormatChunk)) { _ = try WAVFile.read(path: dataFirst) }

        let target = folder.file("odd.wav")
        let odd = WAVFile(format: PCMStreamFormat(sample: .s16, sampleRate: 8000, channels: 2), interleaved: [0.1, 0.2, 0.3])
        #expect(throws: WAVError(path: target, reason: .invalidSamples("3 samples are not a whole number of 2-channel frames"))) {
            try odd.write(path: target)
        }
        let nowhere = folder.file("no/such/folder/x.wav")
        let writeError = #expect(throws: WAVError.self) {
            try WAVFile(format: PCMStreamFormat(sample: .s16, sampleRate: 8000, channels: 1), interleaved: [0]).write(path: nowhere)
        }
        #expect(writeError?.reason == .io(operation: "open", errno: ENOENT, message: "No such file or directory"))
    }

    // MARK: Support

    /// `count` seeded samples that are exact codes of `sample` (so a round trip must return them unchanged),
    /// starting with negative full scale, the clip level and zero.
    static func exactSamples(_ sample: PCMSampleFormat, count: Int, seed: UInt64) -> [Double] {
        var random = SplitMix(seed: seed)
        var raw: [Double] = [-1.0, sample.clipLevel, 0]
        for _ in 0..<max(0, count - 3) { raw.append(random.signed()) }
        var bytes: [UInt8] = []
        sample.encode(raw.prefix(count), into: &bytes)
        var exact: [Double] = []
        bytes.withUnsafeBytes { sample.decode($0, into: &exact) }
        return exact
    }

    /// Every channel holds `amplitude · sin(2π f n / rate)` within one LSB of the file's format (rounding is
    /// half an LSB). sox's own samples are 32-bit integers, rounded once in the synth and once in `vol`, so a
    /// 32-bit file is held to two of its LSBs and float (2^−24 relative) to 1e-7.
    static func expectSine(_ file: WAVFile, amplitude: Double, frequency: Double) throws {
        let bits = file.format.sample.significantBits
        let tolerance = file.format.sample.isFloat ? 1e-7 : (bits == 32 ? 2 : 1) / Double(1 << (bits - 1))
        for channel in 0..<file.format.channels {
            let samples = file.samples(channel: channel)
            let step: Double = 2 * Double.pi * frequency / Double(file.format.sampleRate)
            var worst = 0.0
            for (n, value) in samples.enumerated() {
                let expected: Double = amplitude * sin(step * Double(n))
                worst = max(worst, abs(value - expected))
            }
            #expect(worst <= tolerance, "channel \(channel): largest error \(worst), tolerance \(tolerance)")
            #expect(abs((samples.max() ?? 0) - amplitude) <= tolerance, "channel \(channel) peak")
        }
    }

    /// A RIFF/WAVE file of `chunks`, each followed by a pad byte when odd; the RIFF and data sizes can be forced.
    static func riff(_ chunks: [(String, [UInt8])], riffSize: UInt32? = nil, dataSize: UInt32? = nil) -> [UInt8] {
        var body = Array("WAVE".utf8)
        for (id, payload) in chunks {
            body += Array(id.utf8)
            RIFFBytes.append(uint32: id == "data" ? dataSize ?? UInt32(payload.count) : UInt32(payload.count), to: &body)
            body += payload
            if payload.count % 2 == 1 { body.append(0) }
        }
        var bytes = Array("RIFF".utf8)
        RIFFBytes.append(uint32: riffSize ?? UInt32(body.count), to: &bytes)
        return bytes + body
    }

    /// A 16-byte WAVEFORMAT body.
    static func plainFormat(tag: UInt16, channels: Int, rate: Int, bits: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        let align = channels * max(1, bits / 8)
        RIFFBytes.append(uint16: tag, to: &bytes)
        RIFFBytes.append(uint16: UInt16(channels), to: &bytes)
        RIFFBytes.append(uint32: UInt32(rate), to: &bytes)
        RIFFBytes.append(uint32: UInt32(rate * align), to: &bytes)
        RIFFBytes.append(uint16: UInt16(align), to: &bytes)
        RIFFBytes.append(uint16: UInt16(bits), to: &bytes)
        return bytes
    }

    /// A 40-byte WAVEFORMATEXTENSIBLE body with subformat GUID {0000000X-0000-0010-8000-00AA00389B71}.
    static func extensibleFormat(channels: Int, rate: Int, container: Int, valid: Int, mask: UInt32, subformat: UInt16) -> [UInt8] {
        var bytes = plainFormat(tag: 0xFFFE, channels: channels, rate: rate, bits: container)
        RIFFBytes.append(uint16: 22, to: &bytes)
        RIFFBytes.append(uint16: UInt16(valid), to: &bytes)
        RIFFBytes.append(uint32: mask, to: &bytes)
        RIFFBytes.append(uint16: subformat, to: &bytes)
        return bytes + [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
    }

    /// Runs sox (scripts/install-deps installs it) and returns its trimmed standard output, which is a pipe (so
    /// sox cannot seek in it); with `stdout`, the output is saved there as it came.
    @discardableResult
    static func sox(_ arguments: [String], stdout: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sox"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SoxFailed(arguments: arguments, status: process.terminationStatus)
        }
        if let stdout {
            try output.write(to: URL(fileURLWithPath: stdout))
            return ""
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct SoxFailed: Error, CustomStringConvertible {
        var arguments: [String]
        var status: Int32
        var description: String {
            "sox \(arguments.joined(separator: " ")) exited with \(status) (is sox installed? scripts/install-deps)"
        }
    }
}
