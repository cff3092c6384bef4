import SensorDrivers
import SensorMetrics

/// What a gas DUT's run measured, on the one signal that answers the plan's gas (sensors.md §8.7): the blank,
/// each exposure with its response and recovery, and the figures computed from them.
public struct GasMeasurements: Sendable, Codable, Equatable {
    public var gas: String
    /// The signal judged: a concentration output (SCD41 co2), or a raw signal (SGP41 sraw_voc, ENS160 log2 R).
    public var signal: GasSignalDescription
    public var conditions: GasConditions
    public var blank: GasBlank?
    public var exposures: [GasExposure]
    /// Error against the certified levels: concentration outputs only.
    public var accuracy: GasAccuracy?
    public var limitOfDetection: GasLimitOfDetection?
    /// Why the LOD is missing although the plan asked for it.
    public var limitOfDetectionNotComputed: String?
    public var repeatability: GasRepeatability?
    public var repeatabilityNotComputed: String?
    /// Zero drift over the run: the blank and every recovery plateau, per hour in the signal's unit.
    public var drift: GasDrift.Result?
    /// Readings the chip or the method marked invalid (warm-up, conditioning, validity flag), not used.
    public var invalidReadings: Int
    /// Units of the secondary outputs in `exposures[].secondary`.
    public var secondaryUnits: [String: String] = [:]
}

/// The conditions every gas figure of a DUT holds under.
public struct GasConditions: Sendable, Codable, Equatable {
    public var samplingIntervalSeconds: Double
    public var notes: String
    public var serialNumber: String?
    /// Readings discarded after configuration, s.
    public var warmUpSeconds: Double
    /// The chamber's flush time constant V/Q, s, and the check against the sensor's datasheet t63 (§8.7: τ_ch ≪ t63).
    public var chamberTimeConstantSeconds: Double?
    public var datasheetT63Seconds: Double?
    public var chamberCheck: String?

    /// "every 5 s, ASC off, ambient pressure 101325 Pa; chamber τ 6 s"
    var summary: String {
        String(format: "every %g s, ", samplingIntervalSeconds) + notes
            + (chamberTimeConstantSeconds.map { String(format: "; chamber τ = V/Q = %.3g s", $0) } ?? "")
    }
}

/// The blank: the baseline mixture held, for the LOD's s_blank.
public struct GasBlank: Sendable, Codable, Equatable {
    /// The certified baseline, ppm, and its standard uncertainty.
    public var certified: Double
    public var certifiedStandardUncertainty: Double
    public var mean: Double
    public var standardDeviation: Double
    public var count: Int
}

/// One exposure to a certified level, and the recovery after it.
public struct GasExposure: Sendable, Codable, Equatable {
    public var certified: Double
    public var certifiedStandardUncertainty: Double
    /// The plateau: the mean of the DUT's signal over the last final window of the exposure.
    public var plateauMean: Double
    public var plateauStandardError: Double
    public var plateauCount: Int
    /// One of the repeated identical exposures (repeatability), not a calibration level.
    public var isRepeat: Bool
    /// Secondary outputs over the same plateau, by name: on-chip estimates (ENS160 tvoc ppb, eco2 ppm), adaptive
    /// indices (ENS160 aqi, the SGP41's VOC/NOx index from the Sensirion algorithm). Reported, never metrology
    /// (sensors.md §5.3, §8.7).
    public var secondary: [String: Double]
    public var response: GasStepResponse.Result?
    public var responseNotComputed: String?
    public var recovery: GasStepResponse.Result?
    public var recoveryNotComputed: String?
}
