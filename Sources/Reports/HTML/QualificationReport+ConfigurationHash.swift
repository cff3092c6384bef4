import Foundation

extension QualificationReport {
    /// SHA-256 (hex) over the canonical JSON encodings (`QualificationReport.encoder()`: sorted snake_case keys,
    /// pretty-printed) of `rig`, `plan` and `spec`, each followed by a newline, in that order: the same set-up gives
    /// the same hash, so two signed reports can be shown to come from one configuration. The plan section holds the
    /// steps as carried out, so their actual durations are part of it. nil if a section cannot be encoded.
    public var configurationHash: String? {
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
