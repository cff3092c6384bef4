import SensorIO

/// Texas Instruments ADS122C04, a 24-bit delta-sigma ADC with a four-input multiplexer, a PGA (gain 1…128), an
/// internal 2.048 V reference and an I2C interface (datasheet SBAS751B, Oct 2018; register names and codes also as
/// in TI's example code, TexasInstruments/precision-adc-examples `devices/ads122c04/ads122c04.h`).
///
/// The chip is command-driven: every transfer begins with a command byte. RREG and WREG carry the register number
/// in bits 3:2; RREG and RDATA are a write of the command, a repeated START and a read (datasheet §8.5 "Programming",
/// commands).
/// This type is the ADC alone, with no policy: it selects inputs, gain and rate, starts conversions, and turns the
/// output code into volts. `FluxgateADC` uses it to read a fluxgate's analog outputs.
public struct ADS122C04 {
    /// Command bytes (datasheet §8.5 "Programming", command definitions).
    public enum Command: UInt8, Sendable {
        case reset = 0x06
        case startSync = 0x08
        case powerDown = 0x02
        case readData = 0x10
        /// RREG: 0010 rrxx, register in bits 3:2.
        case readRegister = 0x20
        /// WREG: 0100 rrxx, register in bits 3:2, followed by the value.
        case writeRegister = 0x40
    }

    /// The four configuration registers (datasheet §8.6 "Register Map"); all reset to 0x00.
    public enum Register: UInt8, Sendable, CaseIterable {
        /// MUX[3:0] (7:4), GAIN[2:0] (3:1), PGA_BYPASS (0).
        case config0 = 0
        /// DR[2:0] (7:5), MODE (4: turbo), CM (3: continuous), VREF[1:0] (2:1), TS (0).
        case config1 = 1
        /// DRDY (7, read-only), DCNT (6), CRC[1:0] (5:4), BCS (3), IDAC[2:0] (2:0).
        case config2 = 2
        /// I1MUX[2:0] (7:5), I2MUX[2:0] (4:2), reserved (1:0, always 0).
        case config3 = 3
    }

    /// RREG for `register`: 0x20 | register << 2.
    public static func readCommand(_ register: Register) -> UInt8 { Command.readRegister.rawValue | register.rawValue << 2 }
    /// WREG for `register`: 0x40 | register << 2.
    public static func writeCommand(_ register: Register) -> UInt8 { Command.writeRegister.rawValue | register.rawValue << 2 }

    /// CONFIG2 bit 7: a new conversion result is ready; cleared when the result is read (datasheet §8.6, configuration
    /// register 2).
    public static let dataReady: UInt8 = 0x80

    /// The internal reference, V (datasheet §8.3.3; VREF[1:0] = 00).
    public static let internalReference = 2.048

    /// MUX[3:0] codes (datasheet §8.6, configuration register 0): 0…7 differential pairs (0 = AIN0–AIN1 … 7 =
    /// AIN3–AIN2), 8…11 = AINx
    /// against AVSS (single-ended), 12 = (REFP − REFN)/4 monitor, 13 = (AVDD − AVSS)/4 monitor, 14 = inputs shorted
    /// to mid-supply (offset), 15 reserved.
    public static let muxCodes: ClosedRange<UInt8> = 0...14

    /// Single-ended (AINN = AVSS) settings: the PGA is bypassed there whatever PGA_BYPASS says, and the gain is
    /// limited to 1, 2, 4 (datasheet §8.3.2.2).
    public static func isSingleEnded(mux: UInt8) -> Bool { (8...11).contains(mux) }

    /// The gains, by GAIN[2:0] code 0…7 (datasheet §8.6, configuration register 0).
    public static let gains = [1, 2, 4, 8, 16, 32, 64, 128]
    /// The gains available with the PGA bypassed (datasheet §8.3.2.2).
    public static let bypassGains = [1, 2, 4]

    /// Normal-mode nominal data rates, SPS, by DR[2:0] code 0…6 (datasheet §8.6, configuration register 1; code 7
    /// reserved). Turbo mode
    /// doubles the modulator clock: 40, 90, 180, 350, 660, 1200, 2000 SPS.
    public static let normalRates = [20, 45, 90, 175, 330, 600, 1000]
    public static let turboRates = [40, 90, 180, 350, 660, 1200, 2000]

    /// Normal or turbo mode (CONFIG1 MODE).
    public enum OperatingMode: Sendable, Equatable { case normal, turbo }

    /// Conversion time of a single-shot conversion, in t_CLK periods, by DR code: from the START/SYNC latch to DRDY
    /// (datasheet §8.3.6, Table 12). t_CLK is 1/1.024 MHz in normal mode and 1/2.048 MHz in turbo mode (51213 t_CLK
    /// = 50.01 ms; turbo 51217 t_CLK = 25.01 ms). Turbo codes 5 and 6 (1200, 2000 SPS) were cut off in the copy
    /// consulted: 1753 and 1065 are the continuous counts + 29, as for codes 1…4 (estimated).
    static let singleShotClocks: [OperatingMode: [Int]] = [
        .normal: [51213, 22805, 11557, 5941, 3141, 1749, 1061],
        .turbo: [51217, 22809, 11561, 5945, 3145, 1753, 1065],
    ]

    /// Seconds from START/SYNC to DRDY of one single-shot conversion at DR code `code` (datasheet Table 12).
    public static func singleShotConversionTime(dataRateCode code: Int, mode: OperatingMode) -> Double {
        let clocks = singleShotClocks[mode]![Swift.min(Swift.max(code, 0), 6)]
        return Double(clocks) / (mode == .normal ? 1.024e6 : 2.048e6)
    }

    /// Seconds between conversions in continuous mode (datasheet Table 12: 51192, 22780, 11532, 5916, 3116, 1724,
    /// 1036 t_CLK).
    public static func continuousPeriod(dataRateCode code: Int, mode: OperatingMode) -> Double {
        let clocks = [51192, 22780, 11532, 5916, 3116, 1724, 1036][Swift.min(Swift.max(code, 0), 6)]
        return Double(clocks) / (mode == .normal ? 1.024e6 : 2.048e6)
    }

    /// One LSB, V: 2·Vref/(gain·2^24) (datasheet §8.5 "Data Format": ±FS = ±Vref/gain over 24 bits).
    public static func leastSignificantBit(gain: Int, reference: Double = internalReference) -> Double {
        2 * reference / (Double(gain) * 16_777_216)
    }

    /// The input voltage of an output code, V: code·LSB. 0x7FFFFF is +FS − 1 LSB, 0x800000 is −FS = −Vref/gain
    /// (datasheet §8.5 "Data Format", ideal output codes; the output clips there).
    public static func volts(code: Int64, gain: Int, reference: Double = internalReference) -> Double {
        Double(code) * leastSignificantBit(gain: gain, reference: reference)
    }

    /// The 24-bit two's-complement output of RDATA, MSB first, sign-extended.
    public static func code(fromData bytes: [UInt8]) -> Int64 {
        Int64(signExtending24: UInt32(bytes[0]) << 16 | UInt32(bytes[1]) << 8 | UInt32(bytes[2]))
    }

    /// What the configuration registers select.
    public struct Configuration: Sendable, Equatable {
        /// MUX[3:0], see `muxCodes`.
        public var mux: UInt8
        public var gain: Int
        /// Disable and bypass the PGA (only at gains 1, 2, 4; forced for single-ended inputs).
        public var bypassPGA: Bool
        /// DR[2:0] code 0…6: `normalRates` / `turboRates`.
        public var dataRateCode: Int
        public var mode: OperatingMode
        public var continuous: Bool

        public init(mux: UInt8, gain: Int, bypassPGA: Bool = false, dataRateCode: Int, mode: OperatingMode = .normal,
                    continuous: Bool = false) {
            self.mux = mux
            self.gain = gain
            self.bypassPGA = bypassPGA
            self.dataRateCode = dataRateCode
            self.mode = mode
            self.continuous = continuous
        }

        /// The nominal data rate, SPS.
        public var dataRate: Int { (mode == .normal ? normalRates : turboRates)[Swift.min(Swift.max(dataRateCode, 0), 6)] }

        /// Why the chip cannot be set so; nil when it can.
        public var problem: String? {
            if !muxCodes.contains(mux) { return "input mux code \(mux) is not 0…14" }
            guard gains.contains(gain) else { return "gain \(gain) is not one of \(gains.map(String.init).joined(separator: ", "))" }
            if (bypassPGA || isSingleEnded(mux: mux)) && !bypassGains.contains(gain) {
                return isSingleEnded(mux: mux)
                    ? "gain \(gain) on single-ended input mux \(mux): the PGA is bypassed there and only gains 1, 2, 4 exist"
                    : "gain \(gain) with the PGA bypassed: only gains 1, 2, 4 exist"
            }
            if !(0...6).contains(dataRateCode) { return "data-rate code \(dataRateCode) is not 0…6" }
            return nil
        }

        /// CONFIG0: MUX, GAIN, PGA_BYPASS (set for single-ended inputs, where the datasheet requires it).
        public var config0: UInt8 {
            let gainCode = UInt8(gains.firstIndex(of: gain) ?? 0)
            let bypass: UInt8 = bypassPGA || isSingleEnded(mux: mux) ? 1 : 0
            return mux << 4 | gainCode << 1 | bypass
        }

        /// CONFIG1: DR, MODE, CM, internal reference (VREF 00), temperature sensor off.
        public var config1: UInt8 {
            UInt8(Swift.min(Swift.max(dataRateCode, 0), 6)) << 5 | (mode == .turbo ? 0x10 : 0) | (continuous ? 0x08 : 0)
        }
    }

    public let device: I2CDevice

    public init(device: I2CDevice) {
        self.device = device
    }

    // MARK: Commands

    /// RESET: every register back to 0x00.
    public func reset() throws(DriverError) { try device.command([Command.reset.rawValue]) }

    /// START/SYNC: starts a single-shot conversion, or (re)starts continuous conversions.
    public func start() throws(DriverError) { try device.command([Command.startSync.rawValue]) }

    /// POWERDOWN: stops continuous conversions; the chip idles until the next START/SYNC.
    public func powerDown() throws(DriverError) { try device.command([Command.powerDown.rawValue]) }

    public func read(_ register: Register) throws(DriverError) -> UInt8 {
        try device.registers(Self.readCommand(register), count: 1)[0]
    }

    public func write(_ register: Register, _ value: UInt8) throws(DriverError) {
        try device.command([Self.writeCommand(register), value])
    }

    /// Writes all four configuration registers: CONFIG0/1 from `configuration`; CONFIG2 0 (no data counter, no CRC,
    /// no burn-out sources, IDACs off); CONFIG3 0 (IDACs unrouted).
    ///
    /// - Throws: `configurationRejected` for a setting the chip does not have, with nothing written.
    public func configure(_ configuration: Configuration) throws(DriverError) {
        if let problem = configuration.problem { throw .configurationRejected(model: "ADS122C04", reason: problem) }
        try write(.config0, configuration.config0)
        try write(.config1, configuration.config1)
        try write(.config2, 0x00)
        try write(.config3, 0x00)
    }

    /// Whether a new conversion result is ready (CONFIG2 DRDY).
    public func isDataReady() throws(DriverError) -> Bool {
        try read(.config2) & Self.dataReady != 0
    }

    /// RDATA: the latest conversion's output code.
    public func readCode() throws(DriverError) -> Int64 {
        Self.code(fromData: try device.registers(Command.readData.rawValue, count: 3))
    }
}
