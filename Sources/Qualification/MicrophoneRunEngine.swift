import Foundation
import SensorDrivers
import SensorIO
import SensorMetrics

/// Carries out one acoustic plan on a rig's microphones (reference/acoustic.md §2): for each level the source
/// plays the tone, the capture settles, then a record of every microphone channel and the reference microphone
/// is analysed; the reference microphone tells the true SPL at the microphones. Then the quiet-chamber record and
/// the overload sweep.
///
/// `run()` blocks: the daemon calls it on a thread of its own, which reads the ALSA capture itself (one blocking
/// read after another, so the interface is drained as fast as it delivers). The run clock is the capture's own
/// sample count: seconds are frames / fs, on a real interface and on the simulated chamber alike.
public final class MicrophoneRunEngine {
    let request: RunRequest
    let rig: Rig
    let catalog: ChipCatalog
    let connector: any RigConnector
    let cancellation: RunCancellation
    let emit: RunEngine.EventSink
    /// The run folder's `audio/`: every record the figures come from, as WAV per microphone (and the reference
    /// microphone), so `sensorqual analyze` can redo any figure offline; nil for none.
    let recordingDirectory: String?

    /// One microphone under test: its slot, catalog entry, stream channel and what was measured.
    private final class Microphone {
        let slot: Rig.MicrophoneSlot
        let chip: ChipDescription
        var outcome: DUTOutcome
        var measurements: MicrophoneMeasurements
        var noiseAnalysis: (noise: WeightedNoise, seconds: Double)?
        var overloadPoints: [MicrophoneMeasurements.TonePoint] = []
        /// Samples at full scale in the records the sensitivity, distortion and noise figures come from.
        var clippedInFigures = 0

        init(slot: Rig.MicrophoneSlot, chip: ChipDescription, interface: Rig.AudioInterface, serial: String?) {
            self.slot = slot
            self.chip = chip
            outcome = DUTOutcome(slot: slot.id, chip: chip.chip, model: chip.model, bus: interface.id, address: nil,
                                 audioChannel: slot.channel, serial: serial, figures: [], integrity: DataIntegrity())
            measurements = MicrophoneMeasurements(output: chip.microphoneOutput ?? .digital, stream: interface.format.description,
                                                  sampleRateHz: interface.format.sampleRate, bits: interface.format.sample.significantBits)
        }
    }

    private var microphones: [Microphone] = []
    private var interface: Rig.AudioInterface?
    private var capture: (any AudioCapture)?
    private var source: (any SoundSource)?
    private var sourceReference: Rig.Reference?
    /// The source when it is a hand-held calibrator: one level on one microphone at a time.
    private var calibrator: AcousticCalibrator? { source as? AcousticCalibrator }
    private var referenceMicrophone: (reference: Rig.Reference, channel: Int)?
    private var steps: [StepRecord] = []
    private var framesCaptured: Int64 = 0
    /// What the source needs over the target to deliver it at the microphones, dB, as the reference microphone last
    /// measured: a rig's source is levelled once and then stays close, so later levels rarely need a second record.
    private var sourceCorrection = 0.0
    private var lastProgress: Int64 = 0
    /// Samples per read: about 85 ms at 48 kHz, short enough to notice a cancel promptly.
    static let blockFrames = 4096
    /// A level is re-commanded when the reference microphone finds it further than this from the target, dB.
    static let levelTolerance = 0.2
    /// The least margin of the microphone's noise over the chamber's ambient without a warning, dB (acoustic.md §2).
    static let ambientMargin = 10.0

    public init(request: RunRequest, rig: Rig, catalog: ChipCatalog, connector: any RigConnector,
                cancellation: RunCancellation, recordingDirectory: String? = nil, events: @escaping RunEngine.EventSink) {
        self.recordingDirectory = recordingDirectory
        self.request = request
        self.rig = rig
        self.catalog = catalog
        self.connector = connector
        self.cancellation = cancellation
        emit = events
    }

    /// Runs the plan to the end, cancellation or failure, and returns what was measured.
    public func run() -> RunOutcome {
        var state = RunState.done
        var failure: String?
        do {
            emit(.state(.probing))
            try prepare()
            try executeSteps()
            emit(.state(.analysing))
        } catch is RunCancelled {
            state = .cancelled
        } catch {
            state = .failed
            failure = "\(error)"
        }
        try? source?.silence()
        source?.close()
        let xruns = capture?.xruns ?? 0
        capture?.close()
        for microphone in microphones { microphone.outcome.integrity.xruns = xruns }
        analyse(complete: state == .done)
        emit(.state(state))
        return RunOutcome(id: request.id, state: state, planName: request.plan.name, specName: request.spec.name,
                          simulated: connector.isSimulated, runSeconds: elapsedSeconds, steps: steps,
                          duts: microphones.map(\.outcome), referenceIdentity: source?.identity, error: failure)
    }

    private var sampleRate: Double { Double(interface?.format.sampleRate ?? 48_000) }
    private var elapsedSeconds: Double { Double(framesCaptured) / sampleRate }
    private var stimulus: Plan.AcousticStimulus { request.plan.acoustic ?? Plan.AcousticStimulus(toneHz: 1000, settle: 0.5) }

    // MARK: Preparation

    /// The microphones, their one interface, the reference microphone and the source; then the capture.
    private func prepare() throws {
        for id in request.slots {
            guard let slot = rig.microphone(id), let chip = catalog.chip(slot.chip) else {
                throw RunFailure(description: "slot \(id) is not a microphone of rig \(rig.name)")
            }
            guard let interface = rig.audioInterface(slot.audio) else {
                throw RunFailure(description: "microphone \(id): no audio interface \(slot.audio)")
            }
            if let chosen = self.interface, chosen.id != interface.id {
                throw RunFailure(description: "microphones \(microphones[0].slot.id) and \(id) are on different audio interfaces "
                    + "(\(chosen.id), \(interface.id)); a run captures one interface, so run them separately")
            }
            self.interface = interface
            microphones.append(Microphone(slot: slot, chip: chip, interface: interface, serial: request.serials[id]))
        }
        guard let interface else { throw RunFailure(description: "no microphones to run") }
        if let reference = rig.references.first(where: { $0.kind == "reference-microphone" && $0.audioChannel?.interface == interface.id }),
           let channel = reference.audioChannel?.channel {
            referenceMicrophone = (reference, channel)
        }
        let needsSource = request.plan.steps.contains { step in
            switch step {
            case .sensitivity, .distortion, .overload: true
            default: false
            }
        }
        if let sourceReference = rig.reference(kind: "sound-source") {
            self.sourceReference = sourceReference
            // The plan is checked against the rig before any instrument is opened.
            if sourceReference.link == "manual" {
                // A calibrator's certificate gives the level: no reference microphone, but only its one level.
                for step in request.plan.steps {
                    switch step {
                    case .distortion, .overload:
                        throw RunFailure(description: "plan \(request.plan.name) has a \(step.name) step, which needs levels a hand-held "
                            + "calibrator cannot play; rig \(rig.name) needs a driven source (alsa:) and a reference microphone for it")
                    default: break
                    }
                }
            } else if needsSource, referenceMicrophone == nil {
                throw RunFailure(description: "plan \(request.plan.name) needs the true SPL at each level, but audio interface "
                    + "\(interface.id) has no reference-microphone channel")
            }
            source = try connector.openSoundSource(sourceReference)
        } else if needsSource {
            throw RunFailure(description: "plan \(request.plan.name) plays tones, but rig \(rig.name) has no sound-source reference")
        }
        for microphone in microphones {
            let format = interface.format
            if format.sample.significantBits < 24 {
                microphone.measurements.warnings.append("\(format.sample.significantBits)-bit capture: its quantization floor "
                    + "(−100.9 dBFS(A) for 16 bits) can mask the microphone's noise; capture S24/S32 (acoustic.md §5.7)")
            }
            if format.sampleRate < 40_000 {
                microphone.measurements.warnings.append("fs = \(format.sampleRate) Hz < 40 kHz: noise and SNR cover 20 Hz–fs/2 only, "
                    + "which flatters them; they are reported, not judged (acoustic.md §5.5)")
            }
        }
        capture = try connector.openCapture(interface)
    }

    // MARK: Steps

    private func executeSteps() throws {
        let plan = request.plan
        for (index, step) in plan.steps.enumerated() {
            emit(.step(index: index + 1, count: plan.steps.count, name: step.name))
            emit(.state(.measuring))
            let started = elapsedSeconds
            var planned = 0.0
            var detail = ""
            switch step {
            case .sensitivity(let spl, let duration) where calibrator != nil:
                planned = Double(microphones.count) * (duration + stimulus.settle)
                var levels: [String] = []
                for (index, microphone) in microphones.enumerated() {
                    let level = try measureWithCalibrator(microphone, index: index, at: spl, duration: duration)
                    levels.append(String(format: "%@ %.2f dB SPL", microphone.slot.id, level))
                }
                detail = String(format: "%.0f Hz hand-held calibrator, one microphone at a time, %.1f s each: ", stimulus.toneHz, duration)
                    + levels.joined(separator: ", ")
            case .sensitivity(let spl, let duration):
                planned = duration + stimulus.settle
                let tone = try measureTone(at: spl, duration: duration, saveAs: String(format: "sensitivity-%.1fdB", spl))
                for (microphone, (analysis, clipped)) in zip(microphones, zip(tone.distortion, tone.clipped)) {
                    microphone.clippedInFigures += clipped
                    guard let analysis else { continue }
                    microphone.measurements.sensitivity = sensitivity(of: microphone, analysis: analysis, at: tone.spl)
                }
                detail = String(format: "%.0f Hz at %.2f dB SPL (reference microphone), %.1f s", stimulus.toneHz, tone.spl.value, duration)
                    + tone.sourceNote
            case .distortion(let levels, let duration):
                planned = Double(levels.count) * (duration + stimulus.settle)
                var notes: [String] = []
                for level in levels {
                    let tone = try measureTone(at: level, duration: duration, saveAs: String(format: "distortion-%.1fdB", level))
                    for (microphone, point) in zip(microphones, tone.points(commanded: level)) {
                        guard let point else { continue }
                        microphone.measurements.distortion.append(point)
                        microphone.clippedInFigures += point.clippedSamples
                    }
                    notes.append(String(format: "%.1f dB SPL", tone.spl.value) + tone.sourceNote)
                }
                detail = "THD and THD+N at " + notes.joined(separator: ", ")
            case .acousticNoise(let duration):
                planned = duration + stimulus.settle
                try source?.silence()
                if let calibrator { _ = try askTechnician(calibrator, AcousticCalibrator.Request(slot: nil, spl: nil)) }
                let analyses = try record(seconds: duration, settle: stimulus.settle, spectra: .noise, saveAs: "noise")
                for (microphone, analysis) in zip(microphones, analyses.microphones) {
                    microphone.noiseAnalysis = analysis.noise().map { ($0, analysis.durationSeconds) }
                    microphone.clippedInFigures += analysis.clippedSamples
                }
                detail = String(format: "source off, %.1f s", duration)
                    + (rig.chamberAmbientDBA.map { String(format: ", chamber ambient %.1f dB SPL(A) (rig file)", $0) } ?? "")
            case .overload(let sweep):
                planned = Double(sweep.levels.count) * (sweep.duration + stimulus.settle)
                var reached: [Double] = []
                for level in sweep.levels {
                    let tone = try measureTone(at: level, duration: sweep.duration, saveAs: String(format: "overload-%.1fdB", level))
                    for (microphone, point) in zip(microphones, tone.points(commanded: level)) {
                        if let point { microphone.overloadPoints.append(point) }
                    }
                    reached.append(tone.spl.value)
                    // Past the stop level on every microphone, louder steps only stress the parts and the source.
                    let done = microphones.allSatisfy { ($0.overloadPoints.last?.thdPercent ?? 0) > sweep.stopAboveTHD }
                    if done { break }
                }
                detail = String(format: "%d levels %.1f–%.1f dB SPL, %.1f s each", reached.count, reached.first ?? 0,
                                reached.last ?? 0, sweep.duration)
            case .warmUp, .noise, .noiseByMode, .sweep, .fieldNoise, .fieldSteps, .gasBlank, .gasExposures:
                throw RunFailure(description: "step \(step.name) is not an acoustic step; the microphone engine does not run it")
            }
            steps.append(StepRecord(name: step.name, plannedSeconds: planned, actualSeconds: elapsedSeconds - started, detail: detail))
        }
        try source?.silence()
    }

    /// What one tone level gave: the true SPL and each microphone's distortion analysis and clipping.
    private struct ToneRecord {
        var commanded: Double
        var spl: UncertainValue
        var distortion: [HarmonicDistortion?]
        var clipped: [Int]
        var sourceNote: String

        func points(commanded: Double) -> [MicrophoneMeasurements.TonePoint?] {
            zip(distortion, clipped).map { analysis, clipped in
                analysis.map {
                    MicrophoneMeasurements.TonePoint(commandedSPL: commanded, spl: spl.value, levelDBFS: $0.fundamentalDBFS,
                                                     thdPercent: $0.thdPercent, thdPlusNoisePercent: $0.thdPlusNoisePercent,
                                                     clippedSamples: clipped)
                }
            }
        }
    }

    /// Plays the tone at `spl`, levels it with the reference microphone (a second record when the level is off by
    /// more than `levelTolerance`), and records every microphone.
    /// The record is kept as `saveAs` (`record(…saveAs:)`); a second record replaces the first.
    private func measureTone(at spl: Double, duration: Double, saveAs name: String) throws -> ToneRecord {
        guard let source else { throw RunFailure(description: "no sound source is open") }
        var attempt = 0
        while true {
            let commanded = spl + sourceCorrection
            try source.play(frequency: stimulus.toneHz, spl: commanded)
            let analyses = try record(seconds: duration, settle: stimulus.settle, spectra: .tone, referenceSpectra: .tone,
                                      saveAs: name)
            guard let reference = analyses.reference?.distortion(nominalToneHz: stimulus.toneHz),
                  let truth = trueSPL(reference) else {
                throw RunFailure(description: String(format: "the reference microphone hears no %.0f Hz tone at %.1f dB SPL: check the source",
                                                     stimulus.toneHz, commanded))
            }
            // A source's gain drifts with the coupler, the level and the temperature: level it on the reference microphone.
            sourceCorrection += spl - truth.value
            if abs(truth.value - spl) > Self.levelTolerance && attempt == 0 {
                attempt += 1
                continue
            }
            var note = ""
            if reference.thdPercent > 1 {
                note = String(format: " (source THD %.2f %% at the reference microphone: above the 1 %% the method assumes, §2)",
                              reference.thdPercent)
            }
            return ToneRecord(commanded: commanded, spl: truth,
                              distortion: analyses.microphones.map { $0.distortion(nominalToneHz: stimulus.toneHz) },
                              clipped: analyses.microphones.map(\.clippedSamples), sourceNote: note)
        }
    }

    /// One microphone's sensitivity with the calibrator on it: the technician fits it and submits its certificate
    /// level, which is the true SPL of the record, with the certificate's uncertainty. Returns that level.
    private func measureWithCalibrator(_ microphone: Microphone, index: Int, at spl: Double, duration: Double) throws -> Double {
        guard let calibrator else { throw RunFailure(description: "no calibrator is open") }
        try calibrator.play(frequency: stimulus.toneHz, spl: spl)
        guard let level = try askTechnician(calibrator, AcousticCalibrator.Request(slot: microphone.slot.id, spl: spl)) else {
            throw RunFailure(description: "the calibrator's level for \(microphone.slot.id) was not given")
        }
        let record = try record(seconds: duration, settle: stimulus.settle, spectra: .tone,
                                saveAs: String(format: "sensitivity-%.1fdB", spl), only: index)
        let certificate = sourceReference?.certificate.map { $0.expandedUncertainty / $0.coverageFactor } ?? 0
        let truth = UncertainValue(level, standardUncertainty: certificate, unit: "dB SPL")
        let analysis = record.microphones[index].distortion(nominalToneHz: stimulus.toneHz)
        microphone.clippedInFigures += record.microphones[index].clippedSamples
        if let analysis { microphone.measurements.sensitivity = sensitivity(of: microphone, analysis: analysis, at: truth) }
        return level
    }

    /// Asks the technician and waits for the answer, up to the source's operator timeout, reading and dropping the
    /// capture meanwhile so the interface does not overrun (those frames are not the run's: its clock stops).
    /// Returns the submitted level (nil for a quiet confirmation).
    private func askTechnician(_ calibrator: AcousticCalibrator, _ question: AcousticCalibrator.Request) throws -> Double? {
        guard let capture else { throw RunFailure(description: "the capture is not open") }
        calibrator.ask(question)
        emit(.calibratorRequest(question))
        let timeout = sourceReference?.operatorTimeout ?? 3600
        let deadline = ContinuousClock.now + .seconds(timeout)
        while true {
            if cancellation.isCancelled { throw RunCancelled() }
            let answer = calibrator.awaitAnswer(upTo: 0)
            if answer.answered {
                emit(.calibratorRequest(nil))
                return answer.level
            }
            guard ContinuousClock.now < deadline else {
                throw RunFailure(description: "no answer from the technician within \(Int(timeout)) s: \(question.prompt)")
            }
            _ = try capture.read(frames: Self.blockFrames, timeout: 5 + Double(Self.blockFrames) / sampleRate)
        }
    }

    /// The SPL at the reference microphone: its tone in dBFS → dBV through the ADC's full scale → dB SPL through
    /// its certificate sensitivity (acoustic.md §1.1), with the certificate's uncertainty.
    private func trueSPL(_ reference: HarmonicDistortion) -> UncertainValue? {
        guard let (config, _) = referenceMicrophone, let sensitivity = config.sensitivityDBV,
              let fullScale = interface?.fullScaleVoltsPeak else { return nil }
        let dBV = reference.fundamentalDBFS + Self.fullScaleDBV(fullScale)
        let certificate = config.certificate.map { $0.expandedUncertainty / $0.coverageFactor } ?? 0
        return UncertainValue(SoundLevel.spl(dBV: dBV, sensitivityDBV: sensitivity), standardUncertainty: certificate, unit: "dB SPL")
    }

    /// dBV of a 0 dBFS sine on an ADC whose full scale is `voltsPeak`: 20·log10(V_peak/√2).
    static func fullScaleDBV(_ voltsPeak: Double) -> Double { 20 * log10(voltsPeak / 2.0.squareRoot()) }

    /// The per-channel analyses of one record.
    private struct Record {
        var microphones: [AcousticChannelAnalysis]
        var reference: AcousticChannelAnalysis?
    }

    /// Opens the WAV files of a record, one mono file per microphone, `audio/<slot>/<name>.wav`, and the reference
    /// microphone's, `audio/reference/<name>.wav`, in the capture's own sample format (bit-exact for 16/24/32-bit
    /// integer); nil in a channel's place when it is not kept (`only`). The samples stream into them as they are
    /// captured: a record's memory is one block, however long it is.
    private func openRecording(_ name: String, only microphone: Int?) throws -> [WAVStreamWriter?] {
        guard let recordingDirectory, let interface else { return [] }
        let format = interface.format
        let owners = microphones.map(\.slot.id) + (referenceMicrophone == nil ? [] : ["reference"])
        var writers: [WAVStreamWriter?] = []
        do {
            for (position, owner) in owners.enumerated() {
                guard microphone.map({ $0 == position }) ?? true else {
                    writers.append(nil)
                    continue
                }
                let folder = recordingDirectory + "/" + owner
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw RunFailure(description: "cannot create \(folder): \(error.localizedDescription)")
                }
                do throws(WAVError) {
                    writers.append(try WAVStreamWriter(path: folder + "/" + name + ".wav",
                                                       format: PCMStreamFormat(sample: format.sample, sampleRate: format.sampleRate, channels: 1)))
                } catch {
                    throw Self.recordingFailure(error)
                }
            }
        } catch {
            for writer in writers { writer?.discard() }
            throw error
        }
        return writers
    }

    /// A WAV that could not be written, in the run's words; a full disk is said as such (DESIGN.md §5).
    private static func recordingFailure(_ error: WAVError) -> RunFailure {
        if case .io(let operation, let errno, _) = error.reason {
            let failure = StorageFile.failure(path: error.path, operation: operation, errno)
            if failure.isDiskFull { return RunFailure(description: "\(failure)") }
        }
        return RunFailure(description: "recording not written: \(error)")
    }

    /// Reads and drops `settle` s, then feeds `seconds` s of every microphone channel (and the reference
    /// microphone's) into fresh analyses.
    /// `spectra`: what the record is for: a quiet record's noise, or a tone's distortion (each PSD costs as much as
    /// the rest of the analysis). Only the channels a figure is read from compute it: the microphones (`only` one
    /// of them, if given), and the reference microphone with `referenceSpectra` (its tone when it levels the
    /// source; nothing in a quiet record). The others are still counted: samples, clips, peak.
    /// `saveAs`: the record's WAV files (`openRecording`), all channels or `only` one microphone's; half a WAV is no
    /// recording, so a record that fails removes its files.
    private func record(seconds: Double, settle: Double, spectra: AcousticChannelAnalysis.Spectra,
                        referenceSpectra: AcousticChannelAnalysis.Spectra = [], saveAs name: String,
                        only microphone: Int? = nil) throws -> Record {
        guard let capture, let interface else { throw RunFailure(description: "the capture is not open") }
        let format = interface.format
        let clip = format.sample.clipLevel
        func analysis(_ spectra: AcousticChannelAnalysis.Spectra) -> AcousticChannelAnalysis {
            AcousticChannelAnalysis(sampleRate: sampleRate, clipLevel: clip, spectra: spectra)
        }
        var result = Record(microphones: microphones.indices.map { analysis(microphone == nil || microphone == $0 ? spectra : []) },
                            reference: referenceMicrophone.map { _ in analysis(referenceSpectra) })
        var toDrop = Int((settle * sampleRate).rounded())
        var toKeep = Int((seconds * sampleRate).rounded())
        let tracked = microphones.map(\.slot.channel) + (referenceMicrophone.map { [$0.channel] } ?? [])
        let recording = try openRecording(name, only: microphone)
        var finished = false
        defer { if !finished { for writer in recording { writer?.discard() } } }
        var channel = [Double](repeating: 0, count: Self.blockFrames)
        let heartbeat = cancellation.progress.begin("audio \(interface.pcm)")
        defer { cancellation.progress.end(heartbeat) }
        while toDrop + toKeep > 0 {
            if cancellation.isCancelled { throw RunCancelled() }
            let frames = min(Self.blockFrames, toDrop > 0 ? toDrop : toKeep)
            let captured = try capture.read(frames: frames, timeout: 5 + Double(frames) / sampleRate)
            heartbeat.beat()
            framesCaptured += Int64(frames)
            reportProgress()
            if toDrop > 0 {
                toDrop -= frames
                continue
            }
            toKeep -= frames
            // One channel at a time out of the block, into the analysis (and the recording).
            var recordingError: WAVError?
            for (position, index) in tracked.enumerated() {
                channel.withUnsafeMutableBufferPointer { samples in
                    captured.decode(channel: index, into: UnsafeMutableBufferPointer(rebasing: samples[0..<frames]))
                    let deinterleaved = UnsafeBufferPointer(start: samples.baseAddress, count: frames)
                    if position < result.microphones.count {
                        result.microphones[position].add(deinterleaved)
                    } else {
                        result.reference!.add(deinterleaved)
                    }
                    if position < recording.count, let writer = recording[position] {
                        // The delivered bytes as they are when the capture kept them (bit-exact either way).
                        do throws(WAVError) { try writer.append(channel: index, of: captured) } catch { recordingError = error }
                    }
                }
                if let recordingError { throw Self.recordingFailure(recordingError) }
            }
        }
        do throws(WAVError) { for writer in recording { try writer?.finish() } } catch { throw Self.recordingFailure(error) }
        finished = true
        for (microphone, analysis) in zip(microphones, result.microphones) {
            microphone.outcome.integrity.samples += analysis.sampleCount
            microphone.outcome.integrity.clippedSamples += analysis.clippedSamples
        }
        return result
    }

    private func reportProgress() {
        let now = framesCaptured
        guard Double(now - lastProgress) >= 5 * sampleRate else { return }
        lastProgress = now
        emit(.progress(elapsed: elapsedSeconds, planned: request.plan.plannedDuration))
    }

    // MARK: Analysis

    /// The microphone's sensitivity from its tone at the true SPL: S = L − (SPL − 94) (acoustic.md §1.1).
    private func sensitivity(of microphone: Microphone, analysis: HarmonicDistortion,
                             at spl: UncertainValue) -> MicrophoneMeasurements.Sensitivity {
        let dBFS = analysis.fundamentalDBFS - (spl.value - 94)
        // The tone's own Type A scatter is far below the reference's certificate; the certificate dominates.
        let value = UncertainValue(dBFS, standardUncertainty: spl.standardUncertainty, unit: "dBFS")
        var dBV: UncertainValue?
        if microphone.measurements.output == .analog, let fullScale = interface?.fullScaleVoltsPeak {
            dBV = UncertainValue(dBFS + Self.fullScaleDBV(fullScale), standardUncertainty: spl.standardUncertainty, unit: "dBV")
        }
        return MicrophoneMeasurements.Sensitivity(spl: spl, levelDBFS: analysis.fundamentalDBFS, dBFS: value, dBV: dBV,
                                                  thdPercent: analysis.thdPercent)
    }

    private func analyse(complete: Bool) {
        let plan = request.plan
        for microphone in microphones {
            var m = microphone.measurements
            if let s = m.sensitivity { m.fullScaleSPL = 94 - s.dBFS.value }
            if let (noise, seconds) = microphone.noiseAnalysis {
                let record = noiseRecord(noise, seconds: seconds, sensitivity: m.sensitivity)
                m.noise = record
                // §2: the ambient must sit well below the EIN; 10 dB of margin adds 0.41 dB.
                if rig.chamberAmbientDBA == nil {
                    m.warnings.append("the rig file states no chamber_ambient_dba: the noise record's margin over the chamber's "
                        + "own noise is unchecked (acoustic.md §2)")
                } else if let margin = record.ambientMarginDB, margin < Self.ambientMargin {
                    m.warnings.append(String(format: "the chamber's ambient is only %.1f dB under the microphone's noise: it adds "
                        + "%.2f dB to the noise floor (acoustic.md §2 asks ≥ %.0f dB)", margin, record.ambientErrorDB ?? 0, Self.ambientMargin))
                }
            }
            let points = microphone.overloadPoints.map { OverloadPoint.Point(spl: $0.spl, thdPercent: $0.thdPercent) }
            if let aop = OverloadPoint(points: points, thresholdPercent: 10, fullScaleSPL: m.fullScaleSPL) {
                let linear = OverloadPoint(points: points, thresholdPercent: 10, interpolation: .linearTHD)
                m.overload = MicrophoneMeasurements.Overload(
                    points: microphone.overloadPoints, status: aop.status, aopDBSPL: aop.crossingSPL,
                    linearAOPDBSPL: linear?.crossingSPL,
                    onePercentDBSPL: OverloadPoint(points: points, thresholdPercent: 1)?.crossingSPL, method: aop.method,
                    lowestSPL: aop.lowestSPLTested, highestSPL: aop.highestSPLTested, digitallyLimited: aop.digitallyLimited)
            }
            if microphone.clippedInFigures > 0 {
                m.warnings.append("\(microphone.clippedInFigures) samples at digital full scale in the sensitivity, distortion or "
                    + "noise records: those figures include the chain's clipping (acoustic.md §5.8)")
            }
            if let first = microphone.overloadPoints.first(where: { $0.clippedSamples > 0 }) {
                m.warnings.append(String(format: "the chain reached digital full scale from %.1f dB SPL up in the overload sweep: "
                    + "THD there includes the converter's clipping (acoustic.md §5.8)", first.spl))
            }
            microphone.measurements = m
            microphone.outcome.acoustic = m
            if recordingDirectory != nil { microphone.outcome.rawCapture = "audio/" + microphone.slot.id }
            microphone.outcome.missing = missing(for: microphone, plan: plan)
            microphone.outcome.figures = MicrophoneFigures.qualify(m, spec: request.spec)
            let judged = microphone.outcome.figures.compactMap(\.verdict)
            let expected = request.spec.limits.filter {
                $0.sensorClass == "acoustic" && $0.limit != nil && plan.measuredMetrics.contains($0.metric)
            }.count
            microphone.outcome.verdict = complete && judged.count == expected && microphone.outcome.missing.isEmpty
                ? Verdict.combined(judged) : nil
        }
    }

    /// The noise record with its level in dB SPL(A) (the EIN, once the sensitivity is known) and the chamber's
    /// ambient margin (acoustic.md §2).
    private func noiseRecord(_ noise: WeightedNoise, seconds: Double,
                             sensitivity: MicrophoneMeasurements.Sensitivity?) -> MicrophoneMeasurements.Noise {
        // Type A of a band-limited noise power over T seconds and B hertz: relative σ = 1/√(B·T) (the radiometer
        // equation), in dB 10·log10(e)·σ.
        let bandwidth = noise.band.upperBound - noise.band.lowerBound
        let typeA = 10 / log(10) / (bandwidth * seconds).squareRoot()
        var record = MicrophoneMeasurements.Noise(
            aWeightedDBFS: UncertainValue(noise.aWeightedDBFS, standardUncertainty: typeA, unit: "dBFS(A)"),
            unweightedDBFS: noise.unweightedDBFS, bandLowHz: noise.band.lowerBound, bandHighHz: noise.band.upperBound,
            isBandLimited: noise.isBandLimited, durationSeconds: seconds)
        if let ambient = rig.chamberAmbientDBA, let sensitivity {
            let ein = noise.aWeightedDBFS - sensitivity.dBFS.value + 94
            record.ambientDBA = ambient
            record.ambientMarginDB = ein - ambient
            record.ambientErrorDB = SoundLevel.ambientNoiseError(marginDB: ein - ambient)
        }
        return record
    }

    /// What the plan asked for and this microphone did not deliver.
    private func missing(for microphone: Microphone, plan: Plan) -> [String] {
        var missing: [String] = []
        for step in plan.steps {
            switch step {
            case .sensitivity where microphone.measurements.sensitivity == nil:
                missing.append("sensitivity: no tone found in the record")
            case .acousticNoise where microphone.noiseAnalysis == nil:
                missing.append("noise record")
            case .distortion(let levels, _) where microphone.measurements.distortion.count < levels.count:
                missing.append("distortion: \(microphone.measurements.distortion.count) of \(levels.count) levels")
            case .overload where microphone.overloadPoints.count < 2:
                missing.append("overload sweep: fewer than two levels")
            default:
                break
            }
        }
        return missing
    }
}
