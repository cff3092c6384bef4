import Foundation
import Testing
@testable import ControlProtocol

/// `JSONValue(encoding:)` builds the value without text in between (`JSONValueEncoder`); the known answer is what it
/// replaced, `JSONEncoder` with the protocol's settings read back by `JSONDecoder`.
@Suite struct JSONValueEncoderTests {
    private func roundTrip<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONCoding.makeDecoder().decode(JSONValue.self, from: try JSONCoding.makeEncoder().encode(value))
    }

    enum Outcome: Codable, Equatable {
        case passed
        case failed(reason: String, margin: Double?)
        case lost(Int, String)
    }

    enum Axis: String, Codable, CodingKeyRepresentable { case x, y, z }

    struct Figure: Codable, Equatable {
        var name: String
        var value: Double
        var uncertainty: Double?
        var unit: String?
        var samples: Int
        var raw: UInt64
        var small: Float
        var flags: [Bool?]
        var byAxis: [Axis: Double]
        var byIndex: [Int: String]
        var nested: [[Double]]
        var outcome: Outcome
        var when: Date
        var blob: Data
        var link: URL
        var extra: JSONValue?
    }

    /// A class hierarchy's `superEncoder`, and a type that writes through nested containers by hand.
    struct HandWritten: Encodable {
        enum Keys: String, CodingKey { case header, rows, tail }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var header = container.nestedContainer(keyedBy: Keys.self, forKey: .header)
            try header.encode("v1", forKey: .tail)
            var rows = container.nestedUnkeyedContainer(forKey: .rows)
            try rows.encode(1.5)
            try rows.encodeNil()
            var row = rows.nestedContainer(keyedBy: Keys.self)
            try row.encode(Float.nan, forKey: .tail)
            var inner = rows.nestedUnkeyedContainer()
            try inner.encode(UInt8(7))
            try inner.encode(-0.0)
            try container.encode(Int8(-3), forKey: .tail)
            let sup = container.superEncoder()
            var single = sup.singleValueContainer()
            try single.encode("base")
        }
    }

    struct Silent: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    @Test("structs, enums, optionals, dictionaries, dates, data, URLs and every number type as the round trip gives")
    func codableValues() throws {
        var random = JSONValueReaderTests.Random(state: 5)
        let numbers = JSONValueReaderTests.numbers
        for index in 0..<500 {
            let figure = Figure(
                name: JSONValueReaderTests.texts[index % JSONValueReaderTests.texts.count], value: numbers[index % numbers.count],
                uncertainty: index % 3 == 0 ? nil : Double(bitPattern: random.next()), unit: index % 2 == 0 ? "Pa" : nil,
                samples: Int(bitPattern: UInt(random.next())) >> random.below(64), raw: random.next() >> random.below(64),
                small: Float(bitPattern: UInt32(truncatingIfNeeded: random.next())),
                flags: [true, nil, false], byAxis: [.x: 1, .y: numbers[(index + 1) % numbers.count], .z: -0.5],
                byIndex: [1: "a", 10: "b", 2: "c"], nested: [[], [numbers[(index + 2) % numbers.count], 2]],
                outcome: [Outcome.passed, .failed(reason: "noise 0.7 Pa > 0.6 Pa", margin: index % 2 == 0 ? nil : -0.1),
                          .lost(121, "EREMOTEIO")][index % 3],
                when: Date(timeIntervalSinceReferenceDate: Double(index) * 12.345), blob: Data((0..<index % 7).map { UInt8($0) }),
                link: URL(string: "http://localhost:\(index)/report.json")!,
                extra: index % 4 == 0 ? nil : JSONValueReaderTests.tree(&random, depth: 3))
            #expect(try JSONValue(encoding: figure) == roundTrip(figure))
        }
    }

    @Test("nested containers, superEncoder, single values and a value that encodes nothing")
    func handWrittenContainers() throws {
        #expect(try JSONValue(encoding: HandWritten()) == roundTrip(HandWritten()))
        #expect(try JSONValue(encoding: [Silent()]) == roundTrip([Silent()]))
        #expect(try JSONValue(encoding: [Silent()]) == [[:]])
        for value in [0.0, -0.0, 1e16, 1.2345678901234567e18, -9.223372036854775808e18, 9.2e18, 1e19, 0.5] {
            #expect(try JSONValue(encoding: value) == roundTrip(value), "\(value)")
        }
        #expect(try JSONValue(encoding: 1.2345678901234567e18) == .int(1_234_567_890_123_456_800))
        #expect(try JSONValue(encoding: UInt64.max) == roundTrip(UInt64.max))
        #expect(try JSONValue(encoding: Float(0.1)) == .double(0.1))
    }
}
