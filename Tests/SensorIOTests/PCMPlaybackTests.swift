import Foundation
@testable import SensorIO
import Testing

/// PCMPlayback through the real libasound: ALSA's `file` plugin with a `null` slave writes what is played to a
/// raw file, which is read back and compared code for code.
@Suite("PCM playback")
struct PCMPlaybackTests {
    @Test("samples written in uneven pieces land in the plugin's file bit-exact and in order after drain",
          arguments: [(PCMSampleFormat.s32, 2), (.s16, 8), (.float32, 3), (.s24Packed, 1)])
    func fileSink(sample: PCMSampleFormat, channels: Int) throws {
        let folder = try ScratchFolder("pcm-play")
        defer { folder.remove() }
        let output = folder.file("out.raw")
        let configuration = try folder.write(FilePluginConfiguration.playback(file: output), to: "asound.conf")
        let format = PCMStreamFormat(sample: sample, sampleRate: 48_000, channels: channels)
        let playback = try PCMPlayback(device: "speaker", configurationFile: configuration, format: format)

        let pieces = [1000, 3333, 5000, 1]
        let samples = WAVFileTests.exactSamples(sample, count: pieces.reduce(0, +) * channels, seed: UInt64(channels))
        var offset = 0
        for frames in pieces {
            try playback.write(Array(samples[(offset * channels)..<((offset + frames) * channels)]), timeout: 5)
            offset += frames
        }
        #expect(playback.framesWritten == Int64(offset))
        try playback.drain()
        #expect(playback.xruns == 0)
        playback.close()

        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output)))
        #expect(bytes.count == offset * format.bytesPerFrame)
        var played: [Double] = []
        bytes.withUnsafeBytes { sample.decode($0, into: &played) }
        #expect(played == samples, "the file holds other samples than were played")
    }

    @Test("a write that is not whole frames is .invalidArgument; writes after close are .closed")
    func misuse() throws {
        let folder = try ScratchFolder("pcm-play-misuse")
        defer { folder.remove() }
        let configuration = try folder.write(FilePluginConfiguration.playback(file: folder.file("out.raw")), to: "asound.conf")
        let playback = try PCMPlayback(device: "speaker", configurationFile: configuration,
                                       format: PCMStreamFormat(sample: .s16, sampleRate: 48_000, channels: 2))
        let error = #expect(throws: AudioError.self) { try playback.write([0.1, 0.2, 0.3], timeout: 1) }
        #expect(error?.cause == .invalidArgument)
        #expect(error?.description == "ALSA playback \"speaker\" (configuration \(configuration)): writei failed: "
            + "3 samples are not a whole number of 2-channel frames")
        playback.close()
        let closed = #expect(throws: AudioError.self) { try playback.write([0, 0], timeout: 1) }
        #expect(closed?.cause == .closed)
    }
}
