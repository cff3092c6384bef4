import Foundation
import Yams

/// The offline check of one rig, plan, spec or catalog file (`sensorqual check`): the file is loaded exactly as the
/// daemon would load it, so a technician learns of a typo, an unknown key or a bad cross-reference at the bench,
/// before a run is started, with the file, line and reason.
public struct ConfigurationCheck: Sendable, Equatable, Codable {
    /// What a file is, told by its top-level key.
    public enum Kind: String, Sendable, Equatable, Codable, CaseIterable {
        /// `rig:` — a rig file, checked against the device catalog.
        case rig
        /// `plan:` — a qualification plan.
        case plan
        /// `profile:` — a spec profile.
        case spec
        /// `chip:` — one file of the device catalog.
        case chip

        /// The top-level key that names the kind.
        public var key: String {
            switch self {
            case .rig: "rig"
            case .plan: "plan"
            case .spec: "profile"
            case .chip: "chip"
            }
        }
    }

    public var file: String
    public var ok: Bool
    /// nil when the file could not be read or has none of the kind keys.
    public var kind: Kind?
    /// Where the fault is (1-based), when it can be placed.
    public var line: Int?
    /// Why the file cannot be used; nil when it is ok.
    public var reason: String?
    /// What the file holds, when it is ok: `rig sim-bench: 16 slots, 5 references`.
    public var summary: String?

    /// The line `sensorqual check` prints: `FILE: ok (summary)` or `FILE:LINE: reason`.
    public var text: String {
        if ok { return "\(file): ok" + (summary.map { " (\($0))" } ?? "") }
        return ConfigurationError(file: file, line: line, reason: reason ?? "unusable").description
    }

    /// Checks `paths` in order; the catalog is loaded once, from `devicesDirectory`, and only if a rig file needs it.
    /// A nil `devicesDirectory` fails rig files with the reason (the catalog could not be found).
    public static func run(paths: [String], devicesDirectory: String?) -> [ConfigurationCheck] {
        var catalog: Result<ChipCatalog, ConfigurationError>?
        func loadCatalog() throws(ConfigurationError) -> ChipCatalog {
            if catalog == nil {
                if let devicesDirectory {
                    do throws(ConfigurationError) {
                        catalog = .success(try ChipCatalog.load(directory: devicesDirectory))
                    } catch {
                        catalog = .failure(error)
                    }
                } else {
                    catalog = .failure(ConfigurationError(file: DataDirectory.installed + "/devices",
                                                          reason: "device catalog not found (use --devices-dir or SENSORQUAL_DATA_DIR)"))
                }
            }
            return try catalog!.get()
        }
        return paths.map { path in check(path: path, catalog: loadCatalog) }
    }

    /// Checks one file; `catalog` is asked for only when the file is a rig file.
    public static func check(path: String, catalog: () throws(ConfigurationError) -> ChipCatalog) -> ConfigurationCheck {
        var kind: Kind?
        do throws(ConfigurationError) {
            let file = try YAMLFile(path: path)
            kind = try Self.kind(of: file)
            let summary: String
            switch kind! {
            case .rig:
                let chips: ChipCatalog
                do throws(ConfigurationError) { chips = try catalog() } catch {
                    // The catalog's own fault, placed on its file: the rig file is not to blame.
                    throw ConfigurationError(file: path, reason: "cannot check the rig without the device catalog: \(error)")
                }
                summary = describe(try Rig.parse(file, catalog: chips))
            case .plan:
                switch try PlanFile.parse(file) {
                case .plan(let plan): summary = describe(plan)
                case .rig(let rigPlan):
                    // Parts are found beside the rig plan, then where the daemon looks by default.
                    let folders = [(path as NSString).deletingLastPathComponent, "/etc/sensorqual/plans", DataDirectory.installed + "/plans"]
                    let parts = try rigPlan.loadParts { name in
                        folders.map { ($0.isEmpty ? "." : $0) + "/" + name + ".yaml" }.first(where: FileManager.default.fileExists)
                    }
                    summary = "rig plan \(rigPlan.name): " + parts.map { "\($0.name) (\($0.sensorClass))" }.joined(separator: ", ")
                }
            case .spec: summary = describe(try SpecProfile.parse(file))
            case .chip: summary = describe(try ChipCatalog.chip(path: path))
            }
            return ConfigurationCheck(file: path, ok: true, kind: kind, summary: summary)
        } catch {
            return ConfigurationCheck(file: path, ok: false, kind: kind, line: error.line, reason: error.reason)
        }
    }

    /// The kind named by the first top-level key (in document order) that names one.
    static func kind(of file: YAMLFile) throws(ConfigurationError) -> Kind {
        let keys = file.root.mapping?.keys.compactMap(\.string) ?? []
        for key in keys {
            if let kind = Kind.allCases.first(where: { $0.key == key }) { return kind }
        }
        throw ConfigurationError(file: file.name, line: file.root.mark?.line,
                                 reason: "not a rig, plan, spec or catalog file: it has no top-level rig:, plan:, profile: or chip: key")
    }

    static func describe(_ rig: Rig) -> String {
        var parts = [count(rig.slots.count, "slot")]
        if !rig.microphones.isEmpty { parts.append(count(rig.microphones.count, "microphone")) }
        parts.append(count(rig.references.count, "reference"))
        return "rig \(rig.name): " + parts.joined(separator: ", ")
    }

    static func describe(_ plan: Plan) -> String {
        "plan \(plan.name): \(plan.sensorClass), \(count(plan.steps.count, "step"))"
    }

    static func describe(_ spec: SpecProfile) -> String {
        "spec \(spec.name): \(count(spec.limits.count, "limit")), decision rule \(spec.decisionRule.rawValue)"
    }

    static func describe(_ chip: ChipDescription) -> String {
        "chip \(chip.chip): \(chip.vendor) \(chip.model), \(chip.sensorClass), \(count(chip.figures.count, "datasheet figure"))"
    }

    private static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
}
