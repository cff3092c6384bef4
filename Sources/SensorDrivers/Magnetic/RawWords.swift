/// A magnetometer's raw output words, up to six (three axes, or an MMC5983MA's SET then RESET codes), held in the
/// reading itself: at 1 kHz per DUT a reading is made, handed to the run thread, recorded and analysed a thousand
/// times a second, and an array of words was a heap allocation, a free and a reference count on every copy of it
/// (about a twentieth of a magnetometer run). Stored as 32-bit words, which every magnetometer's output fits (24 bits
/// at most), so that a reading stays small to copy.
public struct RawWords: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The most words a reading holds.
    public static let capacity = 6
    private var words = InlineArray<6, Int32>(repeating: 0)
    private var stored: UInt8 = 0

    public init() {}

    /// The words of `sequence`, at most `capacity`.
    public init(_ sequence: some Sequence<Int64>) {
        for word in sequence { append(word) }
    }

    /// The three axes' words, built in place (a literal goes through an array).
    public init(x: Int64, y: Int64, z: Int64) {
        append(x)
        append(y)
        append(z)
    }

    public init(arrayLiteral elements: Int64...) {
        self.init(elements)
    }

    public mutating func append(_ word: Int64) {
        precondition(stored < Self.capacity, "a reading holds at most \(Self.capacity) raw words")
        guard let narrow = Int32(exactly: word) else { preconditionFailure("raw word \(word) is wider than 32 bits") }
        words[Int(stored)] = narrow
        stored += 1
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(stored) }

    public subscript(position: Int) -> Int64 {
        precondition(position >= 0 && position < endIndex, "raw word \(position) of \(endIndex)")
        return Int64(words[position])
    }

    public static func == (a: RawWords, b: RawWords) -> Bool { a.elementsEqual(b) }

    public var description: String { Array(self).description }
}
