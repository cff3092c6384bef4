import Foundation
@testable import SensorIO
import Testing

/// WAVStreamWriter against WAVFile.write: the same samples in blocks of any size make the same file, byte for byte;
/// a file never finished reads back as what was written of it.
@Suite("WAV stream writer")
struct WAVStreamWriterTests {
    @Test("blocks of uneven sizes give WAVFile.write's bytes exactly, pad byte and header included",
          arguments: PCMSampleFormat.allCases, [1, 3])
    func sameBytesAsWAVFile(sample: PCMSampleFormat, channels: Int) throws {
        let folder = try ScratchFolder("wav-stream")
        defer { folder.remove() }
        // 1001 frames: one 24-bit channel makes an odd data chunk, which needs its pad byte.
        let format = PCMStreamFormat(sample: sample, sampleRate: 48_000, channels: channels)
        let samples = WAVFileTests.exactSamples(sample, count: 1001 * channels, seed: 77)
        try WAVFile(format: format, interleaved: samples).write(path: folder.file("whole.wav"))
        let writer = try WAVStreamWriter(path: folder.file("streamed.wav"), format: format)
        var start = 0
        for frames in [1, 0, 500, 37, 463] {
            let end = start + frames * channels
            try samples[start..<end].withUnsafeBufferPointer { try writer.append($0) }
            start = end
        }
        #expect(start == samples.count && writer.frameCount == 1001)
        try writer.finish()
        let whole = try Data(contentsOf: URL(fileURLWithPath: folder.file("whole.wav")))
        let streamed = try Data(contentsOf: URL(fileURLWithPath: folder.file("streamed.wav")))
        #expect(streamed == whole)
    }

    @Test("an unfinished file reads back as the frames of its whole blocks, or all after flush(); a discarded one is gone")
    func unfinishedAndDiscarded() throws {
        let folder = try ScratchFolder("wav-stream-cut")
        defer { folder.remove() }
        let format = PCMStreamFormat(sample: .s24Packed, sampleRate: 48_000, channels: 1)
        let samples = WAVFileTests.exactSamples(.s24Packed, count: 480, seed: 5)
        let writer = try WAVStreamWriter(path: folder.file("cut.wav"), format: format)
        try samples.withUnsafeBufferPointer { try writer.append($0) }
        // Less than a block is still in memory: the file has the header only, and reads back empty.
        #expect(try WAVFile.read(path: folder.file("cut.wav")).frameCount == 0)
        try writer.flush()
        let read = try WAVFile.read(path: folder.file("cut.wav"))
        #expect(read.frameCount == 480 && read.interleaved == samples)

        // 50 000 frames (150 000 bytes) in blocks of 4 096: a 131 072-byte write once the block that crosses
        // `writeSize` arrives (frames 0..<45 056), the rest in memory until finish().
        let long = WAVFileTests.exactSamples(.s24Packed, count: 50_000, seed: 6)
        let streamed = try WAVStreamWriter(path: folder.file("long.wav"), format: format)
        for start in stride(from: 0, to: long.count, by: 4_096) {
            try long[start..<min(start + 4_096, long.count)].withUnsafeBufferPointer { try streamed.append($0) }
        }
        #expect(WAVStreamWriter.writeSize == 131_072)
        let partial = try WAVFile.read(path: folder.file("long.wav"))
        #expect(partial.frameCount == 45_056 && partial.interleaved == Array(long[..<45_056]))
        try streamed.finish()
        #expect(try WAVFile.read(path: folder.file("long.wav")).interleaved == long)
        let gone = try WAVStreamWriter(path: folder.file("gone.wav"), format: format)
        try samples.withUnsafeBufferPointer { try gone.append($0) }
        gone.discard()
        #expect(!FileManager.default.fileExists(atPath: folder.file("gone.wav")))
        #expect(throws: WAVError.self) { try samples[0..<3].withUnsafeBufferPointer { try WAVStreamWriter(path: folder.file("x.wav"),
            format: PCMStreamFormat(sample: .s16, sampleRate: 48_000, channels: 2)).append($0) } }
    }

    @Test("a channel of a captured block, kept as delivered or not, makes the bytes its encoded samples make",
          arguments: PCMSampleFormat.allCases)
    func deliveredChannelIsStoredAsItsSamples(sample: PCMSampleFormat) throws {
        let folder = try ScratchFolder("wav-stream-delivered")
        defer { folder.remove() }
        let stream = PCMStreamFormat(sample: sample, sampleRate: 48_000, channels: 3)
        let mono = PCMStreamFormat(sample: sample, sampleRate: 48_000, channels: 1)
        let samples = WAVFileTests.exactSamples(sample, count: 777 * 3, seed: 9)
        var delivered: [UInt8] = []
        sample.encode(samples, into: &delivered)
        let kept = PCMBlock(format: stream, interleaved: samples, delivered: delivered)
        let decodedOnly = PCMBlock(format: stream, interleaved: samples)
        for channel in 0..<3 {
            let expected = try WAVStreamWriter(path: folder.file("expected.wav"), format: mono)
            try kept.channel(channel).withUnsafeBufferPointer { try expected.append($0) }
            try expected.finish()
            for (name, block) in [("kept", kept), ("decoded", decodedOnly)] {
                let writer = try WAVStreamWriter(path: folder.file(name + ".wav"), format: mono)
                try writer.append(channel: channel, of: block)
                try writer.append(channel: channel, of: block)
                #expect(writer.frameCount == 2 * 777)
                try writer.finish()
                let twice = try WAVFile.read(path: folder.file(name + ".wav"))
                #expect(twice.interleaved == kept.channel(channel) + kept.channel(channel), "\(name), channel \(channel)")
            }
            let once = try WAVStreamWriter(path: folder.file("once.wav"), format: mono)
            try once.append(channel: channel, of: kept)
            try once.finish()
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder.file("once.wav")))
                == Data(contentsOf: URL(fileURLWithPath: folder.file("expected.wav"))))
        }
        let stereo = try WAVStreamWriter(path: folder.file("stereo.wav"), format: PCMStreamFormat(sample: sample, sampleRate: 48_000, channels: 2))
        #expect(throws: WAVError.self) { try stereo.append(channel: 0, of: kept) }
        let writer = try WAVStreamWriter(path: folder.file("x.wav"), format: mono)
        #expect(throws: WAVError.self) { try writer.append(channel: 3, of: kept) }
    }
}
