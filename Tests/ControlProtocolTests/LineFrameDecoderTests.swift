import NIOCore
import Testing

@testable import ControlProtocol

@Suite("LineFrameDecoder")
struct LineFrameDecoderTests {
    /// Feeds chunks as ByteToMessageHandler would (one cumulative buffer) and collects the frames, as text.
    private func frames(_ chunks: [String], maxLineLength: Int = 65536, endOfInput: Bool = false) -> [String] {
        var decoder = LineFrameDecoder(maxLineLength: maxLineLength)
        var buffer = ByteBuffer()
        var out: [String] = []
        func describe(_ frame: LineFrame) -> String {
            switch frame {
            case .line(let bytes): return String(buffer: bytes)
            case .tooLong(let length): return "<tooLong \(length)>"
            }
        }
        for chunk in chunks {
            buffer.writeString(chunk)
            while let frame = decoder.nextFrame(from: &buffer) { out.append(describe(frame)) }
        }
        if endOfInput, let frame = decoder.finish(&buffer) { out.append(describe(frame)) }
        return out
    }

    @Test("lines split across buffer boundaries are joined")
    func splitAcrossBuffers() {
        #expect(frames(["ab", "c\nde", "f\n", "\n", "g"]) == ["abc", "def", ""])
        #expect(frames(["a\nb\nc\n"]) == ["a", "b", "c"])
        #expect(frames(["{\"a\":", "1}", "\n"]) == ["{\"a\":1}"])
        // One byte at a time.
        #expect(frames("xy\nz\n".map { String($0) }) == ["xy", "z"])
    }

    @Test("a CR before LF is removed, a CR elsewhere is kept")
    func crlf() {
        #expect(frames(["a\r\n", "b\r", "\n", "\r\n", "c\rd\n"]) == ["a", "b", "", "c\rd"])
    }

    @Test("an over-long line is reported once, discarded, and the next line is read")
    func overLongThenGood() {
        // The limit is passed before the newline arrives: reported at once, the rest dropped.
        #expect(frames(["0123456789", "abcdef", "ghi\nok\n"], maxLineLength: 8) == ["<tooLong 10>", "ok"])
        // The whole line in one buffer: its exact length is known.
        #expect(frames(["0123456789\nok\n"], maxLineLength: 8) == ["<tooLong 10>", "ok"])
        #expect(frames(["0123456789\r\nok\r\n"], maxLineLength: 8) == ["<tooLong 10>", "ok"])
        // Two over-long lines in a row are two reports.
        #expect(frames(["aaaaaaaaaaaa\nbbbbbbbbbbbbb\nc\n"], maxLineLength: 8) == ["<tooLong 12>", "<tooLong 13>", "c"])
    }

    @Test("the limit counts the line without its line end")
    func limitBoundary() {
        #expect(frames(["abcd\n"], maxLineLength: 4) == ["abcd"])
        #expect(frames(["abcd\r", "\n"], maxLineLength: 4) == ["abcd"])
        #expect(frames(["abcde"], maxLineLength: 4) == ["<tooLong 5>"])
        #expect(frames(["abcd\r", "x\n", "y\n"], maxLineLength: 4) == ["<tooLong 6>", "y"])
    }

    @Test("at end of input an unterminated line is delivered, a discarded one is not")
    func endOfInput() {
        #expect(frames(["a\ntail"], endOfInput: true) == ["a", "tail"])
        #expect(frames(["a\ntail\r"], endOfInput: true) == ["a", "tail"])
        #expect(frames(["a\n"], endOfInput: true) == ["a"])
        #expect(frames(["0123456789"], maxLineLength: 4, endOfInput: true) == ["<tooLong 10>"])
    }

    @Test("memory stays bounded while a huge line is discarded")
    func boundedWhileDiscarding() {
        var decoder = LineFrameDecoder(maxLineLength: 16)
        var buffer = ByteBuffer()
        var reports = 0
        for _ in 0..<1000 {
            buffer.writeString(String(repeating: "z", count: 100))
            while let frame = decoder.nextFrame(from: &buffer) {
                if case .tooLong = frame { reports += 1 }
            }
            #expect(buffer.readableBytes <= 17)
        }
        buffer.writeString("\nfine\n")
        #expect(decoder.nextFrame(from: &buffer) == .line(ByteBuffer(string: "fine")))
        #expect(reports == 1)
    }
}
