// The only file of SensorSim that imports C (STYLE §2.2): the simulated SCPI server's loopback listener and pty. Its
// errno reads go through SensorIO's one reader (`InstrumentSyscalls.valueOrFailure`), and the line I/O over the
// connection is SensorIO's `LineFramedDescriptor`.
import Glibc
import SensorIO

enum SCPIServerSyscalls {
    typealias StartError = SimulatedSCPIServer.StartError

    /// A non-blocking listener on 127.0.0.1, port chosen by the kernel: the descriptor and the port.
    static func listenOnLoopback() throws(StartError) -> (Int32, UInt16) {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try call("socket") { socket(AF_INET, type, 0) }
        do throws(StartError) {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = 0
            address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)     // 127.0.0.1
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = try call("bind") {
                withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            }
            _ = try call("listen") { listen(fd, 4) }
            _ = try call("getsockname") {
                withUnsafeMutablePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
                }
            }
            return (fd, UInt16(bigEndian: address.sin_port))
        } catch {
            InstrumentSyscalls.close(fd)
            throw error
        }
    }

    /// Waits up to `milliseconds` for a client on `listener` and accepts it, non-blocking and close-on-exec; nil
    /// when none came, or it gave up already.
    static func accept(_ listener: Int32, waitingMilliseconds milliseconds: Int32) -> Int32? {
        var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, milliseconds) > 0 else { return nil }
        // accept4 is _GNU_SOURCE only: accept, then the flags the line framing needs.
        let fd = Glibc.accept(listener, nil, nil)
        guard fd >= 0 else { return nil }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }

    /// A pty master (non-blocking) and the slave, held open in raw mode; the slave's path.
    static func openPseudoTerminal() throws(StartError) -> (master: Int32, hold: Int32, path: String) {
        let master = try call("posix_openpt") { PseudoTerminalCalls.openMaster(O_RDWR | O_NOCTTY | O_CLOEXEC) }
        do throws(StartError) {
            _ = try call("grantpt") { PseudoTerminalCalls.grant(master) }
            _ = try call("unlockpt") { PseudoTerminalCalls.unlock(master) }
            var name = [CChar](repeating: 0, count: 128)
            let status = PseudoTerminalCalls.slaveName(master, &name, name.count)   // returns the error number itself
            guard status == 0 else { throw StartError(operation: "ptsname_r", errno: status) }
            let flags = try call("fcntl(F_GETFL)") { fcntl(master, F_GETFL) }
            _ = try call("fcntl(F_SETFL)") { fcntl(master, F_SETFL, flags | O_NONBLOCK) }
            let path = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return (master, try holdSlave(path), path)
        } catch {
            InstrumentSyscalls.close(master)
            throw error
        }
    }

    /// Opens the pty slave and makes it raw, so that nothing written to the master is echoed back to it.
    static func holdSlave(_ path: String) throws(StartError) -> Int32 {
        let fd = try call("open \(path)") { open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK) }
        var settings = termios()
        do throws(StartError) {
            _ = try call("tcgetattr") { tcgetattr(fd, &settings) }
            cfmakeraw(&settings)
            _ = try call("tcsetattr") { tcsetattr(fd, TCSANOW, &settings) }
        } catch {
            InstrumentSyscalls.close(fd)
            throw error
        }
        return fd
    }

    /// Sleeps for `milliseconds`: `poll` on no descriptors.
    static func sleep(milliseconds: Int32) {
        var nothing = pollfd()
        _ = poll(&nothing, 0, milliseconds)
    }

    /// `body`'s value, or its errno as a `StartError`; EINTR runs it again.
    private static func call(_ operation: String, _ body: () -> Int32) throws(StartError) -> Int32 {
        switch InstrumentSyscalls.valueOrFailure(body) {
        case .success(let value): return value
        case .failure(let failure): throw StartError(operation: operation, errno: failure.errno)
        }
    }
}

/// The pty functions of glibc, which declares them only under `_XOPEN_SOURCE` or `_GNU_SOURCE`; the Glibc module is
/// built without, so they are bound by name once, as typed C function pointers.
private enum PseudoTerminalCalls {
    /// `posix_openpt(flags)`: opens a new pty master.
    static let openMaster = bind("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
    /// `grantpt(fd)`: gives the slave to the caller's uid (a formality on devpts).
    static let grant = bind("grantpt", as: (@convention(c) (Int32) -> Int32).self)
    /// `unlockpt(fd)`: lets the slave be opened.
    static let unlock = bind("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
    /// `ptsname_r(fd, buffer, length)`: the slave's path; returns 0 or an error number.
    static let slaveName = bind("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32).self)

    private static func bind<Function>(_ symbol: String, as type: Function.Type) -> Function {
        // RTLD_DEFAULT (a null handle): the symbol as the process already links it, from libc.
        guard let address = dlsym(nil, symbol) else { preconditionFailure("libc has no \(symbol)") }
        return unsafeBitCast(address, to: type)
    }
}
