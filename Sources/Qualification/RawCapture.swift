import Foundation
import SensorIO

/// The raw capture of one DUT in a run: every reading as it arrived, in an open binary format
/// (docs/raw-capture.md). Line 1 is `SQRAW 1`, line 2 one JSON object describing the capture, then
/// fixed-size little-endian records: the run-clock time as Int64 nanoseconds, then one Float64 per column.
public struct RawCaptureHeader: Sendable, Codable, Equatable {
    public var run: String
    public var slot: String
    public var chip: String
    public var serial: String?
    /// "simulated" or "monotonic": the clock of `t_ns`.
    public var clock: String
    /// The nominal reading rate, Hz.
    public var sampleRateHz: Double
    public var columns: [Column]

    public struct Column: Sendable, Codable, Equatable {
        public var name: String
        public var unit: String
        public init(name: String, unit: String) {
            self.name = name
            self.unit = unit
        }
    }

    public init(run: String, slot: String, chip: String, serial: String?, clock: String, sampleRateHz: Double, columns: [Column]) {
        self.run = run
        self.slot = slot
        self.chip = chip
        self.serial = serial
        self.clock = clock
        self.sampleRateHz = sampleRateHz
        self.columns = columns
    }

    static let magic = "SQRAW 1"

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Appends records to a raw capture. Records go through a buffer that is written out once it holds 256 KiB or
/// its oldest record is half a second old, so a killed daemon loses at most the last half second (the kernel
/// keeps what was written); `flush()` also fsyncs (the run engine calls it at the end of every plan step), so a
/// power loss loses at most the current step's tail. Nothing written is ever rewritten. Blocking: the acquisition
/// thread owns it.
///
/// A write that fails (a full disk: ENOSPC, EDQUOT, EFBIG, or any other errno) ends the capture: the error is kept in
/// `failure` and thrown by this and every later call, nothing more is written, a record the failed write tore is cut
/// back to the last whole one and what is there is fsynced, so the file stays a valid capture of every record before the
/// failure (docs/raw-capture.md, "Disk full").
public final class RawCaptureWriter {
    public let path: String
    let file: StorageFile
    private let columnCount: Int
    private let recordSize: Int64
    /// Records not yet written; bytes, not `Data`: appending eight bytes at a time to `Data` costs more than the
    /// reading they hold (a 16 × 200 Hz run spent 15 % of its time there).
    private var buffer: [UInt8] = []
    private static let bufferLimit = 1 << 18
    /// Wall-clock age of the buffer's oldest record at which it is written out, ns.
    private static let writeInterval: Int64 = 500_000_000
    private var bufferSince: Int64?
    /// Length of the file up to its last whole record (the header line, then whole records).
    private var wholeLength: Int64 = 0
    /// Why the capture ended early; nil while it is being written.
    public private(set) var failure: StorageFailure?
    /// Bytes of a torn record cut off the file after a failed write (0 when the write failed on a record boundary).
    public private(set) var cutBytes: Int64 = 0

    /// Creates the capture and writes its two header lines. A capture whose header does not fit is removed (it holds
    /// no reading) and the failure thrown.
    public init(path: String, header: RawCaptureHeader) throws {
        self.path = path
        columnCount = header.columns.count
        recordSize = Int64(8 * (1 + header.columns.count))
        var head = Data((RawCaptureHeader.magic + "\n").utf8)
        head.append(try RawCaptureHeader.encoder().encode(header))
        head.append(0x0A)
        file = try StorageFile(creating: path)
        do {
            try file.write(head)
        } catch {
            try? file.close()
            StorageSyscalls.unlinkFile(path)
            throw error
        }
        wholeLength = file.length
        buffer.reserveCapacity(Self.bufferLimit + Int(recordSize))
    }

    /// Appends one record; `values` must have one value per column.
    public func append(time nanoseconds: Int64, _ values: [Double]) throws(StorageFailure) {
        try append(time: nanoseconds, leading: nil, values)
    }

    /// Appends one record whose first column is `leading` and the others `values` (the run's step before a
    /// reading's values, without building one array per reading).
    public func append(time nanoseconds: Int64, leading: Double?, _ values: [Double]) throws(StorageFailure) {
        if let failure { throw failure }
        precondition(values.count + (leading == nil ? 0 : 1) == columnCount, "a raw capture record needs \(columnCount) values")
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: Int(recordSize)))
        buffer.withUnsafeMutableBytes { bytes in
            bytes.storeBytes(of: nanoseconds.littleEndian, toByteOffset: start, as: Int64.self)
            var offset = start + 8
            if let leading {
                bytes.storeBytes(of: leading.bitPattern.littleEndian, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            for value in values {
                bytes.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
        }
        // Wall time, not the run clock: a simulated run's clock races ahead and would write every record alone. The
        // coarse clock (a tick of a few ms) is plenty for a 0.5 s interval and a fraction of the precise one's cost.
        let now = MonotonicClock().coarseNow()
        let since = bufferSince ?? now
        bufferSince = since
        if buffer.count >= Self.bufferLimit || now - since >= Self.writeInterval { try writeBuffer() }
    }

    /// Writes what is buffered and forces it to disk.
    public func flush() throws(StorageFailure) {
        if let failure { throw failure }
        try writeBuffer()
        do { try file.synchronize() } catch {
            end(error)
            throw error
        }
    }

    /// Flushes and closes; a capture that ended early is closed as it is and its failure thrown again.
    public func close() throws(StorageFailure) {
        if let failure {
            try? file.close()
            throw failure
        }
        do { try flush() } catch {
            try? file.close()
            throw error
        }
        try file.close()
    }

    private func writeBuffer() throws(StorageFailure) {
        bufferSince = nil
        guard !buffer.isEmpty else { return }
        do { try file.write(buffer) } catch {
            end(error)
            throw error
        }
        buffer.removeAll(keepingCapacity: true)
        wholeLength = file.length
    }

    /// The capture cannot go on: drops what is buffered, cuts a record the failed write tore (a short write on a full
    /// file system) back to the last whole one, and fsyncs what is left. A cut that fails leaves the torn tail, which
    /// `RawCapture.read(keepingTornTail:)` names and skips.
    private func end(_ error: StorageFailure) {
        failure = error
        buffer = []
        let whole = wholeLength + (file.length - wholeLength) / recordSize * recordSize
        if whole < file.length {
            let torn = file.length - whole
            if (try? file.truncate(to: whole)) != nil { cutBytes = torn }
        }
        wholeLength = whole
        try? file.synchronize()
    }
}

/// A raw capture read back, for offline analysis.
public struct RawCapture: Sendable {
    public var header: RawCaptureHeader
    /// Run-clock time of each record, ns.
    public var times: [Int64]
    /// Column-major values: `columns[c][i]` is column c of record i.
    public var columns: [[Double]]

    /// Bytes after the last whole record (a record torn by a crash mid-write); 0 in a file closed cleanly.
    public var strayBytes = 0

    /// Reads a capture; a wrong magic, a bad header or a truncated last record is an error naming the file
    /// (a truncated tail — a crash mid-write — is reported with the number of whole records before it). With
    /// `keepingTornTail`, the whole records before a tear are returned and the tear is counted in `strayBytes`
    /// (the partial report of an interrupted run).
    public static func read(path: String, keepingTornTail: Bool = false) throws(ConfigurationError) -> RawCapture {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, reason: "cannot read the file")
        }
        let (header, bodyStart) = try parseHead(data, path: path)
        let recordSize = 8 * (1 + header.columns.count)
        let body = data[bodyStart...]
        guard body.count % recordSize == 0 || keepingTornTail else {
            throw ConfigurationError(file: path, reason: "truncated: \(body.count / recordSize) whole records, then \(body.count % recordSize) stray bytes")
        }
        let (times, columns) = body.withUnsafeBytes { decodeRecords($0, columnCount: header.columns.count) }
        return RawCapture(header: header, times: times, columns: columns, strayBytes: body.count % recordSize)
    }

    /// The magic line and the JSON header at the start of `data`: the header and the offset of the first record.
    static func parseHead(_ data: Data, path: String) throws(ConfigurationError) -> (header: RawCaptureHeader, bodyStart: Int) {
        guard let first = data.firstIndex(of: 0x0A), String(decoding: data[..<first], as: UTF8.self) == RawCaptureHeader.magic else {
            throw ConfigurationError(file: path, line: 1, reason: "not a SensorQual raw capture (line 1 is not '\(RawCaptureHeader.magic)')")
        }
        let headerStart = first + 1
        guard let second = data[headerStart...].firstIndex(of: 0x0A) else {
            throw ConfigurationError(file: path, line: 2, reason: "the JSON header line is not terminated")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return (try decoder.decode(RawCaptureHeader.self, from: data[headerStart..<second]), second + 1 - data.startIndex)
        } catch {
            throw ConfigurationError(file: path, line: 2, reason: "bad header: \(error)")
        }
    }

    /// The whole records in `raw` (a torn tail is left out), column-major.
    static func decodeRecords(_ raw: UnsafeRawBufferPointer, columnCount: Int) -> (times: [Int64], columns: [[Double]]) {
        let recordSize = 8 * (1 + columnCount)
        let count = raw.count / recordSize
        var times = [Int64](repeating: 0, count: count)
        var columns = [[Double]](repeating: [Double](repeating: 0, count: count), count: columnCount)
        for i in 0..<count {
            let base = i * recordSize
            times[i] = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: base, as: Int64.self))
            for c in 0..<columnCount {
                let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * (c + 1), as: UInt64.self))
                columns[c][i] = Double(bitPattern: bits)
            }
        }
        return (times, columns)
    }
}
