import Foundation
import Glibc
import Testing
@testable import Qualification

/// The raw capture writer on a full disk (DESIGN.md §5, docs/raw-capture.md "Disk full"). A small file system cannot be
/// mounted in-process without root, so the full disk is /dev/full, whose every write fails with ENOSPC as a full file
/// system's does: a capture begun on an ordinary file has its descriptor pointed at /dev/full (dup2) once some records
/// are on disk — the kernel's answer to the next write is then exactly a full disk's. The short write a file system
/// gives when it fills mid-buffer is exercised end to end on a tmpfs (Tests/EndToEndTests/DiskFullTests.swift).
@Suite struct RawCaptureDiskFullTests {
    static let header = RawCaptureHeader(run: "r", slot: "S1", chip: "bmp390", serial: nil, clock: "simulated", sampleRateHz: 25,
                                         columns: [.init(name: "step", unit: "1"), .init(name: "pressure", unit: "Pa")])

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("full-" + UUID().uuidString + ".sqraw").path
    }

    /// A write that fails mid-capture: the error names the file, ENOSPC and "disk full"; the writer writes nothing more
    /// and every later call throws the same failure; the file is byte for byte what was on disk before, a capture of
    /// whole records that reads back strictly (no torn tail).
    @Test func writeFailureEndsTheCaptureAndKeepsWhatWasWritten() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try RawCaptureWriter(path: path, header: Self.header)
        for i in 0..<100 { try writer.append(time: Int64(i) * 40_000_000, [1, 101_325 + Double(i)]) }
        try writer.flush()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let full = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try #require(full >= 0, "/dev/full cannot be opened")
        defer { close(full) }
        let descriptor = try #require(writer.file.descriptor)
        try #require(dup2(full, descriptor) == descriptor)

        for i in 100..<150 { try writer.append(time: Int64(i) * 40_000_000, [2, 101_325 + Double(i)]) }
        let failure = try #require(throws: StorageFailure.self) { try writer.flush() }
        #expect(failure.errnoName == "ENOSPC" && failure.errno == ENOSPC && failure.isDiskFull)
        #expect(failure.path == path && failure.operation == "write")
        #expect(failure.description.hasPrefix("disk full: no space left on "))
        #expect(failure.description.hasSuffix(" writing \(path) (ENOSPC)"))
        #expect(writer.failure == failure)
        #expect(writer.cutBytes == 0)   // /dev/full takes no byte: the failure fell on a record boundary
        // Nothing more is written or buffered; the same failure every time.
        #expect(throws: failure) { try writer.append(time: 10_000_000_000, [3, 0]) }
        #expect(throws: failure) { try writer.flush() }
        #expect(throws: failure) { try writer.close() }

        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let capture = try RawCapture.read(path: path)   // strict: a torn tail would throw
        #expect(capture.times.count == 100 && capture.strayBytes == 0)
        #expect(capture.columns[1].last == 101_424)
    }

    /// A capture whose header cannot be written: the failure is thrown as ENOSPC; nothing is created that would read as
    /// a capture. (The writer removes a regular file it could not start; /dev/full itself, reached through a link, is
    /// never unlinked.)
    @Test func headerThatDoesNotFitIsADiskFullFailure() throws {
        let link = Self.temporaryPath()
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/dev/full")
        defer { try? FileManager.default.removeItem(atPath: link) }
        let error = try #require(throws: StorageFailure.self) { _ = try RawCaptureWriter(path: link, header: Self.header) }
        #expect(error.isDiskFull && error.errnoName == "ENOSPC" && error.path == link)
        #expect(FileManager.default.fileExists(atPath: "/dev/full"))
    }

    /// Atomic replacement (run.json, report.json, CSV) on a full disk: the earlier file is left as it was, and the error
    /// names the final file (not the temporary one) and ENOSPC. (The temporary file, here a link to /dev/full, is
    /// removed when it is a regular file: DiskFullTests finds no `.partial` left on the full tmpfs.)
    @Test func atomicReplaceOnAFullDiskLeavesTheOldFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("full-" + UUID().uuidString).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/report.json"
        try StorageFile.replace(path, with: Data("{\"old\": true}\n".utf8))
        // The temporary file is where the bytes go: make it /dev/full.
        try FileManager.default.createSymbolicLink(atPath: path + ".partial", withDestinationPath: "/dev/full")
        let error = try #require(throws: StorageFailure.self) { try StorageFile.replace(path, with: Data(repeating: 0x20, count: 1000)) }
        #expect(error.isDiskFull && error.path == path && error.description.contains("writing \(path) (ENOSPC)"))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"old\": true}\n")
    }

    /// The three errnos that mean "no room" are disk-full failures, each named; another errno is not.
    @Test func diskFullErrnosAreNamed() {
        let efbig = StorageFile.failure(path: "/tmp/x.sqraw", operation: "write", EFBIG)
        #expect(efbig.isDiskFull && efbig.description.hasPrefix("disk full: /tmp/x.sqraw") && efbig.description.hasSuffix("(EFBIG)"))
        let edquot = StorageFile.failure(path: "/tmp/x.sqraw", operation: "write", EDQUOT)
        #expect(edquot.isDiskFull && edquot.description.hasPrefix("disk full: disk quota exceeded on /") && edquot.description.hasSuffix("(EDQUOT)"))
        let eio = StorageFile.failure(path: "/tmp/x.sqraw", operation: "write", EIO)
        #expect(!eio.isDiskFull && eio.description == "/tmp/x.sqraw: write failed: Input/output error (EIO)")
    }
}
