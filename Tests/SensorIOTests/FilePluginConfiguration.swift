@testable import SensorIO

/// ALSA configuration files for the tests: a PCM on ALSA's real `file` plugin over a `null` slave, so capture
/// and playback run through libasound without a sound card. Loaded alone (`configurationFile:`), they never
/// touch `~/.asoundrc`.
enum FilePluginConfiguration {
    /// `pcm.<name>` capturing from `infile` (raw interleaved frames in the stream's format).
    static func capture(name: String = "chamber", infile: String) -> String {
        """
        # SensorQual test chamber: capture reads \(infile)
        pcm.\(name) {
            type file
            slave.pcm { type null }
            file "/dev/null"
            infile "\(infile)"
            format "raw"
        }

        """
    }

    /// `pcm.<name>` playing into `file` (raw interleaved frames in the stream's format).
    static func playback(name: String = "speaker", file: String) -> String {
        """
        pcm.\(name) {
            type file
            slave.pcm { type null }
            file "\(file)"
            format "raw"
        }

        """
    }

    /// Little-endian bytes of integer sample codes, 2 or 4 bytes each.
    static func rawBytes(_ codes: [Int32], bytesPerSample: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(codes.count * bytesPerSample)
        for code in codes {
            for index in 0..<bytesPerSample { bytes.append(UInt8(truncatingIfNeeded: code >> Int32(8 * index))) }
        }
        return bytes
    }

    /// `count` seeded codes of a `bits`-bit integer format, starting with its extremes, zero and ±1.
    static func codes(bits: Int, count: Int, seed: UInt64) -> [Int32] {
        let lowest = -(Int64(1) << (bits - 1)), highest = (Int64(1) << (bits - 1)) - 1
        var values: [Int32] = [Int32(lowest), Int32(highest), 0, 1, -1]
        var random = SplitMix(seed: seed)
        while values.count < count {
            values.append(Int32(truncatingIfNeeded: Int64(bitPattern: random.next()) >> (64 - bits)))
        }
        return Array(values.prefix(count))
    }
}
