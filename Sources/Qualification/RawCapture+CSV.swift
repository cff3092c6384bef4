import Foundation

extension RawCapture {
    /// The capture as CSV for any spreadsheet or `sensorqual analyze`: a header row `time_s` then `name [unit]` per
    /// column (`pressure [Pa]`), one row per record; `time_s` counts from the first record, to the nanosecond; a NaN
    /// value (a signal the chip does not have) is an empty cell. Numbers are the shortest text that reads back to the
    /// same Float64.
    public func csvText() -> String {
        String(decoding: csvBytes(), as: UTF8.self)
    }

    /// `csvText()` as UTF-8 bytes.
    func csvBytes() -> [UInt8] {
        var bytes = Self.csvHeaderRow(header)
        Self.appendCSVRows(times: times, columns: columns, start: times.first ?? 0, to: &bytes)
        return bytes
    }

    /// The header row: `time_s`, then `name [unit]` per column.
    static func csvHeaderRow(_ header: RawCaptureHeader) -> [UInt8] {
        Array(((["time_s"] + header.columns.map { $0.unit.isEmpty || $0.unit == "1" ? $0.name : "\($0.name) [\($0.unit)]" })
            .joined(separator: ",") + "\n").utf8)
    }

    /// Appends one CSV row per record, `time_s` counted from `start` (ns).
    static func appendCSVRows(times: [Int64], columns: [[Double]], start: Int64, to bytes: inout [UInt8]) {
        bytes.reserveCapacity(bytes.count + times.count * (12 + 20 * columns.count))
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
    }

    /// Converts the capture at `sqrawPath` (whole records only: a tail torn by a crash is left out) to CSV at
    /// `csvPath`; returns the number of records. Written atomically (``StorageFile/replace(_:writing:)``): on a full
    /// disk no half CSV is left behind, its space is given back, and the error is a ``StorageFailure`` naming ENOSPC.
    /// The capture is read and converted `blockRecords` records at a time, so the memory it takes is one block's,
    /// however long the run was (an hour of one BMP390 at 200 Hz is 29 MB of capture and 45 MB of CSV).
    @discardableResult
    public static func exportCSV(from sqrawPath: String, to csvPath: String, blockRecords: Int = 1 << 15) throws -> Int {
        guard let input = FileHandle(forReadingAtPath: sqrawPath) else {
            throw ConfigurationError(file: sqrawPath, reason: "cannot read the file")
        }
        defer { try? input.close() }
        // The two header lines fit in the first 64 KiB (the JSON header is a few hundred bytes).
        let head: Data
        do { head = try input.read(upToCount: 1 << 16) ?? Data() } catch {
            throw ConfigurationError(file: sqrawPath, reason: "cannot read the file: \(error.localizedDescription)")
        }
        let (header, bodyStart) = try parseHead(head, path: sqrawPath)
        let recordSize = 8 * (1 + header.columns.count)
        var pending = Data(head[(head.startIndex + bodyStart)...])
        var records = 0
        var start: Int64?
        try StorageFile.replace(csvPath) { (file: StorageFile) throws(StorageFailure) in
            try file.write(csvHeaderRow(header))
            var rows: [UInt8] = []
            var atEnd = false
            while !atEnd {
                let block: Data
                do { block = try input.read(upToCount: recordSize * blockRecords) ?? Data() } catch {
                    let error = error as NSError
                    throw StorageFile.failure(path: sqrawPath, operation: "read",
                                              error.domain == NSPOSIXErrorDomain ? Int32(error.code) : EIO)
                }
                atEnd = block.isEmpty
                pending.append(block)
                let whole = pending.count / recordSize * recordSize
                guard whole > 0 else { continue }
                let (times, columns) = pending.withUnsafeBytes {
                    decodeRecords(UnsafeRawBufferPointer(rebasing: $0[0..<whole]), columnCount: header.columns.count)
                }
                pending.removeFirst(whole)
                start = start ?? times.first
                rows.removeAll(keepingCapacity: true)
                appendCSVRows(times: times, columns: columns, start: start ?? 0, to: &rows)
                try file.write(rows)
                records += times.count
            }
        }
        return records
    }
}
