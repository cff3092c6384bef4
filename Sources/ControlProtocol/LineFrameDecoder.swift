import NIOCore

/// What ``LineFrameDecoder`` reads: one line, or the report that a line went over the limit.
public enum LineFrame: Sendable, Equatable {
    /// The bytes of one line, without its `\n` and without a `\r` just before it.
    case line(ByteBuffer)
    /// A line went over the limit. Sent once per such line, as soon as the limit is passed; the payload is the
    /// number of bytes seen by then (the line is at least that long). The rest of the line is discarded.
    case tooLong(Int)
}

/// Splits a byte stream into `\n`-terminated lines with a bounded length.
///
/// A `\r` right before the `\n` is removed. A line longer than ``maxLineLength`` bytes (not counting its line end)
/// yields one ``LineFrame/tooLong(_:)`` as soon as the limit is passed; the decoder then drops bytes up to and
/// including the next `\n`, so the connection stays usable and memory stays bounded whatever the peer sends.
/// At end of input, an unterminated last line is delivered as a line.
public struct LineFrameDecoder: ByteToMessageDecoder {
    /// Frames go up the pipeline.
    public typealias InboundOut = LineFrame

    /// The default limit, 64 KiB, as DESIGN §4 and ``RPCLimits`` use for request lines.
    public static let defaultMaxLineLength = 65536

    /// The longest line delivered, in bytes, without its line end.
    public let maxLineLength: Int

    /// Set after a ``LineFrame/tooLong(_:)`` until the end of that line has been dropped.
    private var discarding = false
    /// How many readable bytes have been searched for `\n` already, so a long line is not searched again per read.
    private var scanned = 0

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// A decoder delivering lines of at most `maxLineLength` bytes (at least 1).
    public init(maxLineLength: Int = LineFrameDecoder.defaultMaxLineLength) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
    }

    /// Delivers the next frame, if the buffer holds one.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = nextFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    /// Delivers the remaining lines; at end of input (`seenEOF`), an unterminated last one too.
    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while let frame = nextFrame(from: &buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        if seenEOF, let frame = finish(&buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        return .needMoreData
    }

    /// Takes the next frame out of `buffer`, or `nil` if more bytes are needed; drops discarded bytes.
    mutating func nextFrame(from buffer: inout ByteBuffer) -> LineFrame? {
        while true {
            let view = buffer.readableBytesView
            guard let newline = view[(view.startIndex + scanned)...].firstIndex(of: Self.newline) else {
                return frameWithoutNewline(from: &buffer)
            }
            let lengthWithEnd = newline - view.startIndex + 1
            scanned = 0
            if discarding {
                // The end of an over-long line that was already reported.
                buffer.moveReaderIndex(forwardBy: lengthWithEnd)
                discarding = false
                continue
            }
            var length = lengthWithEnd - 1
            if length > 0, view[newline - 1] == Self.carriageReturn { length -= 1 }
            if length > maxLineLength {
                buffer.moveReaderIndex(forwardBy: lengthWithEnd)
                return .tooLong(length)
            }
            // `readSlice` cannot fail: `length` readable bytes were just counted.
            let line = buffer.readSlice(length: length) ?? ByteBuffer()
            buffer.moveReaderIndex(forwardBy: lengthWithEnd - length)
            return .line(line)
        }
    }

    /// The readable bytes hold no `\n`: drop them while discarding, report an over-long line, or wait for more.
    private mutating func frameWithoutNewline(from buffer: inout ByteBuffer) -> LineFrame? {
        let count = buffer.readableBytes
        if discarding {
            buffer.moveReaderIndex(forwardBy: count)
            scanned = 0
            return nil
        }
        // One byte over the limit may still be the `\r` of a line of exactly the limit.
        let overLimit = count > maxLineLength + 1
            || (count == maxLineLength + 1 && buffer.readableBytesView.last != Self.carriageReturn)
        if overLimit {
            buffer.moveReaderIndex(forwardBy: count)
            discarding = true
            scanned = 0
            return .tooLong(count)
        }
        scanned = count
        return nil
    }

    /// At end of input: the unterminated last line, if any, and a reset.
    mutating func finish(_ buffer: inout ByteBuffer) -> LineFrame? {
        defer {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            discarding = false
            scanned = 0
        }
        guard !discarding, buffer.readableBytes > 0 else { return nil }
        var length = buffer.readableBytes
        if buffer.readableBytesView.last == Self.carriageReturn { length -= 1 }
        return .line(buffer.getSlice(at: buffer.readerIndex, length: length) ?? ByteBuffer())
    }
}
