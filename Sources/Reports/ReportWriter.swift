import Foundation

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
    /// the record, and an HTML write that fails leaves it in place (the error is still thrown).
    @discardableResult
    public static func writeAll(_ report: QualificationReport, runDirectory: String) throws -> Paths {
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        let paths = Paths(json: runDirectory + "/report.json", html: runDirectory + "/report.html")
        var data = try report.jsonData()
        data.append(0x0A)
        try writeAtomically(data, to: paths.json)
        try writeAtomically(Data(ReportHTML.render(report).utf8), to: paths.html)
        return paths
    }

    static func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()   // the write error is the one to report
            throw error
        }
        // rename(2) replaces the old report atomically; FileManager has no replace-if-exists that is atomic.
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }
}
