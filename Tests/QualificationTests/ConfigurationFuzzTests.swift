import Foundation
import SensorSim
import Testing

@testable import Qualification

/// Seeded fuzzing of the configuration loaders: mutated copies of the shipped catalog, plans, specs and the simulated
/// rig's file. Each copy either loads or throws a ConfigurationError naming the file (and a line within it, when it
/// has one); nothing crashes or hangs (the suite's time limit) and memory does not grow with the iterations.
@Suite("Configuration fuzz", .serialized, .timeLimit(.minutes(2)))
struct ConfigurationFuzzTests {
    /// YAML a loader should meet: nulls, odd numbers, tags, anchors, aliases and merges, flow collections, block
    /// scalars, document markers, directives, tabs.
    static let tokens = [
        "~", "null", "", "''", "\"\"", "[]", "{}", "[", "{", "]", "}", "-1", "0", "1e999", "-1e999", ".nan", ".inf", "-.inf",
        "9223372036854775808", "0x7fffffffffffffffffff", "0o777", "1_000", "true", "no", "yes", "2026-13-45", "!!binary aGk=",
        "!!str 5", "!custom x", "&anchor 5", "*anchor", "*undefined", "<<: *anchor", "|", ">-", "? complex", "---", "...",
        "%YAML 1.1", "\t", "\u{0}", "\u{FEFF}", "\u{202E}", "é±≤°µ", "\"\\ud800\"", "'unterminated", "\"unterminated",
        "a: b: c", "- - -", ": :", "#", "@", "`", "%", "!", "&", "*",
    ]

    struct Mutator {
        var random: SeededRandom
        mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }
        mutating func pick<T>(_ values: [T]) -> T { values[int(0..<values.count)] }

        /// One mutation of a YAML text, as bytes (some mutations make invalid UTF-8).
        mutating func mutate(_ bytes: [UInt8]) -> [UInt8] {
            var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
            guard !lines.isEmpty else { return Array(pick(ConfigurationFuzzTests.tokens).utf8) }
            let i = int(0..<lines.count)
            switch int(0..<13) {
            case 0: lines.remove(at: i)
            case 1: lines.insert(lines[i], at: i)  // a duplicated key
            case 2: lines.swapAt(i, int(0..<lines.count))
            case 3:  // indentation
                if int(0..<2) == 0 { lines[i].insert(contentsOf: Array(pick(["  ", " ", "\t", "    "]).utf8), at: 0) }
                else { lines[i].removeFirst(min(lines[i].count, int(1..<4))) }
            case 4:  // a value replaced
                if let colon = lines[i].firstIndex(of: UInt8(ascii: ":")) {
                    lines[i] = Array(lines[i][...colon]) + Array((" " + pick(ConfigurationFuzzTests.tokens)).utf8)
                } else {
                    lines[i] += Array(pick(ConfigurationFuzzTests.tokens).utf8)
                }
            case 5:  // a line inserted
                let indent = String(repeating: " ", count: int(0..<8))
                lines.insert(Array((indent + pick(["x", "unknown_key", "plan", "steps", "-", "slots"]) + ": "
                                    + pick(ConfigurationFuzzTests.tokens)).utf8), at: i)
            case 6:  // bit flips, which may break UTF-8
                for _ in 0..<int(1..<5) where !lines[i].isEmpty {
                    lines[i][int(0..<lines[i].count)] ^= UInt8(1 << int(0..<8))
                }
            case 7:  // truncation
                let all = Array(lines.joined(separator: [0x0A]))
                return Array(all.prefix(int(0..<(all.count + 1))))
            case 8:  // deep nesting, flow or block
                let depth = pick([10, 100, 1000, 5000])
                if let colon = lines[i].firstIndex(of: UInt8(ascii: ":")) {
                    let open = pick(["[", "{a: "])
                    let close = open == "[" ? "]" : "}"
                    lines[i] = Array(lines[i][...colon]) + Array((" " + String(repeating: open, count: depth) + "1"
                                                                  + String(repeating: close, count: depth)).utf8)
                } else {
                    lines.insert(contentsOf: (0..<min(depth, 400)).map { Array((String(repeating: " ", count: $0) + "- k:").utf8) }, at: i)
                }
            case 9:  // a long scalar
                if let colon = lines[i].firstIndex(of: UInt8(ascii: ":")) {
                    lines[i] = Array(lines[i][...colon]) + [0x20] + [UInt8](repeating: UInt8(ascii: "z"), count: int(1000..<200_000))
                }
            case 10:  // invalid UTF-8
                lines[i].insert(contentsOf: pick([[0xFF], [0xC3], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80]]),
                                at: int(0..<(lines[i].count + 1)))
            case 11:  // anchors and aliases: a small alias fan-out (not a billion laughs: a file is the admin's)
                lines.insert(contentsOf: [Array("fan0: &a0 [x, x, x, x]".utf8), Array("fan1: &a1 [*a0, *a0, *a0, *a0]".utf8),
                                          Array("fan2: [*a1, *a1, *a1, *a1]".utf8)], at: i)
            default:  // random bytes
                lines[i] = (0..<int(0..<80)).map { _ in UInt8.random(in: 0...255, using: &random) }.filter { $0 != 0x0A }
            }
            return Array(lines.joined(separator: [0x0A]))
        }
    }

    /// A loader under test: a name for messages, the text it starts from, and how to load a copy.
    struct Subject {
        var name: String
        var base: [UInt8]
        /// Loads `bytes` written at `path`.
        var load: (String) throws(ConfigurationError) -> Void
    }

    static func subjects(catalog: ChipCatalog) throws -> [Subject] {
        let root = Repository.root
        func files(_ folder: String) throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: root + "/" + folder).filter { $0.hasSuffix(".yaml") }.sorted()
                .map { root + "/" + folder + "/" + $0 }
        }
        var subjects: [Subject] = []
        for path in try files("Devices") {
            subjects.append(Subject(name: path, base: Array(try Data(contentsOf: URL(fileURLWithPath: path))),
                                    load: { path throws(ConfigurationError) in _ = try ChipCatalog.chip(path: path) }))
        }
        for path in try files("plans") {
            subjects.append(Subject(name: path, base: Array(try Data(contentsOf: URL(fileURLWithPath: path))),
                                    load: { path throws(ConfigurationError) in _ = try PlanFile.load(path: path) }))
        }
        for path in try files("specs") {
            subjects.append(Subject(name: path, base: Array(try Data(contentsOf: URL(fileURLWithPath: path))),
                                    load: { path throws(ConfigurationError) in _ = try SpecProfile.load(path: path) }))
        }
        let rig = SimulatedRig(seed: 1).rigFile(today: Date(timeIntervalSince1970: 1_780_000_000), alsaConfig: "/tmp/asound.conf")
        subjects.append(Subject(name: "simulated rig", base: Array(rig.utf8),
                                load: { path throws(ConfigurationError) in _ = try Rig.load(path: path, catalog: catalog) }))
        return subjects
    }

    @Test("mutated catalog, plan, spec and rig files load or fail naming their file and line")
    func loaders() throws {
        let catalog = try Repository.catalog()
        let subjects = try Self.subjects(catalog: catalog)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sq-fuzz-" + UUID().uuidString.prefix(8)).path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        // Every shipped file loads as it is: the fuzz starts from valid files.
        for subject in subjects {
            let path = folder + "/" + (subject.name as NSString).lastPathComponent
            try Data(subject.base).write(to: URL(fileURLWithPath: path))
            #expect(throws: Never.self, "\(subject.name)") { try subject.load(path) }
        }

        var mutator = Mutator(random: SeededRandom(seed: 0x5EED_0C0F))   // SplitMix64: every case replays from its seed
        let iterations = 4000
        var loaded = 0
        var refused = 0
        var refusedWithLine = 0
        // Leak check, as in the protocol fuzz: the resident size at the end of each 400 files after a warm-up of 400.
        // A leak grows it in every chunk; retained pages, long-scalar buffers and the other tests of this process make
        // it jump now and then, not in every chunk. The smallest growth of a chunk must stay under 1 MB: a leak of
        // 2.5 kB a load (a fraction of a parsed document) or more fails.
        var chunkGrowths: [Int] = []
        var chunkStart = 0
        for iteration in 0..<iterations {
            if iteration >= 400, iteration % 400 == 0 {
                let resident = Self.residentBytes()
                if iteration > 400 { chunkGrowths.append(resident - chunkStart) }
                chunkStart = resident
            }
            let subject = mutator.pick(subjects)
            var bytes = subject.base
            for _ in 0..<mutator.int(1..<4) { bytes = mutator.mutate(bytes) }
            // The file keeps its name: a chip file must be called after its chip.
            let path = folder + "/" + (subject.name as NSString).lastPathComponent
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            do throws(ConfigurationError) {
                try subject.load(path)
                loaded += 1
            } catch {
                refused += 1
                #expect(error.file == path, "iteration \(iteration): \(error)")
                #expect(!error.reason.isEmpty)
                if let line = error.line {
                    refusedWithLine += 1
                    let lineCount = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).count
                    #expect((1...lineCount + 1).contains(line), "iteration \(iteration): line \(line) of \(lineCount): \(error)")
                }
            }
        }
        chunkGrowths.append(Self.residentBytes() - chunkStart)
        print("configuration fuzz: \(iterations) mutated files of \(subjects.count), \(loaded) loaded, \(refused) refused "
              + "(\(refusedWithLine) with a line), resident growth per 400 files after warm-up \(chunkGrowths.map { $0 / 1024 }) kB")
        #expect(loaded + refused == iterations)
        #expect(refused > iterations / 2)
        #expect(chunkGrowths.min() ?? 0 < 1 << 20, "\(chunkGrowths)")
    }

    @Test("YAML nested deeper than the limit is refused on its line, not parsed into a stack overflow")
    func deepNesting() throws {
        let flow = "plan: p\nclass: pressure\nsteps: " + String(repeating: "{a: ", count: 5000) + "1" + String(repeating: "}", count: 5000) + "\n"
        #expect(throws: ConfigurationError(file: "p.yaml", line: 3, reason: "nested about 101 levels deep (indentation and brackets); the limit is 100")) {
            try PlanFile.parse(text: flow, name: "p.yaml")
        }
        let block = (0..<150).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n")
        let refused = try #require(throws: ConfigurationError.self) { try SpecProfile.parse(text: block, name: "s.yaml") }
        #expect(refused.line == 102 && refused.reason.hasPrefix("nested about 101 levels deep"))
        // Brackets in quotes and comments do not count; the shipped files nest far less.
        #expect(YAMLNesting.excess(in: "a: \"" + String(repeating: "[", count: 500) + "\"  # " + String(repeating: "{", count: 500)) == nil)
        #expect(YAMLNesting.excess(in: "a: '" + String(repeating: "[", count: 500) + "'") == nil)
    }

    /// The resident set size, from /proc/self/statm (pages of 4 KiB on the x86-64 and arm64 machines we run on).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * 4096
    }
}
