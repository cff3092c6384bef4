import ControlProtocol
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Authorization on the real daemon with real users (docs/protocol.md §5): a reader in the socket group, an operator
/// in both groups, and a user in neither, each running the real CLI through `setpriv`. Needs root to create the users
/// and groups, which are removed at the end whatever happens.
@Suite(.serialized) struct AccessControlTests {
    static let tools = ["/usr/sbin/useradd", "/usr/sbin/userdel", "/usr/sbin/groupadd", "/usr/sbin/groupdel", "/usr/bin/setpriv"]
    static let canCreateUsers = getuid() == 0 && tools.allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs a system tool to completion without blocking the concurrency pool.
    static func tool(_ path: String, _ arguments: [String], in folder: TemporaryFolder) async throws -> CommandResult {
        try await runProgram(path, arguments, in: folder)
    }

    /// The test's users and groups, named after this process so parallel or crashed runs do not collide.
    struct Accounts {
        let suffix = String(getpid())
        var socketGroup: String { "sqtest-s-\(suffix)" }
        var operatorGroup: String { "sqtest-o-\(suffix)" }
        var reader: String { "sqtest-reader-\(suffix)" }
        var operatorUser: String { "sqtest-oper-\(suffix)" }
        var stranger: String { "sqtest-none-\(suffix)" }

        func create(in folder: TemporaryFolder) async throws {
            for group in [socketGroup, operatorGroup] {
                let made = try await tool("/usr/sbin/groupadd", [group], in: folder)
                guard made.status == 0 else { throw LineSocket.Failure(description: "groupadd \(group): \(made.stderr)") }
            }
            for (user, groups) in [(reader, socketGroup), (operatorUser, socketGroup + "," + operatorGroup), (stranger, "")] {
                let made = try await tool("/usr/sbin/useradd", ["--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group"]
                                          + (groups.isEmpty ? [] : ["--groups", groups]) + [user], in: folder)
                guard made.status == 0 else { throw LineSocket.Failure(description: "useradd \(user): \(made.stderr)") }
            }
        }

        /// Removes whatever exists of them; never throws, so it can run after a failure.
        func remove(in folder: TemporaryFolder) async {
            for user in [reader, operatorUser, stranger] { _ = try? await tool("/usr/sbin/userdel", [user], in: folder) }
            for group in [socketGroup, operatorGroup, reader, operatorUser, stranger] {
                _ = try? await tool("/usr/sbin/groupdel", [group], in: folder)
            }
        }
    }

    /// The CLI as `user`, with the groups the user database gives it.
    static func cli(as user: String, _ arguments: [String], in folder: TemporaryFolder) async throws -> CommandResult {
        try await tool("/usr/bin/setpriv", ["--reuid=\(user)", "--regid=\(user)", "--init-groups", "--",
                                            Products.path("sensorqual")] + arguments, in: folder)
    }

    @Test("a reader reads, an operator starts a run, a reader's start is refused and logged, a stranger cannot connect",
          .enabled(if: canCreateUsers, "needs root and useradd, groupadd, setpriv to run the CLI as other users"))
    func twoUnprivilegedUsers() async throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // The other users must reach the socket inside the folder.
        chmod(folder.path, 0o755)
        let accounts = Accounts()
        await accounts.remove(in: folder)  // Leftovers of a crashed run of the same pid.
        do {
            try await accounts.create(in: folder)
            try await exercise(accounts, in: folder)
        } catch {
            await accounts.remove(in: folder)
            throw error
        }
        await accounts.remove(in: folder)
    }

    private func exercise(_ accounts: Accounts, in folder: TemporaryFolder) async throws {
        let daemon = try await LoggedDaemon.start(folder: folder, arguments: [
            "--simulate", "--socket-group", accounts.socketGroup, "--operator-group", accounts.operatorGroup])
        do {
            // The socket file: 0660, the test's socket group.
            var info = stat()
            #expect(lstat(daemon.socket, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o660)
            #expect(info.st_gid == getgrnam(accounts.socketGroup)?.pointee.gr_gid)
            let readerID = try #require(getpwnam(accounts.reader)?.pointee.pw_uid)

            for user in [accounts.reader, accounts.operatorUser] {
                let status = try await Self.cli(as: user, ["status", "--socket", daemon.socket], in: folder)
                #expect(status.status == 0, "\(user): \(status.stderr)")
                #expect(status.stdout.contains("rig sim-bench (simulated)"))
                let devices = try await Self.cli(as: user, ["devices", "--socket", daemon.socket, "--json"], in: folder)
                #expect(devices.status == 0, "\(user): \(devices.stderr)")
            }

            // The reader may not start a run: exit 2, the refusal named, and a warning in the log with uid and pid.
            let refused = try await Self.cli(as: accounts.reader, ["run", "--plan", "pressure-basic", "--socket", daemon.socket],
                                             in: folder)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains(
                "unauthorized: runs.start needs group \(accounts.operatorGroup) or root; uid \(readerID) (\(accounts.reader)) is not a member (-32001)"),
                "\(refused.stderr)")
            #expect(await daemon.waitForLog(containing: "refused runs.start to uid \(readerID) (\(accounts.reader)) pid "))

            // The operator may.
            let started = try await Self.cli(as: accounts.operatorUser,
                                             ["run", "--plan", "pressure-full", "--detach", "--json", "--socket", daemon.socket], in: folder)
            #expect(started.status == 0, "\(started.stderr)")
            let run = try JSONValue(parsing: started.stdout).decode(RunStatus.self)
            #expect(run.plan == "pressure-full")
            // Root cancels it (the CLI has no cancel command); a run that ended first is busy, which is fine too.
            let client = try await ControlClient.connect(path: daemon.socket)
            do {
                _ = try await client.call(Method.runsCancel, params: RunReference(run: run.id), as: RunStatus.self)
            } catch RPCErrorCode.busy {}
            await client.close()

            // A user in neither group cannot even connect: the socket file is 0660.
            let stranger = try await Self.cli(as: accounts.stranger, ["status", "--socket", daemon.socket], in: folder)
            #expect(stranger.status == 2)
            #expect(stranger.stderr.contains("cannot connect to the control socket \(daemon.socket)"), "\(stranger.stderr)")
            #expect(stranger.stderr.contains("Permission denied"), "\(stranger.stderr)")
        } catch {
            _ = await daemon.stop()
            throw error
        }
        #expect(await daemon.stop() == 0)
    }
}
