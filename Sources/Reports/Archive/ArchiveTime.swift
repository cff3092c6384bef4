import Foundation

/// How the archive writes times: RFC 3339 UTC with milliseconds, as the control protocol does
/// (docs/protocol.md §6), so that text order is time order and `since` filters are a string comparison.
public enum ArchiveTime {
    public static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// An ISO 8601 date (`2026-11-26`, the start of that day UTC) or date-time (`2026-11-26T15:33:02Z`,
    /// `…02.452Z`, `…02+01:00`); nil for anything else, an impossible date (`2026-13-01`) included.
    public static func parse(_ text: String) -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text.count == 10 {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
                  let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            guard let utc = TimeZone(identifier: "UTC") else { return nil }
            calendar.timeZone = utc
            let components = DateComponents(calendar: calendar, timeZone: utc, year: year, month: month, day: day)
            guard components.isValidDate, let date = calendar.date(from: components) else { return nil }
            return date
        }
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
