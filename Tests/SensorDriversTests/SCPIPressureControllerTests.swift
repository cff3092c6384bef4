import Glibc
import SensorIO
import SensorSim
import Testing
@testable import SensorDrivers

/// The SCPI pressure-controller driver against the simulated controller over real kernel I/O: a loopback TCP
/// socket and a pty, through the same `InstrumentLink`s a bench uses. Every wait has a deadline (the driver's
/// `timeout`, the links' connect timeout, the server's stop), so a failure fails and never hangs.
@Suite(.serialized) struct SCPIPressureControllerTests {
    /// The simulated reference reads the manifold with bias `SimulatedRig.referenceBias` and white noise of this
    /// standard deviation, Pa (SimulatedRig).
    static let referenceNoise = 0.3
    /// A reading must be within 5σ of the noise of true pressure + bias (a false failure once in 1.7 million), plus
    /// 0.01 Pa for the 8 significant digits the simulated instrument prints.
    static let readingTolerance = 5 * referenceNoise + 0.01
    /// Driver timeout in these tests, s: short, so the timeout test is quick; far above loopback latency.
    static let timeout = 0.5

    /// One simulated rig, its controller served in `dialect`, and the driver connected to it.
    struct Bench {
        let rig: SimulatedRig
        let server: SimulatedSCPIServer
        let driver: SCPIPressureController

        init(_ dialect: SCPICommandSet, on endpoint: SimulatedSCPIServer.Endpoint, powerOnUnit: PressureUnit? = nil,
             range: ClosedRange<Double>? = 2_000...120_000) throws {
            rig = SimulatedRig(seed: 17)
            server = try SimulatedSCPIServer(controller: rig.controller, commands: dialect, endpoint: endpoint,
                                             powerOnUnit: powerOnUnit)
            let link = try InstrumentAddress(parsing: server.link).open(connectTimeout: 2)
            driver = try SCPIPressureController(link: link, commands: dialect, range: range,
                                                timeout: SCPIPressureControllerTests.timeout)
        }
    }

    /// The cause a driver call fails with; nil when it succeeds. (Closures infer `throws(any Error)` in Swift 6
    /// without FullTypedThrows, hence the cast.)
    func failure(_ body: () throws -> Void) -> InstrumentError.Cause? {
        do {
            try body()
            return nil
        } catch let error as InstrumentError {
            return error.cause
        } catch {
            Issue.record("not an InstrumentError: \(error)")
            return nil
        }
    }

    // MARK: Round trips

    /// Identity, then at three points: not stable right after the setpoint, stable once the manifold has settled
    /// (60 s = 24 time constants of the simulated volume), the manifold at the setpoint, and the reading equal to
    /// the true pressure plus the reference's bias within 5σ. The server powers up in bar, so a driver that did not
    /// select Pa would read 1.01 instead of 101 325.
    @Test(arguments: [SimulatedSCPIServer.Endpoint.tcpLoopback, .pseudoTerminal])
    func setStableMeasure(endpoint: SimulatedSCPIServer.Endpoint) throws {
        let bench = try Bench(.druckPACE, on: endpoint, powerOnUnit: .bar)
        defer { bench.server.stop() }
        #expect(bench.driver.identity == SimulatedRig.controllerIdentity)
        for setpoint in [30_000.0, 101_325, 118_000] {
            try bench.driver.setPoint(setpoint)
            #expect(try !bench.driver.isStable(), "\(setpoint) Pa: stable before the manifold moved")
            bench.rig.clock.advance(by: 60)
            #expect(try bench.driver.isStable(), "\(setpoint) Pa: not stable after 60 s")
            let reading = try bench.driver.measure()
            let truth = bench.rig.bench.truePressure()
            #expect(abs(truth - setpoint) < 0.01, "the manifold went to \(truth) Pa, not \(setpoint)")
            #expect(abs(reading - (truth + SimulatedRig.referenceBias)) < Self.readingTolerance,
                    "\(setpoint) Pa: read \(reading), truth \(truth)")
        }
        // The control command went out once, after the first setpoint; nothing was refused.
        let lines = bench.server.receivedLines
        #expect(lines.filter { $0 == ":OUTP:STAT ON" }.count == 1)
        #expect(lines.firstIndex(of: ":SOUR:PRES 30000")! < lines.firstIndex(of: ":OUTP:STAT ON")!)
    }

    /// A dialect and a unit it is told to speak.
    struct Dialect: Sendable, CustomTestStringConvertible {
        var commands: SCPICommandSet
        var testDescription: String { "\(commands.dialect) in \(commands.unit.rawValue)" }

        static let all: [Dialect] = [
            Dialect(commands: .mensorCPC6000),
            Dialect(commands: .druckPACE),
            Dialect(commands: .fluke6270A),
            Dialect(commands: try! SCPICommandSet.mensorCPC6000.overriding(["unit": "Units 22", "units": "kPa"])),
            Dialect(commands: try! SCPICommandSet.druckPACE.overriding(["unit": ":UNIT:PRES HPA", "units": "hPa"])),
            Dialect(commands: try! SCPICommandSet.fluke6270A.overriding(["unit": "UNIT:PRES PSI", "units": "psi"])),
        ]
    }

    /// Each preset, and each in another unit: the setpoint reaches the manifold and the reading comes back in Pa.
    /// The server powers up in mbar, so only the unit command makes the numbers right; the setpoint goes out in
    /// the dialect's unit (80 kPa is 800 hPa and 11.603019 psi, to 9 digits).
    @Test(arguments: Dialect.all)
    func unitConversion(dialect: Dialect) throws {
        let bench = try Bench(dialect.commands, on: .tcpLoopback, powerOnUnit: .millibar)
        defer { bench.server.stop() }
        try bench.driver.setPoint(80_000)
        bench.rig.clock.advance(by: 60)
        #expect(try bench.driver.isStable())
        let truth = bench.rig.bench.truePressure()
        #expect(abs(truth - 80_000) < 0.01, "the manifold went to \(truth) Pa")
        let reading = try bench.driver.measure()
        #expect(abs(reading - (truth + SimulatedRig.referenceBias)) < Self.readingTolerance, "read \(reading)")
        let sent = dialect.commands.setpointTemplate.replacing("{value}", with: [
            .pascal: "80000", .kilopascal: "80", .hectopascal: "800", .psi: "11.603019",
        ][dialect.commands.unit]!)
        #expect(bench.server.receivedLines.contains(sent), "expected \(sent) on the wire")
    }

    // MARK: Refusals and faults

    /// A setpoint outside the rig's range (or not a number) is refused with nothing sent: after the refusals, a
    /// query's reply proves the server has read everything sent before it, and no setpoint is among it.
    @Test func outOfRangeIsRefusedWithoutSending() throws {
        let bench = try Bench(.druckPACE, on: .tcpLoopback)
        defer { bench.server.stop() }
        #expect(failure { try bench.driver.setPoint(150_000) } == .outOfRange)
        #expect(failure { try bench.driver.setPoint(1_000) } == .outOfRange)
        #expect(failure { try bench.driver.setPoint(.nan) } == .outOfRange)
        _ = try bench.driver.isStable()
        #expect(!bench.server.receivedLines.contains { $0.hasPrefix(":SOUR:PRES") })
    }

    /// Without a range in the driver, the instrument's own refusal comes back through its error queue.
    @Test func instrumentRefusalIsReported() throws {
        let bench = try Bench(.druckPACE, on: .tcpLoopback, range: nil)
        defer { bench.server.stop() }
        #expect(failure { try bench.driver.setPoint(500_000) } == .refused("-222,\"Data out of range\""))
        #expect(abs(bench.rig.bench.truePressure() - 101_325) < 0.01, "the refused setpoint moved the manifold")
    }

    /// A Mensor dialect without its error query: the refusal surfaces as the `E` flag on the next reply.
    @Test func errorFlagOnAReplyIsARefusal() throws {
        let dialect = try SCPICommandSet.mensorCPC6000.overriding(["error": ""])
        let bench = try Bench(dialect, on: .tcpLoopback, range: nil)
        defer { bench.server.stop() }
        try bench.driver.setPoint(500_000)          // nothing to ask, so nothing to refuse yet
        guard case .refused(let reason)? = failure({ _ = try bench.driver.measure() }) else {
            Issue.record("the flagged reading was accepted")
            return
        }
        #expect(reason.hasPrefix("the instrument flagged an error in its reply \"E+1.01"), "\(reason)")
    }

    /// A command the instrument does not know (a wrong override in a rig file) fails the open with the instrument's
    /// own error, -113.
    @Test func unknownCommandIsRefusedByTheInstrument() throws {
        let rig = SimulatedRig(seed: 3)
        let server = try SimulatedSCPIServer(controller: rig.controller, commands: .druckPACE, endpoint: .tcpLoopback)
        defer { server.stop() }
        let wrong = try SCPICommandSet.druckPACE.overriding(["unit": ":UNIT:PRES:BOGUS PA"])
        let link = try InstrumentAddress(parsing: server.link).open(connectTimeout: 2)
        #expect(failure { _ = try SCPIPressureController(link: link, commands: wrong, timeout: Self.timeout) }
                == .refused("-113,\"Undefined header\""))
    }

    /// A server that stops answering: the query fails with `.timedOut` at the driver's deadline, not before and
    /// not much later (1 s of slack for a loaded machine); once it answers again, so does the driver.
    @Test(arguments: [SimulatedSCPIServer.Endpoint.tcpLoopback, .pseudoTerminal])
    func silentInstrumentTimesOut(endpoint: SimulatedSCPIServer.Endpoint) throws {
        let bench = try Bench(.fluke6270A, on: endpoint)
        defer { bench.server.stop() }
        bench.server.setFault(.silent)
        let clock = MonotonicClock()
        let start = clock.seconds()
        #expect(failure { _ = try bench.driver.measure() } == .timedOut)
        let waited = clock.seconds() - start
        #expect(waited >= Self.timeout && waited < Self.timeout + 1, "timed out after \(waited) s")
        bench.server.setFault(nil)
        #expect(abs(try bench.driver.measure() - 101_325 - SimulatedRig.referenceBias) < Self.readingTolerance)
    }

    /// A dropped connection (TCP closed, pty hung up) is `.disconnected`, at once rather than at the deadline.
    @Test(arguments: [SimulatedSCPIServer.Endpoint.tcpLoopback, .pseudoTerminal])
    func droppedConnectionIsDisconnected(endpoint: SimulatedSCPIServer.Endpoint) throws {
        let bench = try Bench(.mensorCPC6000, on: endpoint)
        defer { bench.server.stop() }
        bench.server.dropConnection()
        #expect(failure { _ = try bench.driver.measure() } == .disconnected)
        #expect(failure { _ = try bench.driver.isStable() } == .disconnected)
    }

    /// A reply that is not a reading names itself in the error.
    @Test func malformedReplyIsNamed() throws {
        let bench = try Bench(.druckPACE, on: .tcpLoopback)
        defer { bench.server.stop() }
        bench.server.setFault(.malformedReplies("1.0.3 XPA"))
        #expect(failure { _ = try bench.driver.measure() } == .malformedReply("1.0.3 XPA"))
        #expect(failure { _ = try bench.driver.isStable() } == .malformedReply("1.0.3 XPA"))
        // A reply longer than any instrument's is refused by the link, not buffered.
        bench.server.setFault(.malformedReplies(String(repeating: "9", count: 5000)))
        #expect(failure { _ = try bench.driver.measure() } == .malformedReply("a reply longer than 4096 bytes"))
    }

    /// A reply that comes after its query timed out is dropped before the next query, so it cannot answer it.
    @Test func lateReplyIsDiscardedBeforeTheNextQuery() throws {
        let link = ScriptedLink(replies: [
            .line("SIM,1,2,3"), .line("0,\"No error\""),                 // *IDN?, stale-error check
            .line("0,\"No error\""),                                     // after the unit command
            .fails(.timedOut),                                          // the first MEAS:PRES?
            .line("1.0E+05"),                                           // the second
        ])
        let driver = try SCPIPressureController(link: link, commands: .fluke6270A, timeout: Self.timeout)
        #expect(failure { _ = try driver.measure() } == .timedOut)
        #expect(link.discards == 0)
        #expect(try driver.measure() == 100_000)
        #expect(link.discards == 1)
        #expect(link.sent == ["*IDN?", "SYST:ERR?", "UNIT:PRES PA", "SYST:ERR?", "MEAS:PRES?", "MEAS:PRES?"])
    }

    /// A link that plays back replies, to pin down the driver's order of exchanges.
    final class ScriptedLink: InstrumentLink {
        enum Reply {
            case line(String)
            case fails(InstrumentLinkError.Cause)
        }

        let name = "scripted"
        var replies: [Reply]
        var sent: [String] = []
        var discards = 0

        init(replies: [Reply]) { self.replies = replies }

        func send(line: String, deadline: Int64) throws(InstrumentLinkError) { sent.append(line) }

        func readLine(deadline: Int64) throws(InstrumentLinkError) -> String {
            switch replies.removeFirst() {
            case .line(let text): return text
            case .fails(let cause): throw InstrumentLinkError(cause, link: name, operation: "read")
            }
        }

        func discardPendingInput() throws(InstrumentLinkError) { discards += 1 }
        func close() {}
    }

    // MARK: Line framing

    /// Lines on a socketpair: CR LF and LF both end a line, a partial line waits for its end across a timeout, an
    /// overlong line is refused and skipped, pending input can be dropped, and end of file is a hang-up.
    @Test func linesAreFramed() throws {
        var ends: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        try #require(socketpair(AF_UNIX, type, 0, &ends) == 0)
        let stream = LineFramedDescriptor(descriptor: ends[0], kind: .socket, name: "pair", terminator: .lineFeed)
        let peer = ends[1]
        func write(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { Glibc.write(peer, $0.baseAddress, $0.count) } }
        func soon() -> Int64 { MonotonicClock().now() + 50_000_000 }

        write("one\r\ntwo\nthr")
        #expect(try stream.readLine(deadline: soon()) == "one")
        #expect(try stream.readLine(deadline: soon()) == "two")
        #expect(throws: InstrumentLinkError(.timedOut, link: "pair", operation: "read")) { try stream.readLine(deadline: soon()) }
        write("ee\n")
        #expect(try stream.readLine(deadline: soon()) == "three")

        write(String(repeating: "x", count: 5000) + "\nok\n")
        #expect(throws: InstrumentLinkError(.lineTooLong(limit: 4096), link: "pair", operation: "read")) {
            try stream.readLine(deadline: soon())
        }
        #expect(try stream.readLine(deadline: soon()) == "ok")

        write("stale\n")
        try stream.discardPendingInput()
        write("fresh\n")
        #expect(try stream.readLine(deadline: soon()) == "fresh")

        try stream.send(line: "*IDN?", deadline: soon())
        var received = [UInt8](repeating: 0, count: 16)
        #expect(Glibc.read(peer, &received, received.count) == 6 && received.prefix(6) == Array("*IDN?\n".utf8)[...])

        Glibc.close(peer)
        #expect(throws: InstrumentLinkError(.disconnected, link: "pair", operation: "read")) { try stream.readLine(deadline: soon()) }
    }

    /// With CR as the terminator, lines end at CR and an LF after it is dropped.
    @Test func carriageReturnLines() throws {
        var ends: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        try #require(socketpair(AF_UNIX, type, 0, &ends) == 0)
        defer { Glibc.close(ends[1]) }
        let stream = LineFramedDescriptor(descriptor: ends[0], kind: .socket, name: "pair", terminator: .carriageReturn)
        _ = Array("a\r\nb\r".utf8).withUnsafeBytes { Glibc.write(ends[1], $0.baseAddress, $0.count) }
        let deadline = MonotonicClock().now() + 50_000_000
        #expect(try stream.readLine(deadline: deadline) == "a")
        #expect(try stream.readLine(deadline: deadline) == "b")
    }

    // MARK: Reading replies

    /// What instruments send: a sign, an exponent, an echoed header, a unit suffix, Mensor's space or error flag.
    @Test func repliesAreReadRobustly() {
        let pace = SCPICommandSet.druckPACE
        func reading(_ dialect: SCPICommandSet, _ reply: String, to query: String) -> Double? {
            dialect.pressure(inPayload: dialect.payload(of: reply, to: query).text)
        }
        #expect(reading(pace, ":SENS:PRES 1013.25", to: ":SENS:PRES?") == 1013.25)
        #expect(reading(pace, "SENS:PRES +1.01325E+05", to: ":SENS:PRES?") == 101_325)
        #expect(reading(pace, "101325 PA\r", to: ":SENS:PRES?") == 101_325)
        #expect(reading(pace, "1013.25hPa", to: ":SENS:PRES?") == 101_325)
        #expect(abs(reading(pace, "14.6959488 psia", to: ":SENS:PRES?")! - 101_325) < 1e-3)
        #expect(reading(pace, "-2.5e-1", to: ":SENS:PRES?") == -0.25)
        #expect(reading(pace, "9.91E37", to: ":SENS:PRES?") == nil, "SCPI not-a-number")
        #expect(reading(pace, "1.0.3 XPA", to: ":SENS:PRES?") == nil)
        #expect(reading(pace, "101325 psig", to: ":SENS:PRES?") == nil, "gauge pressure is not absolute")
        #expect(reading(pace, "nan", to: ":SENS:PRES?") == nil)
        #expect(reading(pace, "0x1p17", to: ":SENS:PRES?") == nil)

        let mensor = SCPICommandSet.mensorCPC6000
        #expect(reading(mensor, " +1.013250E+05", to: "A?") == 101_325)
        #expect(mensor.payload(of: "E+1.013250E+05", to: "A?") == ("+1.013250E+05", true))
        #expect(mensor.stability(inPayload: mensor.payload(of: " yes", to: "Stable?").text) == true)
        #expect(mensor.stability(inPayload: "NO") == false)
        #expect(mensor.stability(inPayload: "MAYBE") == nil)

        #expect(pace.stability(inPayload: pace.payload(of: ":SENS:PRES:INL 1000.5, 1", to: ":SENS:PRES:INL?").text) == true)
        #expect(pace.stability(inPayload: "1000.5, 0") == false)
        #expect(pace.stability(inPayload: "1000.5") == nil, "no in-limits field")

        let fluke = SCPICommandSet.fluke6270A
        #expect(fluke.stability(inPayload: "16") == true)
        #expect(fluke.stability(inPayload: "#H11") == true)
        #expect(fluke.stability(inPayload: "+1.6E+01") == true)
        #expect(fluke.stability(inPayload: "15") == false)
        #expect(fluke.stability(inPayload: "16.5") == nil)

        #expect(pace.reportsError(inPayload: "0,\"No error\"") == false)
        #expect(pace.reportsError(inPayload: "+0, \"No error\"") == false)
        #expect(pace.reportsError(inPayload: "-113,\"Undefined header\"") == true)
        #expect(pace.reportsError(inPayload: "NO ERROR") == false)
        #expect(pace.reportsError(inPayload: "fine") == nil)
    }

    /// Setpoints go out in plain decimal with nine significant digits and no binary printing artefacts.
    @Test func setpointsAreWrittenInPlainDecimal() {
        #expect(SCPICommandSet.decimal(101_325) == "101325")
        #expect(SCPICommandSet.decimal(1013.25) == "1013.25")
        #expect(SCPICommandSet.decimal(101_325 / PressureUnit.psi.pascals) == "14.6959488")
        #expect(SCPICommandSet.decimal(0.1 + 0.2) == "0.3")
        #expect(SCPICommandSet.decimal(0.000_012_345_678_912) == "0.0000123456789")
        #expect(SCPICommandSet.decimal(12_345_678_912) == "12345678900")
        #expect(SCPICommandSet.decimal(-5.5) == "-5.5")
        #expect(SCPICommandSet.decimal(999_999_999.7) == "1000000000")
        #expect(SCPICommandSet.druckPACE.setpointCommand(pascal: 95_000) == ":SOUR:PRES 95000")
    }

    /// Exact factors: psi from the definitions of the pound, standard gravity and the inch.
    @Test func unitFactorsAreExact() {
        #expect(PressureUnit.psi.pascals == 0.45359237 * 9.80665 / (0.0254 * 0.0254))
        #expect(PressureUnit.hectopascal.pascals == PressureUnit.millibar.pascals)
        #expect(PressureUnit(symbol: "mBar") == .millibar)
        #expect(PressureUnit(symbol: "inHg") == nil)
    }

    // MARK: Rig-file input

    @Test func overridesApplyByName() throws {
        let custom = try SCPICommandSet.druckPACE.overriding([
            "measure": ":SENS:PRES:CONT?", "stable_reply": "field 0 bits 0x10", "units": "HPA",
            "unit": ":UNIT:PRES HPA", "control": ":OUTP:STAT ON; :OUTP:MODE ACT", "error": "", "echo_header": "false",
        ])
        #expect(custom.measureQuery == ":SENS:PRES:CONT?")
        #expect(custom.stableReply == .statusBits(field: 0, mask: 16))
        #expect(custom.unit == .hectopascal && custom.unitCommand == ":UNIT:PRES HPA")
        #expect(custom.controlCommands == [":OUTP:STAT ON", ":OUTP:MODE ACT"])
        #expect(custom.errorQuery == nil && !custom.echoesHeader)
        #expect(StableReply(rule: "equals YES|NO") == .flag(field: 0, stable: ["YES"], unstable: ["NO"]))

        #expect(throws: SCPICommandSet.InvalidOverride.self) { try SCPICommandSet.druckPACE.overriding(["mesure": "X?"]) }
        #expect(throws: SCPICommandSet.InvalidOverride.self) { try SCPICommandSet.druckPACE.overriding(["setpoint": ":SOUR:PRES"]) }
        #expect(throws: SCPICommandSet.InvalidOverride.self) { try SCPICommandSet.druckPACE.overriding(["stable_reply": "bits zero"]) }
        #expect(throws: SCPICommandSet.InvalidOverride.self) { try SCPICommandSet.druckPACE.overriding(["units": "inHg"]) }
        #expect(SCPICommandSet.presets.keys.sorted() == ["druck-pace", "fluke-6270a", "mensor-cpc6000"])
        for preset in SCPICommandSet.presets.values { #expect(preset.problems.isEmpty, "\(preset.dialect)") }
    }

    @Test func linksParse() throws {
        #expect(try InstrumentAddress(parsing: "scpi-tcp://10.0.0.5:5025") == .tcp(host: "10.0.0.5", port: 5025, terminator: .lineFeed))
        #expect(try InstrumentAddress(parsing: "scpi-tcp://pace.lab") == .tcp(host: "pace.lab", port: 5025, terminator: .lineFeed))
        #expect(try InstrumentAddress(parsing: "SCPI-TCP://[fe80::1%eth0]:6000/?eol=CRLF")
                == .tcp(host: "fe80::1%eth0", port: 6000, terminator: .carriageReturnLineFeed))
        #expect(try InstrumentAddress(parsing: "scpi-serial:///dev/ttyUSB0?baud=115200&eol=cr")
                == .serial(path: "/dev/ttyUSB0", baudRate: 115_200, terminator: .carriageReturn))
        #expect(try InstrumentAddress(parsing: "scpi-serial:///dev/ttyS1") == .serial(path: "/dev/ttyS1", baudRate: 9600, terminator: .lineFeed))
        #expect(try InstrumentAddress(parsing: "scpi-tcp://[::1]:7").description == "scpi-tcp://[::1]:7?eol=lf")
    }

    /// Each bad link fails to parse with a reason that says what is wrong.
    @Test(arguments: [
        ("sim:pressure-controller", "not an instrument link"),
        ("gpib://0/5", "unknown link scheme 'gpib'"),
        ("scpi-tcp://:5025", "no host"),
        ("scpi-tcp://pace.lab:0", "port '0'"),
        ("scpi-tcp://pace.lab:70000", "port '70000'"),
        ("scpi-tcp://fe80::1:5025", "IPv6 address goes in brackets"),
        ("scpi-tcp://[::1", "without ']'"),
        ("scpi-tcp://pace.lab?baud=9600", "unknown parameter 'baud'"),
        ("scpi-serial://dev/ttyUSB0", "absolute device path"),
        ("scpi-serial:///dev/ttyUSB0?baud=12345", "baud '12345' is not supported"),
        ("scpi-serial:///dev/ttyUSB0?baud=9600&baud=19200", "given twice"),
        ("scpi-serial:///dev/ttyUSB0?parity=none", "unknown parameter 'parity'"),
        ("scpi-serial:///dev/ttyUSB0?eol=nul", "eol 'nul'"),
    ])
    func badLinksAreRefused(link: String, reason: String) {
        do throws(InstrumentLinkError) {
            let address = try InstrumentAddress(parsing: link)
            Issue.record("\(link) parsed as \(address)")
        } catch {
            guard case .invalidAddress(let why) = error.cause else {
                Issue.record("\(link): \(error)")
                return
            }
            #expect(why.contains(reason), "\(link): \(why)")
        }
    }

    /// Opening fails with the system's reason: nothing listening, no such port, an unsupported speed.
    @Test func openFailuresAreClassified() throws {
        let rig = SimulatedRig(seed: 1)
        let server = try SimulatedSCPIServer(controller: rig.controller, commands: .druckPACE, endpoint: .tcpLoopback)
        let port = server.port!
        server.stop()           // the port is free again: nothing listens on it
        #expect(throws: InstrumentLinkError(.io(errno: 111 /* ECONNREFUSED */), link: "scpi-tcp://127.0.0.1:\(port)",
                                            operation: "connect")) {
            _ = try TCPInstrumentLink(host: "127.0.0.1", port: port, connectTimeout: 2)
        }
        #expect(throws: InstrumentLinkError(.io(errno: 2 /* ENOENT */), link: "scpi-serial:///dev/ttyNOPE9?baud=9600",
                                            operation: "open")) {
            _ = try SerialInstrumentLink(path: "/dev/ttyNOPE9")
        }
        do throws(InstrumentLinkError) {
            _ = try SerialInstrumentLink(path: "/dev/null", baudRate: 1200)
            Issue.record("1200 baud accepted")
        } catch {
            #expect(error.cause == .invalidAddress("baud rate 1200 is not supported; use one of 9600, 19200, 38400, 57600, 115200"))
        }
        #expect(throws: InstrumentLinkError(.io(errno: 25 /* ENOTTY */), link: "scpi-serial:///dev/null?baud=9600",
                                            operation: "tcgetattr")) {
            _ = try SerialInstrumentLink(path: "/dev/null")
        }
    }
}
