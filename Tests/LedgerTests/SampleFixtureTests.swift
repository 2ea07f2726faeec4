import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog

/// The shared sample fixture, end to end through the facade: every line's outcome and
/// the read models at the end, as of position 60 and as of 2026-02-15T12:00:00Z.
@Suite struct SampleFixtureTests {
    static let asOfFiles: [(String, AsOf)] = [
        ("sample.expected.json", .end),
        ("sample.asof-position-60.expected.json", .position(60)),
        ("sample.asof-time-2026-02-15T12-00-00Z.expected.json",
         .time(Timestamp(parsing: Array("2026-02-15T12:00:00Z".utf8))!)),
    ]

    @Test func importingTheSampleLineByLineGivesTheExpectedOutcomes() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        let data = try TestSupport.fixture("sample.jsonl")
        let summary = try data.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused, keepOutcomes: true) }
        #expect(TestSupport.withoutMessages(summary.outcomes) == (try TestSupport.expectedOutcomes("sample.expected.json")))
        #expect(summary.appended == 120)
        #expect(summary.duplicates == 10)
        #expect(summary.refused[.invalid] == 48)
        #expect(summary.refused[.conflict] == 6)
        #expect(summary.refused[.rule] == 51)
        #expect(summary.blankLines == 6)
        #expect(writer.head.position == 120)
    }

    @Test(arguments: 0..<3)
    func dumpReproducesTheExpectedReadModels(fileIndex: Int) throws {
        let (file, asOf) = Self.asOfFiles[fileIndex]
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let data = try TestSupport.fixture("sample.jsonl")
        let summary = try data.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused, keepOutcomes: true) }
        writer.close()
        let reader = try LedgerReader(directory: path)
        let models = try reader.readModels(asOf: asOf)
        let rendered = ExpectedDump.render(
            outcomes: summary.outcomes.map { ExpectedDump.LineOutcome(line: $0.line, outcome: $0.outcome) },
            models: models)
        #expect(rendered == (try TestSupport.fixtureText(file)))
    }

    @Test func anAtomicImportWithARefusedLineWritesNothing() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        let data = try TestSupport.fixture("sample.jsonl")
        let summary = try data.withUnsafeBytes { try writer.importLines($0, mode: .atomic, keepOutcomes: true) }
        #expect(summary.refusedCount == 105)
        #expect(summary.rolledBack)
        #expect(writer.head.position == 0)
        // The judgement is the same as a line-by-line import would give.
        #expect(TestSupport.withoutMessages(summary.outcomes) == (try TestSupport.expectedOutcomes("sample.expected.json")))
    }

    @Test func reImportingIsSafeAndGivesOnlyDuplicatesAndTheSameRefusals() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let data = try TestSupport.fixture("sample.jsonl")
        _ = try data.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused) }
        let headHash = writer.head
        writer.close()
        let reopened = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { reopened.close() }
        let again = try data.withUnsafeBytes { try reopened.importLines($0, mode: .skipRefused) }
        #expect(again.appended == 0)
        #expect(reopened.head == headHash)
        #expect(again.duplicates >= 130)
    }
}
