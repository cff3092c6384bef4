import Foundation
import SensorDrivers

/// Command-level model of a Sensirion SCD41 (reference/sensors.md §5.1, §5.2, §7): periodic measurement every 5 s,
/// single shot (5 s), get_data_ready_status, read_measurement, stop (500 ms), ASC on/off and its read-back, ambient
/// pressure, serial number and variant, every answer word with a valid CRC-8. CO2 comes from the gas chamber's
/// `co2` (ppm), temperature and humidity from the chamber's set values; the words invert the driver's own
/// conversions (`SCD41.temperature(word:)` …), rounded.
///
/// A real chip NACKs a command it does not accept (busy after stop or during a single shot; configuration while
/// measuring; a bad argument CRC) and NACKs a read with nothing to answer. The simulated bus cannot NACK a
/// transfer to a present chip, so the model ignores such a command and such a read returns FF bytes: an
/// undriven bus, which fails every CRC, so a driver sees an error naming the word either way.
///
/// Modelling assumptions, none of them datasheet figures:
/// * the CO2 element follows the chamber as a first-order lag, τ63 = `responseTimeConstant` (60 s: the
///   datasheet's typical response time, §5.2, read as τ63);
/// * indicated CO2 = gain·lagged + offset + white noise (`noise` ppm RMS) + the ASC correction;
/// * with ASC on (the power-up default, §5.2), the correction moves toward making the reading 400 ppm with time
///   constant `selfCalibrationTimeConstant` (1 h, far faster than the real chip's days, so that a short test can
///   tell ASC is on);
/// * the first measurement after power-up (model creation) reads `firstReadingError` ppm off (§5.2: discard it);
/// * the 1 ms commands (getters, read_measurement) answer at once: `probe()` cannot wait, so its reads follow
///   their commands by bus time only;
/// * stop_periodic_measurement while idle is accepted and costs nothing; read_measurement with no new data
///   answers the last measurement again (FF bytes before the first);
/// * ambient pressure is stored and read back; the chamber is taken to be at the pressure set, so no pressure
///   error is modelled.
struct SCD41Model: SimulatedI2CChip {
    struct Errors: Sendable {
        var gain = 1.0
        var offset = 0.0
        var noise = 5.0
        var responseTimeConstant = 60.0
        var firstReadingError = 150.0
        var selfCalibrationTimeConstant = 3600.0
        var temperatureOffset = 0.0
        var humidityOffset = 0.0
    }

    /// What get_sensor_variant answers: `& 0xF000` = 0x1000 is an SCD41 (§5.2).
    static let variantWord: UInt16 = 0x1000

    let serialNumber: UInt64
    var errors: Errors
    private var random: SeededRandom
    private var lag: GasResponseLag
    private var selfCalibration = true
    private var selfCalibrationCorrection = 0.0
    private var ambientPressureWord: UInt16 = 1013
    private var mode = Mode.idle
    private var busyUntil = -Double.infinity
    private var measurements = 0
    private var lastMeasurementTime: Double?
    private var latest: [UInt16]?
    private var dataReady = false
    /// The answer the last command prepared for the next plain read.
    private var output: [UInt8] = []

    enum Mode: Equatable {
        case idle
        /// Periodic measurement from `start`, one result every `period`; `produced` results so far.
        case periodic(start: Double, period: Double, produced: Int)
        /// A single shot finishing at `end`.
        case singleShot(end: Double)
    }

    init(serialNumber: UInt64 = 0x5E_A1_0C_2B_41_07, errors: Errors = Errors(), random: SeededRandom) {
        self.serialNumber = serialNumber & 0xFFFF_FFFF_FFFF
        self.errors = errors
        self.random = random
        lag = GasResponseLag(timeConstant: errors.responseTimeConstant)
    }

    // MARK: I2C

    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        update(to: time, environment: environment)
        output = []
        guard time >= busyUntil, bytes.count >= 2 else { return }
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard let arguments = try? SensirionCRC.words(Array(bytes.dropFirst(2))), (bytes.count - 2) % 3 == 0 else { return }
        let measuring = mode != .idle
        switch SCD41.Command(rawValue: code) {
        case .readMeasurement:
            if let latest { output = SensirionCRC.frame(latest) }
            dataReady = false
        case .getDataReadyStatus:
            output = SensirionCRC.frame([dataReady ? 0x8006 : 0x8000])
        case .stopPeriodicMeasurement:
            if case .periodic = mode {
                busyUntil = time + SCD41.stopDuration
                mode = .idle
            }
        case .setAmbientPressure:
            if let word = arguments.first { ambientPressureWord = word } else { output = SensirionCRC.frame([ambientPressureWord]) }
        case .startPeriodicMeasurement where !measuring:
            mode = .periodic(start: time, period: SCD41.measurementPeriod, produced: 0)
        case .startLowPowerPeriodicMeasurement where !measuring:
            mode = .periodic(start: time, period: 30, produced: 0)
        case .measureSingleShot where !measuring:
            mode = .singleShot(end: time + SCD41.measurementPeriod)
            busyUntil = time + SCD41.measurementPeriod
        case .setAutomaticSelfCalibration where !measuring:
            if let word = arguments.first { selfCalibration = word != 0 }
        case .getAutomaticSelfCalibration where !measuring:
            output = SensirionCRC.frame([selfCalibration ? 1 : 0])
        case .getSerialNumber where !measuring:
            output = SensirionCRC.frame([UInt16(serialNumber >> 32), UInt16((serialNumber >> 16) & 0xFFFF), UInt16(serialNumber & 0xFFFF)])
        case .getSensorVariant where !measuring:
            output = SensirionCRC.frame([Self.variantWord])
        default:
            break                                   // not accepted now, or not modelled: NACK stand-in
        }
    }

    /// A plain read: the prepared answer once (FF past it, and while busy).
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        update(to: time, environment: environment)
        guard time >= busyUntil else { return [UInt8](repeating: 0xFF, count: count) }
        let answer = (0..<count).map { $0 < output.count ? output[$0] : 0xFF }
        output = []
        return answer
    }

    // MARK: Measurements

    /// Produces the measurements due by `time`.
    private mutating func update(to time: Double, environment: BenchEnvironment) {
        switch mode {
        case .idle:
            break
        case .periodic(let start, let period, var produced):
            while start + Double(produced + 1) * period <= time {
                produced += 1
                measure(at: start + Double(produced) * period, environment: environment)
            }
            mode = .periodic(start: start, period: period, produced: produced)
        case .singleShot(let end):
            if end <= time {
                measure(at: end, environment: environment)
                mode = .idle
            }
        }
    }

    private mutating func measure(at t: Double, environment: BenchEnvironment) {
        let chamber = environment.gas
        let co2 = lag.advance(to: t, step: chamber.flushTimeConstant / 10) { chamber.concentration(of: "co2", at: $0) }
        let settled = errors.gain * co2 + errors.offset + selfCalibrationCorrection
        var indicated = settled + errors.noise * random.gaussian()
        if measurements == 0 { indicated += errors.firstReadingError }
        if selfCalibration {
            let elapsed = t - (lastMeasurementTime ?? t)
            selfCalibrationCorrection += (400 - settled) * (1 - Foundation.exp(-elapsed / errors.selfCalibrationTimeConstant))
        }
        measurements += 1
        lastMeasurementTime = t
        let celsius = chamber.temperatureC + errors.temperatureOffset
        let humidity = chamber.humidityPercent + errors.humidityOffset
        latest = [Self.word(indicated),
                  Self.word((celsius + 45) * 65535 / 175),
                  Self.word(humidity * 65535 / 100)]
        dataReady = true
    }

    /// A 16-bit word from a value in word units, rounded and clipped.
    static func word(_ value: Double) -> UInt16 {
        UInt16(Swift.min(Swift.max(value.rounded(), 0), 65535))
    }
}
