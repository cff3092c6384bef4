import Foundation

extension RawCapture {
    /// The capture as CSV for any spreadsheet or `sensorqual analyze`: a header row `time_s` then `name [unit]` per
    /// column (`pressure [Pa]`), one row per record; `time_s` counts from the first record, to the nanosecond; a NaN
    /// value (a signal the chip does not have) is an empty cell. Numbers are the shortest text that reads back to the
    /// same Float64.
    public func csvText() -> String {
        String(decoding: csvBytes(), as: UTF8.self)
    }

    /// `csvText()` as UTF-8 bytes, built row by row into one buffer (a run's captures hold millions of rows).
    func csvBytes() -> [UInt8] {
        var bytes = Array(((["time_s"] + header.columns.map { $0.unit.isEmpty || $0.unit == "1" ? $0.name : "\($0.name) [\($0.unit)]" })
            .joined(separator: ",") + "\n").utf8)
        bytes.reserveCapacity(bytes.count + times.count * (12 + 20 * columns.count))
        let start = times.first ?? 0
        var fraction = [UInt8](repeating: 0, count: 9)
        for row in times.indices {
            let nanoseconds = times[row] - start
            bytes.append(contentsOf: String(nanoseconds / 1_000_000_000).utf8)
            bytes.append(UInt8(ascii: "."))
            var rest = nanoseconds % 1_000_000_000
            for digit in (0..<9).reversed() {
                fraction[digit] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            bytes.append(contentsOf: fraction)
            for column in columns {
                bytes.append(UInt8(ascii: ","))
                let value = column[row]
                if !value.isNaN { bytes.append(contentsOf: value.description.utf8) }
            }
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }

    /// Converts the capture at `sqrawPath` (whole records only: a tail torn by a crash is left out) to CSV at
    /// `csvPath`; returns the number of records. Written atomically (``StorageFile/replace(_:with:)``): on a full disk
    /// no half CSV is left behind, its space is given back, and the error is a ``StorageFailure`` naming ENOSPC.
    @discardableResult
    public static func exportCSV(from sqrawPath: String, to csvPath: String) throws -> Int {
        let capture = try RawCapture.read(path: sqrawPath, keepingTornTail: true)
        try StorageFile.replace(csvPath, with: capture.csvBytes())
        return capture.times.count
    }
}
