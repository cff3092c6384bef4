import Foundation
@testable import SensorIO
import Testing

/// What can be checked without a gpiochip. Requests, values and edges run against gpio-sim under QEMU
/// (reference/hil.md).
@Suite("GPIO")
struct GPIOTests {
    @Test("the linked libgpiod is the v1.6 series this wrapper is written for")
    func libraryVersion() {
        let version = GPIOChip.libraryVersion
        #expect(version.hasPrefix("1.6."), "libgpiod \(version)")
    }

    @Test("opening a missing chip path is .chipNotFound naming the path, with ENOENT")
    func missingChipPath() {
        let missing = "/dev/gpiochip-sensorqual-missing"
        let error = #expect(throws: GPIOError.self) { _ = try GPIOChip(path: missing) }
        #expect(error?.cause == .chipNotFound)
        #expect(error?.chip == missing)
        #expect(error?.operation == "open")
        #expect(error?.errno == SystemErrno.noSuchFileOrDirectory.rawValue)
        #expect(error?.line == nil)
        #expect(error?.description.contains(missing) == true)
    }

    @Test("opening a missing chip by name is .chipNotFound naming the name")
    func missingChipName() {
        let error = #expect(throws: GPIOError.self) { _ = try GPIOChip(name: "gpiochip48611") }
        #expect(error?.cause == .chipNotFound)
        #expect(error?.chip == "gpiochip48611")
    }

    @Test("a character device that is not a gpiochip is .notAGPIOChip")
    func notAChip() {
        let error = #expect(throws: GPIOError.self) { _ = try GPIOChip(path: "/dev/null") }
        #expect(error?.cause == .notAGPIOChip)
        #expect(error?.errno == SystemErrno.notATypewriter.rawValue)
    }

    @Test("errno classification")
    func classification() {
        let table: [(SystemErrno, GPIOError.Cause)] = [
            (.noSuchFileOrDirectory, .chipNotFound), (.noSuchDevice, .chipNotFound),
            (.notATypewriter, .notAGPIOChip), (.accessDenied, .permissionDenied), (.notPermitted, .permissionDenied),
            (.busy, .lineBusy), (.invalidArgument, .invalidLine), (.notSupported, .unsupported),
            (.ioError, .io(errno: SystemErrno.ioError.rawValue)),
        ]
        for (errno, cause) in table {
            #expect(GPIOError.Cause(errno: errno.rawValue) == cause, "errno \(errno.rawValue)")
        }
    }

    @Test("the cause alone matches in a catch clause")
    func causeMatching() {
        do {
            _ = try GPIOChip(path: "/dev/gpiochip-sensorqual-missing")
            Issue.record("expected an error")
        } catch GPIOError.chipNotFound {
            // matched through `~=`
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("an error names chip, line, operation and errno")
    func errorDescription() {
        let error = GPIOError(.lineBusy, chip: "/dev/gpiochip1", line: 17, operation: "request output", errno: 16)
        #expect(error.description == "/dev/gpiochip1 line 17: request output failed: lineBusy (errno 16)")
    }

    @Test("wait timeouts split into timespec parts, rounded up, never negative",
          arguments: [
              (Duration.milliseconds(1500), 1, 500_000_000),
              (Duration.zero, 0, 0),
              (Duration.seconds(-3), 0, 0),
              (Duration.nanoseconds(1), 0, 1),
              (Duration(secondsComponent: 2, attosecondsComponent: 1), 2, 1),
              (Duration(secondsComponent: 0, attosecondsComponent: 999_999_999_999_999_999), 1, 0),
          ])
    func timeoutParts(timeout: Duration, seconds: Int, nanoseconds: Int) {
        let parts = GPIOLine.timeoutParts(timeout)
        #expect(parts.seconds == seconds)
        #expect(parts.nanoseconds == nanoseconds)
    }

    @Test("line offsets are plain integers in rig files")
    func offsetCoding() throws {
        let offset: GPIOLineOffset = 23
        #expect(offset.description == "23")
        #expect(GPIOLineOffset(rawValue: 4) < offset)
        let json = try JSONEncoder().encode([offset])
        #expect(String(decoding: json, as: UTF8.self) == "[23]")
        #expect(try JSONDecoder().decode([GPIOLineOffset].self, from: json) == [offset])
    }
}
