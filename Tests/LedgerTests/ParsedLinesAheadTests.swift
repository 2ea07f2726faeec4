import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog

@Suite struct ParsedLinesAheadTests {
    /// Lines of varied lengths (valid, invalid, blank, whitespace-only) repeated past several
    /// chunks, so that chunk cuts fall at many places inside lines.
    static func input(endingWithNewline: Bool) -> [UInt8] {
        var text = ""
        var index = 0
        while text.utf8.count < (ParsedLinesAhead.chunksAheadMax + 3) * ParsedLinesAhead.chunkBytes {
            index += 1
            switch index % 7 {
            case 0: text += "\n"
            case 3: text += "   \n"
            case 5: text += "{\"id\":\"broken-\(index)\"\n"
            default:
                text += #"{"id":"e-\#(index)","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u-admin","data":{"worker":"w-\#(index % 13)","amount_cents":\#(index),"reason":"good"}}"# + "\n"
            }
        }
        if !endingWithNewline { text += #"{"id":"last"}"# }
        return Array(text.utf8)
    }

    /// With the helper parsing ahead (and the reading thread taking whichever chunk nobody has
    /// started), and with the reading thread parsing every chunk itself.
    @Test(arguments: [true, false], [true, false])
    func givesTheSameLinesAndParsesAsTheLineSplitter(endingWithNewline: Bool, helper: Bool) {
        let bytes = Self.input(endingWithNewline: endingWithNewline)
        bytes.withUnsafeBytes { bytes in
            var expectedSummary = ImportSummary(mode: .atomic)
            var actualSummary = ImportSummary(mode: .atomic)
            var splitter = LineSplitter(bytes)
            let hasher = IdentityHasher()
            var ahead = ParsedLinesAhead(bytes, hasher: hasher, helper: helper)
            defer { ahead.finish() }
            var count = 0
            var parsedEvents = 0
            while true {
                let expected = splitter.nextEventLine(counting: &expectedSummary)
                let actual = ahead.nextEventLine(counting: &actualSummary)
                guard let expected, let actual else {
                    #expect(expected == nil && actual == nil)
                    break
                }
                count += 1
                #expect(actual.number == expected.0)
                #expect(actual.bytes.elementsEqual(expected.1))
                switch (expected.2, actual.refusal) {
                case (.success(let left), nil):
                    parsedEvents += 1
                    let (right, encodedFields) = actual.chunk.arena.withUnsafeBytes { arena in
                        let encoded = actual.layout.event(in: arena)
                        return (encoded.event(), Array(encoded.fields))
                    }
                    #expect(left == right)
                    #expect(actual.hash == LedgerCodec.identityHash(of: left, with: hasher))
                    // The fields encoded ahead are the payload's, after its effect.
                    var fields: [UInt8] = []
                    EventBinaryCodec.encodeFields(of: left, into: &fields)
                    #expect(encodedFields == fields)
                case (.failure(let left), let right?):
                    #expect(left == right)
                    #expect(actual.hash == 0)
                default: Issue.record("line \(expected.0): parsed differently")
                }
            }
            #expect(count > 1_000)
            #expect(parsedEvents > 1_000)
            #expect(actualSummary.lines == expectedSummary.lines)
            #expect(actualSummary.blankLines == expectedSummary.blankLines)
            #expect(expectedSummary.blankLines > 0)
            #expect(ahead.offset == bytes.count)
        }
    }
}
