import ArgumentParser
import ControlProtocol
import Foundation
import Qualification
import Reports
import SensorMetrics

extension Sensorqual {
    struct Analyze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compute figures offline from a recorded file, without a daemon.",
            subcommands: [Series.self, Acoustic.self, AOP.self])

        struct Series: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Moments, Allan deviation and noise density of one column of a recorded series.",
                discussion: """
                    FILE is a CSV (header optional; comma, semicolon or tab) or a SensorQual raw capture \
                    (.sqraw, docs/raw-capture.md). The rate comes from --rate, a time column of the CSV \
                    (t, time, time_s, timestamp_s), or the raw capture's header. A bad file is an error naming \
                    the line and the reason (exit status 2).
                    """)

            @Argument(help: "The recorded file.")
            var file: String

            @Option(help: "Reading rate in Hz (default: from the file).")
            var rate: Double?

            @Option(help: "Column by 0-based index or by name (default: the first value column; pressure for .sqraw).")
            var column: String?

            @Option(help: "Noise-density band LOW:HIGH in Hz (default: 0.1·rate to 0.4·rate).")
            var band: String?

            @Flag(help: "Include the Welch PSD (frequency, density) in the output.")
            var psd = false

            @Flag(help: "Print one JSON object.")
            var json = false

            func validate() throws {
                if let rate, !(rate > 0 && rate.isFinite) { throw ValidationError("--rate must be a positive number of Hz") }
                if let band, parsedBand(band) == nil { throw ValidationError("--band takes LOW:HIGH in Hz with 0 ≤ LOW < HIGH") }
            }

            func parsedBand(_ text: String) -> ClosedRange<Double>? {
                let parts = text.split(separator: ":").compactMap { Double($0) }
                guard parts.count == 2, parts[0] >= 0, parts[0] < parts[1] else { return nil }
                return parts[0]...parts[1]
            }

            func run() throws {
                let (values, sampleRate, name, unit, gaps) = try load()
                guard values.count >= 2 else { throw ValidationError("\(file): \(values.count) reading(s): too few to analyse") }
                let analysis = SeriesAnalysis.analyze(values, sampleRate: sampleRate, band: band.flatMap(parsedBand),
                                                      includePSD: psd, gapsBefore: gaps)
                if json {
                    let encoder = JSONEncoder()
                    encoder.keyEncodingStrategy = .convertToSnakeCase
                    encoder.outputFormatting = [.sortedKeys]
                    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
                    Terminal.write(String(decoding: try encoder.encode(analysis), as: UTF8.self) + "\n")
                    return
                }
                Terminal.write(render(analysis, column: name, unit: unit))
            }

            /// Reads the column: a raw capture by its magic line, anything else as CSV.
            /// A raw capture's gaps are where consecutive time stamps are more than 1.5 nominal periods apart.
            func load() throws -> (values: [Double], rate: Double, column: String, unit: String, gaps: [Int]) {
                let head = FileHandle(forReadingAtPath: file).flatMap { try? $0.read(upToCount: 8) } ?? Data()
                if head.starts(with: Data("SQRAW ".utf8)) {
                    let capture = try RawCapture.read(path: file)
                    let names = capture.header.columns.map(\.name)
                    let index: Int
                    switch column {
                    case nil: index = names.firstIndex(of: "pressure") ?? 0
                    case let text? where Int(text) != nil:
                        guard let i = Int(text), names.indices.contains(i) else {
                            throw ValidationError("\(file): no column \(text) (it has \(names.count): \(names.joined(separator: ", ")))")
                        }
                        index = i
                    case let text?:
                        guard let i = names.firstIndex(of: text) else {
                            throw ValidationError("\(file): no column '\(text)' (it has \(names.joined(separator: ", ")))")
                        }
                        index = i
                    }
                    let unit = capture.header.columns[index].unit
                    let sampleRate = rate ?? capture.header.sampleRateHz
                    let limit = Int64(1.5e9 / sampleRate)
                    let gaps = capture.times.indices.dropFirst().filter { capture.times[$0] - capture.times[$0 - 1] > limit }
                    return (capture.columns[index], sampleRate, "\(names[index]) (\(unit))", unit, gaps)
                }
                let selected: RecordedSeries.Column = column.map { Int($0).map(RecordedSeries.Column.index) ?? .name($0) } ?? .index(0)
                let series = try RecordedSeries(contentsOfCSV: file, column: selected, sampleRate: rate)
                return (series.values, series.sampleRate, series.columnName ?? "column \(selected)", "unit", [])
            }

            func render(_ a: SeriesAnalysis, column: String, unit: String) -> String {
                var text = "\(file): \(column), \(a.count) readings at \(a.sampleRate) Hz" + (a.gaps > 0 ? ", \(a.gaps) gaps" : "") + "\n"
                text += String(format: "mean %.9g  stddev %@  skewness %@  excess kurtosis %@\nmin %.9g  max %.9g\n", a.mean,
                               a.stddev.map { String(format: "%.6g", $0) } ?? "-", a.skewness.map { String(format: "%.4f", $0) } ?? "-",
                               a.kurtosis.map { String(format: "%.4f", $0) } ?? "-", a.min, a.max)
                if let density = a.noiseDensity {
                    text += String(format: "noise density %.6g %@/√Hz (one-sided, %.4g–%.4g Hz, Welch L = %d, %d segments)\n",
                                   density, unit, a.noiseDensityBand[0], a.noiseDensityBand[1], a.welchSegmentLength, a.welchSegments)
                }
                var table = Table("TAU (s)", "M", "ADEV", "68% CI", "TERMS")
                for p in a.adev {
                    let ci = p.ciLow.flatMap { low in p.ciHigh.map { String(format: "%.4g – %.4g", low, $0) } } ?? "-"
                    table.add([String(format: "%g", p.tau), String(p.m), String(format: "%.6g", p.adev), ci, String(p.n)])
                }
                return text + table.rendered
            }
        }
    }
}
