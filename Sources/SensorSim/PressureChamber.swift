/// The pneumatic manifold the DUTs and the reference controller share: its true pressure follows the
/// controller's setpoint as a first-order lag; its temperature holds at the
/// chamber's set temperature with a slow swing. Times in seconds on the simulated clock.
struct PressureChamber {
    /// Time constant of the controlled volume, s.
    var timeConstant = 2.5
    var temperature = 25.0
    /// Amplitude (°C) and period (s) of the chamber temperature swing.
    var temperatureSwing = (amplitude: 0.02, period: 900.0)

    private(set) var target = 101_325.0
    private var startPressure = 101_325.0
    private var changeTime = 0.0

    /// The controller commands a new target at time t.
    mutating func command(target newTarget: Double, at t: Double) {
        startPressure = settledPressure(at: t)
        target = newTarget
        changeTime = t
    }

    /// True pressure without ripple, Pa.
    func settledPressure(at t: Double) -> Double {
        let elapsed = Swift.max(0, t - changeTime)
        return target + (startPressure - target) * Foundation.exp(-elapsed / timeConstant)
    }

    func temperature(at t: Double) -> Double {
        temperature + temperatureSwing.amplitude * Foundation.sin(2 * .pi * t / temperatureSwing.period)
    }
}

import Foundation
