import SensorIO

/// MEMSIC MMC5983MA AMR three-axis magnetometer, ±8 G, 18-bit, over I2C (datasheet [S18]; reference/sensors.md §1,
/// §3.2).
///
/// With offset cancellation (the default) each reading is two single measurements that `poll` sequences: a SET
/// pulse and a measurement, then a RESET pulse and a measurement. The pulses flip the AMR bridge's magnetisation,
/// so the field term changes sign while the bridge offset does not: H = (SET − RESET)/2 and
/// offset = (SET + RESET)/2 (sensors.md §3.2). Without it the chip runs continuous mode after one SET pulse and
/// readings carry the bridge offset.
public final class MMC5983MA: MagneticSensor {
    /// Register addresses (sensors.md §3.2 table).
    public enum Register: UInt8, Sendable {
        case output = 0x00          // Xout0/1, Yout0/1, Zout0/1 (bits 17:10, 9:2), 0x06 XYZout2, 0x07 Tout
        case temperature = 0x07
        case status = 0x08          // bit0 Meas_M_Done, bit1 Meas_T_Done, bit4 OTP_Rd_Done; write 1 to clear
        case control0 = 0x09        // bit0 TM_M, bit1 TM_T, bit2 INT_meas_done_en, bit3 SET, bit4 RESET, bit5 Auto_SR_en
        case control1 = 0x0A        // bits 1:0 BW, bit2 X-inhibit, bits 4:3 YZ-inhibit, bit7 SW_RST
        case control2 = 0x0B        // bits 2:0 CM_Freq, bit3 Cmm_en, bits 6:4 Prd_set, bit7 En_prd_set
        case control3 = 0x0C
        case productID = 0x2F
    }

    public static let productIDValue: UInt8 = 0x30
    public static let measurementDone: UInt8 = 1 << 0
    public static let startMeasurement: UInt8 = 1 << 0
    public static let setPulse: UInt8 = 1 << 3
    public static let resetPulse: UInt8 = 1 << 4
    public static let continuousEnable: UInt8 = 1 << 3
    public static let softwareReset: UInt8 = 1 << 7

    /// Code of zero field in the unsigned 18-bit output, and counts per µT: 16384 counts/G (sensors.md §3.2).
    public static let nullFieldCode: Int64 = 131_072
    public static let countsPerGauss = 16_384.0
    public static let countsPerMicrotesla = countsPerGauss / 100
    public static let codeRange: ClosedRange<Int64> = 0...262_143
    public static let fullScale = 800.0

    /// Measurement time by BW code 0…3, s (Control1 bits 1:0: 8, 4, 2, 0.5 ms).
    public static let measurementTimes = [0.008, 0.004, 0.002, 0.0005]
    /// Highest continuous rate by BW code, Hz (sensors.md §3.2: 50/100/225/580, and 1000 with BW 11 and CM_Freq 111).
    public static let maximumRates = [50.0, 100, 225, 1000]
    /// Continuous rates by CM_Freq code 1…7, Hz.
    public static let continuousRates = [1.0, 10, 20, 50, 100, 200, 1000]

    /// One axis's 18-bit code: `Xout0<<10 | Xout1<<2 | XYZout2 bits` (sensors.md §3.2; axis 0/1/2 = X/Y/Z, whose
    /// two low bits sit at XYZout2 bits 7:6, 5:4, 3:2).
    public static func code(fromData b: some RandomAccessCollection<UInt8>, axis: Int) -> Int64 {
        func byte(_ offset: Int) -> Int64 { Int64(b[b.index(b.startIndex, offsetBy: offset)]) }
        return byte(2 * axis) << 10 | byte(2 * axis + 1) << 2 | byte(6) >> (6 - 2 * axis) & 0x03
    }

    /// µT of an 18-bit code: (code − 131072)/16384 G (sensors.md §3.2, §6 V8).
    public static func microtesla(code: Int64) -> Double {
        microtesla(codes: Double(code - nullFieldCode))
    }

    /// µT of a code difference from the null code: G·100, dividing by 16384 first so that whole gauss stay exact.
    static func microtesla(codes: Double) -> Double {
        codes / countsPerGauss * 100
    }

    /// The three codes of the 7 output bytes 0x00–0x06.
    public static func codes(fromData b: some RandomAccessCollection<UInt8>) -> RawWords {
        RawWords(x: code(fromData: b, axis: 0), y: code(fromData: b, axis: 1), z: code(fromData: b, axis: 2))
    }

    /// A reading without offset cancellation: the field includes the bridge offset.
    public static func reading(fromData b: [UInt8]) -> MagneticReading {
        reading(codes: codes(fromData: b))
    }

    public static func reading(codes: RawWords) -> MagneticReading {
        MagneticReading(field: FieldVector(x: microtesla(code: codes[0]), y: microtesla(code: codes[1]), z: microtesla(code: codes[2])),
                        raw: codes)
    }

    /// The offset-cancelled reading of a SET and a RESET measurement (sensors.md §3.2): H = (SET − RESET)/2,
    /// offset = (SET + RESET)/2, in µT. `raw` holds the SET codes then the RESET codes.
    public static func reading(set: RawWords, reset: RawWords) -> MagneticReading {
        let field = (0..<3).map { microtesla(codes: Double(set[$0] - reset[$0]) / 2) }
        let offset = (0..<3).map { microtesla(codes: Double(set[$0] + reset[$0]) / 2 - Double(nullFieldCode)) }
        var raw = set
        for code in reset { raw.append(code) }
        return MagneticReading(field: vector(field), offset: vector(offset), raw: raw)
    }

    private static func vector(_ v: [Double]) -> FieldVector { FieldVector(x: v[0], y: v[1], z: v[2]) }

    /// Where `poll` is in a SET/RESET sequence.
    enum Sequence: Equatable {
        case idle
        case measuringSet
        case measuringReset(set: RawWords)
    }

    public static let driverName = "mmc5983ma"
    public let device: I2CDevice
    public private(set) var bandwidth = 0
    public private(set) var offsetCancellation = true
    private(set) var sequence = Sequence.idle

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Reads Product ID (0x2F) only.
    public func probe() throws(DriverError) -> SensorIdentity {
        let id = try device.registers(Register.productID.rawValue, count: 1)[0]
        guard id == Self.productIDValue else {
            throw .wrongChip(model: "MMC5983MA", register: Register.productID.rawValue, expected: [Self.productIDValue], found: id)
        }
        return SensorIdentity(model: "MMC5983MA", idRegister: Register.productID.rawValue, idValue: id, calibration: [])
    }

    /// Sets BW (resolution 0…3, default 0) and either arms the SET/RESET sequence (single measurements, two per
    /// reading, so at most half the BW's continuous rate) or starts continuous mode at the fastest CM_Freq rate
    /// at or below the request that the BW allows.
    public func configure(_ settings: MagneticSettings) throws(DriverError) -> MagneticMode {
        let bw = settings.resolution ?? 0
        guard Self.measurementTimes.indices.contains(bw) else {
            throw .configurationRejected(model: "MMC5983MA", reason: "bandwidth code \(bw) is not 0…3 (100/200/400/800 Hz)")
        }
        if let wanted = settings.fullScale, wanted > Self.fullScale {
            throw .configurationRejected(model: "MMC5983MA", reason: "full scale ±\(wanted) µT exceeds the chip's ±800 µT")
        }
        let ceiling = Self.maximumRates[bw] / (settings.offsetCancellation ? 2 : 1)
        let allowed = Self.continuousRates.filter { $0 <= ceiling && $0 <= settings.outputDataRate * (1 + 1e-9) }
        guard let hertz = allowed.max(), let index = Self.continuousRates.firstIndex(of: hertz) else {
            throw .configurationRejected(model: "MMC5983MA", reason: "no output data rate ≤ \(settings.outputDataRate) Hz (the slowest is 1 Hz)")
        }
        try device.set(Register.control2.rawValue, 0x00)            // continuous mode off while BW changes
        try device.set(Register.control1.rawValue, UInt8(bw))
        try device.set(Register.status.rawValue, Self.measurementDone)  // clear a stale Meas_M_Done
        bandwidth = bw
        offsetCancellation = settings.offsetCancellation
        sequence = .idle
        let notes: String
        if settings.offsetCancellation {
            notes = "SET/RESET offset cancellation, BW \(bw)"
        } else {
            // One SET pulse defines the magnetisation; the readings then carry the bridge offset.
            try device.set(Register.control0.rawValue, Self.setPulse)
            try device.set(Register.control2.rawValue, Self.continuousEnable | UInt8(index + 1))
            notes = "continuous mode after one SET pulse, offset not removed, BW \(bw)"
        }
        return MagneticMode(outputDataRate: hertz, resolution: bw, fullScale: Self.fullScale,
                            countsPerMicrotesla: Self.countsPerMicrotesla, notes: notes)
    }

    /// Continuous mode: reads a finished measurement. SET/RESET: advances the sequence — starts the SET
    /// measurement, then on its Meas_M_Done the RESET one (`.converting` each time), then returns the cancelled
    /// reading.
    public func poll() throws(DriverError) -> MagneticPoll {
        guard offsetCancellation else {
            guard let codes = try finishedMeasurement() else { return .notReady }
            return .reading(Self.reading(codes: codes))
        }
        switch sequence {
        case .idle:
            try measure(after: Self.setPulse)
            sequence = .measuringSet
            return .converting(Self.measurementTimes[bandwidth])
        case .measuringSet:
            guard let set = try finishedMeasurement() else { return .notReady }
            try measure(after: Self.resetPulse)
            sequence = .measuringReset(set: set)
            return .converting(Self.measurementTimes[bandwidth])
        case .measuringReset(let set):
            guard let reset = try finishedMeasurement() else { return .notReady }
            sequence = .idle
            return .reading(Self.reading(set: set, reset: reset))
        }
    }

    /// A SET or RESET pulse, then TM_M. They are separate writes: the bits self-clear, and the pulse must end
    /// before the bridge is measured.
    private func measure(after pulse: UInt8) throws(DriverError) {
        try device.set(Register.control0.rawValue, pulse)
        try device.set(Register.control0.rawValue, Self.startMeasurement)
    }

    /// The codes of a finished measurement (Status Meas_M_Done, then cleared by writing 1), or nil.
    private func finishedMeasurement() throws(DriverError) -> RawWords? {
        let status = try device.value(of: Register.status.rawValue)
        guard status & Self.measurementDone != 0 else { return nil }
        let codes = try withUnsafeTemporaryAllocation(byteCount: 7, alignment: 1) { (bytes) throws(DriverError) in
            try device.registers(Register.output.rawValue, into: bytes)
            return Self.codes(fromData: UnsafeRawBufferPointer(bytes))
        }
        try device.set(Register.status.rawValue, Self.measurementDone)
        return codes
    }

    /// Continuous mode off; single measurements are only made on request, so the chip idles.
    public func standby() throws(DriverError) {
        try device.set(Register.control2.rawValue, 0x00)
        sequence = .idle
    }
}
