import Foundation
import Glibc
import SensorDrivers
import SensorIO
import SensorMetrics
import Testing

/// The rig's own sound source through the real libasound playback path: ALSA's `file` plugin writes what the
/// player plays into a FIFO the test reads, so the level and the tone are measured on the bytes ALSA produced.
@Suite struct ALSATonePlayerTests {
    @Test func playsTheLevelAskedForAndRefusesWhatItCannot() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sensorqual-tone-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fifo = folder + "/speaker.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // Open the read end first (non-blocking open, then blocking reads), so the plugin's open for writing
        // finds a reader; a closed reader must surface as EPIPE, not kill the test.
        signal(SIGPIPE, SIG_IGN)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) & ~O_NONBLOCK)
        let configuration = folder + "/asound.conf"
        try """
            pcm.speaker {
                type file
                slave.pcm { type null }
                file "\(fifo)"
                format "raw"
            }

            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let format = PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 2)
        let player = try ALSATonePlayer(device: "speaker", configurationFile: configuration, format: format, fullScaleSPL: 140)
        try player.play(frequency: 1000, spl: 120)   // 20 dB under full scale: a −20 dBFS sine

        // Skip the silence written before the tone, then take one second of it.
        var left = AcousticChannelAnalysis(sampleRate: 48_000)
        var right: [Double] = []
        var started = false
        var buffer = [UInt8](repeating: 0, count: 8 * 1024)
        var pending: [UInt8] = []
        while left.sampleCount < 48_000 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(reader, $0.baseAddress, $0.count) }
            try #require(count > 0, "the FIFO ended after \(left.sampleCount) samples")
            pending += buffer[0..<count]
            let whole = pending.count / format.bytesPerFrame * format.bytesPerFrame
            var samples: [Double] = []
            pending[0..<whole].withUnsafeBytes { format.sample.decode($0, into: &samples) }
            pending.removeFirst(whole)
            for frame in 0..<(samples.count / 2) where left.sampleCount < 48_000 {
                started = started || samples[2 * frame] != 0
                guard started else { continue }
                left.add(CollectionOfOne(samples[2 * frame]))
                right.append(samples[2 * frame + 1])
            }
        }
        let tone = try left.measureDistortion(nominalToneHz: 1000)
        #expect(abs(tone.fundamentalDBFS - -20) < 0.01, "\(tone.fundamentalDBFS) dBFS")
        #expect(abs(tone.fundamentalFrequency - 1000) < 0.5)
        #expect(tone.thdPercent < 0.001)   // a 32-bit sine, phase-continuous across the player's blocks
        #expect(abs(SoundLevel.dBFS(samples: right) - -20) < 0.01)   // both channels carry it

        #expect(throws: InstrumentError.self) { try player.play(frequency: 1000, spl: 141) }
        close(reader)   // the plugin's next write meets EPIPE; the player's thread ends
        player.close()
    }
}
