// swift-tools-version: 6.1
// SensorQual: qualification of MEMS sensors on lab test rigs.
// Modules follow the layers of DESIGN.md §3; a lower layer never imports a higher one.
import PackageDescription

let package = Package(
    name: "SensorQual",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sensorquald", targets: ["sensorquald"]),
        .executable(name: "sensorqual", targets: ["sensorqual"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C system libraries from Debian (scripts/install-deps installs the -dev packages).
        .systemLibrary(name: "CI2C", providers: [.apt(["libi2c-dev"])]),
        .systemLibrary(name: "CGPIOD", pkgConfig: "libgpiod", providers: [.apt(["libgpiod-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3", providers: [.apt(["libfftw3-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),

        // Pure numerics, no I/O.
        .target(name: "SensorStats", dependencies: ["CFFTW"]),
        // Per-class figures, specs, limits and decision rules.
        .target(name: "SensorMetrics", dependencies: ["SensorStats"]),
        // Transports: Linux i2c-dev, libgpiod, ALSA PCM, WAV files; the protocols the simulator implements too.
        .target(name: "SensorIO", dependencies: ["CI2C", "CGPIOD", "CALSA"]),
        // Register-level chip drivers and the device catalog.
        .target(name: "SensorDrivers", dependencies: ["SensorIO"], exclude: ["README.md"]),
        // The simulated rig: register-level chip models and reference instruments behind the Qualification
        // layer's connector interface (nothing but the daemon's --simulate and the tests depend on it).
        .target(name: "SensorSim", dependencies: ["SensorIO", "SensorDrivers", "Qualification"]),
        // Rig, plans, spec profiles, the run engine.
        .target(name: "Qualification", dependencies: [
            "SensorIO", "SensorDrivers", "SensorMetrics", "SensorStats",
            .product(name: "Yams", package: "Yams"),
        ]),
        // The report model and its files (JSON, HTML with inline SVG plots), and the run archive (SQLite, WAL).
        .target(name: "Reports", dependencies: [
            "Qualification", "SensorMetrics",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // JSON-RPC wire types, line framing, and the client shared by CLI and tests.
        .target(name: "ControlProtocol", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .executableTarget(name: "sensorquald", dependencies: [
            "ControlProtocol", "Qualification", "Reports", "SensorSim", "SensorIO", "SensorDrivers",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/Daemon"),
        .executableTarget(name: "sensorqual", dependencies: [
            "ControlProtocol", "Reports", "Qualification", "SensorMetrics", "SensorIO", "SensorDrivers",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/CLI"),

        // make bench: throughput against numpy, allantools and scipy (Benchmarks/run).
        .executableTarget(name: "sensorqual-bench", dependencies: ["SensorStats", "SensorSim"], path: "Benchmarks/SensorQualBench"),

        .testTarget(name: "SensorStatsTests", dependencies: ["SensorStats"]),
        .testTarget(name: "SensorMetricsTests", dependencies: ["SensorMetrics"]),
        .testTarget(name: "SensorIOTests", dependencies: ["SensorIO"]),
        .testTarget(name: "SensorDriversTests", dependencies: ["SensorDrivers", "SensorSim", "SensorIO"]),
        .testTarget(name: "QualificationTests", dependencies: ["Qualification", "SensorSim", "SensorDrivers"]),
        .testTarget(name: "ControlProtocolTests", dependencies: ["ControlProtocol"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Qualification", "SensorSim", "SensorMetrics"]),
        .testTarget(name: "EndToEndTests", dependencies: [
            "sensorquald", "sensorqual", "ControlProtocol", "SensorSim", "Reports", "Qualification", "SensorIO",
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// Release builds leave out the run-time exclusivity checks (each access to a class's stored property registers in a
// thread-local set): on the acquisition path, which touches the scheduler's, the captures' and the drivers' state for
// every reading, they were 6 % of a pressure run (issue 10). Debug builds, and so the tests, keep them.
for target in package.targets where target.type != .system && target.type != .test {
    target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
}
