import ControlProtocol
import Foundation
import SensorIO
import SensorSim
import Testing

/// `sensorqual analyze acoustic` and `analyze aop`, run as a technician would, on WAV files written by sox (an
/// independent writer) and by SensorIO's `WAVFile`, with known answers from reference/acoustic.md §6.
@Suite struct AnalyzeAcousticTests {
    /// sox's path: scripts/install-deps installs it, and the tests that need it fail without it.
    static let sox: String? = ["/usr/bin/sox", "/usr/local/bin/sox", "/bin/sox"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs sox to completion in `folder`; fails the test if it exits nonzero.
    static func runSox(_ arguments: [String], in folder: TemporaryFolder) async throws {
        let status = try await ChildProcess(try #require(sox), arguments, directory: folder.path).exitStatus()
        #expect(status == 0, "sox \(arguments.joined(separator: " ")) exited with \(status)")
    }

    /// Writes a mono WAV with SensorIO's writer.
    static func writeWAV(_ samples: [Double], to path: String, format: PCMSampleFormat = .s24Packed, sampleRate: Int = 48_000) throws {
        try WAVFile(format: PCMStreamFormat(sample: format, sampleRate: sampleRate, channels: 1), interleaved: samples).write(path: path)
    }

    static func tone(amplitude: Double, frequency: Double = 1000, offset: Double = 0, count: Int) -> [Double] {
        (0..<count).map { offset + amplitude * sin(2 * Double.pi * frequency * Double($0) / 48_000) }
    }

    /// The TV-3 noise capture: white Gaussian noise σ = 2.765072e−5 (−91.00 dBFS(A) over 20 Hz–20 kHz) plus
    /// 0.0123 FS of DC, seeded.
    static func tv3Noise(count: Int, seed: UInt64) -> [Double] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in 0.0123 + 2.765072e-5 * random.gaussian() }
    }

    static func analyze(_ arguments: [String], in folder: TemporaryFolder) async throws -> JSONValue {
        let result = try await runCommand("sensorqual", ["analyze"] + arguments + ["--json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONValue(parsing: result.stdout)
    }

    /// A 1 kHz sine at vol 0.050118723 written by sox as 24-bit at 48 kHz reads −26.00 dBFS (±0.05 dB, TV-2), i.e.
    /// 94.00 dB SPL for a −26 dBFS mic; THD is below 0.001 %, nothing clips, no warning. The noise beside the
    /// tone is the tone's own leakage floor (about −119 dBFS(A)), and snr_db is S − noise_dbfs_a.
    @Test func soxToneAt94DBSPL() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await Self.runSox(["-n", "-r", "48000", "-b", "24", "tone.wav", "synth", "3", "sine", "1000", "vol", "0.050118723"], in: folder)
        let report = try await Self.analyze(["acoustic", folder.path + "/tone.wav", "--sensitivity-dbfs", "-26"], in: folder)
        func number(_ key: String) throws -> Double { try #require(report[key]?.doubleValue, "\(key)") }
        #expect(abs(try number("signal_dbfs") - -26.00) <= 0.05)
        #expect(abs(try number("spl_db") - 94.00) <= 0.05)
        #expect(abs(try number("tone_hz") - 1000) < 0.1)
        #expect(try number("thd_percent") < 0.001)
        #expect(try number("thdn_percent") < 0.01)
        #expect(try number("clipped_samples") == 0)
        #expect(try number("sample_rate_hz") == 48_000 && number("bits") == 24 && number("bandwidth_hz") == 20_000)
        #expect(try number("noise_dbfs_a") < -110)
        #expect(abs(try number("snr_db") - (-26 - number("noise_dbfs_a"))) < 1e-9)
        #expect(report["noise_source"]?.stringValue == "residual beside the tone")
        #expect(report["warnings"]?.arrayValue == [])
        #expect(report["band_limited"]?.boolValue == false)

        let human = try await runCommand("sensorqual", ["analyze", "acoustic", folder.path + "/tone.wav", "--sensitivity-dbfs", "-26"], in: folder)
        #expect(human.status == 0 && human.stdout.contains("-26.00 dBFS") && human.stdout.contains("94.00 dB SPL"))
    }

    /// TV-3 through files written by SensorIO: the tone capture (−26 dBFS + 0.0123 DC, 24-bit) and a separate quiet
    /// capture (the TV-3 noise, 32-bit float) given with --noise. Expected (±0.05 dB): signal −26.000 dBFS, noise
    /// −91.000 dBFS(A), SNR 65.000 dB, EIN 29 dB SPL(A). The quiet capture alone, with no tone in it, is taken as a
    /// noise capture and reads the same noise.
    @Test func tv3WithASeparateNoiseCapture() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try Self.writeWAV(Self.tone(amplitude: 0.050118723, offset: 0.0123, count: 480_000), to: folder.path + "/tone.wav")
        try Self.writeWAV(Self.tv3Noise(count: 480_000, seed: 3), to: folder.path + "/quiet.wav", format: .float32)
        let report = try await Self.analyze(["acoustic", folder.path + "/tone.wav", "--sensitivity-dbfs=-26",
                                             "--noise", folder.path + "/quiet.wav"], in: folder)
        func number(_ key: String) throws -> Double { try #require(report[key]?.doubleValue, "\(key)") }
        #expect(abs(try number("signal_dbfs") - -26.000) <= 0.05)
        #expect(abs(try number("noise_dbfs_a") - -91.000) <= 0.05)
        #expect(abs(try number("snr_db") - 65.000) <= 0.05)
        #expect(abs(try number("ein_db_spl_a") - 29.0) <= 0.05)
        #expect(report["noise_source"]?.stringValue == "quiet capture " + folder.path + "/quiet.wav")

        let quiet = try await Self.analyze(["acoustic", folder.path + "/quiet.wav", "--sensitivity-dbfs", "-26"], in: folder)
        #expect(abs(try #require(quiet["noise_dbfs_a"]?.doubleValue) - -91.000) <= 0.05)
        #expect(quiet["noise_source"]?.stringValue == "whole capture")
        #expect(quiet.objectValue?.keys.contains("signal_dbfs") == false && quiet.objectValue?.keys.contains("thd_percent") == false)
        let warnings = try #require(quiet["warnings"]?.arrayValue).compactMap(\.stringValue)
        #expect(warnings.contains { $0.hasPrefix("no tone within ±10 % of 1000 Hz") })
    }

    /// A 16-bit capture at 16 kHz (sox) is flagged twice: the 16-bit quantization floor, and the band stopping at
    /// fs/2 = 8 kHz, which makes the SNR "SNR(A, 20 Hz–fs/2)" rather than the spec figure (§5.5, §5.7).
    @Test func sixteenBitSixteenKilohertzIsFlagged() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try await Self.runSox(["-n", "-r", "16000", "-b", "16", "voice.wav", "synth", "3", "sine", "1000", "vol", "0.050118723"], in: folder)
        let report = try await Self.analyze(["acoustic", folder.path + "/voice.wav", "--sensitivity-dbfs", "-26"], in: folder)
        #expect(report["band_limited"]?.boolValue == true)
        #expect(report["bandwidth_hz"]?.doubleValue == 8_000)
        #expect(report["bits"]?.doubleValue == 16)
        #expect(abs(try #require(report["signal_dbfs"]?.doubleValue) - -26.00) <= 0.05)
        let warnings = try #require(report["warnings"]?.arrayValue).compactMap(\.stringValue)
        #expect(warnings.contains { $0.hasPrefix("16-bit capture") })
        #expect(warnings.contains { $0.hasPrefix("fs < 40 kHz: SNR(A, 20 Hz–fs/2) is bandwidth-limited") })
    }

    /// A second channel is chosen with --channel; a channel the file lacks is an error naming the file.
    @Test func channelSelection() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let tone = Self.tone(amplitude: 0.1, count: 48_000)
        let interleaved: [Double] = tone.flatMap { sample -> [Double] in [0, sample] }
        try WAVFile(format: PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 2), interleaved: interleaved)
            .write(path: folder.path + "/stereo.wav")
        let report = try await Self.analyze(["acoustic", folder.path + "/stereo.wav", "--sensitivity-dbfs", "-26", "--channel", "1"], in: folder)
        #expect(abs(try #require(report["signal_dbfs"]?.doubleValue) - 20 * log10(0.1)) <= 0.01)
        #expect(report["channel"]?.doubleValue == 1)
        let missing = try await runCommand("sensorqual", ["analyze", "acoustic", folder.path + "/stereo.wav", "--sensitivity-dbfs", "-26",
                                                          "--channel", "2"], in: folder)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains(folder.path + "/stereo.wav: no channel 2 (it has 2)"))
    }

    /// AOP from a sox sweep of 1 kHz sines driven past the full scale of a −26 dBFS mic (120 dB SPL) and clipped
    /// there: pure clipping reaches 10 % THD at FS + 2.2 dB (TV-6), so the AOP reads 122.2 dB SPL (±0.05 dB: log
    /// interpolation between +2 and +2.5 dB) and is digitally limited; THD at +1 dB is TV-6's 4.433 % (±0.01 %);
    /// the 1 % point lies between +0.25 and +0.5 dB.
    @Test func aopOfAClippedSweep() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var levels: [String] = []
        for drive in [-6.0, -3, 0.25, 0.5, 1, 2, 2.5, 3] {
            let name = "drive\(drive).wav"
            try await Self.runSox(["-n", "-r", "48000", "-b", "24", name, "synth", "1", "sine", "1000", "vol", String(pow(10, drive / 20))], in: folder)
            levels += ["--level", "\(120 + drive)=\(folder.path)/\(name)"]
        }
        let report = try await Self.analyze(["aop", "--sensitivity-dbfs", "-26"] + levels, in: folder)
        func number(_ key: String) throws -> Double { try #require(report[key]?.doubleValue, "\(key)") }
        #expect(abs(try number("aop_db_spl") - 122.2) <= 0.05)
        #expect(report["aop_status"]?.stringValue == "interpolated")
        #expect(report["digitally_limited"]?.boolValue == true)
        #expect(report["method"]?.stringValue == "log10(THD) interpolated linearly in SPL")
        #expect(try number("full_scale_db_spl") == 120 && number("highest_spl_tested") == 123)
        let onePercent = try number("one_percent_db_spl")
        #expect(onePercent > 120.25 && onePercent < 120.5)
        let points = try #require(report["points"]?.arrayValue)
        #expect(points.count == 8)
        let plusOne = try #require(points.first { $0["spl"]?.doubleValue == 121 })
        #expect(abs(try #require(plusOne["thd_percent"]?.doubleValue) - 4.433) <= 0.01)
        #expect(try #require(plusOne["clipped_samples"]?.doubleValue) > 0)
        #expect(try #require(points.first?["thd_percent"]?.doubleValue) < 0.001)

        // A threshold never reached: only the unclipped levels.
        let quiet = try await Self.analyze(["aop", "--sensitivity-dbfs", "-26"] + levels.prefix(4), in: folder)
        #expect(quiet["aop_db_spl"]?.isNull == true)
        #expect(quiet["aop_status"]?.stringValue == "above_highest_tested")
        #expect(quiet["highest_spl_tested"]?.doubleValue == 117)
        #expect(quiet["digitally_limited"]?.boolValue == false)
    }

    /// The same crossing from float WAVs written by SensorIO on a 0.1 dB grid: TV-6's +2.199 dB, i.e.
    /// 122.199 dB SPL (±0.01 dB).
    @Test func aopOfWrittenFiles() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var levels: [String] = []
        for step in 0...10 {
            let drive = 1.7 + 0.1 * Double(step)
            let path = folder.path + "/step\(step).wav"
            try Self.writeWAV(Self.tone(amplitude: pow(10, drive / 20), count: 48_000).map { min(1, max(-1, $0)) }, to: path, format: .float32)
            levels += ["--level", "\(120 + drive)=\(path)"]
        }
        let report = try await Self.analyze(["aop", "--sensitivity-dbfs", "-26"] + levels, in: folder)
        #expect(abs(try #require(report["aop_db_spl"]?.doubleValue) - 122.199) <= 0.01)
        #expect(report["digitally_limited"]?.boolValue == true)
    }

    /// Bad input is an error naming the file and the reason, exit status 2: text posing as WAV, µ-law (sox), a
    /// capture shorter than one Welch segment, a missing file, a file with no tone in an AOP sweep, and a --level
    /// without its SPL.
    @Test func badFilesNameTheFileAndReason() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "hello\n".write(toFile: folder.path + "/text.wav", atomically: false, encoding: .utf8)
        try Self.writeWAV(Self.tone(amplitude: 0.1, count: 4_800), to: folder.path + "/short.wav")
        try Self.writeWAV(Self.tv3Noise(count: 48_000, seed: 9), to: folder.path + "/quiet.wav")
        var cases: [([String], String)] = [
            (["acoustic", folder.path + "/text.wav"], folder.path + "/text.wav: not a RIFF/WAVE file"),
            (["acoustic", folder.path + "/short.wav"],
             folder.path + "/short.wav: 4800 samples, fewer than one Welch segment (16384 samples"),
            (["acoustic", folder.path + "/none.wav"], folder.path + "/none.wav: open failed"),
            (["aop", "--level", "120=" + folder.path + "/quiet.wav"],
             folder.path + "/quiet.wav: no tone within ±10 % of 1000.0 Hz"),
            (["aop", "--level", folder.path + "/quiet.wav"], "--level takes SPL=FILE.wav"),
        ]
        if Self.sox != nil {
            try await Self.runSox(["-n", "-r", "8000", "-e", "u-law", "-b", "8", "ulaw.wav", "synth", "1", "sine", "1000"], in: folder)
            cases.append((["acoustic", folder.path + "/ulaw.wav"], folder.path + "/ulaw.wav: unsupported format tag 0x0007"))
        }
        for (arguments, message) in cases {
            let result = try await runCommand("sensorqual", ["analyze"] + arguments + ["--sensitivity-dbfs", "-26"], in: folder)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }
}
