import SensorDrivers
import Synchronization

/// A simulated three-channel current source on the bench's coil set: each channel drives one coil axis
/// (`SimulatedBench.driveCoil`) while its output is on, and reads its current back with a small fixed bias and white
/// noise, both inside the accuracy a certificate would state (defaults: bias ≤ 0.2 mA, noise 20 µA RMS, against
/// ±(0.05 % + 0.5 mA)). Its range is `maximumCurrent`; a setting beyond it is refused, as an instrument queues
/// `-222,"Data out of range"`. `SimulatedCurrentSourceServer` serves it on a socket; `SimulatedCoilFieldSource`
/// drives it in process.
public final class SimulatedCurrentSource: Sendable {
    public let identity: String
    /// The source's range, A (±, when bipolar).
    public let maximumCurrent: Double
    /// Whether it can drive negative current.
    public let bipolar: Bool
    /// The reading's fixed error per channel, A.
    public let readingBias: [Double]
    /// The reading's white noise, A RMS.
    public let readingNoise: Double
    private let bench: SimulatedBench

    private struct State {
        var setpoint = [0.0, 0.0, 0.0]
        var output = [false, false, false]
        var random: SeededRandom
    }
    private let state: Mutex<State>

    public init(identity: String = "SensorQual,SIM-E36312A,SIM0002,1.0", bench: SimulatedBench, maximumCurrent: Double = 3,
                bipolar: Bool = false, readingBias: [Double] = [0.0002, -0.00015, 0.0001], readingNoise: Double = 0.00002,
                seed: UInt64 = 7) {
        self.identity = identity
        self.bench = bench
        self.maximumCurrent = maximumCurrent
        self.bipolar = bipolar
        self.readingBias = readingBias
        self.readingNoise = readingNoise
        state = Mutex(State(random: SeededRandom(seed: seed)))
    }

    /// Whether `amperes` is within the source's range.
    public func accepts(_ amperes: Double) -> Bool {
        amperes.isFinite && abs(amperes) <= maximumCurrent && (bipolar || amperes >= 0)
    }

    /// Sets channel `axis` (0/1/2); false, with nothing changed, outside the range or for a channel that does not
    /// exist.
    @discardableResult
    public func setCurrent(axis: Int, amperes: Double) -> Bool {
        guard (0..<3).contains(axis), accepts(amperes) else { return false }
        let on = state.withLock { state in
            state.setpoint[axis] = amperes
            return state.output[axis]
        }
        if on { bench.driveCoil(axis: axis, amperes: amperes) }
        return true
    }

    /// Turns channel `axis`'s output on (it drives its setpoint) or off (0 A).
    public func setOutput(axis: Int, on: Bool) {
        guard (0..<3).contains(axis) else { return }
        let amperes = state.withLock { state in
            state.output[axis] = on
            return on ? state.setpoint[axis] : 0
        }
        bench.driveCoil(axis: axis, amperes: amperes)
    }

    /// The current channel `axis` reads, A: what flows, plus the reading's bias and noise.
    public func measuredCurrent(axis: Int) -> Double {
        guard (0..<3).contains(axis) else { return .nan }
        let flowing = bench.coilCurrents()[axis]
        return state.withLock { state in
            flowing + readingBias[axis] + readingNoise * state.random.gaussian()
        }
    }
}
