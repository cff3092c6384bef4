import Foundation
import Qualification

/// Writes a run's report files into its run folder so that a crash never leaves half a report:
/// write to a temporary file in the same folder, flush it to disk, then rename over the final name.
public enum ReportWriter {
    /// The files of one report.
    public struct Paths: Sendable, Equatable {
        /// `report.json`: the record (docs/report-schema.md).
        public var json: String
        /// `report.html`: the same report to read, print and sign (docs/report-html.md).
        public var html: String
    }

    /// Writes `report.json` and `report.html` into `runDirectory` and returns the path of `report.json`.
    @discardableResult
    public static func write(_ report: QualificationReport, runDirectory: String) throws -> String {
        try writeAll(report, runDirectory: runDirectory).json
    }

    /// Writes `report.json`, then `report.html`, each atomically, and returns both paths. The JSON goes first: it is
    /// the record, and an HTML write that fails leaves it in place (the error is still thrown). On a full disk the error
    /// is a `StorageFailure` (`disk full: no space left on … writing …/report.json (ENOSPC)`) and no `.partial` file is
    /// left to hold the space.
    @discardableResult
    public static func writeAll(_ report: QualificationReport, runDirectory: String) throws -> Paths {
        try StorageFile.makeDirectories(runDirectory)
        let paths = Paths(json: runDirectory + "/report.json", html: runDirectory + "/report.html")
        var data = try report.jsonData()
        data.append(0x0A)
        try writeAtomically(data, to: paths.json)
        try writeAtomically(Data(ReportHTML.render(report).utf8), to: paths.html)
        return paths
    }

    /// Writes `<path>.partial`, fsyncs it and renames it over `path` (``StorageFile/replace(_:with:)``).
    static func writeAtomically(_ data: Data, to path: String) throws(StorageFailure) {
        try StorageFile.replace(path, with: data)
    }
}
