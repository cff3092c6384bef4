import SensorIO

// The rig file's audio part: PCM interfaces, microphone slots and the reference microphone.

extension Rig {
    /// Unique ids, interfaces that exist, channels inside their stream, catalog chips of the acoustic class,
    /// and no channel used twice (a microphone and the reference microphone included).
    func validateAudio(file: YAMLFile, catalog: ChipCatalog) throws(ConfigurationError) {
        var ids = Set(slots.map(\.id))
        var interfaceIDs = Set<String>()
        for (index, interface) in audioInterfaces.enumerated() {
            let at = [PathKey("audio"), PathKey(index)]
            guard interfaceIDs.insert(interface.id).inserted else {
                throw file.error(at: at, "audio interface id '\(interface.id)' is used twice")
            }
            let format = interface.format
            guard (1...16).contains(format.channels) else {
                throw file.error(at: at + [PathKey("channels")], "audio \(interface.id): channels must be 1–16, not \(format.channels)")
            }
            guard (8_000...384_000).contains(format.sampleRate) else {
                throw file.error(at: at + [PathKey("rate_hz")], "audio \(interface.id): rate_hz \(format.sampleRate) is outside 8000–384000 Hz")
            }
            if let volts = interface.fullScaleVoltsPeak, !(volts > 0) {
                throw file.error(at: at + [PathKey("full_scale_v_peak")], "audio \(interface.id): full_scale_v_peak must be positive")
            }
        }
        var channels = Set<String>()
        func claim(_ interfaceID: String, _ channel: Int, by owner: String, at path: [PathKey]) throws(ConfigurationError) {
            guard let interface = audioInterface(interfaceID) else {
                throw file.error(at: path, "\(owner) names audio interface '\(interfaceID)', which the rig does not have")
            }
            guard (0..<interface.format.channels).contains(channel) else {
                throw file.error(at: path, "\(owner): channel \(channel) is not in 0–\(interface.format.channels - 1) of \(interfaceID)")
            }
            guard channels.insert("\(interfaceID)/\(channel)").inserted else {
                throw file.error(at: path, "\(owner): channel \(channel) of \(interfaceID) is already used")
            }
        }
        for (index, microphone) in microphones.enumerated() {
            let at = [PathKey("microphones"), PathKey(index)]
            guard ids.insert(microphone.id).inserted else { throw file.error(at: at, "slot id '\(microphone.id)' is used twice") }
            guard let chip = catalog.chip(microphone.chip) else {
                throw file.error(at: at + [PathKey("chip")], "microphone \(microphone.id): chip '\(microphone.chip)' is not in the catalog ("
                    + catalog.names.joined(separator: ", ") + ")")
            }
            guard chip.sensorClass == "acoustic" else {
                throw file.error(at: at + [PathKey("chip")], "microphone \(microphone.id): \(chip.model) is a \(chip.sensorClass) sensor")
            }
            try claim(microphone.audio, microphone.channel, by: "microphone \(microphone.id)", at: at + [PathKey("channel")])
            if chip.microphoneOutput == .analog, audioInterface(microphone.audio)?.fullScaleVoltsPeak == nil {
                throw file.error(at: at + [PathKey("audio")], "microphone \(microphone.id) is analog: audio \(microphone.audio) needs "
                    + "full_scale_v_peak (the ADC's 0 dBFS input) to state its sensitivity in dBV")
            }
        }
        for (index, reference) in references.enumerated() where reference.kind == "reference-microphone" {
            guard let (interface, channel) = reference.audioChannel else { continue }
            try claim(interface, channel, by: "reference \(reference.id)", at: [PathKey("references"), PathKey(index), PathKey("link")])
        }
    }

    /// A reference microphone: an `audio:<interface>/<channel>` link, its certificate sensitivity in dBV, and an
    /// analog channel to read it in volts.
    func validateReferenceMicrophone(_ reference: Reference, at path: [PathKey], file: YAMLFile) throws(ConfigurationError) {
        guard let (interface, _) = reference.audioChannel else {
            throw file.error(at: path + [PathKey("link")], "reference \(reference.id): a reference microphone's link is "
                + "audio:<interface>/<channel>, not '\(reference.link)'")
        }
        guard audioInterface(interface) != nil else {
            throw file.error(at: path + [PathKey("link")], "reference \(reference.id) names audio interface '\(interface)', which the rig does not have")
        }
        guard reference.sensitivityDBV != nil else {
            throw file.error(at: path, "reference \(reference.id): sensitivity_dbv (from its calibration certificate) is missing")
        }
        guard audioInterface(interface)?.fullScaleVoltsPeak != nil else {
            throw file.error(at: path + [PathKey("link")], "reference \(reference.id): audio \(interface) needs full_scale_v_peak "
                + "to read the reference microphone in volts")
        }
    }
}

extension Rig.Reference {
    /// The interface and channel of an `audio:<interface>/<channel>` link.
    public var audioChannel: (interface: String, channel: Int)? {
        guard link.hasPrefix("audio:") else { return nil }
        let parts = link.dropFirst("audio:".count).split(separator: "/")
        guard parts.count == 2, let channel = Int(parts[1]), channel >= 0 else { return nil }
        return (String(parts[0]), channel)
    }
}

/// One `audio:` entry of the rig file.
struct AudioInterfaceDocument: Decodable {
    var interface: Rig.AudioInterface

    enum Keys: String, CodingKey { case id, pcm, alsa_config, format, rate_hz, channels, full_scale_v_peak }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let formatName = try c.decodeIfPresent(String.self, forKey: .format) ?? PCMSampleFormat.s32.rawValue
        guard let format = PCMSampleFormat(rawValue: formatName) else {
            throw DecodingError.dataCorruptedError(forKey: .format, in: c, debugDescription: "format must be one of "
                + PCMSampleFormat.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(formatName)'")
        }
        interface = Rig.AudioInterface(
            id: try c.decode(String.self, forKey: .id), pcm: try c.decode(String.self, forKey: .pcm),
            alsaConfig: try c.decodeIfPresent(String.self, forKey: .alsa_config),
            format: PCMStreamFormat(sample: format, sampleRate: try c.decode(Int.self, forKey: .rate_hz),
                                    channels: try c.decode(Int.self, forKey: .channels)),
            fullScaleVoltsPeak: try c.decodeIfPresent(Double.self, forKey: .full_scale_v_peak))
    }
}

/// One `microphones:` entry of the rig file.
struct MicrophoneDocument: Decodable {
    var slot: Rig.MicrophoneSlot

    enum Keys: String, CodingKey { case id, chip, audio, channel }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        slot = Rig.MicrophoneSlot(id: try c.decode(String.self, forKey: .id), chip: try c.decode(String.self, forKey: .chip),
                                  audio: try c.decode(String.self, forKey: .audio), channel: try c.decode(Int.self, forKey: .channel))
    }
}
