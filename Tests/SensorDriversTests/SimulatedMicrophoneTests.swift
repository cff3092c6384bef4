import Foundation
import Glibc
import SensorIO
import SensorMetrics
import SensorSim
import SensorStats
import Testing

/// The simulated acoustic chamber against the figures its microphone models are built from (reference/acoustic.md
/// §1, §3, §5): sensitivity, A-weighted noise = EIN, THD at and below the AOP, digital clipping, determinism.
@Suite struct SimulatedMicrophoneTests {
    static let sampleRate = 48_000.0
    /// dBFS → dBV for the 5.0 V-peak ADC of the analog models: + 20·log10(5/√2) = +10.97 dB.
    static let analogScale = 20 * log10(5.0 / 2.0.squareRoot())

    /// An analog DUT, a digital DUT, the reference and an unused slot.
    static func chamber(seed: UInt64 = 7) throws -> AcousticChamber {
        try AcousticChamber(sampleRate: sampleRate,
                            slots: [.dut(.im73a135, seed: 101), .dut(.inmp441, seed: 202),
                                    .reference(.referenceQuarterInch, seed: 303), .unused],
                            seed: seed)
    }

    /// 94 dB SPL at 1 kHz, coherent 1 s (1000 cycles, §2). The reference reads the true SPL with its certificate
    /// (commanded + the source's 0.4 dB gain error); each DUT, referred to that SPL, reads its own unit's
    /// sensitivity (SPL = L − S + 94, §1.1) to ±0.05 dB.
    @Test func sensitivityReadsEachUnitsOwnValue() throws {
        let chamber = try Self.chamber()
        try chamber.setTone(frequency: 1000, spl: 94)
        let frames = chamber.render(frames: 48_000)
        let dBFS = (0..<3).map { 20 * log10(toneAmplitude(channel(frames, $0, of: 4), frequency: 1000)) }

        let certificate = try #require(chamber.referenceCertificate)
        let trueSPL = SoundLevel.spl(dBV: dBFS[2] + Self.analogScale, sensitivityDBV: certificate)
        #expect(abs(trueSPL - 94.4) < 0.05, "reference reads \(trueSPL) dB SPL")

        let analog = try #require(chamber.microphones[0])
        let analogSensitivity = dBFS[0] + Self.analogScale - (trueSPL - 94)
        #expect(abs(analogSensitivity - analog.sensitivity) < 0.05,
                "IM73A135 unit reads \(analogSensitivity) dBV, is \(analog.sensitivity) dBV")
        let digital = try #require(chamber.microphones[1])
        let digitalSensitivity = dBFS[1] - (trueSPL - 94)
        #expect(abs(digitalSensitivity - digital.sensitivity) < 0.05,
                "INMP441 unit reads \(digitalSensitivity) dBFS, is \(digital.sensitivity) dBFS")

        // The units are drawn inside their tolerance, not at the nominal value.
        for microphone in chamber.microphones.compactMap({ $0 }) {
            #expect(abs(microphone.sensitivityOffset) <= microphone.model.sensitivityTolerance)
            #expect(microphone.sensitivityOffset != 0)
        }
        #expect(abs(digital.fullScaleSPL - (94 - digital.sensitivity)) < 1e-9)
        #expect(channel(frames, 3, of: 4).allSatisfy { $0 == 0 })
    }

    /// Source off, 5 s: the A-weighted 20 Hz–20 kHz noise (Welch, Hann 16384, 50 %, weighted bin by bin with the IEC
    /// A-curve, §1.8) is S − SNR, raised by the 8 dB SPL(A) ambient noise: +0.21 dB for the IM73A135 (EIN 21),
    /// +0.01 dB for the INMP441 (EIN 33), +0.03 dB for the reference (30 dB(A)). Within ±0.3 dB.
    @Test func noiseFloorIsTheEquivalentInputNoise() throws {
        let chamber = try Self.chamber()
        let frames = chamber.render(frames: 240_000)
        for index in 0..<3 {
            let microphone = try #require(chamber.microphones[index])
            var level = aWeightedNoiseDBFS(channel(frames, index, of: 4))
            if case .analog = microphone.model.output { level += Self.analogScale }
            let ein = microphone.model.equivalentInputNoise
            let expected = microphone.sensitivity - microphone.model.signalToNoiseRatio
                + SoundLevel.ambientNoiseError(marginDB: ein - chamber.ambientLevel)
            #expect(abs(level - expected) < 0.3, "\(microphone.model.name): noise \(level), expected \(expected)")
        }
    }

    /// THD (H2–H6 over the fundamental, amplitude ratio, §1.4) by a coherent DFT of 1 s: 10 % ± 0.5 % at the
    /// IM73A135's AOP (true 135 dB SPL), and 10 dB below it about a third of that (AN-1112's rule of thumb), as the
    /// model's own formula says. The reference microphone stays under 0.1 % at 140 dB SPL, source distortion included.
    @Test func distortionReachesTenPercentAtTheOverloadPoint() throws {
        let chamber = try Self.chamber()
        let model = MicrophoneModel.im73a135
        try chamber.setTone(frequency: 1000, spl: model.acousticOverloadPoint - chamber.sourceGainError)
        let atOverload = harmonicDistortion(channel(chamber.render(frames: 48_000), 0, of: 4), frequency: 1000)
        #expect(abs(atOverload - 0.10) < 0.005, "THD at the AOP: \(atOverload)")

        try chamber.setTone(frequency: 1000, spl: model.acousticOverloadPoint - 10 - chamber.sourceGainError)
        let below = harmonicDistortion(channel(chamber.render(frames: 48_000), 0, of: 4), frequency: 1000)
        let predicted = model.totalHarmonicDistortion(spl: model.acousticOverloadPoint - 10)
        #expect(abs(below - predicted) < 0.0005, "THD at AOP − 10 dB: \(below), model \(predicted)")
        #expect((2.8...3.6).contains(atOverload / below), "THD ratio per 10 dB: \(atOverload / below)")

        try chamber.setTone(frequency: 1000, spl: 140 - chamber.sourceGainError)
        let reference = harmonicDistortion(channel(chamber.render(frames: 48_000), 2, of: 4), frequency: 1000)
        #expect(reference < 0.001, "reference THD at 140 dB SPL: \(reference)")
    }

    /// The INMP441's word is full at 120 dB SPL (94 + 26): no sample reaches ±1.0 at 110 dB SPL; above 120 dB SPL
    /// the positive peaks (raised by the second-order term) sit at +1.0 exactly, and at 126 dB SPL both rails; no
    /// sample is ever beyond them. The encoder turns +1.0 into the largest 24-bit code (§5.8).
    @Test func digitalWordClipsAtFullScale() throws {
        let chamber = try AcousticChamber(sampleRate: Self.sampleRate, slots: [.dut(.inmp441, seed: 202)], seed: 7,
                                          sourceGainError: 0)
        try chamber.setTone(frequency: 1000, spl: 110)
        let quiet = chamber.render(frames: 4_800)
        #expect(quiet.allSatisfy { abs($0) < 0.5 })
        try chamber.setTone(frequency: 1000, spl: 121)
        let over = chamber.render(frames: 4_800)
        #expect(over.max() == 1.0)
        try chamber.setTone(frequency: 1000, spl: 126)
        let loud = chamber.render(frames: 4_800)
        #expect(loud.max() == 1.0 && loud.min() == -1.0)
        #expect((over + loud).allSatisfy { abs($0) <= 1.0 })

        var bytes: [UInt8] = []
        PCMSampleFormat.s24.encode(loud, into: &bytes)
        var decoded: [Double] = []
        bytes.withUnsafeBytes { PCMSampleFormat.s24.decode($0, into: &decoded) }
        #expect(decoded.max() == PCMSampleFormat.s24.clipLevel)
        #expect(decoded.min() == -1.0)
    }

    /// Same seeds and the same commands at the same frames give the same samples, bit for bit, however the stream
    /// is cut into renders; another chamber seed changes the ambient noise, another unit seed the unit.
    @Test func renderingIsDeterministic() throws {
        let whole = try Self.chamber()
        let pieces = try Self.chamber()
        try whole.setTone(frequency: 1000, spl: 94)
        try pieces.setTone(frequency: 1000, spl: 94)
        var a = whole.render(frames: 1_000)
        var b = [100, 300, 600].flatMap { pieces.render(frames: $0) }
        try whole.setTone(frequency: 997, spl: 105)
        try pieces.setTone(frequency: 997, spl: 105)
        a += whole.render(frames: 3_000)
        b += pieces.render(frames: 1_001) + pieces.render(frames: 1_999)
        #expect(a == b)
        #expect(whole.framesRendered == 4_000)

        let other = try Self.chamber(seed: 8)
        try other.setTone(frequency: 1000, spl: 94)
        #expect(other.render(frames: 1_000) != Array(a.prefix(4_000)))
        #expect(SimulatedMicrophone(model: .im73a135, seed: 101) == SimulatedMicrophone(model: .im73a135, seed: 101))
        #expect(SimulatedMicrophone(model: .im73a135, seed: 101).sensitivity
            != SimulatedMicrophone(model: .im73a135, seed: 102).sensitivity)
    }

    /// A level step keeps the tone's phase: 960 frames are 20 whole cycles of 1 kHz, so the 1 kHz phase of the
    /// block after a +6 dB step (and after an off interval of 480 frames, 10 cycles) equals the phase before it.
    @Test func tonePhaseContinuesAcrossLevelChanges() throws {
        let chamber = try Self.chamber()
        try chamber.setTone(frequency: 1000, spl: 94)
        let before = toneComponent(channel(chamber.render(frames: 960), 2, of: 4), frequency: 1000)
        try chamber.setTone(frequency: 1000, spl: 100)
        let after = toneComponent(channel(chamber.render(frames: 960), 2, of: 4), frequency: 1000)
        chamber.silence()
        #expect(chamber.source == .off)
        _ = chamber.render(frames: 480)
        try chamber.setTone(frequency: 1000, spl: 94)
        let resumed = toneComponent(channel(chamber.render(frames: 960), 2, of: 4), frequency: 1000)
        #expect(abs(remainder(after.phase - before.phase, 2 * .pi)) < 1e-3)
        #expect(abs(remainder(resumed.phase - before.phase, 2 * .pi)) < 1e-3)
        #expect(abs(20 * log10(after.amplitude / before.amplitude) - 6) < 0.01)
    }

    /// Commands the chamber cannot play are refused with the reason, and the source keeps playing.
    @Test func impossibleCommandsAreRefused() throws {
        let chamber = try Self.chamber()
        try chamber.setTone(frequency: 1000, spl: 94)
        #expect(throws: AcousticChamber.SetupError.self) { try chamber.setTone(frequency: 30_000, spl: 94) }
        #expect(throws: AcousticChamber.SetupError.self) { try chamber.setTone(frequency: 1000, spl: .infinity) }
        #expect(throws: AcousticChamber.SetupError.self) { try chamber.setTone(frequency: 1000, spl: 200) }
        #expect(chamber.source == .tone(frequency: 1000, spl: 94))
        #expect(throws: AcousticChamber.SetupError.self) { try AcousticChamber(sampleRate: 0, slots: [.unused], seed: 1) }
        #expect(throws: AcousticChamber.SetupError.self) { try AcousticChamber(slots: [], seed: 1) }
    }
}

/// The chamber's feed through a FIFO, read with plain read(2) as ALSA's file plugin reads it.
@Suite(.timeLimit(.minutes(1))) struct ChamberFeedTests {
    static let format = PCMStreamFormat(sample: .s24, sampleRate: 48_000, channels: 4)

    /// A scratch folder, removed after `body`.
    func withFolder(_ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("chamber-feed-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(folder)
    }

    /// 10 000 frames through the FIFO, read while the feed writes, equal the bytes of a twin chamber's render of the
    /// same frames, encoded the same way; after `stop()` the reader drains exactly the rest of `framesWritten`, in
    /// order, then reads end-of-file, and the FIFO's name is gone.
    @Test func fifoDeliversTheRenderedFramesInOrder() throws {
        try withFolder { folder in
            let chamber = try SimulatedMicrophoneTests.chamber()
            let twin = try SimulatedMicrophoneTests.chamber()
            try chamber.setTone(frequency: 1000, spl: 94)
            try twin.setTone(frequency: 1000, spl: 94)
            let feed = try ChamberFeed(chamber: chamber, format: Self.format, folder: folder)
            #expect(feed.framesPerWrite == 256)
            #expect(feed.writesPerBatch == 3)
            let reader = open(feed.fifoPath, O_RDONLY | O_NONBLOCK)
            try #require(reader >= 0)
            defer { close(reader) }
            feed.start()
            let bytesPerFrame = Self.format.bytesPerFrame
            let received = try #require(readBytes(reader, count: 10_000 * bytesPerFrame))
            var expected: [UInt8] = []
            Self.format.sample.encode(twin.render(frames: 10_000), into: &expected)
            #expect(received == expected)

            feed.stop()
            #expect(!feed.isRunning)
            #expect(feed.failure == nil)
            #expect(feed.framesWritten % feed.framesPerWrite == 0)
            let rest = try #require(readBytes(reader, count: nil))
            #expect(10_000 + rest.count / bytesPerFrame == feed.framesWritten)
            var expectedRest: [UInt8] = []
            Self.format.sample.encode(twin.render(frames: feed.framesWritten - 10_000), into: &expectedRest)
            #expect(rest == expectedRest)
            #expect(!FileManager.default.fileExists(atPath: feed.fifoPath))
        }
    }

    /// With no reader the writer fills the pipe, whole chunks only, and then waits; `stop()` releases it at once.
    @Test func stopReleasesAWriterWaitingOnAFullPipe() throws {
        try withFolder { folder in
            let chamber = try SimulatedMicrophoneTests.chamber()
            let feed = try ChamberFeed(chamber: chamber, format: Self.format, folder: folder)
            #expect(feed.pipeCapacity >= 4096)
            let full = feed.pipeCapacity / Self.format.bytesPerFrame
            feed.start()
            let deadline = Date().addingTimeInterval(10)
            while feed.framesWritten < full && Date() < deadline { sched_yield() }
            #expect(feed.framesWritten == full)
            let stopping = Date()
            feed.stop()
            #expect(Date().timeIntervalSince(stopping) < 1)
            #expect(feed.framesWritten == full)
            #expect(feed.failure == nil)
            feed.stop()
        }
    }

    /// The ALSA configuration defines a file PCM with a null slave reading the FIFO (alsa-lib pcm_file.c keys).
    @Test func alsaConfigurationNamesTheFIFO() throws {
        try withFolder { folder in
            let chamber = try SimulatedMicrophoneTests.chamber()
            let feed = try ChamberFeed(chamber: chamber, format: Self.format, folder: folder, name: "mics")
            defer { feed.stop() }
            #expect(feed.fifoPath == folder + "/mics.fifo")
            let text = feed.alsaConfiguration(pcmName: "chamber")
            for line in ["pcm.chamber {", "type file", "slave.pcm {", "type null", "file \"/dev/null\"",
                         "infile \"\(folder)/mics.fifo\"", "format \"raw\"", "S24_LE, 48000 Hz, 4 ch"] {
                #expect(text.contains(line), "missing \(line)")
            }
            #expect(feed.alsaConfiguration(pcmName: "sim chamber").contains("pcm.\"sim chamber\" {"))
        }
    }

    /// How far the chamber's clock can run ahead of its reader (the pipe plus one rendered batch, `ChamberFeed`) is
    /// how late a source change is heard: for the rigs' 48 kHz streams (this suite's, the demo lot's S32_LE × 5, the
    /// representative lot's S24_3LE × 9) it stays under 0.15 s, under a third of the 0.5 s a run drops after a level
    /// change (acoustic.md §5.12), whatever the kernel's rounding of the pipe to pages; the representative stream's
    /// pipe holds a whole 4 096-frame read of the microphone run.
    @Test func leadOverTheReaderStaysWellInsideTheSettlingTime() throws {
        try withFolder { folder in
            let formats = [Self.format, PCMStreamFormat(sample: .s32, sampleRate: 48_000, channels: 5),
                           PCMStreamFormat(sample: .s24Packed, sampleRate: 48_000, channels: 9)]
            for (index, format) in formats.enumerated() {
                let chamber = try AcousticChamber(slots: Array(repeating: .unused, count: format.channels), seed: 1)
                let feed = try ChamberFeed(chamber: chamber, format: format, folder: folder, name: "lead\(index)")
                defer { feed.stop() }
                #expect(feed.writesPerBatch >= 1)
                #expect(feed.writesPerBatch * feed.framesPerWrite <= Int(ChamberFeed.batchDuration * 48_000))
                let lead = Double(feed.pipeCapacity / format.bytesPerFrame + feed.writesPerBatch * feed.framesPerWrite) / 48_000
                #expect(lead < 0.15, "\(format): the chamber may lead its reader by \(lead) s")
                #expect(Double(feed.pipeCapacity / format.bytesPerFrame) / 48_000 <= ChamberFeed.pipeDuration)
            }
            let representative = try #require(formats.last)
            #expect(ChamberFeed.latencyCapacity(for: representative) >= 4_096 * representative.bytesPerFrame)
        }
    }

    /// Setups that cannot work are refused with the FIFO's path and the reason.
    @Test func impossibleSetupsAreRefused() throws {
        try withFolder { folder in
            let chamber = try SimulatedMicrophoneTests.chamber()
            let twoChannels = PCMStreamFormat(sample: .s24, sampleRate: 48_000, channels: 2)
            do {
                _ = try ChamberFeed(chamber: chamber, format: twoChannels, folder: folder)
                Issue.record("a 2-channel stream was accepted for a 4-channel chamber")
            } catch let error as ChamberFeed.FeedError {
                #expect(error.description.contains("2 channels but the chamber 4"))
            }
            do {
                _ = try ChamberFeed(chamber: chamber, format: Self.format, folder: folder + "/missing")
                Issue.record("a FIFO in a missing folder was accepted")
            } catch let error as ChamberFeed.FeedError {
                #expect(error.description == "chamber feed \(folder)/missing/acoustic-chamber.fifo: mkfifo: No such file or directory")
            }
            let first = try ChamberFeed(chamber: chamber, format: Self.format, folder: folder)
            defer { first.stop() }
            do {
                _ = try ChamberFeed(chamber: chamber, format: Self.format, folder: folder)
                Issue.record("a second feed took the same FIFO")
            } catch let error as ChamberFeed.FeedError {
                #expect(error.description.hasSuffix("mkfifo: File exists"))
            }
        }
    }
}

// MARK: Measurement helpers (the analysis the daemon does, in its simplest exact form)

/// Channel `index` of interleaved frames with `count` channels.
private func channel(_ frames: [Double], _ index: Int, of count: Int) -> [Double] {
    stride(from: index, to: frames.count, by: count).map { frames[$0] }
}

/// The peak amplitude and phase of the component at `frequency` by a single-bin DFT, (2/N)·Σ x[n]·e^(−iωn). Exact
/// for a whole number of cycles in the block (coherent capture, §1.4), where DC and the other harmonics contribute
/// nothing.
private func toneComponent(_ samples: [Double], frequency: Double,
                           sampleRate: Double = SimulatedMicrophoneTests.sampleRate) -> (amplitude: Double, phase: Double) {
    let omega = 2 * Double.pi * frequency / sampleRate
    var real = 0.0
    var imaginary = 0.0
    for (n, x) in samples.enumerated() {
        real += x * cos(omega * Double(n))
        imaginary -= x * sin(omega * Double(n))
    }
    let scale = 2 / Double(samples.count)
    return ((real * real + imaginary * imaginary).squareRoot() * scale, atan2(imaginary, real))
}

private func toneAmplitude(_ samples: [Double], frequency: Double) -> Double {
    toneComponent(samples, frequency: frequency).amplitude
}

/// THD = √(Σ_{h=2..6} A_h²) / A_1 (§1.4, amplitude ratio, five harmonics), by coherent DFT.
private func harmonicDistortion(_ samples: [Double], frequency: Double) -> Double {
    let fundamental = toneAmplitude(samples, frequency: frequency)
    let harmonics = (2...6).map { toneAmplitude(samples, frequency: Double($0) * frequency) }
    return harmonics.map { $0 * $0 }.reduce(0, +).squareRoot() / fundamental
}

/// The A-weighted 20 Hz–20 kHz noise level in sine-referenced dBFS (§1.8): Welch density PSD (Hann 16384, 50 %
/// overlap, per-segment mean removal), each bin weighted by W(f), summed × Δf, 10·log10(2σ²_A).
private func aWeightedNoiseDBFS(_ samples: [Double], sampleRate: Double = SimulatedMicrophoneTests.sampleRate) -> Double {
    var welch = WelchPSD(sampleRate: sampleRate, segmentLength: 16_384)
    welch.add(contentsOf: samples)
    let density = welch.psd(scaling: .density)
    var power = 0.0
    for (k, f) in welch.frequencies.enumerated() where f >= 20 && f <= 20_000 {
        power += density[k] * AWeighting.powerWeight(f)
    }
    return SoundLevel.dBFS(meanSquare: power * welch.binWidth)
}

/// Reads `count` bytes from the non-blocking descriptor, or, when `count` is nil, everything up to end-of-file;
/// waits in poll up to 10 s for each piece; nil on timeout or error.
private func readBytes(_ fd: Int32, count: Int?) -> [UInt8]? {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while count.map({ bytes.count < $0 }) ?? true {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, 10_000) > 0 else { return nil }
        let wanted = min(buffer.count, count.map { $0 - bytes.count } ?? buffer.count)
        let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, wanted) }
        if got == 0 { return count == nil ? bytes : nil }
        if got < 0 {
            if errno == EAGAIN || errno == EINTR { continue }
            return nil
        }
        bytes += buffer[0..<got]
    }
    return bytes
}
