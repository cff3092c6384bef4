/// A rig plan (`plans/<name>.yaml` with `class: rig`): several class plans run as one qualification of the whole rig,
/// each on the slots of its class. Parts that share no bus and no reference instrument run at the same time; the others
/// one after the other, in the order listed.
///
/// ```yaml
/// plan: rig-full
/// class: rig
/// description: every slot of the rig
/// parts: [pressure-full, mic-full, mag-full, gas-steps, gas-lod]
/// ```
public struct RigPlan: Sendable, Equatable {
    public var name: String
    public var description: String
    /// The class plans, by name, in the order they run where they share a bus or an instrument.
    public var parts: [String]
    /// The line of each part in the file, for errors about a part found later (missing, itself a rig plan).
    public var partLines: [Int?]
    public var file: String
}

/// What a plan file holds: a class plan, or a rig plan made of class plans.
public enum PlanFile: Sendable {
    case plan(Plan)
    case rig(RigPlan)

    public var name: String {
        switch self {
        case .plan(let plan): plan.name
        case .rig(let rig): rig.name
        }
    }

    public static func load(path: String) throws(ConfigurationError) -> PlanFile {
        try parse(YAMLFile(path: path))
    }

    public static func parse(text: String, name: String) throws(ConfigurationError) -> PlanFile {
        try parse(YAMLFile(name: name, text: text))
    }

    static func parse(_ file: YAMLFile) throws(ConfigurationError) -> PlanFile {
        let isRig = file.root["class"]?.string == "rig"
        return isRig ? .rig(try RigPlan.parse(file)) : .plan(try Plan.parse(file))
    }
}

extension RigPlan {
    static func parse(_ file: YAMLFile) throws(ConfigurationError) -> RigPlan {
        let document = try file.decode(RigPlanDocument.self)
        guard !document.parts.isEmpty else { throw file.error(at: [PathKey("parts")], "a rig plan names at least one part") }
        for (index, part) in document.parts.enumerated() {
            guard !part.isEmpty, part.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw file.error(at: [PathKey("parts"), PathKey(index)], "part '\(part)' is not a plan name (letters, digits, - and _)")
            }
            guard part != document.plan else {
                throw file.error(at: [PathKey("parts"), PathKey(index)], "a rig plan cannot name itself as a part")
            }
            if let first = document.parts.firstIndex(of: part), first < index {
                throw file.error(at: [PathKey("parts"), PathKey(index)], "part '\(part)' is named twice (also parts[\(first)])")
            }
        }
        return RigPlan(name: document.plan, description: document.description ?? "", parts: document.parts,
                       partLines: document.parts.indices.map { file.line(at: [PathKey("parts"), PathKey($0)]) }, file: file.name)
    }

    /// Loads every part through `planPath` (the daemon's plan folders). A part that is missing, invalid or itself a
    /// rig plan is an error on this file's line that names it.
    public func loadParts(planPath: (String) -> String?) throws(ConfigurationError) -> [Plan] {
        var plans: [Plan] = []
        for (index, part) in parts.enumerated() {
            let line = partLines[index]
            guard let path = planPath(part) else {
                throw ConfigurationError(file: file, line: line, reason: "parts[\(index)]: no plan '\(part)' in the plan folders")
            }
            switch try PlanFile.load(path: path) {
            case .plan(let plan): plans.append(plan)
            case .rig:
                throw ConfigurationError(file: file, line: line, reason: "parts[\(index)]: '\(part)' is itself a rig plan; parts are class plans")
            }
        }
        return plans
    }
}

struct RigPlanDocument: Decodable {
    var plan: String
    var `class`: String
    var description: String?
    var parts: [String]
}
