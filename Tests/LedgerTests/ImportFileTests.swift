import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
@testable import LedgerLog

#if canImport(Glibc)
import Glibc
#endif

/// `importFile` reads a regular file by mapping it and anything else (a pipe) by reading it
/// whole: both give the fixture's outcomes; an empty file and a missing one behave.
@Suite struct ImportFileTests {
    static var samplePath: String { TestSupport.fixturesDirectory.appendingPathComponent("sample.jsonl").path }

    @Test func aMappedFileGivesTheFixtureOutcomes() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        #expect(MappedInput(path: Self.samplePath) != nil)
        let summary = try writer.importFile(path: Self.samplePath, mode: .skipRefused, keepOutcomes: true)
        #expect(TestSupport.withoutMessages(summary.outcomes) == (try TestSupport.expectedOutcomes("sample.expected.json")))
        #expect(summary.bytesRead == (try TestSupport.fixture("sample.jsonl")).count)
    }

    @Test func aPipeIsReadWholeAndGivesTheSameOutcomes() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        let fifo = parent + "/lines.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(MappedInput(path: parent) == nil, "a directory is no regular file")
        let bytes = try TestSupport.fixture("sample.jsonl")
        // The writing end opens once the import opens the reading end.
        let feeder = Thread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            handle.write(bytes)
            try? handle.close()
        }
        feeder.start()
        let summary = try writer.importFile(path: fifo, mode: .skipRefused, keepOutcomes: true)
        #expect(TestSupport.withoutMessages(summary.outcomes) == (try TestSupport.expectedOutcomes("sample.expected.json")))
        #expect(summary.bytesRead == bytes.count)
    }

    /// An import stages in parts bounded by bytes as well as by events, so that the log's
    /// staging limit never refuses a part after earlier ones were made durable. With the bound
    /// lowered to 4 KB, 3,000 events go in many parts; every one is appended and durable, and
    /// a writer opened afterwards has the state the import left.
    @Test(arguments: [ImportMode.atomic, .skipRefused])
    func partsAreBoundedByBytes(mode: ImportMode) throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        writer.importStagingBytesMax = 4_000
        let (bytes, _) = GeneratedHistoryTests.history(events: 3_000, seed: 61, invalidRate: 0)
        let summary = try bytes.withUnsafeBytes { try writer.importLines($0, mode: mode) }
        #expect(summary.refusedCount == 0 && summary.appended == summary.lines && summary.appended > 2_500)
        #expect(writer.head.position == UInt64(summary.appended))
        // Records are shorter than their lines: one flush per 4 KB of them at least.
        #expect(writer.commitStatistics.syncs >= UInt64(bytes.count / 4_000 / 3))
        let before = writer.state
        writer.close()
        let reopened = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { reopened.close() }
        let reader = try LedgerReader(directory: path)
        let (balances, _) = try reader.balances()
        for tenant in balances.tenants {
            for balance in balances.balances(tenant: tenant) {
                #expect(reopened.state.availableCents(tenant: tenant, worker: balance.worker) == balance.availableCents)
                #expect(before.availableCents(tenant: tenant, worker: balance.worker) == balance.availableCents)
            }
        }
        #expect(reader.verify().isValid)
    }

    @Test func anEmptyFileImportsNothing() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        let empty = parent + "/empty.jsonl"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(MappedInput(path: empty) == nil, "an empty file is read, not mapped")
        let summary = try writer.importFile(path: empty)
        #expect(summary.lines == 0 && summary.appended == 0 && summary.bytesRead == 0)
        #expect(writer.head.position == 0)
    }

    @Test func aMissingFileIsAnErrorNamingIt() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        let missing = parent + "/missing.jsonl"
        do {
            _ = try writer.importFile(path: missing)
            Issue.record("importing a missing file must throw")
        } catch let error as LedgerError {
            if case .file(let path, let reason) = error {
                #expect(path == missing)
                #expect(reason.hasPrefix("cannot read"))
            } else {
                Issue.record("unexpected error \(error)")
            }
        }
        #expect(writer.head.position == 0)
    }

    /// The hash the parsing thread computes is the one the log uses: an import's duplicates of
    /// earlier appends (found through the log's index) and of its own lines (through the
    /// import's table) are both recognised, across a reopen.
    @Test func duplicatesAreFoundAgainstTheLogAndWithinTheImport() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        #expect(try writer.append(FacadeTests.bonus(id: "e-1")) == .appended(position: 1))
        writer.close()
        let reopened = try LedgerWriter.open(directory: path, options: TestSupport.fastOptions)
        defer { reopened.close() }
        let line1 = #"{"id":"e-1","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u-admin","data":{"worker":"w-1","amount_cents":500,"reason":"good"}}"#
        let line2 = #"{"id":"e-2","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:16:00Z","actor":"u-admin","data":{"worker":"w-1","amount_cents":700,"reason":"good"}}"#
        let text = [line1, line2, line2].joined(separator: "\n") + "\n"
        let summary = try Array(text.utf8).withUnsafeBytes { try reopened.importLines($0, keepOutcomes: true) }
        #expect(summary.outcomes.map(\.outcome) == [.duplicate(position: 1), .appended(position: 2), .duplicate(position: 2)])
        #expect(reopened.head.position == 2)
    }

    /// With identity hashes cut to 3 bits, almost every key collides with others in the log's
    /// index and in the import's own table: the names decide, so every outcome stays right.
    @Test(arguments: [ImportMode.atomic, .skipRefused])
    func collidingHashesStillFindExactlyTheDuplicates(mode: ImportMode) throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        var options = TestSupport.fastOptions
        options.log.keyHashBitsForTesting = 3
        let (_, writer) = try TestSupport.newLedger(in: parent, options: options)
        defer { writer.close() }
        for index in 1...20 {
            #expect(try writer.append(FacadeTests.bonus(id: "e-\(index)", cents: Int64(index))) == .appended(position: UInt64(index)))
        }
        func line(_ index: Int) -> String {
            #"{"id":"e-\#(index)","tenant":"acme","type":"bonus.added","at":"2026-03-04T10:15:00Z","actor":"u-admin","data":{"worker":"w-1","amount_cents":\#(index),"reason":"good"}}"#
        }
        // Lines 1-20 repeat the log's events, 21-220 are new, 221-270 repeat lines 21-70.
        let indexes = Array(1...220) + Array(21...70)
        let text = indexes.map(line).joined(separator: "\n") + "\n"
        let summary = try Array(text.utf8).withUnsafeBytes { try writer.importLines($0, mode: mode, keepOutcomes: true) }
        let expected: [AppendOutcome] = indexes.enumerated().map { offset, index in
            offset < 20 || offset >= 220 ? .duplicate(position: UInt64(index)) : .appended(position: UInt64(index))
        }
        #expect(summary.outcomes.map(\.outcome) == expected)
        #expect(writer.head.position == 220)
    }
}
