/// The units a spec limit may be stated in, by quantity, and their factors to each other: a profile written in the
/// datasheet's units (nT, ppb, hPa) is converted at load to the unit the figure is computed in.
enum LimitUnit {
    /// Each quantity's units with their size in the quantity's base unit. Spellings a technician types (`uT`) are
    /// aliases of the SI symbol.
    static let families: [[String: Double]] = [
        ["Pa": 1, "hPa": 100, "mbar": 100, "kPa": 1000],
        ["pT": 1, "nT": 1e3, "µT": 1e6, "uT": 1e6, "mT": 1e9],
        ["pT/√Hz": 1, "pT/sqrt(Hz)": 1, "nT/√Hz": 1e3, "nT/sqrt(Hz)": 1e3],
        ["ppm": 1, "ppb": 1e-3, "%vol": 1e4],
        ["s": 1, "ms": 1e-3, "min": 60],
        ["%": 1],
        ["°": 1, "deg": 1],
        ["×": 1],
        ["dB": 1],
        ["dB SPL": 1],
    ]

    /// The factor that turns a value in `given` into `target`; nil when they measure different quantities.
    static func factor(from given: String, to target: String) -> Double? {
        guard let family = families.first(where: { $0[target] != nil }), let from = family[given], let to = family[target] else {
            return nil
        }
        return from / to
    }

    /// The units a figure computed in `target` may be stated in, for error messages.
    static func accepted(for target: String) -> [String] {
        families.first { $0[target] != nil }.map { $0.keys.sorted() } ?? [target]
    }
}
