import SensorDrivers

/// Register/command-level model of a TI ADS122C04 (datasheet SBAS751B) reading a three-axis fluxgate's analog
/// outputs: the commands (RESET, START/SYNC, POWERDOWN, RDATA, RREG, WREG), the four configuration registers, DRDY
/// (CONFIG2 bit 7, set by a finished conversion, cleared by RDATA), single-shot and continuous conversions timed by
/// the datasheet's Table 12, and a WREG during a conversion restarting it (datasheet §8.4.2).
///
/// The input of a conversion is the fluxgate output on the selected mux setting:
/// V = zeroVolts + V/µT·(field at the DUT) + the fluxgate's white noise + the ADC's own input noise, quantised to the
/// 24-bit code round(V·gain·2^23/2.048) clipped to 0x800000…0x7FFFFF, so the driver reads the field back through
/// its own conversion. The field at the DUT is the bench coil's at the conversion's end plus `appliedField`.
///
/// Modelling assumptions, none of them datasheet figures:
/// * the fluxgate's noise is white, `noiseDensity` pT/√Hz (default 5 pT/√Hz, sensors.md §8.6 [S31]), and one
///   conversion averages it over the data rate's Nyquist band: σ per conversion = density·√(DR/2). A three-axis
///   reading samples each axis at DR/3, so the noise above DR/6 aliases and an axis series shows √3 × the density;
/// * the ADC's input noise is white, `adcNoise` V RMS per conversion whatever the rate and gain (the datasheet's
///   noise tables were not at hand);
/// * the monitors read 2.048/4 V (reference) and 3.3/4 V (supply); inputs not wired to the fluxgate read 0 V.
struct ADS122C04Model: SimulatedI2CChip {
    /// The fluxgate wired to the ADC.
    struct Fluxgate: Sendable {
        /// The mux codes of the x, y, z outputs (as `FluxgateCalibration.inputs`).
        var inputs: [UInt8]
        var voltsPerMicrotesla: FieldVector
        var zeroVolts: FieldVector
        /// White noise density of the fluxgate, pT/√Hz.
        var noiseDensity: Double = 5
        /// A field the fluxgate sees besides the bench coil's, µT.
        var appliedField = FieldVector(x: 0, y: 0, z: 0)
    }

    let fluxgate: Fluxgate
    /// The fluxgate's scale and cross-axis response to the coil's field.
    var response = FieldResponse.ideal
    /// The ADC's input-referred noise, V RMS per conversion.
    let adcNoise: Double
    private var random: SeededRandom
    private var registers: [UInt8] = [0, 0, 0, 0]
    private var output: Int64 = 0
    /// What the next read returns: a register or the conversion data.
    private enum Pending { case register(Int), data, nothing }
    private var pending = Pending.nothing
    /// A single-shot conversion under way: when it ends.
    private var singleShotDue: Double?
    /// Continuous conversions: when the first ends, and how many have ended.
    private var continuousFirst: Double?
    private var continuousDone = 0

    init(fluxgate: Fluxgate, adcNoise: Double = 0, random: SeededRandom) {
        self.fluxgate = fluxgate
        self.adcNoise = adcNoise
        self.random = random
    }

    private var dataRateCode: Int { Swift.min(Int(registers[1] >> 5), 6) }
    private var mode: ADS122C04.OperatingMode { registers[1] & 0x10 != 0 ? .turbo : .normal }
    private var isContinuous: Bool { registers[1] & 0x08 != 0 }
    private var dataRate: Int { (mode == .normal ? ADS122C04.normalRates : ADS122C04.turboRates)[dataRateCode] }

    // MARK: I2C

    mutating func write(_ bytes: UnsafeRawBufferPointer, at time: Double, environment: BenchEnvironment) {
        update(at: time, environment: environment)
        guard let command = bytes.first else { return }
        switch command {
        case ADS122C04.Command.reset.rawValue:
            registers = [0, 0, 0, 0]
            output = 0
            singleShotDue = nil
            continuousFirst = nil
            pending = .nothing
        case ADS122C04.Command.startSync.rawValue:
            startConversion(at: time)
        case ADS122C04.Command.powerDown.rawValue:
            singleShotDue = nil
            continuousFirst = nil
        case ADS122C04.Command.readData.rawValue:
            pending = .data
        case 0x20...0x2F:
            pending = .register(Int(command >> 2 & 0x3))
        case 0x40...0x4F:
            guard bytes.count >= 2 else { return }
            let register = Int(command >> 2 & 0x3)
            // CONFIG2 bit 7 (DRDY) is read-only; CONFIG3 bits 1:0 are reserved, always 0.
            switch register {
            case 2: registers[2] = registers[2] & 0x80 | bytes[1] & 0x7F
            case 3: registers[3] = bytes[1] & 0xFC
            default: registers[register] = bytes[1]
            }
            // A write during a conversion restarts it (datasheet §8.4.2).
            if singleShotDue != nil || continuousFirst != nil { startConversion(at: time) }
        default:
            break                                   // not a command: ignored
        }
    }

    mutating func read(count: Int, at time: Double, environment: BenchEnvironment) -> [UInt8] {
        update(at: time, environment: environment)
        var bytes: [UInt8]
        switch pending {
        case .register(let index):
            bytes = [registers[index]]
        case .data:
            let word = UInt32(truncatingIfNeeded: output) & 0xFF_FFFF
            bytes = [UInt8(word >> 16), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
            registers[2] &= ~ADS122C04.dataReady
        case .nothing:
            bytes = []
        }
        pending = .nothing
        while bytes.count < count { bytes.append(0xFF) }    // past the answer: the bus reads released SDA
        return Array(bytes.prefix(count))
    }

    // MARK: Conversions

    private mutating func startConversion(at time: Double) {
        if isContinuous {
            singleShotDue = nil
            // First result after 28.5 t_CLK (normal) or 105 t_CLK (turbo) of start-up plus one period (Table 12).
            let startUp = mode == .normal ? 28.5 / 1.024e6 : 105 / 2.048e6
            continuousFirst = time + startUp + ADS122C04.continuousPeriod(dataRateCode: dataRateCode, mode: mode)
            continuousDone = 0
        } else {
            continuousFirst = nil
            singleShotDue = time + ADS122C04.singleShotConversionTime(dataRateCode: dataRateCode, mode: mode)
        }
    }

    /// Completes the conversions that ended by `time`; continuous mode keeps only the latest.
    private mutating func update(at time: Double, environment: BenchEnvironment) {
        if let due = singleShotDue, time >= due {
            singleShotDue = nil
            convert(at: due, environment: environment)
        }
        if let first = continuousFirst, time >= first {
            let period = ADS122C04.continuousPeriod(dataRateCode: dataRateCode, mode: mode)
            let latest = Int(((time - first) / period).rounded(.down)) + 1
            if latest > continuousDone {
                continuousDone = latest
                convert(at: first + Double(latest - 1) * period, environment: environment)
            }
        }
    }

    private mutating func convert(at time: Double, environment: BenchEnvironment) {
        let mux = registers[0] >> 4
        var gain = ADS122C04.gains[Int(registers[0] >> 1 & 0x7)]
        if ADS122C04.isSingleEnded(mux: mux) { gain = Swift.min(gain, 4) }  // the chip limits the gain there (§8.3.2.2)
        var volts = adcNoise * random.gaussian()
        if let axis = fluxgate.inputs.firstIndex(of: mux) {
            let coil = response.apply(environment.coil.field(at: time))
            let field = [coil.x + fluxgate.appliedField.x, coil.y + fluxgate.appliedField.y, coil.z + fluxgate.appliedField.z]
            let scale = [fluxgate.voltsPerMicrotesla.x, fluxgate.voltsPerMicrotesla.y, fluxgate.voltsPerMicrotesla.z][axis]
            let zero = [fluxgate.zeroVolts.x, fluxgate.zeroVolts.y, fluxgate.zeroVolts.z][axis]
            // σ per conversion, µT: pT/√Hz × 10⁻⁶ × √(DR/2).
            let sigma = fluxgate.noiseDensity * 1e-6 * (Double(dataRate) / 2).squareRoot()
            volts += zero + scale * (field[axis] + sigma * random.gaussian())
        } else if mux == 12 {
            volts += ADS122C04.internalReference / 4
        } else if mux == 13 {
            volts += 3.3 / 4
        }
        let counts = (volts * Double(gain) * 8_388_608 / ADS122C04.internalReference).rounded()
        output = Int64(Swift.min(Swift.max(counts, -8_388_608), 8_388_607))
        registers[2] |= ADS122C04.dataReady
    }
}
