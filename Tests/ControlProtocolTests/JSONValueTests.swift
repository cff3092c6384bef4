import Foundation
import Testing

@testable import ControlProtocol

@Suite("JSONValue")
struct JSONValueTests {
    @Test("integers stay exact over the whole Int64 range")
    func integersStayExact() throws {
        for value: Int64 in [0, -1, 9_007_199_254_740_993, .max, .min] {
            let text = JSONValue.int(value).description
            #expect(text == String(value))
            #expect(try JSONValue(parsing: text) == .int(value))
        }
        // Past Int64, and with a fraction, a number is a double.
        #expect(try JSONValue(parsing: "9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONValue(parsing: "1.5") == .double(1.5))
        // JSON does not tell 1.0 from 1: an integral value reads back as an integer (documented).
        #expect(try JSONValue(parsing: "1.0") == .int(1))
        #expect(JSONValue.int(3).doubleValue == 3)
    }

    @Test("nested values round-trip and encode compactly with sorted keys")
    func nestedRoundTrip() throws {
        let value: JSONValue = [
            "zeta": [1, 2.5, "x", nil, true, false],
            "alpha": ["y": [:], "b": [], "a": ["deep": [["k": -7]]]],
            "mid": "line\nbreak \"quoted\" a/b é",
        ]
        let text = value.description
        #expect(
            text == #"{"alpha":{"a":{"deep":[{"k":-7}]},"b":[],"y":{}},"mid":"line\nbreak \"quoted\" a/b é","#
                + #""zeta":[1,2.5,"x",null,true,false]}"#)
        #expect(!text.contains("\n"))
        #expect(try JSONValue(parsing: text) == value)
        #expect(try JSONValue(parsing: Data(text.utf8)) == value)
    }

    @Test("Codable values convert both ways")
    func codableConversions() throws {
        struct Sample: Codable, Equatable {
            var name: String
            var count: Int64
            var rate: Double
            var tags: [String]
            var note: String?
        }
        let sample = Sample(name: "bmp390", count: 1 << 60, rate: 0.25, tags: ["a", "b"], note: nil)
        let value = try JSONValue(encoding: sample)
        #expect(value == ["name": "bmp390", "count": .int(1 << 60), "rate": 0.25, "tags": ["a", "b"]])
        #expect(try value.decode(Sample.self) == sample)
        #expect(throws: DecodingError.self) { try JSONValue.string("x").decode(Sample.self) }
    }

    @Test("non-finite doubles encode as strings instead of failing")
    func nonFiniteDoubles() throws {
        let value: JSONValue = [.double(.nan), .double(.infinity), .double(-.infinity)]
        #expect(value.description == #"["NaN","Infinity","-Infinity"]"#)
        #expect(try JSONValue(encoding: [Double.infinity]) == ["Infinity"])
        #expect(try JSONValue.string("NaN").decode(Double.self).isNaN)
        // A string stays a string, whatever it spells.
        #expect(try JSONValue(parsing: #"["NaN"]"#) == ["NaN"])
        struct Holder: Codable, Equatable { var value: JSONValue }
        let holder: JSONValue = ["value": "Infinity"]
        #expect(try holder.decode(Holder.self) == Holder(value: "Infinity"))
    }

    @Test("subscripts and accessors")
    func access() {
        var value: JSONValue = ["run": ["id": 7, "state": "acquiring"], "list": [true, 2]]
        #expect(value["run"]?["id"] == 7)
        #expect(value["run"]?["state"]?.stringValue == "acquiring")
        #expect(value["list"]?[0]?.boolValue == true)
        #expect(value["list"]?[5] == nil)
        #expect(value["missing"] == nil)
        #expect(value["list"]?.arrayValue?.count == 2)
        #expect(value["run"]?["id"]?.intValue == 7)
        value["added"] = .null
        #expect(value["added"]?.isNull == true)
        value["added"] = nil
        #expect(value.objectValue?.keys.sorted() == ["list", "run"])
        #expect(JSONValue.string("x")["key"] == nil)
    }

    @Test("invalid JSON throws")
    func invalidJSON() {
        #expect(throws: (any Error).self) { try JSONValue(parsing: "{\"a\":") }
        #expect(throws: (any Error).self) { try JSONValue(parsing: "") }
    }

    @Test("params decode into their own struct, or fail with -32602 naming the field")
    func decodeParams() throws {
        let params: JSONValue? = ["a": 2, "b": 3]
        #expect(try params.decodeParams(as: AddParams.self).b == 3)

        let missing: JSONValue? = ["a": 2]
        let error = try #require(throws: RPCError.self) { try missing.decodeParams(as: AddParams.self) }
        #expect(error.code == .invalidParams)
        #expect(error.message.contains("\"b\""))

        let wrongType: JSONValue? = ["a": 2, "b": "three"]
        let typeError = try #require(throws: RPCError.self) { try wrongType.decodeParams(as: AddParams.self) }
        #expect(typeError.code == .invalidParams)
        #expect(typeError.message.contains("\"b\""))

        // Absent params are an empty object, so all-optional structs accept them.
        struct Optionals: Decodable { var limit: Int? }
        let absent: JSONValue? = nil
        #expect(try absent.decodeParams(as: Optionals.self).limit == nil)
    }
}
