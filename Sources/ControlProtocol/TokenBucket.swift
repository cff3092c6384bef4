/// A request-rate limit: `rate` tokens a second flow into a bucket holding at most `burst`; each request takes one.
///
/// A client may send `burst` requests at once and `rate` a second for ever; beyond that a request finds the bucket
/// empty and is refused, until enough time has passed for the next token. A value type with the time passed in, so
/// that tests drive it with chosen instants.
public struct TokenBucket: Sendable, Equatable {
    /// Tokens added per second.
    public let rate: Double
    /// The bucket's size: the longest burst.
    public let burst: Int
    private var tokens: Double
    private var last: ContinuousClock.Instant

    /// A full bucket at `now`.
    public init(rate: Double, burst: Int, now: ContinuousClock.Instant) {
        self.rate = max(rate, 0)
        self.burst = max(burst, 1)
        tokens = Double(self.burst)
        last = now
    }

    /// Takes a token at `now`; `nil` when one was taken, else how long until the next one.
    public mutating func take(at now: ContinuousClock.Instant) -> Duration? {
        refill(at: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        guard rate > 0 else { return .seconds(3600) }
        return .seconds((1 - tokens) / rate)
    }

    /// Whole tokens available at `now`.
    public mutating func available(at now: ContinuousClock.Instant) -> Int {
        refill(at: now)
        return Int(tokens)
    }

    private mutating func refill(at now: ContinuousClock.Instant) {
        guard now > last else { return }
        let elapsed = last.duration(to: now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        tokens = min(Double(burst), tokens + seconds * rate)
        last = now
    }
}
