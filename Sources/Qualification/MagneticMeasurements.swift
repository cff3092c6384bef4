import SensorDrivers
import SensorMetrics

/// What a magnetometer DUT's run measured: the mode, the noise record with the coil off and the field steps.
public struct MagneticMeasurements: Sendable, Codable, Equatable {
    public var conditions: MagneticConditions
    /// Noise density, RMS noise in band (resolution), Allan deviation (sensors.md §8.5 items 2–3).
    public var noise: MagneticNoise.Result?
    /// Each field step: the applied field and the DUT's mean reading.
    public var points: [FieldPoint]
    /// Scale factor, offset, cross-axis and non-orthogonality from the points (§8.5 item 4).
    public var scale: MagneticScaleFactor?
    /// Why the scale figures are missing although the plan stepped the field.
    public var scaleNotFitted: String?
}

/// The conditions every magnetic figure of a DUT holds under (sensors.md §8.5).
public struct MagneticConditions: Sendable, Codable, Equatable {
    public var outputDataRateHz: Double
    /// The chip's resolution setting in its datasheet's numbers (RM3100 cycle count, LIS3MDL mode …).
    public var resolutionSetting: Int
    public var fullScaleMicrotesla: Double
    /// The output's quantisation step, nT.
    public var quantisationStepNanotesla: Double
    public var notes: String?
    /// Mean chip temperature during the noise record, °C, where the chip measures it.
    public var temperatureC: Double?

    init(_ mode: MagneticMode) {
        outputDataRateHz = mode.outputDataRate
        resolutionSetting = mode.resolution
        fullScaleMicrotesla = mode.fullScale
        quantisationStepNanotesla = 1000 / mode.countsPerMicrotesla
        notes = mode.notes.isEmpty ? nil : mode.notes
    }

    /// "ODR 100 Hz, resolution setting 200, ±800 µT, LSB 13.3 nT"
    var summary: String {
        String(format: "ODR %g Hz, resolution setting %d, ±%g µT, LSB %.3g nT", outputDataRateHz, resolutionSetting,
               fullScaleMicrotesla, quantisationStepNanotesla) + (notes.map { ", " + $0 } ?? "")
    }
}

/// One field step: the field the reference says was applied and what the DUT read, both in µT, in the coil frame.
public struct FieldPoint: Sendable, Codable, Equatable {
    public var applied: FieldVector
    public var appliedStandardUncertainty: FieldVector
    public var reading: FieldVector
    /// Standard error of the DUT's mean per axis, µT.
    public var readingStandardError: FieldVector
    public var readingCount: Int
}
