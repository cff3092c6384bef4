import ControlProtocol
import Foundation
import Qualification
import Reports
import Synchronization
import Testing

/// Disk full, end to end (issue 8 "Faults", DESIGN.md §5): the real `sensorquald --simulate` with its state folder on a
/// 4 MiB tmpfs mounted in a private user + mount namespace (`unshare -Urm`, no root needed), its socket outside the
/// mount, so the test and the CLI reach it as usual. A plan that records far more than fits fills the tmpfs mid-run.
@Suite(.serialized) struct DiskFullTests {
    /// One long noise record: 8 pressure DUTs × 25 Hz × 40-byte records = 8 kB per second of run time, 58 MB over the
    /// plan; the 4 MiB tmpfs (less the archive and a 512 KiB ballast file) is full a few hundred seconds in.
    static let plan = """
        plan: disk-fill
        class: pressure
        description: One long noise record, far more than the state folder holds (DiskFullTests)
        acquisition:
          odr_hz: 25
          oversampling: 16
          iir: 0
          chips:
            lps22hh: {oversampling: 1}
            ms5611: {oversampling: 4096}
        steps:
          - warmup: {duration_s: 10}
          - noise: {duration_s: 7200, setpoint_pa: 101325}
        """

    @Test(.enabled(if: PrivateMount.unavailableReason == nil,
                   "needs unshare and nsenter (util-linux) and user namespaces: see PrivateMount.unavailableReason"))
    func diskFullStopsTheRunWithAClearErrorAndNoCorruption() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let state = folder.path + "/state", plans = folder.path + "/plans"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        try Self.plan.write(toFile: plans + "/disk-fill.yaml", atomically: true, encoding: .utf8)
        let namespace = try await PrivateMount.start(size: "4m", at: state)
        do {
            try await scenario(folder: folder, state: state, plans: plans, namespace: namespace)
        } catch {
            await namespace.stop()
            throw error
        }
        await namespace.stop()
    }

    private func scenario(folder: TemporaryFolder, state: String, plans: String, namespace: PrivateMount) async throws {
        // Room the technician will free before the restart (below).
        let ballast = namespace.outside(state + "/ballast")
        try Data(repeating: 0x5A, count: 512 << 10).write(to: URL(fileURLWithPath: ballast))
        let arguments = ["--simulate", "--seed", "1", "--plans-dir", plans]
        let daemon = try await NamespacedDaemon.start(in: namespace, folder: folder, arguments: arguments)
        let environment = ["SENSORQUAL_SOCKET": daemon.socket]

        // 1. The run fills the disk: it ends failed, at once, with the disk-full error naming the file and ENOSPC.
        let run = try await runCommand("sensorqual", ["run", "--plan", "disk-fill", "--json"], in: folder, environment: environment)
        let status = try JSONValue(parsing: run.stdout).decode(RunStatus.self)
        let id = status.id
        #expect(status.state == "failed", "stderr: \(run.stderr)")
        let error = status.error ?? ""
        #expect(error.hasPrefix("disk full: no space left on \(state) (tmpfs) writing \(state)/runs/\(id)/raw/S"), "\(error)")
        #expect(error.hasSuffix(".sqraw (ENOSPC)"), "\(error)")
        // Promptly: a few hundred seconds of run time into a 7210 s plan, not at the end of the 7200 s step.
        #expect(status.plannedS == 7210)
        #expect(status.elapsedS > 10 && status.elapsedS < 1000, "stopped at \(status.elapsedS) s of \(status.plannedS) s")

        // 2. The daemon goes on answering.
        let shown = try await runCommand("sensorqual", ["status"], in: folder, environment: environment)
        #expect(shown.status == 0 && shown.stdout.contains("sim-bench"), "\(shown.stderr)")

        // 3. Every capture holds whole records only (a strict read throws on a torn tail), in time order, and ends
        // where the disk filled; no temporary file (.partial) is left holding space.
        let runDirectory = namespace.outside(state + "/runs/" + id)
        let raw = try FileManager.default.contentsOfDirectory(atPath: runDirectory + "/raw").filter { $0.hasSuffix(".sqraw") }.sorted()
        #expect(raw.count == 8)
        for name in raw {
            let capture = try RawCapture.read(path: runDirectory + "/raw/" + name)
            #expect(capture.strayBytes == 0)
            #expect(!capture.times.isEmpty && zip(capture.times, capture.times.dropFirst()).allSatisfy { $0 < $1 }, "\(name)")
            let last = Double((capture.times.last ?? 0) - (capture.times.first ?? 0)) * 1e-9
            #expect(last <= status.elapsedS + 1, "\(name): last record at \(last) s")
        }
        let files = try FileManager.default.subpathsOfDirectory(atPath: runDirectory)
        #expect(!files.contains { $0.hasSuffix(".partial") }, "\(files)")
        let manifest = try RunManifest.read(runDirectory: runDirectory)
        #expect(manifest.id == id)
        let written = try Self.snapshot(runDirectory)

        // 4. A second run while the disk is full is refused, or fails with the same clear error as soon as it writes
        // (its run.json, or a capture once the room the archive's reserve gave back is used up).
        let second = try await runCommand("sensorqual", ["run", "--plan", "disk-fill", "--json"], in: folder, environment: environment)
        if let failed = try? JSONValue(parsing: second.stdout).decode(RunStatus.self) {
            #expect(failed.state == "failed")
            #expect(failed.error?.contains("disk full: no space left on \(state) (tmpfs) writing \(state)/runs/\(failed.id)/") == true,
                    "\(failed.error ?? "-")")
            #expect(failed.error?.hasSuffix("(ENOSPC)") == true)
            #expect(failed.elapsedS < 1000)
        } else {
            #expect(second.status != 0 && second.stderr.contains("disk full: no space left on \(state)"), "\(second.stderr)")
        }
        let log = daemon.logText
        #expect(await daemon.stop() == 0)
        // The archive's first write refused for lack of room gave back its reserve and recorded the run's end; any other
        // archive write that failed says disk full and SQLITE_FULL.
        let archiveLines = log.split(separator: "\n").filter { $0.contains("run archive:") }
        #expect(archiveLines.contains { $0.contains("released the space reserve") && $0.contains("to record run \(id) failed") }, "\(archiveLines)")
        #expect(archiveLines.allSatisfy { $0.contains("disk full: no space left on \(state) (tmpfs)") && $0.contains("SQLITE_FULL") },
                "\(archiveLines)")

        // 5. Shutting down changed none of the files the run wrote.
        #expect(try Self.snapshot(runDirectory) == written)

        // 6. The archive as the daemon left it is a sound database holding the run as failed, with why. It is read from a
        // copy of its files (SQLite resolves /proc/<pid>/root to "/", so it cannot open it in the namespace from here).
        let copy = folder.path + "/archive-copy"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: namespace.outside(state + "/archive.sqlite" + suffix)) {
            try FileManager.default.copyItem(atPath: namespace.outside(state + "/archive.sqlite" + suffix), toPath: copy + "/archive.sqlite" + suffix)
        }
        try Self.checkArchive(at: copy + "/archive.sqlite", run: id, state: state, log: archiveLines)
        // The copy's pool is closed by now (checkArchive returned); remove it before the folder goes.
        try? FileManager.default.removeItem(atPath: copy)

        // 7. The technician frees space; a restarted daemon opens the archive, starts, and answers; the failed run is not
        // taken for an interrupted one.
        try FileManager.default.removeItem(atPath: ballast)
        let restarted = try await NamespacedDaemon.start(in: namespace, folder: folder, arguments: arguments)
        let again = try await runCommand("sensorqual", ["status"], in: folder, environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        let restartLog = restarted.logText
        #expect(await restarted.stop() == 0)
        #expect(!restartLog.contains("run \(id) interrupted"), "\(restartLog)")
        #expect(try Self.snapshot(runDirectory) == written)
    }

    /// The archive (a copy of its files) is a sound database and holds run `id` as failed with the disk-full error.
    static func checkArchive(at path: String, run id: String, state: String, log archiveLines: [Substring]) throws {
        let archive = try RunArchive(path: path)
        #expect(try archive.integrityCheck() == ["ok"])
        let archived = try #require(try archive.run(id))
        #expect(archived.state == "failed", "archive: \(archived.state) \(archived.error ?? "-"); log: \(archiveLines)")
        #expect(archived.error?.hasPrefix("disk full: no space left on \(state) (tmpfs)") == true, "\(archived.error ?? "-")")
    }

    /// Every regular file under `folder` and its bytes.
    static func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: folder) {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder), !isFolder.boolValue else { continue }
            files[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return files
    }
}

/// A tmpfs of a few MB mounted in a user + mount namespace of its own (`unshare -Urm`): the mount is seen only by
/// processes entered into the namespace (`nsenter`), and by the test through `/proc/<pid>/root`. The namespace lives as
/// long as its holder process (`cat`, reading the test's pipe).
final class PrivateMount: Sendable {
    let holder: ChildProcess
    /// The write end of the holder's input: closing it ends the holder.
    private let input: Int32

    static let unshare = "/usr/bin/unshare", nsenter = "/usr/bin/nsenter"

    /// Why the test cannot run here, or nil: the tools and unprivileged user namespaces (checked from /proc, without
    /// starting a process).
    static var unavailableReason: String? {
        let fileManager = FileManager.default
        for tool in [unshare, nsenter] where !fileManager.isExecutableFile(atPath: tool) { return "\(tool) is not installed (util-linux)" }
        func value(_ path: String) -> Int? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        if value("/proc/sys/user/max_user_namespaces") == 0 { return "user namespaces are disabled (user.max_user_namespaces = 0)" }
        if getuid() != 0 {
            if value("/proc/sys/kernel/unprivileged_userns_clone") == 0 { return "unprivileged user namespaces are disabled" }
            if value("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1 {
                return "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)"
            }
        }
        return nil
    }

    struct DidNotMount: Error, CustomStringConvertible { var description: String }

    private init(holder: ChildProcess, input: Int32) {
        self.holder = holder
        self.input = input
    }

    /// Mounts a tmpfs of `size` (mount(8) syntax: `4m`) at `path` in a new namespace; returns once it is mounted.
    static func start(size: String, at path: String) async throws -> PrivateMount {
        let input = try ChildProcess.pipe(), output = try ChildProcess.pipe()
        let holder: ChildProcess
        do {
            holder = try ChildProcess(unshare, ["--user", "--map-root-user", "--mount", "sh", "-c",
                                                "mount -t tmpfs -o size=\(size) tmpfs \"$0\" && echo mounted && exec cat", path],
                                      input: .handOver(input.read), output: .handOver(output.write), error: .handOver(output.write))
        } catch {
            close(input.write)
            close(output.read)
            throw error
        }
        let said = PipeLog()
        said.start(reading: FileHandle(fileDescriptor: output.read, closeOnDealloc: true), name: "unshare output")
        let mount = PrivateMount(holder: holder, input: input.write)
        guard await said.wait(for: "mounted\n") else {
            await mount.stop()
            throw DidNotMount(description: "unshare -Urm could not mount a tmpfs at \(path): \(said.text)")
        }
        return mount
    }

    /// `path` as the namespace sees it, reached from outside through the holder's root.
    func outside(_ path: String) -> String { "/proc/\(holder.pid)/root" + path }

    /// Ends the holder (end of its input); the namespace and the tmpfs go with it.
    func stop() async {
        close(input)
        _ = await holder.exitStatus()
    }
}

/// A `sensorquald` run inside a ``PrivateMount``'s namespace (`nsenter` execs it: the process is the daemon), its log
/// kept; `--state-dir` is the mount, the socket is in the test's folder outside it.
final class NamespacedDaemon: Sendable {
    let socket: String
    private let child: ChildProcess
    private let log = PipeLog()

    struct DidNotStart: Error, CustomStringConvertible { var description: String }

    static func start(in namespace: PrivateMount, folder: TemporaryFolder, arguments: [String]) async throws -> NamespacedDaemon {
        let daemon = try NamespacedDaemon(namespace: namespace, folder: folder, arguments: arguments)
        guard await daemon.log.wait(for: "listening on") else {
            throw DidNotStart(description: "sensorquald exited before it listened:\n\(daemon.logText)")
        }
        return daemon
    }

    private init(namespace: PrivateMount, folder: TemporaryFolder, arguments: [String]) throws {
        socket = folder.path + "/sensorqual.sock"
        child = try ChildProcess.start(PrivateMount.nsenter,
                                       ["--target", String(namespace.holder.pid), "--user", "--mount", "--preserve-credentials", "--",
                                        Products.path("sensorquald")] + arguments + ["--state-dir", folder.path + "/state", "--socket", socket],
                                       errorInto: log, named: "sensorquald log")
    }

    var logText: String { log.text }

    /// SIGTERM, then the exit status once the daemon has exited and its log has ended.
    func stop() async -> Int32 {
        child.signal(SIGTERM)
        let status = await child.exitStatus()
        _ = await log.wait(for: "\u{0}never\u{0}")
        return status
    }
}
