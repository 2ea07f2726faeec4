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

    /// The async `append(line:)`, one line per call, gives every line the outcome of the
    /// fixture and the fixture's read models.
    @Test func appendingTheSampleFromAsyncCodeGivesTheExpectedOutcomes() async throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let data = try TestSupport.fixture("sample.jsonl")
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let lines = Array(data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var outcomes: [LineOutcome] = []
        for (index, line) in lines.enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            outcomes.append(LineOutcome(line: index + 1, outcome: try await writer.append(line: Array(line))))
        }
        #expect(TestSupport.withoutMessages(outcomes) == (try TestSupport.expectedOutcomes("sample.expected.json")))
        #expect(writer.head.position == 120)
        await #expect(throws: LedgerError.staleHead(expected: 1, actual: 120)) {
            try await writer.append(line: Array(lines[0]), expectedHead: 1)
        }
        writer.close()
        let models = try LedgerReader(directory: path).readModels(asOf: .end)
        let rendered = ExpectedDump.render(
            outcomes: outcomes.map { ExpectedDump.LineOutcome(line: $0.line, outcome: $0.outcome) }, models: models)
        #expect(rendered == (try TestSupport.fixtureText("sample.expected.json")))
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

    /// Re-running an import never appends an event twice: every line appended the first
    /// time is a duplicate of the same position the second time. (A line refused by a rule
    /// the first time is judged again against the state now, and may be appended.)
    @Test func reImportingIsSafe() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let data = try TestSupport.fixture("sample.jsonl")
        let first = try data.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused, keepOutcomes: true) }
        writer.close()
        let reopened = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { reopened.close() }
        let again = try data.withUnsafeBytes { try reopened.importLines($0, mode: .skipRefused, keepOutcomes: true) }
        let secondByLine = Dictionary(uniqueKeysWithValues: again.outcomes.map { ($0.line, $0.outcome) })
        for entry in first.outcomes {
            switch entry.outcome {
            case .appended(let position), .duplicate(let position):
                #expect(secondByLine[entry.line] == .duplicate(position: position), "line \(entry.line)")
            case .refused(let refusal) where refusal.code == .invalid:
                #expect(secondByLine[entry.line] == entry.outcome, "line \(entry.line)")
            case .refused:
                break
            }
        }
        // The export of an accepted history re-imports as duplicates only.
        var exported: [UInt8] = []
        try LedgerReader(directory: path).export { exported.append(contentsOf: $0) }
        let head = reopened.head
        let third = try exported.withUnsafeBytes { try reopened.importLines($0, mode: .atomic) }
        #expect(third.appended == 0)
        #expect(third.duplicates == Int(head.position))
        #expect(reopened.head == head)
    }
}
