import SensorIO

/// Dynamic dilution with calibrated mass-flow controllers (ISO 6145; reference/sensors.md §8.7): a span MFC
/// meters gas from a certified cylinder, a zero MFC meters zero air, and their sum flushes the DUTs' chamber.
///
/// For a target C at total flow Q: Q_span = Q·C/C_cyl, Q_zero = Q − Q_span. A target that needs an MFC to run
/// outside 2–100 % of its full scale (where its accuracy is stated, and below which the percent-of-full-scale term
/// dominates) is refused, naming the limit; an MFC set to 0 is closed and counts as no flow. `deliver` waits until
/// both MFCs read within their accuracy of their set points, and the delivered concentration is computed from the
/// *measured* flows.
///
/// Not thread-safe: the run's acquisition thread owns it. It does not own the MFCs' link.
public final class MassFlowGasMixer: GasReference {
    public let identity: String
    /// Meters the cylinder's gas.
    public let span: MassFlowController
    /// Meters zero air.
    public let zero: MassFlowController
    public let cylinder: CertifiedCylinder
    /// Q, L/min.
    public let totalFlowLitresPerMinute: Double
    /// Seconds between polls while the flows settle.
    public let pollInterval: Double
    /// The longest wait for the flows to settle, s.
    public let settleTimeout: Double

    /// The lowest flow an MFC is run at, as a fraction of its full scale.
    public static let lowestFraction = 0.02

    private let clock: any RigClock
    /// What `deliver` was last asked for; nil before, and after `off()`.
    private var request: (gas: String, ppm: Double)?

    /// - Parameters:
    ///   - clock: The rig's clock, on which the settling polls wait (the simulated clock in a simulated run).
    /// - Throws: `.refused` naming the problem for an unusable configuration: the cylinder's `problems`, a total
    ///   flow that neither MFC can carry, a poll interval or timeout that is not positive.
    public init(span: MassFlowController, zero: MassFlowController, cylinder: CertifiedCylinder,
                totalFlowLitresPerMinute: Double, clock: any RigClock = MonotonicClock(), pollInterval: Double = 0.5,
                settleTimeout: Double = 30) throws(InstrumentError) {
        let identity = "MFC gas mixer (span \(span.name), \(Self.text(span.fullScaleLitresPerMinute)) L/min FS; zero "
            + "\(zero.name), \(Self.text(zero.fullScaleLitresPerMinute)) L/min FS; cylinder \(cylinder.gas) "
            + "\(Self.text(cylinder.ppm)) ppm, certificate \(cylinder.certificate))"
        var problems = cylinder.problems
        if !(totalFlowLitresPerMinute.isFinite && totalFlowLitresPerMinute > 0) {
            problems.append("total flow \(totalFlowLitresPerMinute) L/min is not positive")
        } else if totalFlowLitresPerMinute > zero.fullScaleLitresPerMinute {
            problems.append("total flow \(Self.text(totalFlowLitresPerMinute)) L/min is above the zero MFC's full scale "
                            + "\(Self.text(zero.fullScaleLitresPerMinute)) L/min, so zero air cannot be delivered")
        }
        if !(pollInterval.isFinite && pollInterval > 0) { problems.append("poll interval \(pollInterval) s is not positive") }
        if !(settleTimeout.isFinite && settleTimeout > 0) { problems.append("settle timeout \(settleTimeout) s is not positive") }
        guard problems.isEmpty else {
            throw InstrumentError(.refused(problems.joined(separator: "; ")), instrument: identity, command: "configure")
        }
        self.identity = identity
        self.span = span
        self.zero = zero
        self.cylinder = cylinder
        self.totalFlowLitresPerMinute = totalFlowLitresPerMinute
        self.clock = clock
        self.pollInterval = pollInterval
        self.settleTimeout = settleTimeout
    }

    /// The set points for `ppm` at the total flow, L/min: Q_span = Q·C/C_cyl, Q_zero = Q − Q_span.
    public func flows(for ppm: Double) -> (span: Double, zero: Double) {
        let spanFlow = totalFlowLitresPerMinute * ppm / cylinder.ppm
        let zeroFlow = totalFlowLitresPerMinute - spanFlow
        return (Self.closedIfTiny(spanFlow), Self.closedIfTiny(zeroFlow))
    }

    /// Sets the flows for `ppm` of `gas` and waits until both MFCs read within their accuracy of set point.
    ///
    /// - Throws: `.refused` naming the reason, with nothing sent, for a gas other than the cylinder's (zero air is
    ///   any gas at 0 ppm), a concentration below 0 or above the cylinder's, or flows outside 2–100 % of an
    ///   MFC's full scale; `.timedOut` when the flows have not settled within `settleTimeout`; the MFCs' errors.
    public func deliver(gas: String, ppm: Double) throws(InstrumentError) {
        let command = "deliver \(Self.text(ppm)) ppm \(gas)"
        func refuse(_ reason: String) -> InstrumentError { InstrumentError(.refused(reason), instrument: identity, command: command) }
        guard ppm.isFinite, ppm >= 0 else { throw refuse("a concentration must be a number ≥ 0 ppm") }
        guard ppm == 0 || gas.lowercased() == cylinder.gas.lowercased() else {
            throw refuse("the span cylinder holds \(cylinder.gas), not \(gas)")
        }
        guard ppm <= cylinder.ppm else {
            throw refuse("\(Self.text(ppm)) ppm is above the cylinder's \(Self.text(cylinder.ppm)) ppm: dilution cannot concentrate")
        }
        let (spanFlow, zeroFlow) = flows(for: ppm)
        for (mfc, flow, role) in [(span, spanFlow, "span gas"), (zero, zeroFlow, "zero air")] where flow > 0 {
            let fullScale = mfc.fullScaleLitresPerMinute
            let lowest = Self.lowestFraction * fullScale
            if flow < lowest {
                throw refuse("it needs \(Self.text(flow)) L/min of \(role) from \(mfc.name), below its lowest flow "
                             + "\(Self.text(lowest)) L/min (2 % of full scale \(Self.text(fullScale)) L/min)")
            }
            if flow > fullScale {
                throw refuse("it needs \(Self.text(flow)) L/min of \(role) from \(mfc.name), above its full scale "
                             + "\(Self.text(fullScale)) L/min (100 %)")
            }
        }
        request = nil
        try span.set(litresPerMinute: spanFlow)
        try zero.set(litresPerMinute: zeroFlow)
        request = (gas, ppm)

        let deadline = clock.now() + Int64(settleTimeout * 1e9)
        while true {
            let (spanReading, zeroReading) = (try span.read(), try zero.read())
            if Self.settled(span, spanReading) && Self.settled(zero, zeroReading) { return }
            guard clock.now() < deadline else {
                throw InstrumentError(.timedOut, instrument: identity, command: command
                    + " (flows not settled after \(Self.text(settleTimeout)) s: \(span.name) reads "
                    + "\(Self.text(spanReading.litresPerMinute)) of \(Self.text(spanFlow)) L/min, \(zero.name) reads "
                    + "\(Self.text(zeroReading.litresPerMinute)) of \(Self.text(zeroFlow)) L/min)")
            }
            clock.sleep(until: Swift.min(deadline, clock.now() + Int64(pollInterval * 1e9)))
        }
    }

    /// The concentration from the measured flows and the cylinder, with its GUM standard uncertainty.
    ///
    /// - Throws: `.refused` when nothing is being delivered; the MFCs' errors.
    public func delivered() throws(InstrumentError) -> DeliveredGas {
        guard let request else {
            throw InstrumentError(.refused("no gas has been requested"), instrument: identity, command: "delivered")
        }
        let spanReading = try span.read()
        let zeroReading = try zero.read()
        // A closed MFC (set point 0) delivers nothing, exactly: its valve is shut, so neither its reading's noise
        // nor its full-scale accuracy term belongs in the budget.
        func flow(_ mfc: MassFlowController, _ reading: MassFlowReading) -> (value: Double, uncertainty: Double) {
            guard reading.setpointLitresPerMinute > 0 else { return (0, 0) }
            let value = Swift.max(0, reading.litresPerMinute)
            return (value, mfc.standardUncertainty(atLitresPerMinute: value))
        }
        let spanFlow = flow(span, spanReading)
        let zeroFlow = flow(zero, zeroReading)
        guard spanFlow.value + zeroFlow.value > 0 else {
            throw InstrumentError(.refused("no flow: \(span.name) and \(zero.name) both read 0"), instrument: identity,
                                  command: "delivered")
        }
        let mixture = Self.dilution(cylinderPPM: cylinder.ppm, cylinderUncertainty: cylinder.standardUncertainty,
                                    spanFlow: spanFlow.value, spanUncertainty: spanFlow.uncertainty,
                                    zeroFlow: zeroFlow.value, zeroUncertainty: zeroFlow.uncertainty)
        return DeliveredGas(gas: request.gas, ppm: mixture.ppm, standardUncertainty: mixture.standardUncertainty,
                            totalFlowLitresPerMinute: spanFlow.value + zeroFlow.value,
                            stable: Self.settled(span, spanReading) && Self.settled(zero, zeroReading))
    }

    /// Both flows to zero.
    public func off() throws(InstrumentError) {
        request = nil
        try span.set(litresPerMinute: 0)
        try zero.set(litresPerMinute: 0)
    }

    /// C = C_cyl·Q_s/(Q_s + Q_z) and its standard uncertainty by the GUM law of propagation (JCGM 100 §5.1.2)
    /// for uncorrelated inputs, with T = Q_s + Q_z:
    /// ∂C/∂C_cyl = Q_s/T, ∂C/∂Q_s = C_cyl·Q_z/T², ∂C/∂Q_z = −C_cyl·Q_s/T².
    public static func dilution(cylinderPPM: Double, cylinderUncertainty: Double, spanFlow: Double,
                                spanUncertainty: Double, zeroFlow: Double,
                                zeroUncertainty: Double) -> (ppm: Double, standardUncertainty: Double) {
        let total = spanFlow + zeroFlow
        let ppm = cylinderPPM * spanFlow / total
        let byCylinder = spanFlow / total * cylinderUncertainty
        let bySpan = cylinderPPM * zeroFlow / (total * total) * spanUncertainty
        let byZero = cylinderPPM * spanFlow / (total * total) * zeroUncertainty
        return (ppm, (byCylinder * byCylinder + bySpan * bySpan + byZero * byZero).squareRoot())
    }

    // MARK: Internals

    /// Whether an MFC reads within its accuracy of its set point.
    private static func settled(_ mfc: MassFlowController, _ reading: MassFlowReading) -> Bool {
        abs(reading.litresPerMinute - reading.setpointLitresPerMinute)
            <= mfc.accuracyLimit(atLitresPerMinute: reading.setpointLitresPerMinute)
    }

    /// A flow that is zero up to rounding (pure span gas, or zero air) is a closed MFC.
    private static func closedIfTiny(_ flow: Double) -> Double { abs(flow) < 1e-12 ? 0 : flow }

    /// A number for a message: up to 6 significant digits, no exponent for lab-sized values.
    static func text(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return String(value) }
        let magnitude = abs(value)
        var decimals = 0
        var scale = 1.0
        while decimals < 9 && magnitude * scale < 100_000 { decimals += 1; scale *= 10 }
        var text = MassFlowCommandSet.fixed(value, decimals: decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}
