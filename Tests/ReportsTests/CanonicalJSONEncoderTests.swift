import Foundation
import Testing
@testable import Reports

/// `CanonicalJSONEncoder` against the encoder it stands in for, `QualificationReport.encoder()` (Foundation's
/// `JSONEncoder`): the same bytes, on a real report and on values made to reach every rule.
@Suite struct CanonicalJSONEncoderTests {
    private func foundation<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try QualificationReport.encoder().encode(value), as: UTF8.self)
    }

    private func canonical<T: Encodable>(_ value: T) throws -> String? {
        try CanonicalJSONEncoder.encode(value).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The report of the HTML fixture: pressure, microphone and magnetometer DUTs from simulated runs, with their
    /// spectra, Allan deviations and uncertainty budgets, and markup in a serial and the operator's name.
    @Test func realReportIsFoundationsText() async throws {
        let report = try await ReportHTMLFixture.shared().report
        let expected = try foundation(report)
        let text = try #require(try canonical(report))
        #expect(text.utf8.count == expected.utf8.count)
        #expect(text == expected)
        #expect(String(decoding: try report.jsonData(), as: UTF8.self) == expected)
    }

    /// Keys to convert (acronyms, digits, underscores), a `[String: …]` dictionary whose keys stay as they are (and the
    /// keys of the values inside it, which do not), an `[Int: …]` dictionary, empty containers at several depths,
    /// nil and non-nil optionals, every control character, quotes, backslashes, slashes and non-ASCII text in values
    /// and keys, integers at their extremes, and doubles: whole numbers either side of 2^53, −0, subnormals,
    /// non-finite values and seeded bit patterns.
    @Test func everyRuleIsFoundations() throws {
        struct Inner: Encodable, Equatable {
            var innerValueID: Int
            var tagsByName: [String: String]
        }
        struct Sample: Encodable {
            var aURLKey = 1
            var theHTTPServerURL = "x"
            var asdAt1HzPtPerRootHz = 1.5
            var asdAt10HzPtPerRootHz = 2.5
            var snake_already = true
            var emptyObject: [String: Int] = [:]
            var emptyArray: [Double] = []
            var nestedEmpty: [[String: [Int]]] = [[:], ["k": []]]
            var byName: [String: Inner] = ["zKey": Inner(innerValueID: 1, tagsByName: ["bB": "1", "aA": "2"]),
                                           "URLValue": Inner(innerValueID: 2, tagsByName: [:]), "é": Inner(innerValueID: 3, tagsByName: [:])]
            var byNumber: [Int: String] = [10: "ten", 9: "nine", -1: "minus one"]
            var missing: Int? = nil
            var present: Double? = 0.1
            var nullInArray: [Int?] = [1, nil, 3]
            var text = (0..<32).map { String(UnicodeScalar(UInt8($0))) }.joined() + "\"\\/é\u{7f}\u{2028}😀"
            var integers: [Int64] = [.min, .max, 0, -1]
            var unsigned: [UInt64] = [.max, 0]
            var small: [Int8] = [.min, .max]
            var doubles: [Double] = [1, 100, -0.0, 0, 0.1, 1e-5, 1e15, 1e16, 9_007_199_254_740_991, 9_007_199_254_740_992,
                                     -9_007_199_254_740_992, 4_503_599_627_370_496.5, 1e300, -1e-300, .leastNonzeroMagnitude,
                                     .greatestFiniteMagnitude, .infinity, -.infinity, .nan]
            var seeded: [Double] = []
            var flags: [Bool] = [true, false]
        }
        var sample = Sample()
        var state: UInt64 = 0x5EED
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            sample.seeded.append(Double(bitPattern: state))
            sample.seeded.append(Double(Int64(bitPattern: state) >> 8))
            sample.seeded.append(Double(Int64(bitPattern: state) >> 40) / 64)
        }
        let expected = try foundation(sample)
        #expect(try canonical(sample) == expected)
    }

    /// What JSONEncoder spells by rules of its own (a URL, Data, a Float) is left to it: `encode` answers nil, and the
    /// report's `jsonData()` would fall back to JSONEncoder.
    @Test func leavesFoundationsOwnTypesToIt() throws {
        struct WithURL: Encodable { var link = URL(fileURLWithPath: "/tmp/a b") }
        struct WithData: Encodable { var bytes = Data([1, 2, 3]) }
        struct WithFloat: Encodable { var gain: Float = 1.1 }
        #expect(try canonical(WithURL()) == nil)
        #expect(try canonical(WithData()) == nil)
        #expect(try canonical(WithFloat()) == nil)
        #expect(try canonical(["plain": 1.0]) == foundation(["plain": 1.0]))
    }
}
