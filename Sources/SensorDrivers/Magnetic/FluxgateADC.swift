import SensorIO

/// What turns a three-axis fluxgate's analog outputs into a field: its scale and zero per axis (from the fluxgate's
/// certificate, through the rig file) and where its outputs meet the ADS122C04.
public struct FluxgateCalibration: Sendable, Equatable, Codable {
    /// Output per field, V/µT, per axis (a ±100 µT, ±10 V fluxgate scaled down by a 1:10 divider: 0.01 V/µT).
    public var voltsPerMicrotesla: FieldVector
    /// Output at zero field, V, per axis.
    public var zeroVolts: FieldVector
    /// The ADS122C04 MUX[3:0] code of the x, y and z outputs: 0…7 differential pairs (0 = AIN0–AIN1), 8…11 =
    /// AIN0…AIN3 against AVSS (`ADS122C04.muxCodes`).
    public var inputs: [UInt8]
    /// ADC gain 1…128 (1, 2, 4 on single-ended inputs); `MagneticSettings.resolution` overrides it.
    public var gain: Int

    public init(voltsPerMicrotesla: FieldVector, zeroVolts: FieldVector, inputs: [UInt8], gain: Int) {
        self.voltsPerMicrotesla = voltsPerMicrotesla
        self.zeroVolts = zeroVolts
        self.inputs = inputs
        self.gain = gain
    }

    /// What makes it unusable, empty when fine; a rig loader reports these at load.
    public var problems: [String] {
        var found: [String] = []
        for (name, value) in [("x", voltsPerMicrotesla.x), ("y", voltsPerMicrotesla.y), ("z", voltsPerMicrotesla.z)]
        where !(value.isFinite && value != 0) {
            found.append("the fluxgate's V/µT of axis \(name) must be a non-zero number")
        }
        if ![zeroVolts.x, zeroVolts.y, zeroVolts.z].allSatisfy(\.isFinite) { found.append("the fluxgate's zero must be finite") }
        if inputs.count != 3 { found.append("three inputs are needed (x, y, z), not \(inputs.count)") }
        for input in inputs where !(0...11).contains(input) {
            found.append("input mux code \(input) is not an analog input pair (0…11)")
        }
        if !ADS122C04.gains.contains(gain) { found.append("gain \(gain) is not one of 1, 2, 4 … 128") }
        return found
    }
}

/// A three-axis fluxgate whose analog outputs are read by one TI ADS122C04 on I2C (the fluxgate class of
/// sensors.md §4 and §8.6: 3–5 pT/√Hz at 1 Hz). One reading is three single-shot conversions, the input mux stepped
/// x → y → z; `poll` starts each and returns `.converting(t)` between them, t from the datasheet's single-shot
/// conversion time. Each axis field = (V − V_zero) / (V/µT).
///
/// The ADC has no id register; `probe` reads the four configuration registers without writing and refuses values
/// with reserved fields set (nothing there, or another chip at the address, usually shows as 0xFF).
public final class FluxgateADC: MagneticSensor {
    public static let driverName = "fluxgate-ads122c04"
    /// Bus time allowed per axis for the mux write, START, DRDY polls and RDATA, s (at 100–400 kHz).
    static let transfersPerAxis = 0.001
    public let adc: ADS122C04
    public let calibration: FluxgateCalibration
    /// The configuration `configure` set; nil before.
    public private(set) var configuration: ADS122C04.Configuration?
    /// The axis whose conversion is under way, and the codes of the axes done.
    private var converting: Int?
    private var codes: [Int64] = []

    public init(device: I2CDevice, calibration: FluxgateCalibration) {
        self.adc = ADS122C04(device: device)
        self.calibration = calibration
    }

    /// Reads CONFIG0…3 (no write). Reserved fields set (MUX 1111, DR 111, CRC 11, CONFIG3 bits 1:0, I1MUX/I2MUX
    /// 110/111) mean no ADS122C04: `wrongChip` names the register and its reset value 0x00.
    public func probe() throws(DriverError) -> SensorIdentity {
        var values: [UInt8] = []
        for register in ADS122C04.Register.allCases { values.append(try adc.read(register)) }
        let reserved: [(ADS122C04.Register, Bool)] = [
            (.config0, values[0] >> 4 == 0xF),
            (.config1, values[1] >> 5 == 0x7),
            (.config2, values[2] >> 4 & 0x3 == 0x3),
            (.config3, values[3] & 0x03 != 0 || values[3] >> 5 >= 6 || values[3] >> 2 & 0x7 >= 6),
        ]
        if let bad = reserved.first(where: { $0.1 })?.0 {
            throw .wrongChip(model: "ADS122C04", register: bad.rawValue, expected: [0x00], found: values[Int(bad.rawValue)])
        }
        return SensorIdentity(model: "ADS122C04", idRegister: nil, idValue: nil, calibration: values)
    }

    /// Single-shot conversions in normal mode at the fastest data rate whose three-axis rate (rate / 3) is at or
    /// below the requested one; gain `settings.resolution` or the calibration's; internal 2.048 V reference.
    /// Full scale is ±2.048/gain V, so ±(2.048/gain)/(V/µT) µT on the least sensitive axis.
    public func configure(_ settings: MagneticSettings) throws(DriverError) -> MagneticMode {
        if let problem = calibration.problems.first { throw .configurationRejected(model: "ADS122C04", reason: problem) }
        let gain = settings.resolution ?? calibration.gain
        let ceiling = settings.outputDataRate * 3 * (1 + 1e-9)
        guard let code = ADS122C04.normalRates.lastIndex(where: { Double($0) <= ceiling }) else {
            throw .configurationRejected(model: "ADS122C04", reason: "no data rate ≤ 3 × \(settings.outputDataRate) Hz "
                                         + "(the slowest is 20 SPS: 6.67 three-axis readings/s)")
        }
        let configurations = calibration.inputs.map {
            ADS122C04.Configuration(mux: $0, gain: gain, dataRateCode: code, mode: .normal, continuous: false)
        }
        if let problem = configurations.compactMap(\.problem).first {
            throw .configurationRejected(model: "ADS122C04", reason: problem)
        }
        let sensitivity = [calibration.voltsPerMicrotesla.x, calibration.voltsPerMicrotesla.y,
                           calibration.voltsPerMicrotesla.z].map(abs).min() ?? 1
        let fullScale = ADS122C04.internalReference / Double(gain) / sensitivity
        if let wanted = settings.fullScale, wanted > fullScale * (1 + 1e-9) {
            throw .configurationRejected(model: "ADS122C04", reason: "full scale ±\(wanted) µT exceeds ±\(fullScale) µT at gain \(gain)")
        }
        try adc.powerDown()
        try adc.configure(configurations[0])
        configuration = configurations[0]
        converting = nil
        codes = []
        let rate = ADS122C04.normalRates[code]
        // A reading is three single-shot conversions (datasheet Table 12: a little longer than 1/DR each), each
        // with its mux write, START, DRDY poll and RDATA on the bus: allow 1 ms of transfers per axis, so the
        // stated rate is one the host-paced sequence sustains.
        let axisTime = ADS122C04.singleShotConversionTime(dataRateCode: code, mode: .normal) + Self.transfersPerAxis
        return MagneticMode(outputDataRate: 1 / (3 * axisTime), resolution: gain, fullScale: fullScale,
                            countsPerMicrotesla: sensitivity * Double(gain) * 8_388_608 / ADS122C04.internalReference,
                            notes: "ADS122C04 \(rate) SPS single-shot, gain \(gain), internal 2.048 V reference; "
                                + "axes converted in turn (x, y, z)")
    }

    /// Starts the next axis's conversion, or reads the finished one; a reading after z. A bus error drops the
    /// reading in progress, so the next poll starts again at x instead of waiting for a DRDY that already went.
    public func poll() throws(DriverError) -> MagneticPoll {
        do throws(DriverError) {
            return try step()
        } catch {
            converting = nil
            codes = []
            throw error
        }
    }

    private func step() throws(DriverError) -> MagneticPoll {
        guard let configuration else {
            throw .configurationRejected(model: "ADS122C04", reason: "poll before configure")
        }
        guard let axis = converting else { return try startConversion(axis: 0) }
        guard try adc.isDataReady() else { return .notReady }
        codes.append(try adc.readCode())
        if axis < 2 { return try startConversion(axis: axis + 1) }
        converting = nil
        let raw = codes
        codes = []
        let volts = raw.map { ADS122C04.volts(code: $0, gain: configuration.gain) }
        let field = FieldVector(x: (volts[0] - calibration.zeroVolts.x) / calibration.voltsPerMicrotesla.x,
                                y: (volts[1] - calibration.zeroVolts.y) / calibration.voltsPerMicrotesla.y,
                                z: (volts[2] - calibration.zeroVolts.z) / calibration.voltsPerMicrotesla.z)
        return .reading(MagneticReading(field: field, raw: RawWords(raw)))
    }

    /// POWERDOWN; a reading in progress is dropped.
    public func standby() throws(DriverError) {
        converting = nil
        codes = []
        try adc.powerDown()
    }

    /// Selects `axis`'s input (CONFIG0) and sends START/SYNC.
    private func startConversion(axis: Int) throws(DriverError) -> MagneticPoll {
        guard var next = configuration else { return .notReady }
        next.mux = calibration.inputs[axis]
        if axis == 0 { codes = [] }
        try adc.write(.config0, next.config0)
        try adc.start()
        converting = axis
        return .converting(ADS122C04.singleShotConversionTime(dataRateCode: next.dataRateCode, mode: next.mode))
    }
}
