/// A file a run left in its folder, recorded so the archive knows what exists without walking the state folder.
public struct ArchivedArtifact: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case reportJSON = "report-json"
        case reportHTML = "report-html"
        /// `raw/<slot>.sqraw` (docs/raw-capture.md).
        case rawCapture = "raw-capture"
        case rawCSV = "raw-csv"
        /// A microphone run's WAV recording.
        case audio
    }

    /// The DUT's slot; nil for a file of the whole run (the reports).
    public var slot: String?
    public var kind: Kind
    /// Relative to the run's folder (`<state dir>/runs/<run-id>/`), as the report writes paths.
    public var path: String
    /// Size when recorded; nil when the file was not there to measure.
    public var bytes: Int?

    public init(slot: String?, kind: Kind, path: String, bytes: Int? = nil) {
        self.slot = slot
        self.kind = kind
        self.path = path
        self.bytes = bytes
    }
}
