import LedgerDomain
import LedgerEngine
import Testing

/// The codecs against `Fixtures/sample.jsonl` and the outcomes of `sample.expected.json`.
@Suite("Codecs on the sample fixture")
struct CodecFixtureTests {
    struct Sample {
        var lines: [[UInt8]]
        var outcomes: [Int: CodecFixture.Outcome]
        /// The line number of the appended line at each position.
        var lineOfPosition: [Int: Int]

        init() throws {
            lines = try CodecFixture.sampleLines()
            outcomes = [:]
            lineOfPosition = [:]
            for outcome in try CodecFixture.expectedOutcomes() {
                outcomes[outcome.line] = outcome
                if outcome.outcome == "appended", let position = outcome.position { lineOfPosition[position] = outcome.line }
            }
        }

        func line(_ number: Int) -> [UInt8] { lines[number - 1] }

        func event(_ number: Int) throws -> Event {
            switch EventLineParser.parse(line(number)) {
            case .success(let event): return event
            case .failure(let refusal):
                Issue.record("line \(number) refused: \(refusal)")
                throw refusal
            }
        }

        func numbers(_ outcome: String, code: String? = nil) -> [Int] {
            outcomes.values.filter { $0.outcome == outcome && (code == nil || $0.code == code) }.map(\.line).sorted()
        }
    }

    @Test func invalidLinesAreRefusedInvalidAndEveryOtherLineParses() throws {
        let sample = try Sample()
        #expect(sample.lines.count == 241)
        var invalidCount = 0
        var blankCount = 0
        for number in 1...sample.lines.count {
            let line = sample.line(number)
            let isBlank = line.withUnsafeBytes { EventLineParser.isBlank($0) }
            guard let outcome = sample.outcomes[number] else {
                #expect(isBlank, "line \(number) has no outcome but is not blank")
                blankCount += 1
                continue
            }
            #expect(!isBlank, "line \(number) has an outcome but reads as blank")
            switch (EventLineParser.parse(line), outcome.code == "invalid") {
            case (.failure(let refusal), true):
                #expect(refusal.code == .invalid)
                invalidCount += 1
            case (.success, false):
                break
            case (.failure(let refusal), false):
                Issue.record("line \(number) (\(outcome.outcome)) refused: \(refusal)")
            case (.success(let event), true):
                Issue.record("line \(number) should be invalid, parsed as \(event)")
            }
        }
        #expect(invalidCount == 48)
        #expect(blankCount == 6)
    }

    @Test func duplicatesParseToIdenticalEventsAndExportToTheSameBytes() throws {
        let sample = try Sample()
        let duplicates = sample.numbers("duplicate")
        #expect(duplicates.count == 10)
        for number in duplicates {
            let position = try #require(sample.outcomes[number]?.position)
            let originalNumber = try #require(sample.lineOfPosition[position])
            let original = try sample.event(originalNumber)
            let duplicate = try sample.event(number)
            #expect(codecIdentical(original, duplicate), "line \(number) vs line \(originalNumber)")
            var originalBytes: [UInt8] = []
            var duplicateBytes: [UInt8] = []
            EventLineWriter.write(original, into: &originalBytes)
            EventLineWriter.write(duplicate, into: &duplicateBytes)
            #expect(originalBytes == duplicateBytes, "line \(number) vs line \(originalNumber)")
        }
    }

    @Test func theDuplicateSpellingsOfTheReadmeAreCovered() throws {
        let sample = try Sample()
        let texts = sample.numbers("duplicate").map { String(decoding: sample.line($0), as: UTF8.self) }
        #expect(texts.contains { $0.hasPrefix("{ \"data\" : {") }, "reordered keys and white space")
        #expect(texts.contains { $0.contains("T10:00:00.000Z") }, ".000Z")
        #expect(texts.contains { $0.contains("T12:00:00.500Z") }, ".500Z")
        #expect(texts.contains { $0.contains(":-0}") }, "-0")
        #expect(texts.contains { $0.contains("e-945-\u{1D11E}") }, "raw UTF-8 id of the escaped original")
        let escapedOriginal = try #require((1...sample.lines.count).first {
            String(decoding: sample.line($0), as: UTF8.self).contains(#""id":"e-945-\ud834\udd1e"#)
        })
        #expect(sample.outcomes[escapedOriginal]?.outcome == "appended")
        #expect(try sample.event(escapedOriginal).id.string.unicodeScalars.count == 64)
        let withSource = try #require((1...sample.lines.count).first {
            String(decoding: sample.line($0), as: UTF8.self).contains(#""source":"payroll-import""#)
        })
        #expect(sample.outcomes[withSource]?.outcome == "appended")
    }

    @Test func conflictsParseToDifferentContent() throws {
        let sample = try Sample()
        let conflicts = sample.numbers("refused", code: "conflict")
        #expect(conflicts.count == 6)
        for number in conflicts {
            let conflict = try sample.event(number)
            // The logged event with this tenant and id: the last appended one before the line.
            var logged: Event?
            for earlier in (1..<number).reversed() where sample.outcomes[earlier]?.outcome == "appended" {
                let candidate = try sample.event(earlier)
                if candidate.tenant == conflict.tenant && candidate.id == conflict.id {
                    logged = candidate
                    break
                }
            }
            let original = try #require(logged, "no original for line \(number)")
            #expect(!original.hasSameContent(as: conflict), "line \(number)")
            #expect(original != conflict, "line \(number)")
        }
    }

    @Test func theIdOf65CodePointsIsInvalidAndTheMessageSaysSo() throws {
        let sample = try Sample()
        let number = try #require((1...sample.lines.count).first { String(decoding: sample.line($0), as: UTF8.self).hasPrefix("{\"id\":\"e\u{301}") })
        guard case .failure(let refusal) = EventLineParser.parse(sample.line(number)) else {
            Issue.record("line \(number) parsed")
            return
        }
        #expect(refusal.message == "id must be 1 to 64 characters (code points), got 65")
    }

    @Test func everyParsedLineExportsCanonicallyAndRoundTrips() throws {
        let sample = try Sample()
        var count = 0
        for number in 1...sample.lines.count where sample.outcomes[number].map({ $0.code != "invalid" }) ?? false {
            let event = try sample.event(number)
            var written: [UInt8] = []
            EventLineWriter.write(event, into: &written)
            #expect(written.last == UInt8(ascii: "\n"))
            let reparsed = try #require(try? EventLineParser.parse(Array(written.dropLast())).get(), "line \(number)")
            #expect(codecIdentical(event, reparsed), "line \(number)")
            var rewritten: [UInt8] = []
            EventLineWriter.write(reparsed, into: &rewritten)
            #expect(rewritten == written, "line \(number)")
            count += 1
        }
        #expect(count == 120 + 10 + 6 + 51)
    }

    @Test func exportSortsDataKeysAndWritesCanonicalTimestamps() throws {
        let sample = try Sample()
        let first = try sample.event(1)
        #expect(EventLineWriter.line(first)
            == #"{"id":"e-001","tenant":"acme","type":"subscription.changed","at":"2026-01-02T09:00:00Z","actor":"u-admin","data":{"change":"created","mrr_cents":9900,"plan":"team"}}"#)
        let withExtras = try #require((1...sample.lines.count).first {
            String(decoding: sample.line($0), as: UTF8.self).contains(#""tip_cents":2.5"#)
        })
        #expect(EventLineWriter.line(try sample.event(withExtras))
            == #"{"id":"e-114","tenant":"acme","type":"bonus.added","at":"2026-03-03T09:00:00Z","actor":"u-admin","data":{"amount_cents":3000,"reason":"Referral","tip_cents":2.5,"worker":"w-1"}}"#)
        let lateFraction = try #require((1...sample.lines.count).first {
            String(decoding: sample.line($0), as: UTF8.self).contains(#"09:00:00.120000Z"#)
        })
        #expect(EventLineWriter.line(try sample.event(lateFraction)).contains(#""at":"2026-02-05T09:00:00.12Z""#))
    }

    @Test func everyParsedLineRoundTripsThroughTheBinaryPayload() throws {
        let sample = try Sample()
        for number in 1...sample.lines.count where sample.outcomes[number].map({ $0.code != "invalid" }) ?? false {
            let event = try sample.event(number)
            let effect: Effect = switch event.type {
            case .orderApproved: .approval(writer: "w-1", feeCents: 20000, submissions: 1)
            case .orderCompleted: .completion(writer: "w-1", feeCents: 0)
            case .invoiceIssued: .invoice(fixedPayCents: 100_000)
            case .invitationAccepted: .acceptance(role: .writer)
            default: .none
            }
            let (decoded, decodedEffect) = try CodecBinary.roundTrip(event, effect)
            #expect(codecIdentical(event, decoded), "line \(number)")
            #expect(decodedEffect == effect, "line \(number)")
        }
    }
}
