import Foundation

extension RunOutcome {
    /// What is left of a part whose daemon was killed (`interrupted`), or that could not start (`failed`): for each of
    /// its slots the DUT as the rig file describes it, the readings its raw capture kept (whole records; a record torn
    /// by the kill is counted, never guessed), also as CSV, and the run-clock span they cover; no figure and no
    /// verdict, since the analysis never ran. `reason` says where the run was (DESIGN.md §5).
    public static func unfinished(_ request: RunRequest, state: RunState = .interrupted, rig: Rig, catalog: ChipCatalog,
                                  runDirectory: String, simulated: Bool, reason: String) -> RunOutcome {
        var first: Int64?
        var last: Int64?
        let duts = request.slots.map { id -> DUTOutcome in
            var dut: DUTOutcome
            if let slot = rig.slot(id) {
                let chip = catalog.chip(slot.chip)
                dut = DUTOutcome(slot: id, chip: slot.chip, model: chip?.model ?? slot.chip, bus: rig.bus(slot.bus)?.device ?? slot.bus,
                                 mux: slot.mux?.id, muxChannel: slot.mux?.channel, address: slot.address,
                                 serial: request.serials[id], figures: [], integrity: DataIntegrity())
            } else if let microphone = rig.microphones.first(where: { $0.id == id }) {
                dut = DUTOutcome(slot: id, chip: microphone.chip, model: catalog.chip(microphone.chip)?.model ?? microphone.chip,
                                 bus: microphone.audio, address: nil, audioChannel: microphone.channel,
                                 serial: request.serials[id], figures: [], integrity: DataIntegrity())
            } else {
                dut = DUTOutcome(slot: id, chip: "", model: "", bus: "", serial: request.serials[id], figures: [], integrity: DataIntegrity())
                dut.missing.append("slot \(id) is no longer in rig \(rig.name)")
            }
            let raw = "raw/\(id).sqraw"
            let audio = "audio/\(id)"
            if FileManager.default.fileExists(atPath: runDirectory + "/" + raw) {
                do {
                    let capture = try RawCapture.read(path: runDirectory + "/" + raw, keepingTornTail: true)
                    dut.rawCapture = raw
                    dut.serial = dut.serial ?? capture.header.serial
                    dut.integrity.samples = capture.times.count
                    if let start = capture.times.first, let end = capture.times.last {
                        first = Swift.min(first ?? start, start)
                        last = Swift.max(last ?? end, end)
                    }
                    if capture.strayBytes > 0 {
                        dut.missing.append("the last record of \(raw): \(capture.strayBytes) bytes torn by the interruption")
                    }
                    let csv = "raw/\(id).csv"
                    try StorageFile.replace(runDirectory + "/" + csv, with: capture.csvBytes())
                    dut.csvCapture = csv
                } catch {
                    dut.missing.append("raw capture \(raw) unreadable: \(error)")
                }
            } else if let recordings = try? FileManager.default.contentsOfDirectory(atPath: runDirectory + "/" + audio),
                      recordings.contains(where: { $0.hasSuffix(".wav") }) {
                dut.rawCapture = audio
            }
            dut.missing.insert("every figure: \(reason)", at: 0)
            return dut
        }
        let seconds = first.flatMap { start in last.map { Double($0 - start) * 1e-9 } } ?? 0
        return RunOutcome(id: request.id, state: state, planName: request.plan.name, specName: request.spec.name,
                          simulated: simulated, runSeconds: seconds, steps: [], duts: duts, referenceIdentity: nil, error: reason)
    }
}
