import Foundation
import SensorIO

/// ScioSense ENS160 four-pixel MOx sensor with on-chip algorithms, over I2C at 0x52/0x53 (reference/sensors.md §1,
/// §5.4; ENS160 datasheet [S28], ScioSense/SparkFun code [S29]). Register-mapped, little-endian 16-bit values.
///
/// The driver runs standard mode (one data set per second), writes the chamber's temperature and humidity to
/// TEMP_IN/RH_IN (§8.7), and reports each reading's on-chip TVOC/eCO2/AQI and the four raw pixel resistances as
/// log2(R/Ω) = raw/2048: linear in log-concentration, so the engine fits and judges drift on them (§8.7); the
/// resistance itself is `resistance(raw:)`. A reading is valid only when the validity field is 0 (§5.4, §8.7).
public final class ENS160: GasSensor {
    /// Register addresses (sensors.md §5.4 table).
    public enum Register: UInt8, Sendable {
        case partID = 0x00          // 0x00–0x01, LE 0x0160
        case operatingMode = 0x10   // OPMODE
        case configuration = 0x11   // CONFIG: interrupt pin
        case command = 0x12
        case temperatureIn = 0x13   // 0x13–0x14, LE, (T + 273.15)·64
        case humidityIn = 0x15      // 0x15–0x16, LE, RH·512
        case deviceStatus = 0x20    // bit7 STATAS, bit6 STATER, bits 3:2 validity, bit1 NEWDAT, bit0 NEWGPR
        case airQualityIndex = 0x21 // bits 2:0 AQI-UBA
        case tvoc = 0x22            // 0x22–0x23, LE, ppb
        case eco2 = 0x24            // 0x24–0x25, LE, ppm
        case rawResistance = 0x48   // GPR_READ 0x48–0x4F: R1…R4, LE u16 each
    }

    /// OPMODE values (§5.4).
    public enum OperatingMode: UInt8, Sendable {
        case deepSleep = 0x00, idle = 0x01, standard = 0x02, reset = 0xF0
    }

    public static let partID: UInt16 = 0x0160
    public static let newData: UInt8 = 1 << 1
    public static let newRawData: UInt8 = 1 << 0
    public static let statusError: UInt8 = 1 << 6
    /// Standard mode's output period, s (sensors.md §1: 1 Hz [unverified]).
    public static let standardPeriod = 1.0
    /// Warm-up after entering standard mode, s: the validity field reads 1 meanwhile (§5.4: ≈ 3 min [unverified]).
    public static let warmUp = 180.0

    /// TEMP_IN: (T°C + 273.15)·64, truncated as ScioSense's and SparkFun's code cast it (§5.4; §6 V14: 25 °C →
    /// 19081 = `89 4A`; rounding would give 19082).
    public static func temperatureInput(celsius: Double) -> UInt16 {
        UInt16(Swift.min(Swift.max((celsius + 273.15) * 64, 0), 65535))
    }

    /// RH_IN: RH%·512, truncated (§5.4; §6 V14: 50 % → 25600 = `00 64`).
    public static func humidityInput(percent: Double) -> UInt16 {
        UInt16(Swift.min(Swift.max(percent, 0), 100) * 512)
    }

    /// °C of a TEMP_IN or DATA_T word, the inverse of `temperatureInput(celsius:)`: word/64 − 273.15 (§5.4).
    public static func celsius(temperatureWord word: UInt16) -> Double { Double(word) / 64 - 273.15 }

    /// %RH of a RH_IN or DATA_RH word, the inverse of `humidityInput(percent:)`: word/512 (§5.4).
    public static func humidityPercent(word: UInt16) -> Double { Double(word) / 512 }

    /// Pixel resistance R = 2^(raw/2048) Ω (§5.4, ScioSense `CONVERT_RS_RAW2OHMS_F`; §6 V14: 0x8000 → 65536 Ω).
    public static func resistance(raw: UInt16) -> Double { Foundation.pow(2, Double(raw) / 2048) }

    /// The reported raw signal, log2(R/Ω) = raw/2048.
    public static func log2Resistance(raw: UInt16) -> Double { Double(raw) / 2048 }

    /// What the two-bit validity field (DEVICE_STATUS bits 3:2) means (§5.4).
    public static func validityText(_ validity: UInt8) -> String? {
        switch validity & 0x03 {
        case 0: nil
        case 1: "warm-up"
        case 2: "initial start-up"
        default: "invalid"
        }
    }

    public static let signals = [
        GasSignalDescription(name: "log2_r1", unit: "log2 Ω", role: .raw),
        GasSignalDescription(name: "log2_r2", unit: "log2 Ω", role: .raw),
        GasSignalDescription(name: "log2_r3", unit: "log2 Ω", role: .raw),
        GasSignalDescription(name: "log2_r4", unit: "log2 Ω", role: .raw),
        GasSignalDescription(name: "tvoc", unit: "ppb", role: .onChip),
        GasSignalDescription(name: "eco2", unit: "ppm", role: .onChip),
        GasSignalDescription(name: "aqi", unit: "AQI-UBA", role: .index),
    ]

    /// Decodes DEVICE_STATUS, DATA_AQI…DATA_ECO2 (0x21–0x25) and GPR_READ (0x48–0x4F). `raw` is
    /// [AQI, TVOC, ECO2, R1, R2, R3, R4].
    public static func reading(status: UInt8, data: [UInt8], pixels: [UInt8]) -> GasReading {
        guard data.count >= 5, pixels.count >= 8 else { return GasReading(values: [:], valid: false, status: "short read", raw: []) }
        let aqi = UInt16(data[0] & 0x07)
        let tvoc = UInt16(data[1]) | UInt16(data[2]) << 8
        let eco2 = UInt16(data[3]) | UInt16(data[4]) << 8
        let r = (0..<4).map { UInt16(pixels[2 * $0]) | UInt16(pixels[2 * $0 + 1]) << 8 }
        var values = ["tvoc": Double(tvoc), "eco2": Double(eco2), "aqi": Double(aqi)]
        for (i, word) in r.enumerated() { values["log2_r\(i + 1)"] = log2Resistance(raw: word) }
        let why = validityText(status >> 2)
        return GasReading(values: values, valid: why == nil, status: why, raw: ([aqi, tvoc, eco2] + r).map(Int64.init))
    }

    public static let driverName = "ens160"
    public let device: I2CDevice

    public init(device: I2CDevice) {
        self.device = device
    }

    /// Reads PART_ID (0x00–0x01) only: it must be 0x0160, little-endian (`60 01`).
    public func probe() throws(DriverError) -> SensorIdentity {
        let id = try device.registers(Register.partID.rawValue, count: 2)
        guard id[0] == UInt8(Self.partID & 0xFF) else {
            throw .wrongChip(model: "ENS160", register: Register.partID.rawValue, expected: [UInt8(Self.partID & 0xFF)], found: id[0])
        }
        guard id[1] == UInt8(Self.partID >> 8) else {
            throw .wrongChip(model: "ENS160", register: Register.partID.rawValue + 1, expected: [UInt8(Self.partID >> 8)], found: id[1])
        }
        return SensorIdentity(model: "ENS160", idRegister: Register.partID.rawValue, idValue: id[0], calibration: [])
    }

    /// OPMODE idle, CONFIG 0 (no interrupt: the engine polls), TEMP_IN and RH_IN, then OPMODE standard. Standard
    /// mode has one rate, 1 Hz: a longer interval is served by the engine taking every n-th reading.
    public func configure(_ settings: GasSettings) throws(DriverError) -> GasMode {
        guard settings.samplingInterval.isFinite, settings.samplingInterval > 0 else {
            throw .configurationRejected(model: "ENS160", reason: "sampling interval \(settings.samplingInterval) s is not positive")
        }
        let celsius = settings.temperatureC ?? GasSettings.defaultTemperatureC
        let humidity = settings.humidityPercent ?? GasSettings.defaultHumidityPercent
        guard (-40...85).contains(celsius), (0...100).contains(humidity) else {
            throw .configurationRejected(model: "ENS160", reason: "compensation \(celsius) °C, \(humidity) %RH is outside −40–85 °C, 0–100 %RH")
        }
        try device.set(Register.operatingMode.rawValue, OperatingMode.idle.rawValue)
        try device.set(Register.configuration.rawValue, 0x00)
        let t = Self.temperatureInput(celsius: celsius), rh = Self.humidityInput(percent: humidity)
        try device.command([Register.temperatureIn.rawValue, UInt8(t & 0xFF), UInt8(t >> 8)])
        try device.command([Register.humidityIn.rawValue, UInt8(rh & 0xFF), UInt8(rh >> 8)])
        try device.set(Register.operatingMode.rawValue, OperatingMode.standard.rawValue)
        return GasMode(samplingInterval: Self.standardPeriod, signals: Self.signals, warmUp: Self.warmUp,
                       notes: "standard mode, TEMP_IN \(celsius) °C, RH_IN \(humidity) %RH; raw pixels as log2(R/Ω)")
    }

    /// DEVICE_STATUS; when NEWDAT and NEWGPR are both set, DATA_AQI…DATA_ECO2 and GPR_READ in two bursts.
    public func poll() throws(DriverError) -> GasPoll {
        let status = try device.registers(Register.deviceStatus.rawValue, count: 1)[0]
        guard status & Self.statusError == 0 else {
            throw .configurationRejected(model: "ENS160", reason: "DEVICE_STATUS 0x\(hex(status)) has STATER set (invalid operating mode or error)")
        }
        guard status & (Self.newData | Self.newRawData) == Self.newData | Self.newRawData else { return .notReady }
        let data = try device.registers(Register.airQualityIndex.rawValue, count: 5)
        let pixels = try device.registers(Register.rawResistance.rawValue, count: 8)
        return .reading(Self.reading(status: status, data: data, pixels: pixels))
    }

    /// OPMODE deep sleep: the hotplates go cold, and the next standard mode warms up again.
    public func standby() throws(DriverError) {
        try device.set(Register.operatingMode.rawValue, OperatingMode.deepSleep.rawValue)
    }
}
