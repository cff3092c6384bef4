import SensorDrivers
import SensorIO

/// One slot read outside a run (`sensorqual read`): the slot's driver probed and configured for a rate, each poll a
/// reading of named quantities. The run engine's drivers and settings, without a plan; the caller owns time.
public final class SlotReader {
    /// A quantity each reading carries (`pressure_pa`, `x_ut`, a gas signal).
    public struct Quantity: Sendable, Equatable {
        public var name: String
        public var unit: String
    }

    /// What one poll found.
    public enum Poll: Sendable, Equatable {
        /// Values in `quantities` order; `valid` false when the chip marks the reading invalid (warm-up).
        case reading([Double], valid: Bool)
        case notReady
        /// Poll again after this many seconds (a command chip's conversion).
        case converting(Double)
    }

    private enum Driver {
        case pressure(any PressureSensor)
        case magnetic(any MagneticSensor)
        case gas(any GasSensor, signals: [GasSignalDescription])
    }

    public let model: String
    /// The mode set, in words.
    public let mode: String
    /// Readings per second the chip was set to.
    public let rate: Double
    public let quantities: [Quantity]
    private let driver: Driver

    /// Probes the chip (`DriverError.wrongChip` for another part) and configures it at the fastest rate at or below
    /// `rate` that it offers; a pressure chip at the highest oversampling that keeps that rate (the lowest noise).
    public init(slot: Rig.Slot, chip: ChipDescription, device: I2CDevice, rate: Double) throws(DriverError) {
        switch chip.sensorClass {
        case "magnetic":
            guard let sensor = slot.magneticSensor(chip: chip, device: device) else { throw Self.noDriver(chip) }
            model = try sensor.probe().model
            let set = try sensor.configure(MagneticSettings(outputDataRate: rate))
            mode = String(format: "ODR %g Hz, resolution setting %d, ±%g µT", set.outputDataRate, set.resolution, set.fullScale)
                + (set.notes.isEmpty ? "" : ", " + set.notes)
            self.rate = set.outputDataRate
            quantities = ["x_ut", "y_ut", "z_ut"].map { Quantity(name: $0, unit: "µT") }
            driver = .magnetic(sensor)
        case "gas":
            guard let sensor = GasDrivers.sensor(driver: chip.driver, device: device) else { throw Self.noDriver(chip) }
            model = try sensor.probe().model
            let set = try sensor.configure(GasSettings(samplingInterval: max(1 / rate, 1)))
            mode = String(format: "every %g s, warm-up %g s", set.samplingInterval, set.warmUp) + (set.notes.isEmpty ? "" : ", " + set.notes)
            self.rate = 1 / set.samplingInterval
            quantities = set.signals.map { Quantity(name: $0.name, unit: $0.unit) }
            driver = .gas(sensor, signals: set.signals)
        default:
            guard let sensor = PressureDrivers.sensor(driver: chip.driver, device: device) else { throw Self.noDriver(chip) }
            model = try sensor.probe().model
            // The fastest rate at or below the one asked for (at the lowest oversampling), then the highest oversampling
            // that keeps it: the lowest noise at the rate the technician wants.
            var fastest: PressureMode?
            var refusal: DriverError?
            for oversampling in chip.oversamplingModes.sorted() where fastest == nil {
                do throws(DriverError) {
                    fastest = try sensor.configure(PressureSettings(oversampling: oversampling, outputDataRate: rate))
                } catch {
                    guard case .configurationRejected = error else { throw error }
                    refusal = error
                }
            }
            guard let fastest else {
                throw refusal ?? .configurationRejected(model: model, reason: "the catalog lists no oversampling for \(chip.chip)")
            }
            var configured = fastest
            for oversampling in chip.oversamplingModes.sorted(by: >) where oversampling > fastest.pressureOversampling {
                let set: PressureMode
                do throws(DriverError) {
                    set = try sensor.configure(PressureSettings(oversampling: oversampling, outputDataRate: rate))
                } catch {
                    guard case .configurationRejected = error else { throw error }
                    continue
                }
                if set.outputDataRate == fastest.outputDataRate {
                    configured = set
                    break
                }
            }
            // The chip is in the mode configured last: the chosen one, unless no higher oversampling kept the rate.
            if configured == fastest, chip.oversamplingModes.contains(where: { $0 > fastest.pressureOversampling }) {
                configured = try sensor.configure(PressureSettings(oversampling: fastest.pressureOversampling, outputDataRate: rate))
            }
            mode = PressureConditions(configured).summary
            self.rate = configured.outputDataRate
            quantities = [Quantity(name: "pressure_pa", unit: "Pa"), Quantity(name: "temperature_c", unit: "°C")]
            driver = .pressure(sensor)
        }
    }

    private static func noDriver(_ chip: ChipDescription) -> DriverError {
        .configurationRejected(model: chip.model, reason: "no \(chip.sensorClass) driver named '\(chip.driver)'")
    }

    public func poll() throws(DriverError) -> Poll {
        switch driver {
        case .pressure(let sensor):
            switch try sensor.poll() {
            case .reading(let reading): return .reading([reading.pressure, reading.temperature], valid: true)
            case .notReady: return .notReady
            case .converting(let seconds): return .converting(seconds)
            }
        case .magnetic(let sensor):
            switch try sensor.poll() {
            case .reading(let reading): return .reading([reading.field.x, reading.field.y, reading.field.z], valid: true)
            case .notReady: return .notReady
            case .converting(let seconds): return .converting(seconds)
            }
        case .gas(let sensor, let signals):
            switch try sensor.poll() {
            case .reading(let reading): return .reading(signals.map { reading.values[$0.name] ?? .nan }, valid: reading.valid)
            case .notReady: return .notReady
            case .converting(let seconds): return .converting(seconds)
            }
        }
    }

    /// Stops conversions, as at the end of a run; the data registers keep the last conversion.
    public func standby() throws(DriverError) {
        switch driver {
        case .pressure(let sensor): try sensor.standby()
        case .magnetic(let sensor): try sensor.standby()
        case .gas(let sensor, _): try sensor.standby()
        }
    }
}
