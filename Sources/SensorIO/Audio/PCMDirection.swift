/// Which way samples flow through a PCM device.
public enum PCMDirection: String, Sendable, Hashable, Codable {
    /// From the device: microphones, ADCs.
    case capture
    /// To the device: the chamber's loudspeaker, DACs.
    case playback
}
