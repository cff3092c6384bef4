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
        CSVSpellings.with { spellings in
            for row in times.indices {
                for column in columns.indices { values[column] = columns[column][row] }
                values.withUnsafeBufferPointer { values in
                    CSVCursor.write(to: &bytes, atMost: CSVCursor.rowLength(columns: values.count), spellings: spellings) { cursor in
                        cursor.putRow(times[row] - start, values)
                    }
                }
            }
        }
        return bytes
    }

    /// The header row: `time_s`, then `name [unit]` per column.
    static func csvHeaderRow(_ header: RawCaptureHeader) -> [UInt8] {
        Array(((["time_s"] + header.columns.map { $0.unit.isEmpty || $0.unit == "1" ? $0.name : "\($0.name) [\($0.unit)]" })
            .joined(separator: ",") + "\n").utf8)
    }

    /// Appends one CSV row per whole record of `records` (the capture's little-endian records), `time_s` counted from
    /// `start` (ns), straight from the bytes into the text: no arrays per block or per row.
    static func appendCSVRows(records: UnsafeRawBufferPointer, columnCount: Int, start: Int64, spellings: CSVSpellings,
                              to bytes: inout [UInt8]) {
        let count = records.count / (8 * (1 + columnCount))
        CSVCursor.write(to: &bytes, atMost: count * CSVCursor.rowLength(columns: columnCount), spellings: spellings) { cursor in
            putCSVRows(records: records, columnCount: columnCount, start: start, cursor: &cursor)
        }
    }

    /// Writes one CSV row per whole record of `records` at `cursor`, which has room for them.
    static func putCSVRows(records: UnsafeRawBufferPointer, columnCount: Int, start: Int64, cursor: inout CSVCursor) {
        let recordSize = 8 * (1 + columnCount)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: columnCount) { values in
            for record in 0..<(records.count / recordSize) {
                let base = record * recordSize
                let time = Int64(littleEndian: records.loadUnaligned(fromByteOffset: base, as: Int64.self))
                for column in 0..<columnCount {
                    let bits = UInt64(littleEndian: records.loadUnaligned(fromByteOffset: base + 8 * (column + 1), as: UInt64.self))
                    values[column] = Double(bitPattern: bits)
                }
                cursor.putRow(time - start, UnsafeBufferPointer(values))
            }
        }
    }

    /// Appends `value` as a CSV cell spells it (`CSVCursor.putNumber`).
    static func appendCSVNumber(_ value: Double, to bytes: inout [UInt8]) {
        CSVSpellings.with { spellings in
            CSVCursor.write(to: &bytes, atMost: CSVCursor.cellLength, spellings: spellings) { $0.putNumber(value) }
        }
    }

    /// Converts the capture at `sqrawPath` (whole records only: a tail torn by a crash is left out) to CSV at
    /// `csvPath`; returns the number of records. Written atomically (``StorageFile/replace(_:writing:)``): on a full
    /// disk no half CSV is left behind, its space is given back, and the error is a ``StorageFailure`` naming ENOSPC.
    /// The capture is read and converted `blockRecords` records at a time, so the memory it takes is one block's,
    /// however long the run was (an hour of one BMP390 at 200 Hz is 29 MB of capture and 45 MB of CSV). A block's text
    /// (about 300 KB) stays in the processor's cache for the write that copies it to the kernel: with blocks of 2^15
    /// records, 2.6 MB for a magnetometer, that copy cost as much as making the text.
    @discardableResult
    public static func exportCSV(from sqrawPath: String, to csvPath: String, blockRecords: Int = 1 << 12) throws -> Int {
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
        let body = head[(head.startIndex + bodyStart)...]
        // One buffer, read into after the part-record a block leaves over: no copy of the block on the way.
        var block = [UInt8](repeating: 0, count: Swift.max(recordSize * blockRecords, body.count) + recordSize)
        block.replaceSubrange(0..<body.count, with: body)
        // A block's text is written where it is made, memory set aside once: into an array, the room for each block
        // was first filled with zeros.
        let room = block.count / recordSize * CSVCursor.rowLength(columns: header.columns.count)
        let rows = UnsafeMutablePointer<UInt8>.allocate(capacity: room)
        defer { rows.deallocate() }
        var filled = body.count
        var records = 0
        var start: Int64?
        try CSVSpellings.with { (spellings) throws(StorageFailure) in
            try StorageFile.replace(csvPath) { (file: StorageFile) throws(StorageFailure) in
                try file.write(csvHeaderRow(header))
                var atEnd = false
                while !atEnd {
                    let read = block.withUnsafeMutableBytes {
                        StorageSyscalls.read(input.fileDescriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...]))
                    }
                    switch read {
                    case .success(let count): atEnd = count == 0; filled += count
                    case .failure(let code): throw StorageFile.failure(path: sqrawPath, operation: "read", code.value)
                    }
                    let whole = filled / recordSize * recordSize
                    guard whole > 0, atEnd || filled == block.count else { continue }
                    let end = block.withUnsafeBytes { raw in
                        let complete = UnsafeRawBufferPointer(rebasing: raw[0..<whole])
                        start = start ?? Int64(littleEndian: complete.loadUnaligned(fromByteOffset: 0, as: Int64.self))
                        return CSVCursor.write(at: rows, spellings: spellings) { cursor in
                            putCSVRows(records: complete, columnCount: header.columns.count, start: start ?? 0, cursor: &cursor)
                        }
                    }
                    block.withUnsafeMutableBytes { raw in   // the part-record left over, shorter than what went before it
                        raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[whole..<filled]))
                    }
                    filled -= whole
                    precondition(end - rows <= room, "CSV text overran the room reserved for it")
                    try file.write(UnsafeRawBufferPointer(start: rows, count: end - rows))
                    records += whole / recordSize
                }
            }
        }
        return records
    }
}

/// Writes CSV text in place into bytes set aside for it: a row is written digit by digit, with no `String` but a
/// fraction's shortest spelling, and no bounds check per byte (the room is reserved for the longest row first).
struct CSVCursor {
    private var next: UnsafeMutablePointer<UInt8>
    private let spellings: CSVSpellings

    /// The longest a cell can be: a comma, then `description`'s longest spelling of a Float64
    /// ("-2.2250738585072014e-308", 24 bytes).
    static let cellLength = 25

    /// The longest a row of `columns` values can be: `time_s` (a sign, 20 digits, the point and 9 digits), the cells
    /// and the newline.
    static func rowLength(columns: Int) -> Int { 31 + columns * cellLength + 1 }

    /// Appends to `bytes` what `body` writes, at most `limit` bytes, copying the numbers already in `spellings`.
    static func write(to bytes: inout [UInt8], atMost limit: Int, spellings: CSVSpellings, _ body: (inout CSVCursor) -> Void) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: limit))
        let end = bytes.withUnsafeMutableBufferPointer { buffer in
            let end = write(at: buffer.baseAddress! + start, spellings: spellings, body)
            precondition(end <= buffer.baseAddress! + buffer.count, "CSV text overran the room reserved for it")
            return end - buffer.baseAddress!
        }
        bytes.removeLast(bytes.count - end)
    }

    /// Writes what `body` writes from `start`, where the caller has made room for it; returns the end of the text.
    static func write(at start: UnsafeMutablePointer<UInt8>, spellings: CSVSpellings,
                      _ body: (inout CSVCursor) -> Void) -> UnsafeMutablePointer<UInt8> {
        var cursor = CSVCursor(next: start, spellings: spellings)
        body(&cursor)
        return cursor.next
    }

    /// One row: `time_s` (`nanoseconds` as seconds, to the nanosecond), then each value.
    mutating func putRow(_ nanoseconds: Int64, _ values: UnsafeBufferPointer<Double>) {
        let (seconds, fraction) = nanoseconds.quotientAndRemainder(dividingBy: 1_000_000_000)
        if nanoseconds < 0 { put(UInt8(ascii: "-")) }
        putDigits(of: seconds.magnitude)
        put(UInt8(ascii: "."))
        putDigits(of: fraction.magnitude, width: 9)
        for value in values {
            put(UInt8(ascii: ","))
            putNumber(value)
        }
        put(UInt8(ascii: "\n"))
    }

    /// `value` as its `description` spells it (the shortest text that reads back to the same Float64), or nothing for
    /// NaN. Whole numbers below 2^53 (steps, raw codes) take an integer path: `description` spells them as their
    /// digits and ".0", and that is several times cheaper than the general conversion. A fraction's spelling is
    /// copied from `spellings` when it is there, else made and kept there.
    mutating func putNumber(_ value: Double) {
        guard !value.isNaN else { return }
        // Whole by a round trip through Int64, exact below 2^53: `rounded(.towardZero)` is a call to libm's `trunc`
        // on x86-64's baseline (no SSE4.1), once per cell.
        if value.magnitude < 9_007_199_254_740_992, Double(Int64(value)) == value {
            if value.sign == .minus { put(UInt8(ascii: "-")) }
            putDigits(of: UInt64(value.magnitude))
            put(UInt8(ascii: "."))
            put(UInt8(ascii: "0"))
            return
        }
        if spellings.copy(value, to: &next) { return }
        let start = next
        if !putShortDecimal(value) {
            var text = CellText(next: next)
            value.write(to: &text)
            next = text.next
        }
        spellings.keep(value, UnsafePointer(start), count: next - start)
    }

    /// Writes a fraction whose exact decimal expansion has at most 15 significant digits, and returns true; writes
    /// nothing and returns false for any other value. Such a value is m/2^k (m odd), exactly m·5^k/10^k, and no
    /// decimal of fewer digits reads back to it: 15-digit decimals lie further apart than Float64's rounding
    /// interval, so the exact spelling is the shortest one, `description`'s, which writes it without an exponent
    /// from 0.0001 up. A magnetometer's field is its code times a power of two in µT (an MMC5983MA's 100/16384), so
    /// its readings take this path, several times cheaper than the general conversion; a compensated pressure, with
    /// a long expansion, fails the test in a few instructions.
    private mutating func putShortDecimal(_ value: Double) -> Bool {
        let magnitude = value.magnitude
        // From 0.0001 (where `description` turns to exponents) the value is normal: an implicit leading bit.
        guard magnitude >= 0.0001, magnitude < 1e15 else { return false }
        let significand = magnitude.significandBitPattern | (1 << 52)
        let zeros = significand.trailingZeroBitCount
        // magnitude = odd / 2^k; k ≤ 0 is a whole number, and k > 18 has more than 15 digits from 0.0001 up.
        let k = 52 - zeros - Int(magnitude.exponent)
        guard k > 0, k <= 18 else { return false }
        let powerOfFive = Self.powersOfFive[k]
        let (scaled, overflow) = (significand >> zeros).multipliedReportingOverflow(by: powerOfFive)
        guard !overflow, scaled < 1_000_000_000_000_000 else { return false }
        let (whole, fraction) = scaled.quotientAndRemainder(dividingBy: powerOfFive << k)   // 10^k = 5^k·2^k
        if value.sign == .minus { put(UInt8(ascii: "-")) }
        putDigits(of: whole)
        put(UInt8(ascii: "."))
        putDigits(of: fraction, width: k)
        return true
    }

    /// 5^k, k = 0…18: constants in the binary, not an array made on first use and looked up through its token.
    private static let powersOfFive: InlineArray<19, UInt64> = [
        1, 5, 25, 125, 625, 3125, 15_625, 78_125, 390_625, 1_953_125, 9_765_625, 48_828_125, 244_140_625, 1_220_703_125,
        6_103_515_625, 30_517_578_125, 152_587_890_625, 762_939_453_125, 3_814_697_265_625,
    ]

    /// Takes `Double.write(to:)`'s text, which is `description`'s: the standard library hands it over as ASCII bytes
    /// (`_writeASCII`), so no String is made (a heap one for most fractions, over 15 bytes).
    private struct CellText: TextOutputStream {
        var next: UnsafeMutablePointer<UInt8>

        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
            guard let base = buffer.baseAddress else { return }
            next.update(from: base, count: buffer.count)
            next += buffer.count
        }

        mutating func write(_ string: String) {
            var string = string
            string.withUTF8 { _writeASCII($0) }
        }
    }

    private mutating func put(_ byte: UInt8) {
        next.pointee = byte
        next += 1
    }

    /// The decimal digits of `value`, zero-padded on the left to `width`: two digits per division, from a table of
    /// the hundred pairs (a row's time and raw codes are most of its digits).
    private mutating func putDigits(of value: UInt64, width: Int = 1) {
        var count = 1
        var bound: UInt64 = 10
        while count < 20, value >= bound {
            count += 1
            bound &*= 10
        }
        count = Swift.max(count, width)
        var rest = value
        var position = count
        let pairs = Self.digitPairs.utf8Start
        while position >= 2 {
            let (quotient, pair) = rest.quotientAndRemainder(dividingBy: 100)
            position -= 2
            next[position] = pairs[2 * Int(pair)]
            next[position + 1] = pairs[2 * Int(pair) + 1]
            rest = quotient
        }
        if position == 1 { next[0] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest) }
        next += count
    }

    /// "00", "01" … "99" as 200 ASCII bytes, in the binary's constant data (an array was made on first use and
    /// reached through its initialization token and a retain on every call).
    private static let digitPairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
}

/// The spellings of the fractions a CSV export wrote lately, by bit pattern. A magnetometer's field or temperature is a
/// code times a scale, so the same few hundred values recur row after row, and copying a spelling is several times
/// cheaper than making it again. Direct-mapped: a value new in every row, a compensated pressure, costs one look-up
/// and one copy more than its spelling.
struct CSVSpellings {
    /// 1 024 slots of 40 bytes: the bit pattern, the length, then up to 24 bytes of text, the longest
    /// spelling (`CSVCursor.cellLength` less the comma).
    private static let slotBits = 10
    private static let slotCount = 1 << slotBits
    private static let slotSize = 40
    private static let textOffset = 16
    private let slots: UnsafeMutableRawPointer

    /// Calls `body` with an empty table that lives as long as the call.
    static func with<Result, Failure: Error>(_ body: (CSVSpellings) throws(Failure) -> Result) throws(Failure) -> Result {
        try withUnsafeTemporaryAllocation(byteCount: slotCount * slotSize, alignment: 8) { (storage) throws(Failure) in
            // An empty slot holds NaN's pattern: a NaN is never looked up (it is an empty cell).
            storage.initializeMemory(as: UInt8.self, repeating: 0)
            for slot in 0..<slotCount {
                storage.storeBytes(of: Double.nan.bitPattern, toByteOffset: slot * slotSize, as: UInt64.self)
            }
            return try body(CSVSpellings(slots: storage.baseAddress!))
        }
    }

    private init(slots: UnsafeMutableRawPointer) {
        self.slots = slots
    }

    /// The slot of `bits`: the top bits of a multiplicative hash (Knuth's), which spreads codes that differ only in
    /// their low bits.
    private func slot(_ bits: UInt64) -> UnsafeMutableRawPointer {
        slots + Int(truncatingIfNeeded: (bits &* 0x9E37_79B9_7F4A_7C15) >> (64 - Self.slotBits)) * Self.slotSize
    }

    /// Writes `value`'s kept spelling at `next` and moves it past, or returns false. Always copies 24 bytes, which
    /// the caller has room for (a cell's room is 25), so that a hit is three loads and three stores.
    func copy(_ value: Double, to next: inout UnsafeMutablePointer<UInt8>) -> Bool {
        let bits = value.bitPattern
        let slot = slot(bits)
        guard slot.load(as: UInt64.self) == bits else { return false }
        let target = UnsafeMutableRawPointer(next)
        for word in 0..<3 {
            target.storeBytes(of: slot.load(fromByteOffset: Self.textOffset + 8 * word, as: UInt64.self), toByteOffset: 8 * word, as: UInt64.self)
        }
        next += Int(slot.load(fromByteOffset: 8, as: UInt8.self))
        return true
    }

    /// Keeps `count` bytes at `text` as `value`'s spelling, in place of what its slot held.
    func keep(_ value: Double, _ text: UnsafePointer<UInt8>, count: Int) {
        let slot = slot(value.bitPattern)
        slot.storeBytes(of: value.bitPattern, as: UInt64.self)
        slot.storeBytes(of: UInt8(count), toByteOffset: 8, as: UInt8.self)
        (slot + Self.textOffset).copyMemory(from: text, byteCount: count)
    }
}
