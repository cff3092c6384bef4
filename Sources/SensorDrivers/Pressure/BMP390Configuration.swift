/// BMP390 measurement settings (datasheet §3.4–3.5, registers OSR 0x1C, ODR 0x1D, CONFIG 0x1F).
public struct BMP390Configuration: Sendable, Equatable, Codable {
    /// Oversampling ×1 … ×32, register code 0 … 5.
    public enum Oversampling: Int, Sendable, Codable, CaseIterable {
        case x1 = 1, x2 = 2, x4 = 4, x8 = 8, x16 = 16, x32 = 32
        public var factor: Int { rawValue }
        public var code: UInt8 { UInt8(rawValue.trailingZeroBitCount) }
    }

    /// Output data rate 200 Hz / 2^code, code 0x00 … 0x11.
    public struct OutputDataRate: Sendable, Equatable, Codable {
        public let code: UInt8
        public init?(code: UInt8) {
            guard code <= 0x11 else { return nil }
            self.code = code
        }
        /// The setting whose rate equals `hertz` exactly (200, 100, 50, 25, 12.5 …), if any.
        public init?(hertz: Double) {
            guard let code = (0...0x11).first(where: { 200 / Double(1 << $0) == hertz }) else { return nil }
            self.code = UInt8(code)
        }
        public var hertz: Double { 200 / Double(1 << Int(code)) }
    }

    /// IIR filter coefficient 0 (off), 1, 3, 7 … 127, register code 0 … 7.
    public enum IIRFilter: Int, Sendable, Codable, CaseIterable {
        case off = 0, c1 = 1, c3 = 3, c7 = 7, c15 = 15, c31 = 31, c63 = 63, c127 = 127
        public var code: UInt8 { UInt8((rawValue + 1).trailingZeroBitCount) }
    }

    public var pressureOversampling: Oversampling
    public var temperatureOversampling: Oversampling
    public var outputDataRate: OutputDataRate
    public var iirFilter: IIRFilter

    public init(pressureOversampling: Oversampling, temperatureOversampling: Oversampling,
                outputDataRate: OutputDataRate, iirFilter: IIRFilter) {
        self.pressureOversampling = pressureOversampling
        self.temperatureOversampling = temperatureOversampling
        self.outputDataRate = outputDataRate
        self.iirFilter = iirFilter
    }

    /// Conversion time with pressure and temperature enabled, seconds (datasheet §3.9.2):
    /// 234 µs + (392 + 2^osr_p·2000) µs + (313 + 2^osr_t·2000) µs, with 2^osr = the oversampling factor.
    public var measurementTime: Double {
        (234 + 392 + Double(pressureOversampling.factor) * 2000 + 313
         + Double(temperatureOversampling.factor) * 2000) * 1e-6
    }

    /// Whether a conversion fits in one ODR period; the chip sets ERR.conf_err otherwise.
    public var isFeasible: Bool { measurementTime <= 1 / outputDataRate.hertz }
}
