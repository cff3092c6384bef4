/// A WAV file's `fmt ` chunk: how its samples are stored. Microsoft's WAVEFORMATEX and WAVEFORMATEXTENSIBLE
/// (mmreg.h, ksmedia.h): format tag, channels, rate, byte rate, block align, bits per sample, and for
/// EXTENSIBLE the valid bits, the speaker mask and the subformat GUID.
struct WAVFormatChunk {
    /// The sample layout in the data chunk.
    var sample: PCMSampleFormat
    /// True for 64-bit float data, which `sample` (at most 32 bits) cannot name; `sample` is then `.float32`.
    var isFloat64 = false
    var channels: Int
    var sampleRate: Int
    /// Written as `WAVE_FORMAT_EXTENSIBLE`.
    var isExtensible: Bool

    var isFloat: Bool { sample.isFloat }
    /// Bytes of one stored sample.
    var bytesPerSample: Int { isFloat64 ? 8 : sample.bytesPerSample }
    /// Bytes per frame.
    var blockAlign: Int { channels * bytesPerSample }

    // Format tags (mmreg.h).
    static let tagPCM: UInt16 = 0x0001
    static let tagIEEEFloat: UInt16 = 0x0003
    static let tagExtensible: UInt16 = 0xFFFE

    /// The tail every KSDATAFORMAT_SUBTYPE_* GUID shares: {XXXXXXXX-0000-0010-8000-00AA00389B71} with the format
    /// tag in its first two bytes (ksmedia.h), as stored little-endian after those first four bytes.
    private static let subformatTail: [UInt8] = [0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]

    /// Parses a `fmt ` chunk's body; `path` names the file in errors.
    init(_ slice: ArraySlice<UInt8>, path: String) throws(WAVError) {
        func fail(_ reason: WAVError.Reason) -> WAVError { WAVError(path: path, reason: reason) }
        let body = Array(slice)
        guard body.count >= 16 else { throw fail(.invalidFormat("\(body.count) bytes, fewer than the 16 of WAVEFORMAT")) }
        var tag = RIFFBytes.uint16(body, at: 0)
        let channels = Int(RIFFBytes.uint16(body, at: 2))
        let sampleRate = Int(RIFFBytes.uint32(body, at: 4))
        let blockAlign = Int(RIFFBytes.uint16(body, at: 12))
        let containerBits = Int(RIFFBytes.uint16(body, at: 14))
        var validBits = containerBits
        let isExtensible = tag == Self.tagExtensible
        if isExtensible {
            guard body.count >= 40 else {
                throw fail(.invalidFormat("EXTENSIBLE with \(body.count) bytes, fewer than the 40 of WAVEFORMATEXTENSIBLE"))
            }
            let declaredValid = Int(RIFFBytes.uint16(body, at: 18))
            // 0 means "as many as the container", which some writers put there.
            validBits = declaredValid == 0 ? containerBits : declaredValid
            let guid = Array(body[24..<40])
            guard guid[2] == 0, guid[3] == 0, Array(guid[4...]) == Self.subformatTail else {
                throw fail(.unsupportedSubformat(Self.guidText(guid)))
            }
            tag = RIFFBytes.uint16(guid, at: 0)
            guard tag == Self.tagPCM || tag == Self.tagIEEEFloat else { throw fail(.unsupportedSubformat(Self.guidText(guid))) }
        }
        guard tag == Self.tagPCM || tag == Self.tagIEEEFloat else { throw fail(.unsupportedFormatTag(tag)) }
        let float = tag == Self.tagIEEEFloat
        guard channels >= 1 else { throw fail(.invalidFormat("0 channels")) }
        guard sampleRate >= 1 else { throw fail(.invalidFormat("sample rate 0 Hz")) }
        guard containerBits > 0, containerBits % 8 == 0 else {
            throw fail(.invalidFormat("\(containerBits) bits per sample is not a whole number of bytes"))
        }
        guard validBits <= containerBits else {
            throw fail(.invalidFormat("\(validBits) valid bits in a \(containerBits)-bit container"))
        }
        guard blockAlign == channels * containerBits / 8 else {
            throw fail(.invalidFormat("block align \(blockAlign) bytes, but \(channels) channels × \(containerBits / 8) bytes = "
                + "\(channels * containerBits / 8)"))
        }
        switch (float, containerBits) {
        case (true, 32): sample = .float32
        case (true, 64): sample = .float32; isFloat64 = true
        // Integers are left-justified in their container, so fewer valid bits (24 in 32) read correctly as the
        // container's format: the unused low bits are zero.
        case (false, 16): sample = .s16
        case (false, 24): sample = .s24Packed
        case (false, 32): sample = .s32
        default: throw fail(.unsupportedBitDepth(bits: containerBits, float: float))
        }
        self.channels = channels
        self.sampleRate = sampleRate
        self.isExtensible = isExtensible
    }

    /// The chunk `WAVFile.write` stores `format` with: `.s24` packed into three bytes; EXTENSIBLE when there
    /// are more than two channels or more than 16 integer bits (sox's rule for PCM, applied to float too).
    init(storing format: PCMStreamFormat) {
        sample = format.sample == .s24 ? .s24Packed : format.sample
        channels = format.channels
        sampleRate = format.sampleRate
        isExtensible = format.channels > 2 || (!sample.isFloat && sample.bytesPerSample > 2)
    }

    /// The chunk's body: 16 bytes for PCM, 18 for float (cbSize 0), 40 for EXTENSIBLE.
    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        let bits = UInt16(bytesPerSample * 8)
        RIFFBytes.append(uint16: isExtensible ? Self.tagExtensible : (isFloat ? Self.tagIEEEFloat : Self.tagPCM), to: &bytes)
        RIFFBytes.append(uint16: UInt16(channels), to: &bytes)
        RIFFBytes.append(uint32: UInt32(sampleRate), to: &bytes)
        RIFFBytes.append(uint32: UInt32(truncatingIfNeeded: sampleRate * blockAlign), to: &bytes)
        RIFFBytes.append(uint16: UInt16(blockAlign), to: &bytes)
        RIFFBytes.append(uint16: bits, to: &bytes)
        if isExtensible {
            RIFFBytes.append(uint16: 22, to: &bytes)      // cbSize: the extension's bytes
            RIFFBytes.append(uint16: bits, to: &bytes)    // wValidBitsPerSample
            RIFFBytes.append(uint32: speakerMask, to: &bytes)
            RIFFBytes.append(uint16: isFloat ? Self.tagIEEEFloat : Self.tagPCM, to: &bytes)
            bytes += [0, 0] + Self.subformatTail
        } else if isFloat {
            RIFFBytes.append(uint16: 0, to: &bytes)       // cbSize
        }
        return bytes
    }

    /// dwChannelMask: front centre for one channel, front left and right for two (as sox writes), and none
    /// for more, because the channels of a TDM microphone array are not loudspeaker positions.
    private var speakerMask: UInt32 {
        switch channels {
        case 1: 0x4
        case 2: 0x3
        default: 0
        }
    }

    /// The samples of a data chunk's bytes; a trailing partial frame is dropped.
    func decode(_ data: ArraySlice<UInt8>) -> WAVFile {
        let frames = data.count / blockAlign
        let format = PCMStreamFormat(sample: sample, sampleRate: sampleRate, channels: channels)
        var samples: [Double] = []
        samples.reserveCapacity(frames * channels)
        data.withUnsafeBytes { raw in
            let whole = UnsafeRawBufferPointer(rebasing: raw[0..<(frames * blockAlign)])
            if isFloat64 {
                for index in 0..<(frames * channels) {
                    samples.append(Double(bitPattern: whole.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self).littleEndian))
                }
            } else {
                sample.decode(whole, into: &samples)
            }
        }
        return WAVFile(format: format, interleaved: samples)
    }

    /// {00000001-0000-0010-8000-00AA00389B71}
    private static func guidText(_ guid: [UInt8]) -> String {
        func hex(_ bytes: [UInt8]) -> String {
            bytes.map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
        }
        let data1 = hex(guid[0..<4].reversed())
        let data2 = hex(guid[4..<6].reversed())
        let data3 = hex(guid[6..<8].reversed())
        return "{\(data1)-\(data2)-\(data3)-\(hex(Array(guid[8..<10])))-\(hex(Array(guid[10..<16])))}"
    }
}
