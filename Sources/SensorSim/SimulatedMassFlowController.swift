import Foundation
import SensorDrivers

/// One simulated mass-flow controller (Alicat-like): its flow approaches the set point as a first-order lag of
/// `timeConstant` on the simulated clock, and it reads that flow with white noise. It is the state behind one unit
/// id on a `SimulatedMassFlowLine`.
struct SimulatedMassFlowController: Sendable {
    let unitID: String
    /// In `unit`.
    let fullScale: Double
    let unit: FlowUnit
    /// The gas the MFC is calibrated for, as its frame names it (`N2`, `Air`).
    let gasLabel: String
    /// The valve's response, s (real MFCs settle in well under a second to a few seconds).
    let timeConstant: Double
    /// The reading noise's standard deviation, in `unit`.
    let noise: Double

    private(set) var setpoint = 0.0
    private var start = 0.0
    private var commandTime = 0.0

    init(unitID: String, fullScale: Double, unit: FlowUnit, gasLabel: String, timeConstant: Double = 0.5, noise: Double) {
        self.unitID = unitID
        self.fullScale = fullScale
        self.unit = unit
        self.gasLabel = gasLabel
        self.timeConstant = timeConstant
        self.noise = noise
    }

    /// The true flow at time t, in `unit`.
    func flow(at t: Double) -> Double {
        setpoint + (start - setpoint) * exp(-Swift.max(0, t - commandTime) / timeConstant)
    }

    /// A new set point from time t, clamped to 0…full scale as the instrument does.
    mutating func command(setpoint value: Double, at t: Double) {
        start = flow(at: t)
        setpoint = Swift.min(Swift.max(value, 0), fullScale)
        commandTime = t
    }

    /// The data frame at time t: unit id, pressure (psia), temperature (°C), volumetric flow, mass flow, set point,
    /// gas; `reading` is the mass-flow reading (true flow plus noise).
    func frame(reading: Double) -> String {
        [unitID, Self.signed(14.696, 2), Self.signed(25.0, 2), Self.signed(reading * 1.0094, 3), Self.signed(reading, 3),
         Self.signed(setpoint, 3), gasLabel].joined(separator: " ")
    }

    /// Alicat-style signed fixed-point field, e.g. `+000.900`.
    private static func signed(_ value: Double, _ decimals: Int) -> String {
        String(format: "%+0\(decimals + 5).\(decimals)f", value)
    }
}
