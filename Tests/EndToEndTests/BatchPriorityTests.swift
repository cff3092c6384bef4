import ControlProtocol
import Foundation
import Testing

/// A run on the simulated rig's virtual clock has no deadline: it computes as fast as it can, so its thread and the
/// simulator's audio renderer run at niceness 19, and the threads that answer the control socket (niceness 0) get
/// the CPU first (DedicatedThread.batchNiceness).
@Suite struct BatchPriorityTests {
    struct ThreadState { var name: String; var niceness: Int }

    /// Name and nice value of every thread of `pid` (/proc/PID/task/TID/stat: the comm in parentheses, nice is the
    /// 19th field).
    static func threads(of pid: Int32) throws -> [ThreadState] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap { task in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            return ThreadState(name: String(stat[stat.index(after: open)..<close]), niceness: Int(fields[16]) ?? 0)
        }
    }

    @Test func aVirtualClockRunYieldsTheCPU() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/plans", withIntermediateDirectories: true)
        try """
            plan: by-hand
            class: pressure
            acquisition: {odr_hz: 25, oversampling: 16, iir: 0}
            steps:
              - sweep: {setpoints_pa: [100000, 101000], directions: up, settle_timeout_s: 60, dwell_s: 10, reference_interval_s: 1}
            """.write(toFile: folder.path + "/plans/by-hand.yaml", atomically: false, encoding: .utf8)
        let exit = try await DaemonUnderTest.with(folder: folder, arguments: ["--simulate", "--manual-reference",
                                                                             "--plans-dir", folder.path + "/plans"]) { daemon in
            let pid = daemon.pid
            let before = try Self.threads(of: pid)
            // Before any run only the simulator's renderer yields.
            #expect(before.filter { $0.niceness == 19 }.map(\.name) == ["chamber feed"], "\(before.map { "\($0.name)=\($0.niceness)" })")
            let client = try await daemon.client()
            _ = try await client.call(Method.watch, params: nil)
            let run = try await client.call(Method.runsStart, params: RunStartParams(plan: "by-hand", slots: ["S1"]), as: RunStatus.self)
            var checked = false
            for await notification in client.notifications {
                // The run thread now waits for the technician's reading: it exists, and can be looked at.
                if notification.method == NotificationMethod.runReference, notification.params["reference_pa"]?.doubleValue != nil, !checked {
                    checked = true
                    let during = try Self.threads(of: pid)
                    // The run's thread, named for the kernel after the run ("run 20261129-03…": 15 bytes kept).
                    #expect(Set(during.filter { $0.niceness == 19 }.map(\.name)) == ["chamber feed", String("run \(run.id)".prefix(15))],
                            "\(during.map { "\($0.name)=\($0.niceness)" })")
                    #expect(during.filter { $0.niceness == 0 }.count >= 2)
                    _ = try await client.call(Method.runsCancel, params: RunReference(run: run.id), as: RunStatus.self)
                }
                if notification.method == NotificationMethod.runFinished { break }
            }
            #expect(checked)
            await client.close()
        }
        #expect(exit == 0)
    }
}
