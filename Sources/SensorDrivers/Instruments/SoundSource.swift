/// The acoustic stimulus of a microphone run: a loudspeaker or coupler driven by the rig, or a calibrator the
/// technician places and switches (reference/acoustic.md §2). It is told a level; the reference microphone says
/// what level the DUTs actually got, so the source needs no calibration certificate of its own.
public protocol SoundSource: AnyObject {
    /// Make, model and serial (or the PCM it plays on), for the report.
    var identity: String { get }
    /// Plays a sine of `frequency` Hz at about `spl` dB SPL at the microphones.
    func play(frequency: Double, spl: Double) throws
    /// Stops the stimulus: the chamber is quiet for the noise record.
    func silence() throws
    /// Releases the source.
    func close()
    /// Whether a person applies the stimulus (`AcousticCalibrator`): the run then asks and waits for them.
    var waitsForOperator: Bool { get }
}

extension SoundSource {
    public var waitsForOperator: Bool { false }
}
