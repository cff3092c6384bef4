import Foundation
import SensorDrivers

/// Command-level model of a Sensirion SGP41 (reference/sensors.md §5.1, §5.3): execute_conditioning (SRAW_VOC after
/// 50 ms), measure_raw_signals (SRAW_VOC, SRAW_NOX after 50 ms) with the humidity and temperature compensation
/// words, execute_self_test (320 ms), turn_heater_off and get_serial_number, every answer word with a valid
/// CRC-8. VOC follows the chamber's `ethanol`, NOx its `no2` (ppm).
///
/// A real chip NACKs a read before its answer is ready and a command with a bad argument CRC; the simulated bus
/// cannot NACK a present chip, so such a command is ignored and such a read returns FF bytes (see `SCD41Model`).
/// get_serial_number (1 ms on the chip) answers at once, as the SCD41 model's short commands do: a probe cannot
/// wait, so its read follows the command by bus time only.
///
/// Modelling assumptions, none of them datasheet figures:
/// * each pixel follows the chamber as a first-order lag, τ63 = `responseTimeConstant` (5 s; SGP40's spec is
///   τ63 < 10 s, §5.3);
/// * MOx log response: SRAW_VOC = `cleanAirVOC` + offset − gain·`ticksPerDoubling`·log2(1 + c/`vocReference`),
///   so well above `vocReference` (0.1 ppm ethanol) SRAW falls `ticksPerDoubling` (870, §5.3's typical) per
///   doubling; NO2 (oxidising) raises SRAW_NOX the same way from `cleanAirNOx`, with `noxReference` 0.01 ppm;
/// * a humidity compensation word that differs from the chamber's humidity shifts both signals by
///   `humidityTicksPerPercent` per %RH of difference (compensation done right cancels it);
/// * white noise of `noise` ticks RMS on each signal; conditioning itself (and its damage when run too long) is
///   not modelled: conditioning answers SRAW_VOC like a measurement.
struct SGP41Model: SimulatedI2CChip {
    struct Errors: Sendable {
        var gain = 1.0
        var offset = 0.0
        var noise = 3.0
        var responseTimeConstant = 5.0
        var ticksPerDoubling = 870.0
        var humidityTicksPerPercent = 20.0
    }

    static let cleanAirVOC = 30_000.0
    static let cleanAirNOx = 15_000.0
    static let vocReference = 0.1
    static let noxReference = 0.01
    /// What execute_self_test answers: all tests passed (low nibble 0, §5.3).
    static let selfTestPassed: UInt16 = 0xD400

    let serialNumber: UInt64
    var errors: Errors
    private var random: SeededRandom
    private var voc: GasResponseLag
    private var nox: GasResponseLag
    private var output: [UInt8] = []
    private var readyAt = -Double.infinity

    init(serialNumber: UInt64 = 0x0000_0F3A_9C41, errors: Errors = Errors(), random: SeededRandom) {
        self.serialNumber = serialNumber & 0xFFFF_FFFF_FFFF
        self.errors = errors
        self.random = random
        voc = GasResponseLag(timeConstant: errors.responseTimeConstant)
        nox = GasResponseLag(timeConstant: errors.responseTimeConstant)
    }

    // MARK: I2C

    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        output = []
        guard bytes.count >= 2, (bytes.count - 2) % 3 == 0,
              let arguments = try? SensirionCRC.words(Array(bytes.dropFirst(2))) else { return }
        let code = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        switch SGP41.Command(rawValue: code) {
        case .executeConditioning where arguments.count == 2:
            let signals = measure(at: time + SGP41.measurementDuration, humidityWord: arguments[0], environment: environment)
            answer([signals.voc], at: time + SGP41.measurementDuration)
        case .measureRawSignals where arguments.count == 2:
            let signals = measure(at: time + SGP41.measurementDuration, humidityWord: arguments[0], environment: environment)
            answer([signals.voc, signals.nox], at: time + SGP41.measurementDuration)
        case .executeSelfTest:
            answer([Self.selfTestPassed], at: time + 0.32)
        case .getSerialNumber:
            answer([UInt16(serialNumber >> 32), UInt16((serialNumber >> 16) & 0xFFFF), UInt16(serialNumber & 0xFFFF)], at: time)
        default:
            break                                   // turn_heater_off, or not accepted: nothing to answer
        }
    }

    /// A plain read: the prepared answer once it is ready (FF before, and past it).
    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        guard time >= readyAt else { return [UInt8](repeating: 0xFF, count: count) }
        let answer = (0..<count).map { $0 < output.count ? output[$0] : 0xFF }
        output = []
        return answer
    }

    private mutating func answer(_ words: [UInt16], at time: Double) {
        output = SensirionCRC.frame(words)
        readyAt = time
    }

    // MARK: Signals

    private mutating func measure(at t: Double, humidityWord: UInt16, environment: BenchEnvironment) -> (voc: UInt16, nox: UInt16) {
        let chamber = environment.gas
        let step = chamber.flushTimeConstant / 10
        let ethanol = voc.advance(to: t, step: step) { chamber.concentration(of: "ethanol", at: $0) }
        let no2 = nox.advance(to: t, step: step) { chamber.concentration(of: "no2", at: $0) }
        // The compensation word back to %RH (the inverse of SGP41.humidityWord).
        let compensation = Double(humidityWord) * 100 / 65535
        let humidityShift = errors.humidityTicksPerPercent * (chamber.humidityPercent - compensation)
        let slope = errors.gain * errors.ticksPerDoubling
        let vocTicks = Self.cleanAirVOC + errors.offset - slope * Foundation.log2(1 + Swift.max(ethanol, 0) / Self.vocReference)
            + humidityShift + errors.noise * random.gaussian()
        let noxTicks = Self.cleanAirNOx + errors.offset + slope * Foundation.log2(1 + Swift.max(no2, 0) / Self.noxReference)
            + humidityShift + errors.noise * random.gaussian()
        return (SCD41Model.word(vocTicks), SCD41Model.word(noxTicks))
    }
}
