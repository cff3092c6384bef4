// The only file in SensorIO/Audio besides ALSACalls.swift that imports C (STYLE §2.2): whole-file reads and
// writes for WAVFile, and the open file of WAVStreamWriter. Every call goes through `valueOrErrno` (I2C/I2CSyscalls.swift), SensorIO's one errno reader.
import Glibc

internal enum AudioFileSyscalls {
    /// A failed call: which one, its errno and `strerror` text.
    struct Failure: Error {
        var operation: String
        var errno: Int32
        var message: String

        init(_ operation: String, _ errno: SystemErrno) {
            self.operation = operation
            self.errno = errno.rawValue
            self.message = String(cString: strerror(errno.rawValue))
        }
    }

    /// The whole file: `open(O_RDONLY)`, `read` until end of file, `close`. Reading to the end (instead of
    /// trusting `fstat`) also works for pipes and FIFOs.
    static func readAll(path: String) -> Result<[UInt8], Failure> {
        let opened = path.withCString { cPath in valueOrErrno { Glibc.open(cPath, O_RDONLY | O_CLOEXEC) } }
        let fd: Int32
        switch opened {
        case .success(let value): fd = value
        case .failure(let errno): return .failure(Failure("open", errno))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let result = chunk.withUnsafeMutableBytes { buffer in
                valueOrErrno { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            switch result {
            case .success(0): return .success(bytes)
            case .success(let count): bytes.append(contentsOf: chunk[0..<count])
            case .failure(let errno): return .failure(Failure("read", errno))
            }
        }
    }

    /// Writes `bytes` to a new or truncated file (mode 0644 before the umask): `open`, `write` until all is
    /// written, `close`. A failed close is reported too: on some file systems it is the first sign of a lost write.
    static func writeAll(path: String, _ bytes: [UInt8]) -> Result<Void, Failure> {
        create(path: path).flatMap { fd in
            if case .failure(let failure) = bytes.withUnsafeBytes({ write(fd, $0) }) {
                close(fd)   // The write error is the one to report.
                return .failure(failure)
            }
            return closeReporting(fd)
        }
    }

    /// A new or truncated file for writing (mode 0644 before the umask).
    static func create(path: String) -> Result<Int32, Failure> {
        path.withCString { cPath in valueOrErrno { Glibc.open(cPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644) } }
            .mapError { Failure("open", $0) }
    }

    /// Writes all of `bytes` at `offset` (`pwrite`, however many calls it takes), or at the file's end when nil.
    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) -> Result<Void, Failure> {
        var done = 0
        while done < bytes.count {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
            let result = valueOrErrno {
                offset.map { Glibc.pwrite(fd, rest.baseAddress, rest.count, off_t($0 + done)) } ?? Glibc.write(fd, rest.baseAddress, rest.count)
            }
            switch result {
            case .success(let count): done += count
            case .failure(let errno): return .failure(Failure(offset == nil ? "write" : "pwrite", errno))
            }
        }
        return .success(())
    }

    /// `close`, reporting its failure (on some file systems the first sign of a lost write). Never retried on EINTR:
    /// Linux has released the descriptor by then (swift-nio `Posix.close`).
    static func closeReporting(_ fd: Int32) -> Result<Void, Failure> {
        valueOrErrno(retryOnInterrupt: false) { Glibc.close(fd) }.map { _ in }.mapError { Failure("close", $0) }
    }

    /// Removes a file that is not worth keeping; a failure leaves it.
    static func remove(path: String) {
        _ = path.withCString { unlink($0) }
    }

    static func close(_ fd: Int32) {
        _ = valueOrErrno(retryOnInterrupt: false) { Glibc.close(fd) }
    }
}
