import Foundation

/// The first-order response of a gas sensor's element to what reaches it: the element's signal follows the
/// chamber concentration with time constant τ63 (sensors.md §8.7: t63 is measured from the gas reaching the
/// sensor). Not a datasheet model: real MOx and NDIR responses are not exactly first order, and their rise and
/// fall differ.
///
/// The chamber is only asked about the present mixture, so the lag integrates the input it reports between the
/// model's last bus access and now, in steps of a tenth of the shorter time constant with the input linear
/// across each step (exact for a linear input). A mixture change between two accesses is seen from its own time
/// on only if an access falls between; the drivers poll far more often than τ63, so the error stays small.
struct GasResponseLag: Sendable {
    /// τ63 of the element, s.
    let timeConstant: Double
    /// The lagged value at `time`; nil before the first access (the element starts settled).
    private(set) var value: Double?
    private(set) var time = 0.0

    init(timeConstant: Double) {
        self.timeConstant = Swift.max(timeConstant, 1e-6)
    }

    /// Advances to `t` following `input` (the concentration at the element as a function of time) and returns
    /// the lagged value. `step` bounds the integration step, s (the chamber's flush time constant / 10).
    mutating func advance(to t: Double, step: Double, input: (Double) -> Double) -> Double {
        guard let current = value else {
            let start = input(t)
            value = start
            time = t
            return start
        }
        guard t > time else { return current }
        let h = Swift.max(Swift.min(step, timeConstant / 10), 1e-3)
        let count = Int(((t - time) / h).rounded(.up))
        let dt = (t - time) / Double(count)
        let decay = Foundation.exp(-dt / timeConstant)
        var y = current
        var u0 = input(time)
        for k in 1...count {
            let u1 = input(time + Double(k) * dt)
            // dy/dt = (u − y)/τ with u linear from u0 to u1 over dt, solved exactly.
            y = u1 + (y - u0) * decay - (u1 - u0) / dt * timeConstant * (1 - decay)
            u0 = u1
        }
        value = y
        time = t
        return y
    }
}
