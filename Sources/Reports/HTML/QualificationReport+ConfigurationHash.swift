import Foundation

extension QualificationReport {
    /// SHA-256 (hex) over the canonical JSON encodings (`QualificationReport.encoder()`: sorted snake_case keys,
    /// pretty-printed) of `rig`, `plan` and `spec`, each followed by a newline, in that order: the same set-up gives
    /// the same hash, so two signed reports can be shown to come from one configuration. Only what was configured
    /// counts: the steps by name and planned duration (not how long they took or what they found), the parts by
    /// plan and slots, the instruments by their configuration (not what they answered). nil if a section cannot be
    /// encoded.
    public var configurationHash: String? {
        var rig = rig
        for index in rig.references.indices { rig.references[index].identity = nil }
        var plan = plan
        plan.steps = plan.steps.map { step in
            var step = step
            step.actualSeconds = 0
            step.detail = ""
            return step
        }
        plan.parts = plan.parts?.map { part in
            var part = part
            part.state = .queued
            part.runSeconds = 0
            part.error = nil
            return part
        }
        let encoder = Self.encoder()
        guard let rig = try? encoder.encode(rig), let plan = try? encoder.encode(plan), let spec = try? encoder.encode(spec)
        else { return nil }
        var hash = SHA256()
        for section in [rig, plan, spec] {
            hash.update(section)
            hash.update([0x0A])
        }
        let digits = Array("0123456789abcdef")
        return String(hash.finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }
}
