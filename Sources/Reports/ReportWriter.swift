import Foundation

/// Writes a run's report files into its run folder so that a crash never leaves half a report:
/// write to a temporary file in the same folder, flush it to disk, then rename over the final name.
public enum ReportWriter {
    /// Writes `report.json` into `runDirectory` and returns its path.
    @discardableResult
    public static func write(_ report: QualificationReport, runDirectory: String) throws -> String {
        try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
        let path = runDirectory + "/report.json"
        var data = try report.jsonData()
        data.append(0x0A)
        try writeAtomically(data, to: path)
        return path
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
