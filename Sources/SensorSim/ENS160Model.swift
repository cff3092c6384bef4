import Foundation
import SensorDrivers

/// Register-level model of a ScioSense ENS160 (reference/sensors.md §5.4): PART_ID `60 01`, OPMODE (deep sleep,
/// idle, standard, reset), CONFIG, TEMP_IN/RH_IN, DEVICE_STATUS (STATAS, validity, NEWDAT, NEWGPR), DATA_AQI,
/// DATA_TVOC, DATA_ECO2, DATA_T/DATA_RH (the compensation read back) and GPR_READ R1…R4, with address
/// auto-increment. Standard mode makes one data set per second from the OPMODE write; NEWDAT clears when DATA_AQI…
/// DATA_ECO2 are read, NEWGPR when GPR_READ is. Raw words invert the driver's conversion: raw = 2048·log2(R/Ω).
///
/// Modelling assumptions, none of them datasheet figures:
/// * all four pixels see one reducing-gas equivalent, c = ethanol + 0.5·h2 + 0.3·co (ppm of the chamber's
///   `ethanol`, `h2`, `co`), through a first-order lag, τ63 = `responseTimeConstant` (10 s);
/// * pixel i: log2 R = log2 `baseResistances[i]` − gain·`exponents[i]`·log2(1 + c/`reference`) (`reference`
///   0.1 ppm), plus white noise of `noise` raw units; a RH_IN that differs from the chamber's humidity shifts
///   log2 R by `log2PerPercent` per %RH of difference;
/// * on-chip estimates: TVOC = 1000·c ppb, eCO2 = 400 + TVOC/2 ppm, AQI-UBA from TVOC at 65/220/660/2200 ppb;
/// * validity 1 (warm-up) for the first 180 s of standard mode (§5.4's ≈ 3 min), then 0; the one-hour initial
///   start-up (validity 2) only when `initialStartUp` is set.
struct ENS160Model: SimulatedI2CChip {
    struct Errors: Sendable {
        var gain = 1.0
        var noise = 4.0
        var responseTimeConstant = 10.0
        var baseResistances = [250_000.0, 120_000.0, 60_000.0, 30_000.0]
        var exponents = [0.6, 0.5, 0.4, 0.3]
        var log2PerPercent = 0.01
        var initialStartUp = false
    }

    static let reference = 0.1
    /// Initial start-up on first use, s (§5.4: ≈ 1 h [unverified]).
    static let initialStartUpDuration = 3600.0

    var errors: Errors
    private var random: SeededRandom
    private var lag: GasResponseLag
    private var registers = [UInt8](repeating: 0, count: 0x80)
    private var pointer: UInt8 = 0
    private var standardStart: Double?
    private var produced = 0

    private typealias Register = ENS160.Register

    init(errors: Errors = Errors(), random: SeededRandom) {
        self.errors = errors
        self.random = random
        lag = GasResponseLag(timeConstant: errors.responseTimeConstant)
        reset()
    }

    /// Power-on values: PART_ID 0x0160, deep sleep, TEMP_IN 25 °C, RH_IN 50 %.
    private mutating func reset() {
        registers = [UInt8](repeating: 0, count: 0x80)
        registers[0] = UInt8(ENS160.partID & 0xFF)
        registers[1] = UInt8(ENS160.partID >> 8)
        store16(ENS160.temperatureInput(celsius: 25), at: Register.temperatureIn.rawValue)
        store16(ENS160.humidityInput(percent: 50), at: Register.humidityIn.rawValue)
        standardStart = nil
        produced = 0
    }

    // MARK: I2C

    /// The first byte sets the register pointer, further bytes go to consecutive registers.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        update(to: time, environment: environment)
        guard let first = bytes.first else { return }
        pointer = first & 0x7F
        for value in bytes.dropFirst() {
            store(value, in: pointer, at: time)
            pointer = (pointer &+ 1) & 0x7F
        }
    }

    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        update(to: time, environment: environment)
        var out: [UInt8] = []
        for _ in 0..<count {
            out.append(registers[Int(pointer)])
            if (0x21...0x27).contains(pointer) { registers[Int(Register.deviceStatus.rawValue)] &= ~ENS160.newData }
            if (0x48...0x4F).contains(pointer) { registers[Int(Register.deviceStatus.rawValue)] &= ~ENS160.newRawData }
            pointer = (pointer &+ 1) & 0x7F
        }
        return out
    }

    private mutating func store(_ value: UInt8, in register: UInt8, at time: Double) {
        switch register {
        case Register.operatingMode.rawValue:
            if value == ENS160.OperatingMode.reset.rawValue { reset(); return }
            registers[Int(register)] = value
            if value == ENS160.OperatingMode.standard.rawValue {
                if standardStart == nil { standardStart = time; produced = 0 }
            } else {
                standardStart = nil
            }
            registers[Int(Register.deviceStatus.rawValue)] = status(at: time) & ~(ENS160.newData | ENS160.newRawData)
        case Register.configuration.rawValue, Register.command.rawValue, 0x13...0x16, 0x40...0x47:
            registers[Int(register)] = value
            if (0x13...0x16).contains(register) { registers[Int(register) + 0x1D] = value }   // DATA_T/RH 0x30–0x33
        default:
            break                                   // read-only
        }
    }

    private mutating func store16(_ value: UInt16, at register: UInt8) {
        registers[Int(register)] = UInt8(value & 0xFF)
        registers[Int(register) + 1] = UInt8(value >> 8)
        registers[Int(register) + 0x1D] = UInt8(value & 0xFF)
        registers[Int(register) + 0x1E] = UInt8(value >> 8)
    }

    private func word(at register: UInt8) -> UInt16 {
        UInt16(registers[Int(register)]) | UInt16(registers[Int(register) + 1]) << 8
    }

    // MARK: Measurements

    /// STATAS and the validity field for `time`, without the new-data bits.
    private func status(at time: Double) -> UInt8 {
        guard let start = standardStart else { return 0 }
        let running = time - start
        let validity: UInt8 = errors.initialStartUp && running < Self.initialStartUpDuration ? 2 : running < ENS160.warmUp ? 1 : 0
        return 0x80 | validity << 2
    }

    /// Produces the data sets due by `time` (one per second of standard mode).
    private mutating func update(to time: Double, environment: BenchEnvironment) {
        guard let start = standardStart else { return }
        while start + Double(produced + 1) * ENS160.standardPeriod <= time {
            produced += 1
            measure(at: start + Double(produced) * ENS160.standardPeriod, environment: environment)
        }
    }

    private mutating func measure(at t: Double, environment: BenchEnvironment) {
        let chamber = environment.gas
        let c = Swift.max(0, lag.advance(to: t, step: chamber.flushTimeConstant / 10) { time in
            chamber.concentration(of: "ethanol", at: time) + 0.5 * chamber.concentration(of: "h2", at: time)
                + 0.3 * chamber.concentration(of: "co", at: time)
        })
        let compensation = Double(word(at: Register.humidityIn.rawValue)) / 512
        let humidityShift = errors.log2PerPercent * (chamber.humidityPercent - compensation)
        for i in 0..<4 {
            let log2R = Foundation.log2(errors.baseResistances[i]) - errors.gain * errors.exponents[i] * Foundation.log2(1 + c / Self.reference)
                + humidityShift
            let raw = SCD41Model.word(2048 * log2R + errors.noise * random.gaussian())
            registers[0x48 + 2 * i] = UInt8(raw & 0xFF)
            registers[0x49 + 2 * i] = UInt8(raw >> 8)
        }
        let tvoc = SCD41Model.word(Swift.min(1000 * c, 65_000))
        let eco2 = SCD41Model.word(Swift.min(400 + Double(tvoc) / 2, 65_000))
        let aqi: UInt8 = switch tvoc {
        case ..<65: 1
        case ..<220: 2
        case ..<660: 3
        case ..<2200: 4
        default: 5
        }
        registers[0x21] = aqi
        registers[0x22] = UInt8(tvoc & 0xFF)
        registers[0x23] = UInt8(tvoc >> 8)
        registers[0x24] = UInt8(eco2 & 0xFF)
        registers[0x25] = UInt8(eco2 >> 8)
        registers[Int(Register.deviceStatus.rawValue)] = status(at: t) | ENS160.newData | ENS160.newRawData
    }
}
