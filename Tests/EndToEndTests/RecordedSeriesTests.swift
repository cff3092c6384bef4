import Foundation
import Reports
import Testing

/// Writes `text` to a file in `folder` and returns its path.
private func write(_ text: String, in folder: TemporaryFolder, name: String = "series.csv") throws -> String {
    let path = folder.path + "/" + name
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// A file that must be refused: the error's code and line.
struct RefusedCSV: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var column: RecordedSeries.Column = .index(1)
    var rate: Double? = 1000
    var code: RecordedSeriesError.Code
    var line: Int?
    var testDescription: String { name }
}

private let refused: [RefusedCSV] = [
    .init(name: "empty file", text: "", code: .empty),
    .init(name: "blank lines only", text: "\n  \n\n", code: .empty),
    .init(name: "header and no data", text: "t,p\n", code: .empty),
    .init(name: "non-numeric cell", text: "t,p\n0,1.5\n0.001,1.5x\n", code: .nonNumeric, line: 3),
    .init(name: "empty cell", text: "t,p\n0,1.5\n0.001,\n", code: .nonNumeric, line: 3),
    .init(name: "decimal comma in a semicolon file", text: "t;p\n0;1,5\n", column: .name("p"), code: .nonNumeric, line: 2),
    .init(name: "ragged row, short", text: "t,p\n0,1\n\n0.001\n", code: .raggedRow, line: 4),
    .init(name: "ragged row, long, no header", text: "0,1\n1,2,3\n", code: .raggedRow, line: 2),
    .init(name: "NaN", text: "t,p\n0,1\n0.001,nan\n", code: .notFinite, line: 3),
    .init(name: "infinity", text: "t;p\n0;1\n0.001;-inf\n", code: .notFinite, line: 3),
    .init(name: "column name not present", text: "t,p\n0,1\n", column: .name("pressure"), code: .noSuchColumn),
    .init(name: "column name without a header", text: "0,1\n", column: .name("p"), code: .noSuchColumn),
    .init(name: "column index not present", text: "t,p\n0,1\n", column: .index(2), code: .noSuchColumn),
    .init(name: "no rate and no time column", text: "x,p\n0,1\n1,2\n", rate: nil, code: .noSampleRate),
    .init(name: "no rate and one row", text: "t,p\n0,1\n", rate: nil, code: .noSampleRate, line: 2),
    .init(name: "time steps 1e-5 apart", text: "t,p\n0,1\n0.001,1\n0.00200001,1\n0.003,1\n", rate: nil,
          code: .nonUniformTime, line: 4),
    .init(name: "time going back", text: "time,p\n0,1\n0.001,1\n0.0005,1\n", rate: nil, code: .nonUniformTime, line: 4),
    .init(name: "line numbers count leading blank lines", text: "\n\n0,1\n1,x\n", code: .nonNumeric, line: 4),
    .init(name: "line numbers after a header", text: "\r\nt,p\r\n0,1\r\n0.1,x\r\n", code: .nonNumeric, line: 4),
    .init(name: "rate zero", text: "t,p\n0,1\n", rate: 0, code: .invalidSampleRate),
]

@Suite("RecordedSeries")
struct RecordedSeriesTests {
    @Test("a header, a named column and the rate from the time column")
    func headerAndTimeColumn() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let rows = (0..<1000).map { i in "\(Double(i) / 250),\(101_325 + Double(i % 7) / 100),ok" }
        let path = try write("time_s,pressure_pa,status\n" + rows.joined(separator: "\n") + "\n", in: folder)
        let series = try RecordedSeries(contentsOfCSV: path, column: .name("pressure_pa"))
        #expect(series.values.count == 1000)
        #expect(series.values[3] == 101_325 + 3.0 / 100)
        // Tolerance: the times are decimal text, each within half an ulp (≤ 2e-16 relative) of i/250.
        #expect(abs(series.sampleRate - 250) < 1e-9)
        #expect(series.rateSource == .timeColumn("time_s"))
        #expect(series.columnName == "pressure_pa")
    }

    @Test("separators, no header, quotes, CRLF, a byte order mark and blank lines")
    func formats() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let files = [
            "\u{FEFF}\"Time\";\"p\"\r\n0;1,5\r\n0.5;2\r\n\r\n1;2.5\r\n",   // semicolon, so "1,5" is one (bad) cell
            "t\tp\n0\t1.5\n0.5\t2\n1\t2.5\n",
            "0, 1.5\n\n 0.5 ,2\n1,2.5",
        ]
        let semicolon = try write(files[0], in: folder, name: "semicolon.csv")
        #expect(throws: RecordedSeriesError.self) { try RecordedSeries(contentsOfCSV: semicolon, column: .name("p")) }
        let time = try RecordedSeries(contentsOfCSV: semicolon, column: .index(0))
        #expect(time.values == [0, 0.5, 1] && time.sampleRate == 2 && time.rateSource == .timeColumn("Time"))

        let tab = try RecordedSeries(contentsOfCSV: write(files[1], in: folder, name: "tab.tsv"), column: .name("p"))
        #expect(tab.values == [1.5, 2, 2.5] && tab.sampleRate == 2)

        let bare = try RecordedSeries(contentsOfCSV: write(files[2], in: folder), column: .index(1), sampleRate: 48_000)
        #expect(bare.values == [1.5, 2, 2.5] && bare.sampleRate == 48_000)
        #expect(bare.columnName == nil && bare.rateSource == .given)
    }

    @Test("a given rate wins over the time column, and other columns may hold text")
    func givenRate() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try write("t,p,note\n0,1,warm-up\n0.3,2,\n0.31,3,done\n", in: folder)
        let series = try RecordedSeries(contentsOfCSV: path, column: .index(1), sampleRate: 10)
        #expect(series.values == [1, 2, 3] && series.sampleRate == 10 && series.rateSource == .given)
    }

    /// Steps equal within 1e-6 relative pass: here 1e-8 relative jitter on a 1 ms step.
    @Test("a time column uniform within 1e-6 relative gives its rate")
    func nearlyUniformTime() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let rows = (0..<100).map { i in "\(Double(i) * 0.001 + (i % 2 == 0 ? 0 : 1e-11)),\(i)" }
        let path = try write("timestamp_s,x\n" + rows.joined(separator: "\n"), in: folder)
        let series = try RecordedSeries(contentsOfCSV: path, column: .name("x"))
        #expect(abs(series.sampleRate - 1000) < 1e-6)
        #expect(series.values.last == 99)
    }

    @Test("a file that cannot be used is refused with its file and line", arguments: refused)
    func refusesBadFiles(_ bad: RefusedCSV) throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try write(bad.text, in: folder)
        let error = #expect(throws: RecordedSeriesError.self) {
            try RecordedSeries(contentsOfCSV: path, column: bad.column, sampleRate: bad.rate)
        }
        #expect(error?.code == bad.code, "\(error.map(String.init(describing:)) ?? "no error")")
        #expect(error?.file == path)
        if let line = bad.line { #expect(error?.line == line) }
    }

    @Test("errors read file:line: reason, name the culprit, and match by code")
    func errorText() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let path = try write("t,p\n0,1\n0.001,12..5\n", in: folder)
        var matched = false
        do {
            _ = try RecordedSeries(contentsOfCSV: path, column: .name("p"), sampleRate: 1000)
        } catch RecordedSeriesError.Code.nonNumeric {
            matched = true
        } catch {
            Issue.record("expected a non-numeric cell, got \(error)")
        }
        #expect(matched, "catch by code")
        let nonNumeric = #expect(throws: RecordedSeriesError.self) {
            try RecordedSeries(contentsOfCSV: path, column: .name("p"), sampleRate: 1000)
        }
        #expect(nonNumeric?.description == "\(path):3: \"12..5\", not a number, in column \"p\"")
        let missing = #expect(throws: RecordedSeriesError.self) {
            try RecordedSeries(contentsOfCSV: path, column: .name("q"), sampleRate: 1000)
        }
        #expect(missing?.reason == "no column \"q\"; the header has \"t\", \"p\"")
        let unreadable = #expect(throws: RecordedSeriesError.self) {
            try RecordedSeries(contentsOfCSV: folder.path + "/absent.csv", column: .index(0), sampleRate: 1)
        }
        #expect(unreadable?.code == .unreadable && unreadable?.line == nil)
    }
}
