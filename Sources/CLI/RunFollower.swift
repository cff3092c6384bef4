import ControlProtocol
import Foundation

/// Follows one run's notifications to its end, drawing a progress bar on a terminal or printing one line
/// per step otherwise. The caller subscribes with `watch` before the run can end, so no event is missed.
struct RunFollower {
    let client: ControlClient
    let run: String
    /// Progress display: nothing with --json.
    let quiet: Bool

    func follow() async throws -> RunStatus {
        let interactive = Terminal.isInteractive && !quiet
        var step = ""
        var elapsed = 0.0
        var planned = 0.0
        // The run may have ended before the subscription: ask once.
        let current: RunStatus = try await client.call(Method.runsStatus, params: RunReference(run: run), as: RunStatus.self)
        if current.isFinished { return current }
        planned = current.plannedS
        for await notification in client.notifications {
            if notification.method == NotificationMethod.runFinished, let status = try? notification.params.decode(RunStatus.self),
               status.id == run {
                if interactive { Terminal.write("\r\u{1B}[K") }
                return status
            }
            guard let event = try? notification.params.decode(RunEventParams.self), event.run == run else { continue }
            if let s = event.step {
                step = "step \(s.index)/\(s.count) \(s.name)"
                if !interactive && !quiet { Terminal.write("\(run): \(step)\n") }
            }
            if let e = event.elapsedS { elapsed = e }
            if let p = event.plannedS { planned = p }
            if notification.method == NotificationMethod.runReference, !quiet {
                // A calibrator's request carries its prompt as the detail; a manual pressure reference, the setpoint.
                let line = event.detail.map { "waiting for the technician: " + $0 } ?? event.referencePa.map {
                    String(format: "waiting for the reference: set %.0f Pa, then `sensorqual reference submit <reading> Pa`", $0)
                } ?? "reference reading received"
                Terminal.write((interactive ? "\r\u{1B}[K" : "") + line + "\n")
            } else if let slot = event.slot, let detail = event.detail, !quiet {
                // A return's detail says so ("returned at …"); anything else on run.device is a loss.
                let what = detail.hasPrefix("returned at") ? detail : "lost: " + detail
                Terminal.write((interactive ? "\r" : "") + "slot \(slot) \(what)\n")
            }
            if interactive { draw(step: step, elapsed: elapsed, planned: planned, state: event.state) }
        }
        throw ControlClientError.connectionClosed
    }

    private func draw(step: String, elapsed: Double, planned: Double, state: String?) {
        let fraction = planned > 0 ? Swift.min(1, elapsed / planned) : 0
        let width = 30
        let filled = Int((fraction * Double(width)).rounded())
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let line = String(format: "\r%@ %3.0f%%  %@  %.0f/%.0f s run time", bar, fraction * 100, step, elapsed, planned)
        // ESC [K clears what a longer previous line left behind.
        Terminal.write(String(line.prefix(Terminal.width - 1)) + "\u{1B}[K")
    }
}

/// The verdict table of a finished run.
enum VerdictTable {
    static func render(_ status: RunStatus) -> String {
        var table = Table("SLOT", "SERIAL", "VERDICT", "FIGURES (value ± U, k=2)")
        for dut in status.duts {
            let figures = dut.figures?.map { figure in
                String(format: "%@ %@ ± %@ %@ (%@)", figure.metric, format(figure.value), format(figure.expandedUncertainty),
                       figure.unit, figure.limit.map { "\($0): \(figure.verdict ?? "-")" } ?? "reported")
            }.joined(separator: "; ") ?? ""
            // A DUT measured against figures the spec only asks to be reported has no verdict to give.
            let reported = dut.lost == nil && !(dut.figures ?? []).isEmpty && (dut.figures ?? []).allSatisfy { $0.limit == nil }
            table.add([dut.slot, dut.serial ?? "-", dut.verdict ?? (dut.lost != nil ? "lost" : reported ? "reported" : "-"),
                       dut.lost.map { "lost: \($0)" } ?? figures])
        }
        var text = table.rendered
        text += "run \(status.id): \(status.state)"
        if let verdict = status.verdict { text += ", verdict \(verdict)" }
        if status.complete == false { text += " (incomplete: not every DUT was judged)" }
        if let error = status.error { text += "\nerror: \(error)" }
        return text + "\n"
    }

    /// Three significant figures, enough for a figure whose U is stated beside it.
    static func format(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 100 || magnitude == 0 { return String(format: "%.1f", value) }
        if magnitude >= 1 { return String(format: "%.2f", value) }
        return String(format: "%.3g", value)
    }

    /// 0 pass, 1 anything short of a proven pass.
    static func exitStatus(_ status: RunStatus) -> ExitStatus {
        status.state == "done" && status.complete == true && status.verdict == "pass" ? .pass : .fail
    }
}

extension ControlClient {
    /// Calls a method that takes no params and decodes its result.
    func call<R: Decodable>(_ method: String, as type: R.Type) async throws -> R {
        let result = try await call(method, params: nil)
        do { return try result.decode(R.self) } catch { throw ControlClientError.unexpectedResult(method: method, underlying: error) }
    }
}
