import ControlProtocol
import Foundation
import Testing

/// `sensorqual analyze series`, run as a technician would, on files with known answers.
@Suite struct AnalyzeTests {
    /// The NBS14 1000-point series (statistics.md §8 T2) as a CSV with a header and a time column. Known answers:
    /// OADEV(τ = 1, 2) from allantools' NBS14 tests (2.922319e-01 at τ = 1; 5e-7 relative, the published
    /// digits), and the moments from numpy 2.4.6 / scipy 1.17.1 on the same numbers: mean 0.48977446285950693,
    /// std (ddof 1) 0.2884663647130005 (sample std 2.884664e-01 in T2), skew 0.05802860654562464, excess kurtosis
    /// −1.2211387004256131 (1e-12 relative: only summation order differs).
    @Test func nbs14SeriesFromCSV() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var n: UInt64 = 1_234_567_890
        var csv = "time_s,y\n"
        for i in 0..<1000 {
            csv += "\(i),\(Double(n) / 2_147_483_647)\n"
            n = 16807 * n % 2_147_483_647
        }
        try csv.write(toFile: folder.path + "/nbs14.csv", atomically: false, encoding: .utf8)
        let result = try await runCommand("sensorqual", ["analyze", "series", folder.path + "/nbs14.csv", "--column", "y", "--json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let analysis = try JSONValue(parsing: result.stdout)
        func number(_ key: String) throws -> Double { try #require(analysis[key]?.doubleValue) }
        #expect(try number("count") == 1000)
        #expect(try number("sample_rate") == 1)
        #expect(abs(try number("mean") / 0.48977446285950693 - 1) < 1e-12)
        #expect(abs(try number("stddev") / 0.2884663647130005 - 1) < 1e-12)
        #expect(abs(try number("skewness") / 0.05802860654562464 - 1) < 1e-9)
        #expect(abs(try number("kurtosis") / -1.2211387004256131 - 1) < 1e-12)
        let adev = try #require(analysis["adev"]?.arrayValue)
        let first = try #require(adev.first)
        #expect(first["m"] == 1 && first["tau"]?.doubleValue == 1 && first["n"] == 999)
        #expect(abs(try #require(first["adev"]?.doubleValue) / 2.922319e-01 - 1) < 5e-7)
        let low = try #require(first["ci_low"]?.doubleValue), high = try #require(first["ci_high"]?.doubleValue)
        #expect(low < 2.922319e-01 && 2.922319e-01 < high)
        // White readings: the one-sided density is 2σ²/fs, so the ASD is σ·√2 (within 15 %: ~30 Welch segments).
        let density = try #require(analysis["noise_density"]?.doubleValue)
        #expect(abs(density / (0.2884663647130005 * 2.0.squareRoot()) - 1) < 0.15)
    }

    /// A bad cell is an error naming the file and the line, with exit status 2.
    @Test func badFileNamesTheLine() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try "p\n101325.1\n101325.3\nfoo\n101325.2\n".write(toFile: folder.path + "/bad.csv", atomically: false, encoding: .utf8)
        let result = try await runCommand("sensorqual", ["analyze", "series", folder.path + "/bad.csv", "--rate", "25"], in: folder)
        #expect(result.status == 2)
        #expect(result.stderr.contains(folder.path + "/bad.csv:4"))
        let empty = try await runCommand("sensorqual", ["analyze", "series", folder.path + "/none.csv", "--rate", "25"], in: folder)
        #expect(empty.status == 2)
    }
}
