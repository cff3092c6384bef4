import Foundation
import Testing
@testable import ControlProtocol

/// `JSONValueWriter` writes every answer and notification line: its text must be `JSONEncoder`'s (the known answer,
/// with the protocol's settings) byte for byte, so that clients, the archive and the tests see what they always saw.
@Suite struct JSONValueWriterTests {
    private func encoderText(_ value: JSONValue) throws -> String {
        String(decoding: try JSONCoding.makeEncoder().encode(value), as: UTF8.self)
    }

    private func writerText(_ value: JSONValue) -> String {
        String(decoding: value.jsonData(), as: UTF8.self)
    }

    @Test("random trees of every kind of value are written as JSONEncoder writes them")
    func randomTrees() throws {
        var random = JSONValueReaderTests.Random(state: 11)
        for _ in 0..<3_000 {
            let value = JSONValueReaderTests.tree(&random, depth: 4)
            #expect(writerText(value) == (try encoderText(value)))
        }
    }

    @Test("every control character, quote, backslash, slash and non-ASCII text is escaped as JSONEncoder does")
    func strings() throws {
        let all = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) }) + "/é\u{2028}🎤\u{FEFF}"
        #expect(writerText(.string(all)) == (try encoderText(.string(all))))
        #expect(writerText(["\u{1f}": 1, "\u{1b}": 2]) == (try encoderText(["\u{1f}": 1, "\u{1b}": 2])))
        #expect(writerText(.string("\u{1b}[0m")) == #""\u001b[0m""#)
    }

    @Test("keys are sorted by their UTF-8 bytes: capitals, underscore, small letters, then non-ASCII")
    func keyOrder() throws {
        let object: JSONValue = ["é": 1, "a": 2, "_": 3, "Z": 4, "B": 5, "aa": 7, "": 8, "10": 9, "2": 10]
        #expect(writerText(object) == (try encoderText(object)))
        #expect(writerText(object) == #"{"":8,"10":9,"2":10,"B":5,"Z":4,"_":3,"a":2,"aa":7,"é":1}"#)
    }

    @Test("numbers: whole doubles without .0, shortest round-trip digits, exponents as Swift writes them, Int64 exact")
    func numbers() throws {
        let doubles: [Double] = [0, -0.0, 100, -12.5, 0.1, 1e-5, 1e-7, 2.5e-7, 1e15, 1e16, 4.35e16, 1e21, 1e100, 1e300,
                                 .leastNonzeroMagnitude, .greatestFiniteMagnitude, 9_007_199_254_740_992, 1.0 / 3,
                                 101_325.015_625, .nan, .infinity, -.infinity]
        for value in doubles {
            #expect(writerText(.double(value)) == (try encoderText(.double(value))), "\(value)")
        }
        #expect(writerText([.double(100), .double(-0.0), .double(1e16), .double(.nan)]) == #"[100,-0,1e+16,"NaN"]"#)
        for value: Int64 in [0, 1, -1, 42, .max, .min, 1 << 53 + 1] {
            #expect(writerText(.int(value)) == String(value))
        }
    }
}
