// sensorqual-bench: throughput and memory of the streaming estimators, for `make bench`.
//
//   sensorqual-bench generate N FILE          N white-noise readings (seeded), float64 little-endian
//   sensorqual-bench generate-audio N FILE    N samples at 48 kHz (full scale ±1): a 1 kHz tone at −20 dBFS with
//                                             H2 at −60 dB and H3 at −70 dB, over white noise at −90 dBFS (seeded)
//   sensorqual-bench measure KIND FILE        KIND: moments | oadev | welch | acoustic; prints one JSON object
//
// The peers (numpy, allantools, scipy) run on the same FILE in Benchmarks/peers/peers.py, so both sides see
// the same data; Benchmarks/run compares them. Timing: the best run over the preloaded array (the estimator's
// own cost), of at least 3 and of as many as fit in 1 s of timed work, at most 50 — the peers' rule too: a
// 10⁶-reading OADEV run takes about 10 ms, and three of them caught the VM's hiccups as often as not. Memory: a second, streaming pass reads the file in 64 Ki-reading blocks, so the peak RSS shows
// what the estimator itself holds, not the data.
import Foundation
import SensorMetrics
import SensorSim
import SensorStats

/// Peak resident set size of this process, from /proc/self/status (VmHWM), in bytes.
func peakRSS() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kib = Int(line.split(separator: " ").dropFirst().first ?? "") else { return -1 }
    return kib * 1024
}

func load(_ path: String) -> [Double] {
    let data = FileManager.default.contents(atPath: path) ?? Data()
    return data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
}

/// Feeds the file through `body` in blocks without holding it all.
func stream(_ path: String, _ body: (UnsafeBufferPointer<Double>) -> Void) {
    guard let handle = FileHandle(forReadingAtPath: path) else { return }
    let block = 65_536
    while let data = try? handle.read(upToCount: block * 8), !data.isEmpty {
        data.withUnsafeBytes { body($0.bindMemory(to: Double.self)) }
    }
}

/// One estimator run over a block sequence; returns a checksum so the work cannot be optimised away, and for
/// `acoustic` the figures as JSON members, printed beside the peer's as a cross-check.
func run(_ kind: String, blocks: (( UnsafeBufferPointer<Double>) -> Void) -> Void) -> (checksum: Double, figures: String) {
    switch kind {
    case "moments":
        var moments = RunningMoments()
        blocks { moments.add($0) }
        return (moments.mean + (moments.sampleVariance ?? 0), "")
    case "oadev":
        var adev = OverlappingAllanDeviation(tau0: 1, factors: OverlappingAllanDeviation.octaves(upTo: 1 << 22))
        blocks { adev.add($0) }
        return (adev.points.reduce(0) { $0 + $1.deviation }, "")
    case "welch":
        var welch = WelchPSD(sampleRate: 1, segmentLength: 4096)
        blocks { welch.add($0) }
        return (welch.psd(scaling: .density).reduce(0, +), "")
    case "acoustic":
        // The microphone run's chain (acoustic.md §1.4, §1.8): Hann and Blackman-Harris Welch PSDs of 16 384 points,
        // clip and peak counts, then the A-weighted noise and the THD of the 1 kHz tone.
        var analysis = AcousticChannelAnalysis(sampleRate: 48_000)
        blocks { analysis.add($0) }
        guard let noise = analysis.noise(), let distortion = analysis.distortion(nominalToneHz: 1_000) else { return (.nan, "") }
        return (noise.aWeightedDBFS + distortion.thdPercent,
                #","a_weighted_dbfs":\#(noise.aWeightedDBFS),"thd_percent":\#(distortion.thdPercent)"#)
    default:
        FileHandle.standardError.write(Data("unknown kind \(kind)\n".utf8))
        exit(2)
    }
}

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "generate":
    guard arguments.count == 4, let n = Int(arguments[2]) else { print("usage: generate N FILE"); exit(2) }
    var generator = SeededRandom(seed: 20_261_126)
    var values = [Double](repeating: 0, count: n)
    for i in 0..<n { values[i] = 101_325 + 0.3 * generator.gaussian() }
    guard FileManager.default.createFile(atPath: arguments[3], contents: values.withUnsafeBytes { Data($0) }) else {
        print("cannot write \(arguments[3])"); exit(2)
    }
case "generate-audio":
    guard arguments.count == 4, let n = Int(arguments[2]) else { print("usage: generate-audio N FILE"); exit(2) }
    var generator = SeededRandom(seed: 20_261_127)
    // dBFS with a full-scale sine at 0 dBFS (acoustic.md §1.2): −20 dBFS is amplitude 0.1; the harmonics give
    // THD = √(10⁻⁶ + 10⁻⁷) = 0.1049 %; the noise's RMS is 10^(−90/20)/√2.
    let amplitude = 0.1, h2 = pow(10, -60.0 / 20), h3 = pow(10, -70.0 / 20)
    let noiseRMS = pow(10, -90.0 / 20) / 2.0.squareRoot()
    var values = [Double](repeating: 0, count: n)
    for i in 0..<n {
        let phase = 2 * Double.pi * 1_000 * Double(i) / 48_000
        values[i] = amplitude * (sin(phase) + h2 * sin(2 * phase) + h3 * sin(3 * phase)) + noiseRMS * generator.gaussian()
    }
    guard FileManager.default.createFile(atPath: arguments[3], contents: values.withUnsafeBytes { Data($0) }) else {
        print("cannot write \(arguments[3])"); exit(2)
    }
case "measure":
    guard arguments.count == 4 else { print("usage: measure KIND FILE"); exit(2) }
    let kind = arguments[2], path = arguments[3]
    // Memory first, streaming, before the data is loaded whole.
    let streamed = run(kind) { feed in stream(path, feed) }
    var checksum = streamed.checksum
    let peak = peakRSS()
    let values = load(path)
    var best = Double.infinity
    var spent = 0.0
    var runs = 0
    while runs < 3 || (spent < 1 && runs < 50) {
        let start = ContinuousClock.now
        checksum += values.withUnsafeBufferPointer { buffer in run(kind) { feed in feed(buffer) } }.checksum
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        best = min(best, seconds)
        spent += seconds
        runs += 1
    }
    print(#"{"side":"sensorqual","kind":"\#(kind)","n":\#(values.count),"seconds":\#(best),"#
          + #""samples_per_s":\#(Double(values.count) / best),"peak_rss_bytes":\#(peak),"checksum":\#(checksum)"#
          + streamed.figures + "}")
default:
    print("usage: sensorqual-bench generate N FILE | generate-audio N FILE | measure moments|oadev|welch|acoustic FILE")
    exit(2)
}
