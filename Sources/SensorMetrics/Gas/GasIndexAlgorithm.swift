import Foundation

/// The Sensirion Gas Index Algorithm (SGP40/SGP41 VOC index, SGP41 NOx index) as a streaming value type
/// (reference/sensors.md §5.3, [S26]): one raw signal (SRAW ticks) in per sampling interval, one index out.
///
/// The index is *relative*: the VOC index maps the sensor's learned average of the past hours to 100 (0–500), the
/// NOx index maps the baseline to 1. The estimator adapts all the time (learning time 12 h; its first 45 min learn
/// fast), so the index is a view for people, not a measurand: qualification metrics use SRAW (sensors.md §8.7). We
/// compute it to show the index a DUT's own firmware would show, and to compare it with one the DUT reports.
///
/// Written from Sensirion's published description and constants (gas-index-algorithm 3.x,
/// `sensirion_gas_index_algorithm.h`), in double precision; Sensirion's reference uses 16.16 fixed point, so an
/// index here may differ from theirs by 1 (V13 allows ±1).
public struct GasIndexAlgorithm: Sendable {
    /// Which index, with its own SRAW floor, gating and output mapping.
    public enum Mode: String, Sendable, CaseIterable {
        case voc
        case nox
    }

    /// The published tuning knobs (Sensirion's `set_tuning_parameters`); the defaults are the firmware's.
    public struct Tuning: Sendable, Equatable {
        /// The index of typical (average) air: 100 (VOC) or 1 (NOx); 1…250.
        public var indexOffset: Double
        /// Time constant of the long-term offset (mean) estimator, h; past events fade after about twice it.
        public var learningTimeOffsetHours: Double
        /// Time constant of the long-term gain (variance) estimator, h; not used by NOx.
        public var learningTimeGainHours: Double
        /// Longest freeze of the estimator while the index stays high, min (0: no gating).
        public var gatingMaxDurationMinutes: Double
        /// The initial standard deviation of SRAW; lower boosts events while learning. Not used by NOx.
        public var stdInitial: Double
        /// The gain from normalized SRAW to index points.
        public var gainFactor: Double

        /// The defaults for `mode`.
        public init(mode: Mode) {
            indexOffset = mode == .nox ? 1 : 100
            learningTimeOffsetHours = 12
            learningTimeGainHours = 12
            gatingMaxDurationMinutes = mode == .nox ? 720 : 180
            stdInitial = 50
            gainFactor = 230
        }
    }

    public let mode: Mode
    public let tuning: Tuning
    /// Seconds between samples: the algorithm's time constants are in seconds, so it must know.
    public let samplingInterval: Double

    /// Samples whose index is 0 after start: the sensor's heater settles (`INITIAL_BLACKOUT`, 45 s).
    static let initialBlackout = 45.0

    private let constants: Constants
    private var uptime = 0.0
    private var sraw = 0.0
    private var index = 0.0
    private var estimator: MeanVarianceEstimator
    private var lowpass: AdaptiveLowpass

    /// - Parameters:
    ///   - mode: VOC or NOx.
    ///   - samplingInterval: Seconds between `process` calls (1 s nominal, 10 s in Sensirion's low-power mode).
    ///   - tuning: The firmware's defaults unless the DUT was tuned.
    public init(mode: Mode, samplingInterval: Double = 1, tuning: Tuning? = nil) {
        self.mode = mode
        self.samplingInterval = samplingInterval
        let tuning = tuning ?? Tuning(mode: mode)
        self.tuning = tuning
        constants = Constants(mode: mode)
        estimator = MeanVarianceEstimator(mode: mode, tuning: tuning, constants: constants, interval: samplingInterval)
        lowpass = AdaptiveLowpass(interval: samplingInterval)
    }

    /// Starts learning afresh, keeping mode, interval and tuning (after an interruption of the measurement).
    public mutating func reset() {
        self = GasIndexAlgorithm(mode: mode, samplingInterval: samplingInterval, tuning: tuning)
    }

    /// Takes one raw signal and returns the index: 0 during the initial blackout, then 1…500.
    ///
    /// SRAW outside 1…64 999 (a failed read) is ignored: the previous value is used again. Values are clamped to
    /// the mode's floor + 1 … floor + 32 767.
    public mutating func process(sraw raw: Int) -> Int {
        if uptime <= Self.initialBlackout {
            uptime += samplingInterval
        } else {
            if raw > 0 && raw < 65_000 {
                let floor = constants.srawMinimum
                sraw = Double(Swift.min(Swift.max(raw, floor + 1), floor + 32_767) - floor)
            }
            let target: Double
            if mode == .voc || estimator.isInitialized {
                target = scaledSigmoid(normalized(sraw))
            } else {
                target = tuning.indexOffset
            }
            index = Swift.max(lowpass.process(target), 0.5)
            if sraw > 0 {
                estimator.process(sraw, currentIndex: index)
            }
        }
        return Int((index + 0.5).rounded(.down))
    }

    // MARK: The model

    /// SRAW relative to the learned mean, in index-gain units (Sensirion's "MOX model"). VOC: a drop of SRAW
    /// (more gas on a MOx pixel) raises the index, scaled by the learned spread; NOx: a rise, scaled by a fixed
    /// spread of 2000 ticks.
    private func normalized(_ sraw: Double) -> Double {
        let mean = estimator.mean
        switch mode {
        case .nox:
            return (sraw - mean) / GasIndexAlgorithm.noxSrawStd * tuning.gainFactor
        case .voc:
            return (sraw - mean) / -(estimator.std + GasIndexAlgorithm.vocStdBonus) * tuning.gainFactor
        }
    }

    /// The logistic map from the normalized signal to 0…500, shifted so that the learned mean lands on the
    /// index offset.
    private func scaledSigmoid(_ sample: Double) -> Double {
        let x = constants.sigmoidK * (sample - constants.sigmoidX0)
        if x < -50 { return Self.sigmoidL }
        if x > 50 { return 0 }
        let offset = tuning.indexOffset
        if sample >= 0 {
            let shift = constants.defaultOffset == 1
                ? (Self.sigmoidL / (Self.sigmoidL - 1)) * (1 - offset)
                : (Self.sigmoidL - 5 * offset) / 4
            return (Self.sigmoidL + shift) / (1 + exp(x)) - shift
        }
        return offset / constants.defaultOffset * (Self.sigmoidL / (1 + exp(x)))
    }

    static let sigmoidL = 500.0
    /// Added to the learned VOC spread so a very quiet sensor does not blow small changes up (`SRAW_STD_BONUS_VOC`).
    static let vocStdBonus = 220.0
    /// The fixed NOx spread, ticks (`SRAW_STD_NOX`).
    static let noxSrawStd = 2000.0
}

extension GasIndexAlgorithm {
    /// The per-mode constants of the published algorithm.
    struct Constants: Sendable {
        var srawMinimum: Int
        var initDurationMean: Double
        var initDurationVariance: Double
        var gatingThreshold: Double
        var tauInitialMean: Double
        var sigmoidK: Double
        var sigmoidX0: Double
        var defaultOffset: Double

        init(mode: Mode) {
            switch mode {
            case .voc:
                srawMinimum = 20_000
                initDurationMean = 3600 * 0.75
                initDurationVariance = 3600 * 1.45
                gatingThreshold = 340
                tauInitialMean = 20
                sigmoidK = -0.0065
                sigmoidX0 = 213
                defaultOffset = 100
            case .nox:
                srawMinimum = 10_000
                initDurationMean = 3600 * 4.75
                initDurationVariance = 3600 * 5.70
                gatingThreshold = 30
                tauInitialMean = 1200
                sigmoidK = -0.0101
                sigmoidX0 = 614
                defaultOffset = 1
            }
        }
    }

    /// The learned mean and spread of SRAW: exponential estimators whose rate starts fast (initial learning) and
    /// slows to the learning times, and which freeze ("gating") while the index is high, so that a long gas event
    /// is not learned as the new normal — for at most the gating duration.
    struct MeanVarianceEstimator: Sendable {
        static let gammaScaling = 64.0
        static let additionalGammaMeanScaling = 8.0
        static let gatingThresholdInitial = 510.0
        static let gatingThresholdTransition = 0.09
        static let initTransitionMean = 0.01
        static let initTransitionVariance = 0.01
        static let gatingMaxRatio = 0.3
        static let tauInitialVariance = 2500.0
        /// The uptime counters stop here (the fixed-point range of the reference).
        static let uptimeLimit = 32_767.0

        let interval: Double
        let gatingThreshold: Double
        let gatingMaxDurationMinutes: Double
        let initDurationMean: Double
        let initDurationVariance: Double
        let gammaMeanFinal: Double
        let gammaVarianceFinal: Double
        let gammaInitialMean: Double
        let gammaInitialVariance: Double

        private(set) var isInitialized = false
        private var centredMean = 0.0
        private var srawOffset = 0.0
        private(set) var std: Double
        private var gammaMean = 0.0
        private var gammaVariance = 0.0
        private var uptimeGamma = 0.0
        private var uptimeGating = 0.0
        private var gatingDurationMinutes = 0.0

        init(mode: Mode, tuning: Tuning, constants: Constants, interval: Double) {
            self.interval = interval
            gatingThreshold = constants.gatingThreshold
            gatingMaxDurationMinutes = tuning.gatingMaxDurationMinutes
            initDurationMean = constants.initDurationMean
            initDurationVariance = constants.initDurationVariance
            std = tuning.stdInitial
            let hours = interval / 3600
            gammaMeanFinal = Self.additionalGammaMeanScaling * Self.gammaScaling * hours
                / (tuning.learningTimeOffsetHours + hours)
            gammaVarianceFinal = Self.gammaScaling * hours / (tuning.learningTimeGainHours + hours)
            gammaInitialMean = Self.additionalGammaMeanScaling * Self.gammaScaling * interval
                / (constants.tauInitialMean + interval)
            gammaInitialVariance = Self.gammaScaling * interval / (Self.tauInitialVariance + interval)
        }

        /// The learned mean of SRAW (above the mode's floor).
        var mean: Double { centredMean + srawOffset }

        mutating func process(_ sraw: Double, currentIndex: Double) {
            guard isInitialized else {
                isInitialized = true
                srawOffset = sraw
                centredMean = 0
                return
            }
            // Keep the running mean small against the offset it is added to (the reference re-centres at ±100).
            if abs(centredMean) >= 100 {
                srawOffset += centredMean
                centredMean = 0
            }
            let centred = sraw - srawOffset
            updateGammas(index: currentIndex)
            let delta = (centred - centredMean) / Self.gammaScaling
            let c = std + abs(delta)
            let scaling = c > 1440 ? (c / 1440) * (c / 1440) : 1
            std = (scaling * (Self.gammaScaling - gammaVariance)).squareRoot()
                * (std * (std / (Self.gammaScaling * scaling)) + gammaVariance * delta / scaling * delta).squareRoot()
            centredMean += gammaMean * delta / Self.additionalGammaMeanScaling
        }

        /// The estimator rates for this sample: the initial rates fade out over the init durations, and both are
        /// multiplied by a gate that closes while the index is above the gating threshold.
        private mutating func updateGammas(index: Double) {
            let limit = Self.uptimeLimit - interval
            if uptimeGamma < limit { uptimeGamma += interval }
            if uptimeGating < limit { uptimeGating += interval }

            let initialMeanWeight = Self.sigmoid(uptimeGamma, x0: initDurationMean, k: Self.initTransitionMean)
            let gammaMeanNow = gammaMeanFinal + (gammaInitialMean - gammaMeanFinal) * initialMeanWeight
            let thresholdMean = gatingThreshold + (Self.gatingThresholdInitial - gatingThreshold)
                * Self.sigmoid(uptimeGating, x0: initDurationMean, k: Self.initTransitionMean)
            let gateMean = Self.sigmoid(index, x0: thresholdMean, k: Self.gatingThresholdTransition)
            gammaMean = gateMean * gammaMeanNow

            let initialVarianceWeight = Self.sigmoid(uptimeGamma, x0: initDurationVariance, k: Self.initTransitionVariance)
            let gammaVarianceNow = gammaVarianceFinal
                + (gammaInitialVariance - gammaVarianceFinal) * (initialVarianceWeight - initialMeanWeight)
            let thresholdVariance = gatingThreshold + (Self.gatingThresholdInitial - gatingThreshold)
                * Self.sigmoid(uptimeGating, x0: initDurationVariance, k: Self.initTransitionVariance)
            let gateVariance = Self.sigmoid(index, x0: thresholdVariance, k: Self.gatingThresholdTransition)
            gammaVariance = gateVariance * gammaVarianceNow

            // Gated time accumulates while the gate is mostly closed and drains at 30 % otherwise; past the
            // maximum, the gating threshold restarts from its initial (high) value.
            gatingDurationMinutes += interval / 60 * ((1 - gateMean) * (1 + Self.gatingMaxRatio) - Self.gatingMaxRatio)
            if gatingDurationMinutes < 0 { gatingDurationMinutes = 0 }
            if gatingDurationMinutes > gatingMaxDurationMinutes { uptimeGating = 0 }
        }

        /// 1 well below x0, 0 well above (k > 0).
        static func sigmoid(_ sample: Double, x0: Double, k: Double) -> Double {
            let x = k * (sample - x0)
            if x < -50 { return 1 }
            if x > 50 { return 0 }
            return 1 / (1 + exp(x))
        }
    }

    /// A low-pass whose time constant falls from 500 s to 20 s when a fast and a slow average of the index
    /// disagree: quiet air is smoothed hard, a real event passes quickly.
    struct AdaptiveLowpass: Sendable {
        static let tauFast = 20.0
        static let tauSlow = 500.0
        static let alpha = -0.2

        let interval: Double
        let fastWeight: Double
        let slowWeight: Double
        private var initialized = false
        private var fast = 0.0
        private var slow = 0.0
        private var output = 0.0

        init(interval: Double) {
            self.interval = interval
            fastWeight = interval / (Self.tauFast + interval)
            slowWeight = interval / (Self.tauSlow + interval)
        }

        mutating func process(_ sample: Double) -> Double {
            if !initialized {
                fast = sample
                slow = sample
                output = sample
                initialized = true
            }
            fast = (1 - fastWeight) * fast + fastWeight * sample
            slow = (1 - slowWeight) * slow + slowWeight * sample
            let tau = (Self.tauSlow - Self.tauFast) * exp(Self.alpha * abs(fast - slow)) + Self.tauFast
            let weight = interval / (interval + tau)
            output = (1 - weight) * output + weight * sample
            return output
        }
    }
}
