/// A WAV file that could not be read or written: which file, and why.
public struct WAVError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why. New reasons may be added; switch with a default.
    public enum Reason: Sendable, Equatable {
        /// The file does not start with `RIFF….WAVE`.
        case notRIFFWAVE
        /// An RF64/BW64 file (64-bit sizes), which SensorIO does not read.
        case rf64
        /// The `fmt ` chunk names an encoding other than integer PCM or IEEE float, e.g. 0x0002 (ADPCM).
        case unsupportedFormatTag(UInt16)
        /// An EXTENSIBLE file whose subformat GUID is neither PCM nor IEEE float.
        case unsupportedSubformat(String)
        /// A sample size the encoding does not come in here, e.g. 8-bit PCM or 16-bit float.
        case unsupportedBitDepth(bits: Int, float: Bool)
        /// A `fmt ` chunk that contradicts itself (no channels, rate 0, block align not channels × bytes…).
        case invalidFormat(String)
        /// There is no `fmt ` chunk before the data.
        case noFormatChunk
        /// There is no `data` chunk.
        case noDataChunk
        /// A chunk header or the data chunk runs past the end of the file.
        case truncated(String)
        /// The samples handed to `write` do not fit the format.
        case invalidSamples(String)
        /// The file could not be opened, read or written.
        case io(operation: String, errno: Int32, message: String)
    }

    /// The file as it was named.
    public var path: String
    /// Why it failed.
    public var reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    /// `take.wav: unsupported format tag 0x0002 (ADPCM)`.
    public var description: String { "\(path): \(reasonText)" }

    private var reasonText: String {
        switch reason {
        case .notRIFFWAVE: return "not a RIFF/WAVE file"
        case .rf64: return "RF64/BW64 (64-bit WAV) is not supported"
        case .unsupportedFormatTag(let tag):
            let name = Self.formatTagNames[tag].map { " (\($0))" } ?? ""
            return "unsupported format tag \(Self.hex4(tag))\(name); only PCM and IEEE float are read"
        case .unsupportedSubformat(let guid): return "unsupported EXTENSIBLE subformat \(guid); only PCM and IEEE float are read"
        case .unsupportedBitDepth(let bits, let float):
            return "\(bits)-bit \(float ? "float" : "PCM") not supported"
        case .invalidFormat(let text): return "invalid fmt chunk: \(text)"
        case .noFormatChunk: return "no fmt chunk before the data"
        case .noDataChunk: return "no data chunk"
        case .truncated(let text): return "truncated \(text)"
        case .invalidSamples(let text): return text
        case .io(let operation, let errno, let message): return "\(operation) failed: \(message) (errno \(errno))"
        }
    }

    /// Names of the format tags met in practice (mmreg.h), so the message says what the file is.
    private static let formatTagNames: [UInt16: String] = [
        0x0002: "ADPCM", 0x0006: "A-law", 0x0007: "µ-law", 0x0011: "IMA ADPCM", 0x0031: "GSM 6.10",
        0x0050: "MPEG", 0x0055: "MP3", 0x0161: "WMA", 0x2000: "AC-3", 0xF1AC: "FLAC",
    ]

    static func hex4(_ value: UInt16) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
