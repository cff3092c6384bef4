import ArgumentParser
import Foundation
import SensorIO
import SensorMetrics

extension Sensorqual.Analyze {
    /// `sensorqual analyze acoustic`: SNR, THD and clipping of one microphone recording (reference/acoustic.md §1–§2).
    struct Acoustic: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "acoustic",
            abstract: "Tone level, THD, THD+N, A-weighted noise and SNR of a microphone recording (WAV).",
            discussion: """
                Levels are sine-referenced dBFS (a full-scale sine is 0 dBFS; acoustic.md §1.2). The tone near \
                --tone-hz is read from a Blackman-Harris Welch PSD (segment: the power of two ≥ fs/3, 16384 at \
                48 kHz; 50 % overlap): signal_dbfs is its main-lobe power, THD the amplitude ratio of H2–H6 \
                (100·√(ΣP_h/P_1) %), THD+N the F form, referenced to the fundamental, over 20 Hz–20 kHz.

                noise_dbfs_a is the A-weighted noise over 20 Hz–min(20 kHz, fs/2) (§1.8). With --noise it comes from \
                that quiet capture (Hann PSD): the spec method. Without it, a file holding a tone gives the \
                residual beside the tone: the Blackman-Harris PSD with the main lobes of the fundamental and \
                harmonics (±8 bins) replaced by the band's median; its floor is the tone's own leakage, about \
                92 dB below the tone. A file with no tone near --tone-hz is taken as the quiet capture.

                snr_db = S − noise_dbfs_a: the spec SNR is referred to the 94 dB SPL, 1 kHz signal, which reads S \
                dBFS (§1.3), not to the tone in the file; spl_db is the tone's SPL through S. Below fs = 40 kHz \
                the band stops at fs/2 and the SNR is flagged as bandwidth-limited (§5.5). Clipped samples are \
                those at or beyond one LSB below full scale (§5.8).

                A file that is not a readable WAV, has no such channel, or is shorter than one Welch segment is \
                an error naming the file and the reason (exit status 2).
                """)

        @Argument(help: "The recording: a WAV file (PCM 16/24/32-bit or float).")
        var file: String

        @OptionGroup var tone: ToneOptions

        @Option(help: "A separate quiet capture (WAV) for noise_dbfs_a, the spec method.")
        var noise: String?

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() throws {
            let (sensitivityDBFS, toneHz, channel) = (tone.sensitivityDBFS, tone.toneHz, tone.channel)
            let recording = try ChannelRecording(path: file, channel: channel)
            var report = AcousticReport(recording: recording, channel: channel, sensitivityDBFS: sensitivityDBFS)

            let noise: WeightedNoise
            let residualBase: HarmonicDistortion?
            do {
                let distortion = try recording.analysis.measureDistortion(nominalToneHz: toneHz)
                report.addTone(distortion)
                residualBase = distortion
            } catch .noTone {
                report.warnings.append("no tone within ±10 % of \(Self.format(toneHz, "%g")) Hz: the file is taken as a noise capture")
                residualBase = nil
            } catch {
                throw AcousticFileError(path: file, reason: error.description)
            }
            if let noisePath = self.noise {
                let quiet = try ChannelRecording(path: noisePath, channel: channel)
                noise = try quiet.noise()
                report.noiseSource = "quiet capture \(noisePath)"
                report.warnings += quiet.warnings.map { "\(noisePath): \($0)" }
            } else if let residualBase, let residual = recording.analysis.residualNoise(besides: residualBase) {
                noise = residual
                report.noiseSource = "residual beside the tone"
            } else {
                noise = try recording.noise()
                report.noiseSource = "whole capture"
            }
            report.addNoise(noise)
            report.warnings = recording.warnings + report.warnings

            if json {
                Terminal.write(try AcousticReport.encoded(report))
            } else {
                Terminal.write(report.rendered)
            }
        }

        static func format(_ value: Double, _ format: String) -> String { String(format: format, value) }
    }

    /// `sensorqual analyze aop`: the acoustic overload point from a THD-versus-SPL sweep of recordings (§1.5, §2).
    struct AOP: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "aop",
            abstract: "Acoustic overload point (10 % THD) and 1 % point from recordings of a level sweep.",
            discussion: """
                Give one --level SPL=FILE.wav per step: the SPL the reference microphone measured, and the \
                recording of the microphone under test at it. THD (H2–H6, amplitude ratio) of the tone near \
                --tone-hz is read from each file as by `analyze acoustic`. The 10 % and 1 % crossings are \
                interpolated between the last level below and the first at or above, with log10(THD) linear in \
                SPL (acoustic.md TV-7). A threshold never reached is reported as above the highest SPL tested \
                (null crossing, status above_highest_tested).

                The sensitivity S puts digital full scale at 94 − S dB SPL; a 10 % crossing at or above \
                full scale − 2 dB is reported as digitally limited: hard clipping alone reaches 10 % THD at \
                2.2 dB over full scale (§1.5, §5.8).
                """)

        @OptionGroup var tone: ToneOptions

        @Option(name: .customLong("level"), help: "One step of the sweep: SPL=FILE.wav (dB SPL at the reference mic).")
        var levels: [String] = []

        @Flag(help: "Print one JSON object.")
        var json = false

        func validate() throws {
            guard !levels.isEmpty else { throw ValidationError("give at least one --level SPL=FILE.wav") }
            for level in levels where Self.parse(level) == nil {
                throw ValidationError("--level takes SPL=FILE.wav with SPL a number of dB SPL, not '\(level)'")
            }
        }

        static func parse(_ level: String) -> (spl: Double, path: String)? {
            guard let equals = level.firstIndex(of: "=") else { return nil }
            let path = String(level[level.index(after: equals)...])
            guard let spl = Double(level[..<equals].trimmingCharacters(in: .whitespaces)), spl.isFinite, !path.isEmpty
            else { return nil }
            return (spl, path)
        }

        func run() throws {
            let (sensitivityDBFS, toneHz, channel) = (tone.sensitivityDBFS, tone.toneHz, tone.channel)
            var steps: [AOPReport.Step] = []
            var warnings: [String] = []
            for level in levels {
                guard let (spl, path) = Self.parse(level) else { continue }
                let recording = try ChannelRecording(path: path, channel: channel)
                let distortion: HarmonicDistortion
                do {
                    distortion = try recording.analysis.measureDistortion(nominalToneHz: toneHz)
                } catch {
                    throw AcousticFileError(path: path, reason: error.description)
                }
                warnings += recording.warnings.map { "\(path): \($0)" }
                if distortion.harmonicCount < HarmonicDistortion.harmonicOrders.count {
                    warnings.append("\(path): only \(distortion.harmonicCount) harmonics lie below min(fs/2, 20 kHz)")
                }
                steps.append(AOPReport.Step(
                    file: path, spl: spl, thdPercent: distortion.thdPercent, thdnPercent: distortion.thdPlusNoisePercent,
                    signalDBFS: distortion.fundamentalDBFS,
                    measuredSPL: SoundLevel.spl(dBFS: distortion.fundamentalDBFS, sensitivityDBFS: sensitivityDBFS),
                    clippedSamples: recording.analysis.clippedSamples))
            }
            let points = steps.map { OverloadPoint.Point(spl: $0.spl, thdPercent: $0.thdPercent) }
            let fullScale = SoundLevel.fullScaleSPL(sensitivityDBFS: sensitivityDBFS)
            guard let aop = OverloadPoint(points: points, thresholdPercent: 10, fullScaleSPL: fullScale),
                  let onePercent = OverloadPoint(points: points, thresholdPercent: 1, fullScaleSPL: fullScale)
            else { throw ValidationError("no usable level in the sweep") }
            let report = AOPReport(sensitivityDBFS: sensitivityDBFS, toneHz: toneHz, aop: aop, onePercent: onePercent,
                                   steps: steps.sorted { $0.spl < $1.spl }, warnings: warnings)
            if json {
                Terminal.write(try AcousticReport.encoded(report))
            } else {
                Terminal.write(report.rendered)
            }
        }
    }
}

/// A recording that cannot be analysed: the file and the reason (exit status 2).
/// What both acoustic analyses need to know about the recording: the microphone's sensitivity, the tone, the channel.
struct ToneOptions: ParsableArguments {
    @Option(name: .customLong("sensitivity-dbfs"), parsing: .unconditional,
            help: "The microphone's sensitivity S: dBFS for a 1 kHz sine at 94 dB SPL (e.g. -26).")
    var sensitivityDBFS: Double

    @Option(name: .customLong("tone-hz"), help: "The nominal tone frequency; the peak within ±10 % is used.")
    var toneHz: Double = 1000

    @Option(help: "The channel to analyse (in every file), 0-based.")
    var channel: Int = 0

    func validate() throws {
        guard sensitivityDBFS.isFinite else { throw ValidationError("--sensitivity-dbfs must be a number of dBFS") }
        guard toneHz.isFinite, toneHz > 0 else { throw ValidationError("--tone-hz must be a positive number of Hz") }
        guard channel >= 0 else { throw ValidationError("--channel must be 0 or more") }
    }
}

struct AcousticFileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\(path): \(reason)" }
}

/// One channel of a WAV recording, run through the streaming acoustic analysis.
struct ChannelRecording {
    let path: String
    let format: PCMStreamFormat
    let analysis: AcousticChannelAnalysis

    init(path: String, channel: Int) throws {
        let wav = try WAVFile.read(path: path)
        guard wav.format.sampleRate > 0 else { throw AcousticFileError(path: path, reason: "sample rate 0 Hz") }
        guard (0..<wav.format.channels).contains(channel) else {
            throw AcousticFileError(path: path, reason: "no channel \(channel) (it has \(wav.format.channels))")
        }
        var analysis = AcousticChannelAnalysis(sampleRate: Double(wav.format.sampleRate), clipLevel: wav.format.sample.clipLevel)
        guard wav.frameCount >= analysis.segmentLength else {
            throw AcousticFileError(path: path, reason: """
                \(wav.frameCount) samples, fewer than one Welch segment (\(analysis.segmentLength) samples, \
                \(String(format: "%.3f", Double(analysis.segmentLength) / Double(wav.format.sampleRate))) s at \
                \(wav.format.sampleRate) Hz)
                """)
        }
        analysis.add(wav.samples(channel: channel))
        self.path = path
        self.format = wav.format
        self.analysis = analysis
    }

    /// The A-weighted noise of the whole recording taken as a quiet capture.
    func noise() throws -> WeightedNoise {
        guard let noise = analysis.noise() else { throw AcousticFileError(path: path, reason: "no whole Welch segment") }
        return noise
    }

    /// What limits the figures from this recording (acoustic.md §5.5, §5.7, §5.8).
    var warnings: [String] {
        var warnings: [String] = []
        if !format.sample.isFloat, format.sample.significantBits <= 16 {
            warnings.append("16-bit capture: its quantization floor, −100.93 dBFS(A), can mask the microphone's noise; capture 24 or 32 bits")
        }
        if format.sampleRate < 40_000 {
            warnings.append("fs < 40 kHz: SNR(A, 20 Hz–fs/2) is bandwidth-limited (20–\(format.sampleRate / 2) Hz), not the 20 Hz–20 kHz spec figure")
        }
        if analysis.clippedSamples > 0 {
            warnings.append("\(analysis.clippedSamples) clipped samples (at or beyond one LSB below full scale)")
        }
        return warnings
    }
}

/// The result of `analyze acoustic`, as printed.
struct AcousticReport: Encodable {
    var file: String
    var channel: Int
    var sampleRateHz: Int
    var bits: Int
    var sampleFormat: String
    var durationSeconds: Double
    var samples: Int
    var welchSegmentLength: Int
    var sensitivityDBFS: Double
    var fullScaleSPL: Double
    var toneHz: Double?
    var signalDBFS: Double?
    var splDB: Double?
    var thdPercent: Double?
    var thdDB: Double?
    var thdnPercent: Double?
    var harmonics: Int?
    var window: String?
    var noiseDBFSA: Double = .nan
    var noiseDBFSUnweighted: Double = .nan
    var noiseSource = ""
    var snrDB: Double = .nan
    var einDBSPLA: Double = .nan
    var bandwidthHz: Double = .nan
    var bandHz: [Double] = []
    var bandLimited = false
    var clippedSamples: Int
    var peakDBFS: Double
    var warnings: [String] = []

    enum CodingKeys: String, CodingKey {
        case file, channel, bits, samples, window, harmonics, warnings
        case sampleRateHz = "sample_rate_hz", sampleFormat = "sample_format", durationSeconds = "duration_s"
        case welchSegmentLength = "welch_segment_length", sensitivityDBFS = "sensitivity_dbfs"
        case fullScaleSPL = "full_scale_db_spl", toneHz = "tone_hz", signalDBFS = "signal_dbfs", splDB = "spl_db"
        case thdPercent = "thd_percent", thdDB = "thd_db", thdnPercent = "thdn_percent"
        case noiseDBFSA = "noise_dbfs_a", noiseDBFSUnweighted = "noise_dbfs_unweighted", noiseSource = "noise_source"
        case snrDB = "snr_db", einDBSPLA = "ein_db_spl_a", bandwidthHz = "bandwidth_hz", bandHz = "band_hz"
        case bandLimited = "band_limited", clippedSamples = "clipped_samples", peakDBFS = "peak_dbfs"
    }

    init(recording: ChannelRecording, channel: Int, sensitivityDBFS: Double) {
        let analysis = recording.analysis
        file = recording.path
        self.channel = channel
        sampleRateHz = recording.format.sampleRate
        bits = recording.format.sample.significantBits
        sampleFormat = recording.format.sample.rawValue
        durationSeconds = analysis.durationSeconds
        samples = analysis.sampleCount
        welchSegmentLength = analysis.segmentLength
        self.sensitivityDBFS = sensitivityDBFS
        fullScaleSPL = SoundLevel.fullScaleSPL(sensitivityDBFS: sensitivityDBFS)
        clippedSamples = analysis.clippedSamples
        peakDBFS = 20 * log10(analysis.peakMagnitude)
    }

    mutating func addTone(_ distortion: HarmonicDistortion) {
        toneHz = distortion.fundamentalFrequency
        signalDBFS = distortion.fundamentalDBFS
        splDB = SoundLevel.spl(dBFS: distortion.fundamentalDBFS, sensitivityDBFS: sensitivityDBFS)
        thdPercent = distortion.thdPercent
        thdDB = distortion.thdDB
        thdnPercent = distortion.thdPlusNoisePercent
        harmonics = distortion.harmonicCount
        window = distortion.window.scipyName
    }

    mutating func addNoise(_ noise: WeightedNoise) {
        noiseDBFSA = noise.aWeightedDBFS
        noiseDBFSUnweighted = noise.unweightedDBFS
        snrDB = noise.signalToNoiseRatio(sensitivityDBFS: sensitivityDBFS)
        einDBSPLA = SoundLevel.equivalentInputNoise(snrDB: snrDB)
        bandwidthHz = noise.band.upperBound
        bandHz = [noise.band.lowerBound, noise.band.upperBound]
        bandLimited = noise.isBandLimited
    }

    var rendered: String {
        func f(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "-" }
        var text = "\(file): \(sampleFormat), \(sampleRateHz) Hz, \(f(durationSeconds, "%.3f")) s (\(samples) samples; Welch L = \(welchSegmentLength))\n"
        var table = Table("FIGURE", "VALUE", "NOTE")
        if let signalDBFS {
            table.add(["tone", "\(f(signalDBFS, "%.2f")) dBFS", "\(f(toneHz, "%.2f")) Hz = \(f(splDB, "%.2f")) dB SPL at S = \(f(sensitivityDBFS, "%g")) dBFS"])
            table.add(["THD", "\(f(thdPercent, "%.4f")) %", "\(f(thdDB, "%.2f")) dB, H2–H\((harmonics ?? 0) + 1), \(window ?? "")"])
            table.add(["THD+N", "\(f(thdnPercent, "%.4f")) %", "referenced to the fundamental"])
        }
        table.add(["noise", "\(f(noiseDBFSA, "%.2f")) dBFS(A)", "\(f(noiseDBFSUnweighted, "%.2f")) dBFS unweighted, 20–\(f(bandwidthHz, "%g")) Hz, \(noiseSource)"])
        table.add([bandLimited ? "SNR(A, 20 Hz–fs/2)" : "SNR", "\(f(snrDB, "%.2f")) dB", "S − noise; EIN \(f(einDBSPLA, "%.2f")) dB SPL(A)"])
        table.add(["clipped", "\(clippedSamples) samples", "peak \(f(peakDBFS, "%.2f")) dBFS"])
        text += table.rendered
        for warning in warnings { text += "warning: \(warning)\n" }
        return text
    }

    /// One JSON object and a newline; non-finite numbers as strings ("-Infinity" for a THD of nothing).
    static func encoded(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}

/// The result of `analyze aop`, as printed.
struct AOPReport: Encodable {
    struct Step: Encodable {
        var file: String
        var spl: Double
        var thdPercent: Double
        var thdnPercent: Double
        var signalDBFS: Double
        var measuredSPL: Double
        var clippedSamples: Int

        enum CodingKeys: String, CodingKey {
            case file, spl
            case thdPercent = "thd_percent", thdnPercent = "thdn_percent", signalDBFS = "signal_dbfs"
            case measuredSPL = "measured_spl", clippedSamples = "clipped_samples"
        }
    }

    var sensitivityDBFS: Double
    var toneHz: Double
    var aop: OverloadPoint
    var onePercent: OverloadPoint
    var steps: [Step]
    var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case sensitivityDBFS = "sensitivity_dbfs", toneHz = "tone_hz", fullScaleSPL = "full_scale_db_spl"
        case aopSPL = "aop_db_spl", aopStatus = "aop_status", onePercentSPL = "one_percent_db_spl"
        case onePercentStatus = "one_percent_status", method, digitallyLimited = "digitally_limited"
        case highestSPL = "highest_spl_tested", lowestSPL = "lowest_spl_tested", points, warnings
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(sensitivityDBFS, forKey: .sensitivityDBFS)
        try container.encode(toneHz, forKey: .toneHz)
        try container.encode(SoundLevel.fullScaleSPL(sensitivityDBFS: sensitivityDBFS), forKey: .fullScaleSPL)
        try container.encode(aop.crossingSPL, forKey: .aopSPL)
        try container.encode(Self.statusName(aop.status), forKey: .aopStatus)
        try container.encode(onePercent.crossingSPL, forKey: .onePercentSPL)
        try container.encode(Self.statusName(onePercent.status), forKey: .onePercentStatus)
        try container.encode(aop.method, forKey: .method)
        try container.encode(aop.digitallyLimited, forKey: .digitallyLimited)
        try container.encode(aop.highestSPLTested, forKey: .highestSPL)
        try container.encode(aop.lowestSPLTested, forKey: .lowestSPL)
        try container.encode(steps, forKey: .points)
        try container.encode(warnings, forKey: .warnings)
    }

    static func statusName(_ status: OverloadPoint.Status) -> String {
        switch status {
        case .interpolated: "interpolated"
        case .atOrBelowLowestTested: "at_or_below_lowest_tested"
        case .aboveHighestTested: "above_highest_tested"
        }
    }

    static func crossingText(_ point: OverloadPoint) -> String {
        switch point.status {
        case .interpolated: point.crossingSPL.map { String(format: "%.2f dB SPL", $0) } ?? "-"
        case .atOrBelowLowestTested: String(format: "≤ %.2f dB SPL (reached at the lowest level)", point.lowestSPLTested)
        case .aboveHighestTested: String(format: "> %.2f dB SPL (not reached)", point.highestSPLTested)
        }
    }

    var rendered: String {
        var table = Table("SPL (dB)", "THD (%)", "THD+N (%)", "TONE (dBFS)", "CLIPPED", "FILE")
        for step in steps {
            table.add([String(format: "%.2f", step.spl), String(format: "%.4f", step.thdPercent), String(format: "%.4f", step.thdnPercent),
                       String(format: "%.2f", step.signalDBFS), String(step.clippedSamples), step.file])
        }
        var text = table.rendered
        text += "AOP (10 % THD): \(Self.crossingText(aop))" + (aop.digitallyLimited ? ", digitally limited" : "") + "\n"
        text += "1 % THD: \(Self.crossingText(onePercent))\n"
        text += String(format: "full scale: %.2f dB SPL (S = %g dBFS); %@\n", aop.fullScaleSPL ?? .nan, sensitivityDBFS, aop.method)
        for warning in warnings { text += "warning: \(warning)\n" }
        return text
    }
}
