import Dispatch
import Foundation
import Testing
@testable import Reports

/// `report.html` as a browser renders it: headless Chromium parses the page (`--dump-dom`) and takes a screenshot,
/// netpbm's `pngtopnm` turns it into a PPM, and the test looks for each plot's colour where the page puts that plot,
/// and for the verdict colours. Chromium and netpbm are test dependencies (scripts/install-deps, CI): without them the
/// test fails, it does not skip.
@Suite(.serialized) struct ReportScreenshotTests {
    static let width = 1200
    /// Taller than the fixture's page (about 10 150 px at 1200 px wide), so the whole page is in one screenshot.
    static let height = 12_000

    @Test func parsedPageHasTheTablesAndPlots() async throws {
        guard let chromium = Self.tool(["chromium", "chromium-browser"]) else {
            Issue.record("chromium (or chromium-browser) is not on PATH: run scripts/install-deps, which installs it (CI does)")
            return
        }
        let runs = try await ReportHTMLFixture.shared()
        let folder = try ReportHTMLFixture.folder("report-dom")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let paths = try ReportWriter.writeAll(runs.report, runDirectory: folder)
        let result = try Self.run(chromium, Self.chromiumOptions(profile: folder + "/profile")
                                  + ["--dump-dom", URL(fileURLWithPath: paths.html).absoluteString])
        #expect(result.status == 0, "chromium --dump-dom exited with \(result.status)")
        let dom = String(decoding: result.output, as: UTF8.self)
        // The parser kept every plot as an SVG element with its polylines, and the tables.
        #expect(dom.components(separatedBy: "<svg class=\"plot\"").count - 1 == 11)
        for kind in ["allan-pressure", "error-pressure", "thd-spl", "allan-magnetic", "psd-magnetic"] {
            #expect(dom.contains("data-plot=\"\(kind)\""), "\(kind)")
        }
        #expect(dom.components(separatedBy: "<polyline").count - 1 >= 4 * 3 + 1 + 6)
        #expect(dom.contains("<table class=\"verdicts\">") && dom.contains("<table class=\"integrity\">"))
        #expect(dom.components(separatedBy: "<tr data-slot=").count - 1 == 10 + 6)
        // The user's markup stayed text: it is escaped again on serialisation, never an element.
        #expect(dom.contains("&lt;b&gt;A&amp;B&lt;/b&gt;") && !dom.contains("<b>A"))
        #expect(!dom.contains("<script"))
    }

    @Test func screenshotShowsVerdictsAndEveryPlot() async throws {
        guard let chromium = Self.tool(["chromium", "chromium-browser"]) else {
            Issue.record("chromium (or chromium-browser) is not on PATH: run scripts/install-deps, which installs it (CI does)")
            return
        }
        guard let pngtopnm = Self.tool(["pngtopnm"]) else {
            Issue.record("pngtopnm (netpbm) is not on PATH: run scripts/install-deps, which installs it (CI does)")
            return
        }
        let runs = try await ReportHTMLFixture.shared()
        let folder = try ReportHTMLFixture.folder("report-screenshot")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let paths = try ReportWriter.writeAll(runs.report, runDirectory: folder)
        let png = folder + "/report.png"
        let shot = try Self.run(chromium, Self.chromiumOptions(profile: folder + "/profile")
                                + ["--hide-scrollbars", "--screenshot=" + png, "--window-size=\(Self.width),\(Self.height)",
                                   URL(fileURLWithPath: paths.html).absoluteString])
        #expect(shot.status == 0, "chromium --screenshot exited with \(shot.status)")
        let converted = try Self.run(pngtopnm, [png])
        #expect(converted.status == 0, "pngtopnm exited with \(converted.status)")
        let image = try #require(PixelMap(ppm: converted.output), "pngtopnm did not give a P6 image")
        #expect(image.width == Self.width && image.height == Self.height)

        // Not blank, and the whole page fits: the bottom of the window is white.
        let ink = image.rowsWithInk()
        #expect(ink.count > 3000, "only \(ink.count) rows have anything on them")
        let lastRow = try #require(ink.last)
        #expect(lastRow < Self.height - 100, "the page runs to row \(lastRow): raise the window height")

        // The verdict cells: pass green, conditional amber, fail red.
        let verdicts = image.find([0x1a7f37, 0xbf8700, 0xcf222e], tolerance: 6)
        for (found, name) in zip(verdicts, ["pass #1a7f37", "conditional #bf8700", "fail #cf222e"]) {
            #expect(found.count > 500, "\(name): \(found.count) pixels")
        }

        // Each plot's curve, by its colour: present, drawn across the plot (not only a legend swatch), inside the
        // plots' column (the 640 px SVG at the body's left edge: x 66–706), and in the page's order: the pressure DUTs'
        // plots, then the microphone's, then the magnetometer's two.
        let column = 56...716
        let curves = image.find([0x0969da, 0xbc4c00, 0xbf3989, 0x0a3069, 0x8250df, 0x1b7c83, 0xe16f24], tolerance: 10)
        let (allan, up, down, thd) = (curves[0], curves[1], curves[2], curves[3])
        let axes = Array(curves[4...])
        for (found, name) in [(allan, "pressure Allan"), (up, "going up"), (down, "coming down"), (thd, "THD"),
                              (axes[0], "axis x"), (axes[1], "axis y"), (axes[2], "axis z")] {
            #expect(found.count > 100, "\(name): \(found.count) pixels")
            guard let box = found.box else { continue }
            #expect(column.contains(box.minX) && column.contains(box.maxX), "\(name): x \(box.minX)–\(box.maxX)")
            // Coming down visits 70 and 30 kPa only: half the width of the others.
            #expect(box.maxX - box.minX > (name == "coming down" ? 150 : 250), "\(name): only \(box.maxX - box.minX) px wide")
        }
        if let allanBox = allan.box, let downBox = down.box, let upBox = up.box, let thdBox = thd.box,
           let magnetic = axes.compactMap(\.box).first {
            #expect(allanBox.maxY < thdBox.minY, "pressure Allan plots end at \(allanBox.maxY), THD starts at \(thdBox.minY)")
            #expect(downBox.maxY < thdBox.minY && upBox.minY < thdBox.minY)
            #expect(thdBox.maxY < magnetic.minY, "THD ends at \(thdBox.maxY), the magnetometer's plots start at \(magnetic.minY)")
            // The magnetometer's Allan plot and its PSD below it: one colour over both.
            #expect(magnetic.maxY - magnetic.minY > 400, "axis x spans \(magnetic.minY)–\(magnetic.maxY)")
            // Four pressure DUTs, each an Allan plot: the blue spans most of the pressure part of the page.
            #expect(allanBox.maxY - allanBox.minY > 3 * 1000, "pressure Allan spans \(allanBox.minY)–\(allanBox.maxY)")
        }
    }

    // MARK: Tools

    static func chromiumOptions(profile: String) -> [String] {
        ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profile, "--no-first-run"]
    }

    /// The first of `names` on PATH.
    static func tool(_ names: [String]) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for name in names {
            for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }

    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs a tool to its end (killed after two minutes) and returns its status and standard output; its standard
    /// error (Chromium's D-Bus complaints) is dropped.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationReason == .exit else {
            throw ToolError(description: "\(executable) \(arguments.joined(separator: " ")) did not finish in 120 s")
        }
        return (process.terminationStatus, data)
    }
}

/// An 8-bit RGB image from a binary PPM (P6, maxval 255), as `pngtopnm` writes it.
struct PixelMap {
    var width: Int
    var height: Int
    /// RGB, row by row.
    var pixels: [UInt8]

    init?(ppm data: Data) {
        let bytes = [UInt8](data)
        var index = 0
        /// The next header token, skipping whitespace and `#` comments.
        func token() -> String? {
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "#") {
                    while index < bytes.count && bytes[index] != 0x0A { index += 1 }
                } else if [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                    index += 1
                } else { break }
            }
            let start = index
            while index < bytes.count && ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
            return start < index ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
        }
        guard token() == "P6", let width = token().flatMap(Int.init), let height = token().flatMap(Int.init),
              token() == "255", width > 0, height > 0 else { return nil }
        index += 1   // the single whitespace after maxval
        guard bytes.count - index == width * height * 3 else { return nil }
        self.width = width
        self.height = height
        pixels = Array(bytes[index...])
    }

    /// Rows with any pixel that is not white.
    func rowsWithInk() -> [Int] {
        pixels.withUnsafeBufferPointer { p in
            (0..<height).filter { y in
                let row = y * width * 3
                return (0..<(width * 3)).contains { p[row + $0] < 250 }
            }
        }
    }

    struct Found {
        var count = 0
        var box: (minX: Int, maxX: Int, minY: Int, maxY: Int)?
    }

    /// For each colour, the pixels within `tolerance` of it on every channel, and their bounding box: one pass over
    /// the image for all of them.
    func find(_ colors: [Int], tolerance: Int) -> [Found] {
        let targets = colors.map { [($0 >> 16) & 0xff, ($0 >> 8) & 0xff, $0 & 0xff] }
        var found = [Found](repeating: Found(), count: colors.count)
        pixels.withUnsafeBufferPointer { p in
            for y in 0..<height {
                for x in 0..<width {
                    let i = (y * width + x) * 3
                    // White paper, the common case, matches no colour here.
                    if p[i] > 240 && p[i + 1] > 240 && p[i + 2] > 240 { continue }
                    let r = Int(p[i]), g = Int(p[i + 1]), b = Int(p[i + 2])
                    for (k, target) in targets.enumerated()
                    where abs(r - target[0]) <= tolerance && abs(g - target[1]) <= tolerance && abs(b - target[2]) <= tolerance {
                        found[k].count += 1
                        if let box = found[k].box {
                            found[k].box = (Swift.min(box.minX, x), Swift.max(box.maxX, x), Swift.min(box.minY, y), Swift.max(box.maxY, y))
                        } else {
                            found[k].box = (x, x, y, y)
                        }
                    }
                }
            }
        }
        return found
    }
}
