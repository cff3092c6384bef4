import Foundation

extension RawCapture {
    /// The capture as CSV for any spreadsheet or `sensorqual analyze`: a header row `time_s` then `name [unit]` per
    /// column (`pressure [Pa]`), one row per record; `time_s` counts from the first record, to the nanosecond; a NaN
    /// value (a signal the chip does not have) is an empty cell. Numbers are the shortest text that reads back to the
    /// same Float64.
    public func csvText() -> String {
        var text = (["time_s"] + header.columns.map { $0.unit.isEmpty || $0.unit == "1" ? $0.name : "\($0.name) [\($0.unit)]" })
            .joined(separator: ",") + "\n"
        let start = times.first ?? 0
        for row in times.indices {
            let nanoseconds = times[row] - start
            var cells = [String(nanoseconds / 1_000_000_000) + "." + String(String(nanoseconds % 1_000_000_000 + 1_000_000_000).dropFirst())]
            for column in columns { cells.append(column[row].isNaN ? "" : "\(column[row])") }
            text += cells.joined(separator: ",") + "\n"
        }
        return text
    }

    /// Converts the capture at `sqrawPath` (whole records only: a tail torn by a crash is left out) to CSV at
    /// `csvPath`; returns the number of records. Written atomically (``StorageFile/replace(_:with:)``): on a full disk
    /// no half CSV is left behind, its space is given back, and the error is a ``StorageFailure`` naming ENOSPC.
    @discardableResult
    public static func exportCSV(from sqrawPath: String, to csvPath: String) throws -> Int {
        let capture = try RawCapture.read(path: sqrawPath, keepingTornTail: true)
        try StorageFile.replace(csvPath, with: Data(capture.csvText().utf8))
        return capture.times.count
    }
}
