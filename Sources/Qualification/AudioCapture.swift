import SensorIO

/// One audio interface's capture stream as the microphone run engine reads it. On every rig, real or simulated,
/// it is `PCMCapture`, ALSA's capture path (the simulated chamber feeds ALSA's `file` plugin).
public protocol AudioCapture: AnyObject {
    var format: PCMStreamFormat { get }
    /// Overruns so far: stretches of samples the interface dropped.
    var xruns: Int { get }
    /// The next `frames` frames, normalized to ±1.0 full scale; blocks up to `timeout` s.
    func read(frames: Int, timeout: Double) throws -> PCMBlock
    func close()
}

extension PCMCapture: AudioCapture {}

extension RigConnector {
    /// Opens the interface through ALSA: its PCM name, in the rig file's format, with the rig file's own ALSA
    /// configuration file when it names one.
    public func openCapture(_ interface: Rig.AudioInterface) throws -> any AudioCapture {
        try PCMCapture(device: interface.pcm, configurationFile: interface.alsaConfig, format: interface.format)
    }
}
