import Foundation

/// One column of a recorded series, read from a CSV file for offline analysis (`sensorqual analyze`, DESIGN §4):
/// the values and their sample rate.
///
/// The file format it accepts:
/// - separators: tab, semicolon or comma, detected on the first row (in that order of preference: a file with a
///   semicolon or tab in its first row is not split on commas, so decimal commas never split a cell);
/// - a header row is optional: the first row is the header when none of its cells is a number;
/// - cells are trimmed of spaces; one pair of surrounding double quotes is removed (quoted separators are not
///   supported); blank lines are skipped; `\n` and `\r\n` line ends; a UTF-8 byte order mark is ignored;
/// - every row has as many cells as the first; only the selected column (and the time column, when it gives the
///   rate) must hold finite numbers, so other columns may hold text.
public struct RecordedSeries: Sendable, Equatable {
    /// Which column holds the values.
    public enum Column: Sendable, Hashable, CustomStringConvertible {
        /// The column at this 0-based position.
        case index(Int)
        /// The column with this header name (exact match after trimming and unquoting).
        case name(String)

        /// The column as error messages name it.
        public var description: String {
            switch self {
            case .index(let index): "column index \(index) (0-based)"
            case .name(let name): "column \"\(name)\""
            }
        }
    }

    /// Where the sample rate came from.
    public enum RateSource: Sendable, Hashable {
        /// Given by the caller (`--rate`).
        case given
        /// Derived from the time column with this header name, in seconds.
        case timeColumn(String)
    }

    /// Header names that mark a time column in seconds, compared without case.
    public static let timeColumnNames = ["t", "time", "time_s", "timestamp_s"]
    /// How far each time step may stray from the mean step, relative to it, for the rate to be derived.
    public static let timeUniformityTolerance = 1e-6

    /// The values of the selected column, in file order.
    public var values: [Double]
    /// The sample rate in hertz.
    public var sampleRate: Double
    /// The header name of the selected column; nil when the file has no header.
    public var columnName: String?
    /// Where `sampleRate` came from.
    public var rateSource: RateSource

    /// Reads one column of the CSV file at `path`.
    ///
    /// - Parameters:
    ///   - path: the file.
    ///   - column: the column that holds the values.
    ///   - sampleRate: the rate in hertz, if known (`--rate`). Without it the rate is derived from a time column named
    ///     as in `timeColumnNames`, whose steps must all equal their mean within `timeUniformityTolerance`.
    /// - Throws: `RecordedSeriesError`, naming the file and, where there is one, the line.
    public init(contentsOfCSV path: String, column: Column, sampleRate: Double? = nil) throws(RecordedSeriesError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RecordedSeriesError(.unreadable, file: path, reason: "cannot read the file: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RecordedSeriesError(.unreadable, file: path, reason: "the file is not UTF-8 text")
        }
        try self.init(csv: text, file: path, column: column, sampleRate: sampleRate)
    }

    /// Reads one column of CSV `text`; `file` names it in errors. See `init(contentsOfCSV:column:sampleRate:)`.
    public init(csv text: String, file: String, column: Column, sampleRate: Double? = nil) throws(RecordedSeriesError) {
        if let sampleRate, !(sampleRate.isFinite && sampleRate > 0) {
            throw RecordedSeriesError(.invalidSampleRate, file: file,
                                      reason: "the sample rate must be finite and positive, not \(sampleRate)")
        }
        let table = try CSVTable(text: text, file: file)
        let valueColumn = try table.position(of: column)
        enum Rate { case given(Double), fromTime(position: Int, name: String) }
        let rate: Rate
        if let sampleRate {
            rate = .given(sampleRate)
        } else if let time = table.timeColumn() {
            rate = .fromTime(position: time.position, name: time.name)
        } else {
            throw RecordedSeriesError(.noSampleRate, file: file, reason: "no sample rate: give one (--rate) or add a "
                + "time column in seconds named \(Self.timeColumnNames.joined(separator: ", "))")
        }
        let timePosition: Int? = if case .fromTime(let position, _) = rate { position } else { nil }
        let read = try table.read(column: valueColumn, time: timePosition)
        values = read.values
        columnName = table.header?[valueColumn]
        switch rate {
        case .given(let given):
            self.sampleRate = given
            rateSource = .given
        case .fromTime(_, let name):
            self.sampleRate = try Self.uniformRate(read.times, lines: read.lines, file: file, column: name)
            rateSource = .timeColumn(name)
        }
    }

    /// The rate 1/mean step of uniformly spaced times, or an error at the first step that strays.
    private static func uniformRate(_ times: [Double], lines: [Int], file: String, column: String)
        throws(RecordedSeriesError) -> Double {
        guard times.count >= 2 else {
            throw RecordedSeriesError(.noSampleRate, file: file, line: lines[0],
                                      reason: "one row cannot give a sample rate from column \"\(column)\"; give --rate")
        }
        // A step back is the likelier fault (a spliced or restarted log), so it is reported before any unevenness.
        if let i = (1..<times.count).first(where: { times[$0] <= times[$0 - 1] }) {
            throw RecordedSeriesError(.nonUniformTime, file: file, line: lines[i], reason:
                "time in column \"\(column)\" does not increase (\(times[i - 1]) s, then \(times[i]) s)")
        }
        let step = (times[times.count - 1] - times[0]) / Double(times.count - 1)
        for i in 1..<times.count {
            let delta = times[i] - times[i - 1]
            guard abs(delta - step) <= timeUniformityTolerance * step else {
                throw RecordedSeriesError(.nonUniformTime, file: file, line: lines[i], reason:
                    "time step \(delta) s in column \"\(column)\" differs from the mean step \(step) s by more than "
                    + "\(timeUniformityTolerance) relative; give --rate to ignore the time column")
            }
        }
        return 1 / step
    }
}

/// Why a recorded series cannot be read: a code to branch on, the file, the 1-based line when the fault has one,
/// and a sentence for people.
public struct RecordedSeriesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of fault; new codes break no caller.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The code's name.
        public let description: String
        private init(_ name: String) { description = name }

        /// The file cannot be opened, read or decoded as UTF-8.
        public static let unreadable = Code("unreadable")
        /// The file has no rows, or a header and no data rows.
        public static let empty = Code("empty")
        /// A cell of a column that is read is empty or not a number.
        public static let nonNumeric = Code("non-numeric")
        /// A row's cell count differs from the first row's.
        public static let raggedRow = Code("ragged-row")
        /// A cell of a column that is read is NaN or infinite.
        public static let notFinite = Code("not-finite")
        /// The selected column is not in the file.
        public static let noSuchColumn = Code("no-such-column")
        /// No rate was given and none can be derived.
        public static let noSampleRate = Code("no-sample-rate")
        /// The time column is not uniformly spaced, or not increasing.
        public static let nonUniformTime = Code("non-uniform-time")
        /// The given rate is not finite and positive.
        public static let invalidSampleRate = Code("invalid-sample-rate")

        /// Lets `catch RecordedSeriesError.Code.raggedRow` match an error by its code.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? RecordedSeriesError)?.code == code
        }
    }

    /// The kind of fault.
    public var code: Code
    /// The file, as the caller named it.
    public var file: String
    /// The 1-based line, when the fault can be placed.
    public var line: Int?
    /// What is wrong, and where it helps, what to do.
    public var reason: String

    /// Makes an error.
    public init(_ code: Code, file: String, line: Int? = nil, reason: String) {
        self.code = code
        self.file = file
        self.line = line
        self.reason = reason
    }

    /// `file:line: reason`, the form editors and compilers use.
    public var description: String {
        if let line { return "\(file):\(line): \(reason)" }
        return "\(file): \(reason)"
    }
}

/// A CSV text read in one pass over its UTF-8 bytes: the first row decides the separator, the header and the width;
/// `read` then checks every row's shape and parses only the cells it needs.
private struct CSVTable {
    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), quote = UInt8(ascii: "\"")
    private static let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")

    let file: String
    /// The header cells, when the first row is a header.
    let header: [String]?
    /// The number of cells in every row.
    let width: Int
    private let separator: UInt8
    /// The text from the first data row on, and that row's 1-based line.
    private let body: Substring
    private let bodyLine: Int

    init(text: String, file: String) throws(RecordedSeriesError) {
        self.file = file
        var rest = Substring(text)
        if rest.first == "\u{FEFF}" { rest = rest.dropFirst() }
        var line = 0
        var firstRow: Substring?
        var rowStart = rest.startIndex
        while firstRow == nil, let next = Self.nextLine(of: &rest) {
            line += 1
            if !Self.isBlank(next.line) { firstRow = next.line } else { rowStart = next.end }
        }
        guard let firstRow else {
            throw RecordedSeriesError(.empty, file: file, reason: "the file is empty")
        }
        separator = [Self.tab, UInt8(ascii: ";"), UInt8(ascii: ",")].first { firstRow.utf8.contains($0) } ?? UInt8(ascii: ",")
        var cells: [Substring] = []
        _ = Self.forEachCell(of: firstRow, separator: separator) { _, cell in cells.append(cell) }
        width = cells.count
        if cells.allSatisfy({ Double($0) == nil }) {
            header = cells.map(String.init)
            body = rest
            bodyLine = line + 1
        } else {
            header = nil
            body = Substring(text)[rowStart...]
            bodyLine = line
        }
    }

    /// The 0-based position of `column`.
    func position(of column: RecordedSeries.Column) throws(RecordedSeriesError) -> Int {
        switch column {
        case .index(let index):
            guard (0..<width).contains(index) else {
                throw RecordedSeriesError(.noSuchColumn, file: file,
                                          reason: "no \(column): the file has \(width) column\(width == 1 ? "" : "s")")
            }
            return index
        case .name(let name):
            guard let header else {
                throw RecordedSeriesError(.noSuchColumn, file: file,
                                          reason: "no \(column): the file has no header row; select the column by index")
            }
            guard let index = header.firstIndex(of: name) else {
                let names = header.map { "\"\($0)\"" }.joined(separator: ", ")
                throw RecordedSeriesError(.noSuchColumn, file: file, reason: "no \(column); the header has \(names)")
            }
            return index
        }
    }

    /// The first header column named like a time column in seconds.
    func timeColumn() -> (position: Int, name: String)? {
        guard let header else { return nil }
        let index = header.firstIndex { RecordedSeries.timeColumnNames.contains($0.lowercased()) }
        return index.map { ($0, header[$0]) }
    }

    /// Every data row's cell in `column` (and in `time`, if given) as finite numbers, with each row's line; the
    /// first fault in file order is thrown: a ragged row, then a cell that is not a number or not finite.
    func read(column: Int, time: Int?) throws(RecordedSeriesError) -> (values: [Double], times: [Double], lines: [Int]) {
        var values: [Double] = [], times: [Double] = [], lines: [Int] = []
        var rest = body
        var line = bodyLine - 1
        while let next = Self.nextLine(of: &rest) {
            line += 1
            guard !Self.isBlank(next.line) else { continue }
            var valueCell: Substring = "", timeCell: Substring = ""
            let count = Self.forEachCell(of: next.line, separator: separator) { index, cell in
                if index == column { valueCell = cell }
                if index == time { timeCell = cell }
            }
            guard count == width else {
                throw RecordedSeriesError(.raggedRow, file: file, line: line,
                                          reason: "\(count) cells where the \(header == nil ? "first row" : "header") has \(width)")
            }
            if let time { times.append(try number(timeCell, column: time, line: line)) }
            values.append(try number(valueCell, column: column, line: line))
            lines.append(line)
        }
        guard !values.isEmpty else {
            throw RecordedSeriesError(.empty, file: file, reason: "no data rows after the header")
        }
        return (values, times, lines)
    }

    private func number(_ cell: Substring, column: Int, line: Int) throws(RecordedSeriesError) -> Double {
        let name = header.map { "column \"\($0[column])\"" } ?? "column \(column)"
        guard let value = Double(cell) else {
            let shown = cell.isEmpty ? "an empty cell" : "\"\(cell)\", not a number,"
            throw RecordedSeriesError(.nonNumeric, file: file, line: line, reason: "\(shown) in \(name)")
        }
        guard value.isFinite else {
            throw RecordedSeriesError(.notFinite, file: file, line: line, reason: "\(cell) in \(name)")
        }
        return value
    }

    /// Takes the next line off `text`, without its `\n` or `\r\n`; `end` is where the following line starts.
    private static func nextLine(of text: inout Substring) -> (line: Substring, end: String.Index)? {
        guard !text.isEmpty else { return nil }
        let bytes = text.utf8
        let newline = bytes.firstIndex(of: Self.newline) ?? bytes.endIndex
        var contentEnd = newline
        if contentEnd > bytes.startIndex, bytes[bytes.index(before: contentEnd)] == carriageReturn {
            contentEnd = bytes.index(before: contentEnd)
        }
        let line = text[bytes.startIndex..<contentEnd]
        let end = newline == bytes.endIndex ? newline : bytes.index(after: newline)
        text = text[end...]
        return (line, end)
    }

    private static func isBlank(_ line: Substring) -> Bool {
        line.utf8.allSatisfy { $0 == space || $0 == tab }
    }

    /// Calls `body` with each cell's 0-based index and its text, trimmed of spaces and of one pair of surrounding
    /// double quotes; returns the number of cells.
    private static func forEachCell<E: Error>(of line: Substring, separator: UInt8,
                                              _ body: (Int, Substring) throws(E) -> Void) throws(E) -> Int {
        let bytes = line.utf8
        var index = 0
        var cellStart = bytes.startIndex
        while true {
            let cellEnd = bytes[cellStart...].firstIndex(of: separator) ?? bytes.endIndex
            var start = cellStart, end = cellEnd
            while start < end, bytes[start] == space || (bytes[start] == tab && separator != tab) {
                bytes.formIndex(after: &start)
            }
            while start < end, bytes[bytes.index(before: end)] == space || (bytes[bytes.index(before: end)] == tab && separator != tab) {
                bytes.formIndex(before: &end)
            }
            if bytes.distance(from: start, to: end) >= 2, bytes[start] == quote, bytes[bytes.index(before: end)] == quote {
                bytes.formIndex(after: &start)
                bytes.formIndex(before: &end)
            }
            try body(index, line[start..<end])
            index += 1
            guard cellEnd < bytes.endIndex else { return index }
            cellStart = bytes.index(after: cellEnd)
        }
    }
}
