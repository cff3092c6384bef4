/// A line's offset within its gpiochip, as `gpioinfo` numbers it (not a global GPIO number).
public struct GPIOLineOffset: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral {
    /// The offset the kernel and libgpiod use.
    public let rawValue: UInt32

    /// Wraps an offset.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// For literal offsets in tests and defaults.
    public init(integerLiteral value: UInt32) { self.rawValue = value }

    /// The offset, e.g. `17`.
    public var description: String { String(rawValue) }

    /// Orders offsets numerically.
    public static func < (lhs: GPIOLineOffset, rhs: GPIOLineOffset) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Decodes a bare integer, as rig files write it.
    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(UInt32.self)
    }

    /// Encodes a bare integer.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
