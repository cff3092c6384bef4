/// What makes one simulated pressure unit differ from a perfect one: the errors a qualification must find.
public struct PressureUnitErrors: Sendable, Equatable, Codable {
    /// Pressure offset at 101 325 Pa, Pa.
    public var offset: Double
    /// Span error, ppm of (p − 101 325 Pa).
    public var gainErrorPPM: Double
    /// White pressure noise at oversampling ×1, Pa RMS; it falls as 1/√OSR.
    public var noiseAtX1: Double
    /// Random-walk drift of the offset, Pa/√s.
    public var driftRandomWalk: Double
    /// Temperature reading offset, °C.
    public var temperatureOffset: Double

    public init(offset: Double, gainErrorPPM: Double, noiseAtX1: Double, driftRandomWalk: Double,
                temperatureOffset: Double) {
        self.offset = offset
        self.gainErrorPPM = gainErrorPPM
        self.noiseAtX1 = noiseAtX1
        self.driftRandomWalk = driftRandomWalk
        self.temperatureOffset = temperatureOffset
    }

    /// The white-noise RMS at a pressure oversampling factor, Pa.
    public func noise(oversampling: Int) -> Double { noiseAtX1 / Double(oversampling).squareRoot() }

    /// Error of the indicated pressure at true pressure p, excluding noise and drift, Pa.
    public func systematicError(at pressure: Double) -> Double {
        offset + gainErrorPPM * 1e-6 * (pressure - 101_325)
    }
}

/// The physics one simulated unit adds to the manifold's true state at each conversion: its systematic
/// error, a random-walk drift of the offset, white noise and a temperature offset. Every chip model turns
/// the indicated values this returns into its own raw codes.
struct SimulatedPressureUnit: Sendable {
    let errors: PressureUnitErrors
    private var random: SeededRandom
    private var drift = 0.0
    private var driftTime = 0.0

    init(errors: PressureUnitErrors, random: SeededRandom) {
        self.errors = errors
        self.random = random
    }

    /// The pressure (Pa) and temperature (°C) the unit indicates for a conversion completed at `time`, with
    /// white pressure noise of `noise` Pa RMS.
    mutating func indicated(at time: Double, chamber: PressureChamber, noise: Double) -> (pressure: Double, temperature: Double) {
        let dt = Swift.max(0, time - driftTime)
        drift += errors.driftRandomWalk * dt.squareRoot() * random.gaussian()
        driftTime = time
        let truePressure = chamber.settledPressure(at: time)
        let pressure = truePressure + errors.systematicError(at: truePressure) + drift + noise * random.gaussian()
        let temperature = chamber.temperature(at: time) + errors.temperatureOffset + 0.002 * random.gaussian()
        return (pressure, temperature)
    }
}
