import Foundation
import Qualification

/// The measurement conditions in the words the figures' own conditions use, for plot captions and DUT headers
/// (sensors.md §8.2: every figure states the conditions it holds under).
enum ConditionsText {
    /// "ODR 25 Hz, OSR ×16 (T ×2), IIR 0, low-noise mode, 25.09 °C"
    static func pressure(_ conditions: PressureConditions) -> String {
        var text = String(format: "ODR %g Hz, OSR ×%d (T ×%d), IIR %d", conditions.outputDataRateHz,
                          conditions.pressureOversampling, conditions.temperatureOversampling, conditions.iirCoefficient)
        if let notes = conditions.notes { text += ", " + notes }
        if let temperature = conditions.temperatureC, temperature.isFinite { text += String(format: ", %.2f °C", temperature) }
        return text
    }

    /// "ODR 100 Hz, resolution setting 200, ±800 µT, LSB 13.3 nT, cycle count 200"
    static func magnetic(_ conditions: MagneticConditions) -> String {
        var text = String(format: "ODR %g Hz, resolution setting %d, ±%g µT, LSB %.3g nT", conditions.outputDataRateHz,
                          conditions.resolutionSetting, conditions.fullScaleMicrotesla, conditions.quantisationStepNanotesla)
        if let notes = conditions.notes { text += ", " + notes }
        if let temperature = conditions.temperatureC, temperature.isFinite { text += String(format: ", %.1f °C", temperature) }
        return text
    }

    /// "every 5 s, ASC off, …; chamber τ = V/Q = 6 s"
    static func gas(_ conditions: GasConditions) -> String {
        String(format: "every %g s, ", conditions.samplingIntervalSeconds) + conditions.notes
            + (conditions.chamberTimeConstantSeconds.map { String(format: "; chamber τ = V/Q = %.3g s", $0) } ?? "")
    }
}
