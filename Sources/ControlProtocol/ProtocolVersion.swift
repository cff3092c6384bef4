/// The version of the control-socket protocol, sent in the `hello` notification as `"protocol": {"major": 1, "minor": 3}`.
///
/// A client may use a server whose major number equals its own; a higher minor number only adds (methods, optional
/// fields, error codes), so an older client of the same major keeps working. Removing or changing the meaning of
/// anything bumps the major number.
///
/// What each version changed (newest last; never edit a line once released):
///
/// - 1.0: first version. JSON-RPC 2.0, one object per `\n`-terminated line, 65536-byte request lines; `hello`
///   notification on connect; error codes −32700…−32603 and application codes busy −32000, unauthorized −32001,
///   deviceLost −32002, invalidPlan −32003, notFound −32004, lineTooLong −32005, overloaded −32006,
///   calibrationExpired −32007; bounded
///   notification queue per connection with an `overflow` notification (`{"dropped": N}`); no batches.
/// - 1.1: methods `archive.runs`, `archive.unit`, `archive.yield`; run state `interrupted`; rig plans, runs on
///   disjoint slots side by side.
/// - 1.2: `reference.resume` (a run pauses when its reference instrument stops answering); authorization enforced
///   (−32001 `unauthorized` is sent); request-rate limit with the new code rateLimited −32008; at most 128 watchers (`watch` beyond gets −32006 and the connection stays open); 256 connections;
///   arrays and objects nested deeper than 64 levels are a parse error.
public struct ProtocolVersion: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    /// Incompatible changes bump this.
    public var major: Int
    /// Compatible additions bump this.
    public var minor: Int

    /// A version number.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// The version this build speaks.
    public static let current = ProtocolVersion(major: 1, minor: 3)

    /// Whether a peer speaking `other` can talk to this version: the same major number.
    public func isCompatible(with other: ProtocolVersion) -> Bool {
        major == other.major
    }

    /// `{"major": …, "minor": …}`, as placed in the `hello` params under `"protocol"`.
    public var jsonValue: JSONValue {
        ["major": .int(Int64(major)), "minor": .int(Int64(minor))]
    }

    /// Orders by major, then minor.
    public static func < (lhs: ProtocolVersion, rhs: ProtocolVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    /// `major.minor`, e.g. `1.0`.
    public var description: String { "\(major).\(minor)" }
}
