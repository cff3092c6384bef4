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
        let start = times.first ?? 0
        var values = [Double](repeating: 0, count: columns.count)
        bytes.reserveCapacity(bytes.count + times.count * (12 + 20 * columns.count))
        for row in times.indices {
            for column in columns.indices { values[column] = columns[column][row] }
            values.withUnsafeBufferPointer { Self.appendCSVRow(times[row] - start, $0, to: &bytes) }
        }
        return bytes
    }

    /// The header row: `time_s`, then `name [unit]` per column.
    static func csvHeaderRow(_ header: RawCaptureHeader) -> [UInt8] {
        Array(((["time_s"] + header.columns.map { $0.unit.isEmpty || $0.unit == "1" ? $0.name : "\($0.name) [\($0.unit)]" })
            .joined(separator: ",") + "\n").utf8)
    }

    /// Appends one CSV row per whole record of `records` (the capture's little-endian records), `time_s` counted from
    /// `start` (ns), straight from the bytes: no arrays per block or per row.
    static func appendCSVRows(records: UnsafeRawBufferPointer, columnCount: Int, start: Int64, to bytes: inout [UInt8]) {
        let recordSize = 8 * (1 + columnCount)
        let count = records.count / recordSize
        bytes.reserveCapacity(bytes.count + count * (12 + 20 * columnCount))
        withUnsafeTemporaryAllocation(of: Double.self, capacity: columnCount) { values in
            for record in 0..<count {
                let base = record * recordSize
                let time = Int64(littleEndian: records.loadUnaligned(fromByteOffset: base, as: Int64.self))
                for column in 0..<columnCount {
                    let bits = UInt64(littleEndian: records.loadUnaligned(fromByteOffset: base + 8 * (column + 1), as: UInt64.self))
                    values[column] = Double(bitPattern: bits)
                }
                appendCSVRow(time - start, UnsafeBufferPointer(values), to: &bytes)
            }
        }
    }

    /// Appends one CSV row: `time_s` (`nanoseconds` as seconds, to the nanosecond), then each value.
    static func appendCSVRow(_ nanoseconds: Int64, _ values: UnsafeBufferPointer<Double>, to bytes: inout [UInt8]) {
        let (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if nanoseconds < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(of: seconds.magnitude, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        appendDigits(of: fraction.magnitude, width: 9, to: &bytes)
        for value in values {
            bytes.append(UInt8(ascii: ","))
            appendCSVNumber(value, to: &bytes)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Appends `value` as its `description` spells it (the shortest text that reads back to the same Float64), or
    /// nothing for NaN. Whole numbers below 2^53 (steps, raw codes) take an integer path: `description` spells them
    /// as their digits and ".0", and it is several times cheaper than the general conversion.
    static func appendCSVNumber(_ value: Double, to bytes: inout [UInt8]) {
        guard !value.isNaN else { return }
        if value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) {
            if value.sign == .minus { bytes.append(UInt8(ascii: "-")) }
            appendDigits(of: UInt64(value.magnitude), to: &bytes)
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0"))
        } else {
            var text = value.description
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
    }

    /// Appends the decimal digits of `value`, zero-padded on the left to `width`.
    private static func appendDigits(of value: UInt64, width: Int = 1, to bytes: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)      // 24 bytes: a UInt64 has at most 20 digits
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[24 - count] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest != 0 || count < width
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
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
                rows.removeAll(keepingCapacity: true)
                pending.withUnsafeBytes { raw in
                    let block = UnsafeRawBufferPointer(rebasing: raw[0..<whole])
                    start = start ?? Int64(littleEndian: block.loadUnaligned(fromByteOffset: 0, as: Int64.self))
                    appendCSVRows(records: block, columnCount: header.columns.count, start: start ?? 0, to: &rows)
                }
                pending.removeFirst(whole)
                try file.write(rows)
                records += whole / recordSize
            }
        }
        return records
    }
}
