import Foundation
import Logging

/// Log lines on stderr. Under systemd (`JOURNAL_STREAM` set) each line starts with its syslog priority
/// (`<3>` error … `<7>` debug), which journald reads as the entry's priority (sd-daemon(3)); started by
/// hand, lines carry a UTC timestamp and the level instead.
struct JournalLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let journal: Bool

    init(level: Logger.Level, environment: [String: String] = ProcessInfo.processInfo.environment) {
        logLevel = level
        journal = environment["JOURNAL_STREAM"] != nil
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }
        let suffix = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(event.message)\(suffix)\n"
        } else {
            line = "\(Date().formatted(.iso8601)) \(event.level) \(event.message)\(suffix)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// syslog priorities (RFC 5424 severity).
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
