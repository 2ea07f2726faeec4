import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerEngine
import LedgerLog
import LedgerSQLite

/// Seeded generated histories through the whole facade: parser, decider, log, read models
/// and SQLite tables agree with each other and with what the generator says of each line.
@Suite struct GeneratedHistoryTests {
    /// Lines and what the generator expects of each.
    static func history(events: Int, seed: UInt64, invalidRate: Double, tenants: Int = 4) -> ([UInt8], [HistoryGenerator.ExpectedOutcome]) {
        var generator = HistoryGenerator(options: GeneratorOptions(events: events, tenants: tenants, seed: seed, days: 75, invalidRate: invalidRate))
        var bytes: [UInt8] = []
        var expected: [HistoryGenerator.ExpectedOutcome] = []
        while generator.next(into: &bytes) { expected.append(generator.lastLineKind.expectedOutcome) }
        return (bytes, expected)
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func everyLineGetsTheOutcomeTheGeneratorAnnounces(seed: UInt64) throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (_, writer) = try TestSupport.newLedger(in: parent)
        defer { writer.close() }
        let (bytes, expected) = Self.history(events: 6_000, seed: seed, invalidRate: 0.15)
        let summary = try bytes.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused, keepOutcomes: true) }
        #expect(summary.outcomes.count == expected.count, "seed \(seed)")
        for (index, entry) in summary.outcomes.enumerated() where index < expected.count {
            let matches: Bool
            switch (entry.outcome, expected[index]) {
            case (.appended, .appended), (.duplicate, .duplicate): matches = true
            case (.refused(let refusal), .refused(let code)): matches = refusal.code == code
            default: matches = false
            }
            #expect(matches, "seed \(seed), line \(entry.line): got \(entry.outcome), the generator expects \(expected[index])")
            if !matches { break }
        }
    }

    @Test func theJournalsWorkerAccountsEqualTheBalancesAtEveryPosition() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let (bytes, _) = Self.history(events: 4_000, seed: 21, invalidRate: 0)
        _ = try bytes.withUnsafeBytes { try writer.importLines($0, mode: .atomic) }
        writer.close()
        var models = ReadModels()
        var checked = 0
        try LedgerReader(directory: path).forEachEvent { recorded in
            models.fold(recorded)
            guard let (worker, _) = BalanceMovement.of(recorded.event, effect: recorded.effect),
                  let tenant = models.tenant(recorded.event.tenant) else { return }
            let balance = tenant.balance(of: worker)
            #expect(tenant.journalBalance(of: .workerAvailable(worker)) ?? 0 == balance?.availableCents ?? 0,
                    "position \(recorded.position), worker \(worker)")
            #expect(tenant.journalBalance(of: .workerPending(worker)) ?? 0 == balance?.pendingCents ?? 0,
                    "position \(recorded.position), worker \(worker)")
            checked += 1
        }
        #expect(checked > 500)
    }

    @Test func asOfPositionEqualsAFreshLedgerOfTheFirstPEvents() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let (bytes, _) = Self.history(events: 3_000, seed: 31, invalidRate: 0)
        _ = try bytes.withUnsafeBytes { try writer.importLines($0, mode: .atomic) }
        writer.close()
        let reader = try LedgerReader(directory: path)
        var random = SystemRandomNumberGenerator()
        let positions = [UInt64(1), 2_999] + (0..<3).map { _ in UInt64.random(in: 2...2_998, using: &random) }
        for position in positions {
            var prefix: [UInt8] = []
            try reader.export(through: position) { prefix.append(contentsOf: $0) }
            let (freshPath, fresh) = try TestSupport.newLedger(in: parent, name: "prefix-\(position)")
            _ = try prefix.withUnsafeBytes { try fresh.importLines($0, mode: .atomic) }
            fresh.close()
            let asOf = ExpectedDump.render(outcomes: [], models: try reader.readModels(asOf: .position(position)))
            let whole = ExpectedDump.render(outcomes: [], models: try LedgerReader(directory: freshPath).readModels())
            #expect(asOf == whole, "as of position \(position)")
        }
    }

    @Test func sqliteTablesKeptUpIncrementallyEqualARebuildAndTheInMemoryReadModels() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let (bytes, _) = Self.history(events: 5_000, seed: 41, invalidRate: 0.05)
        // Import in three parts, bringing the tables up to date after each.
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        let cuts = [0, lines.count / 3, 2 * lines.count / 3, lines.count]
        let reader = try LedgerReader(directory: path)
        for part in 0..<3 {
            let chunk = Array(lines[cuts[part]..<cuts[part + 1]].joined(separator: [UInt8(ascii: "\n")])) + [UInt8(ascii: "\n")]
            _ = try chunk.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused) }
            let report = try reader.materialize()
            #expect(report.rebuiltBecause == nil)
            #expect(report.toPosition == writer.head.position)
        }
        writer.close()
        let incremental = try SQLiteProjection(path: reader.sqlitePath).contents()
        #expect(incremental == SQLiteProjection.expectedContents(try reader.readModels()))
        let rebuilt = try reader.materialize(rebuild: true)
        #expect(rebuilt.rebuiltBecause == "asked for")
        #expect(try SQLiteProjection(path: reader.sqlitePath).contents() == incremental)
    }

    @Test func tablesOfAnotherLogAreRebuiltNotTrusted() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (first, writerA) = try TestSupport.newLedger(in: parent, name: "a")
        let (second, writerB) = try TestSupport.newLedger(in: parent, name: "b")
        let (bytesA, _) = Self.history(events: 500, seed: 51, invalidRate: 0)
        let (bytesB, _) = Self.history(events: 500, seed: 52, invalidRate: 0)
        _ = try bytesA.withUnsafeBytes { try writerA.importLines($0, mode: .atomic) }
        _ = try bytesB.withUnsafeBytes { try writerB.importLines($0, mode: .atomic) }
        writerA.close()
        writerB.close()
        _ = try LedgerReader(directory: first).materialize()
        // Put ledger a's tables beside ledger b's log.
        try FileManager.default.copyItem(atPath: first + "/read-models.sqlite", toPath: second + "/read-models.sqlite")
        let readerB = try LedgerReader(directory: second)
        let report = try readerB.materialize()
        #expect(report.rebuiltBecause?.contains("does not match the log's chain hash") == true)
        #expect(try SQLiteProjection(path: readerB.sqlitePath).contents() == SQLiteProjection.expectedContents(try readerB.readModels()))
    }

    /// A bulk load (secondary indexes built after the rows, larger transactions) makes the
    /// same tables as keeping them up to date batch by batch, and both are the read models.
    @Test func aBulkLoadMakesTheSameTablesAsBatchByBatch() throws {
        let parent = TestSupport.temporaryDirectory()
        defer { TestSupport.cleanUp(parent) }
        let (path, writer) = try TestSupport.newLedger(in: parent)
        let (bytes, _) = Self.history(events: 30_000, seed: 61, invalidRate: 0.05)
        _ = try bytes.withUnsafeBytes { try writer.importLines($0, mode: .skipRefused) }
        writer.close()
        let reader = try LedgerReader(directory: path)
        reader.bulkLoadEventsMin = .max
        _ = try reader.materialize(rebuild: true)
        let batchByBatch = try SQLiteProjection(path: reader.sqlitePath).contents()
        reader.bulkLoadEventsMin = 1
        let report = try reader.materialize(rebuild: true)
        #expect(report.eventsApplied > 20_000)
        let bulk = try SQLiteProjection(path: reader.sqlitePath).contents()
        #expect(bulk == batchByBatch)
        #expect(bulk == SQLiteProjection.expectedContents(try reader.readModels()))
    }
}
