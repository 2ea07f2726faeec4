import LedgerDomain
import LedgerSQLite
import LedgerTestSupport
import Testing

/// The tables equal the in-memory read models whatever the batches: applied in batches of
/// random sizes (incremental upkeep), all at once into a reset database (rebuild), and as
/// computed by `expectedContents` from `ReadModels`.
@Suite struct SQLiteProjectionUpkeepTests {
    static let seeds: [UInt64] = [1, 2, 3, 20_260_215]
    static let offeredEventsPerHistory = 1500

    @Test(arguments: seeds)
    func incrementalUpkeepEqualsRebuildEqualsReadModels(seed: UInt64) throws {
        let history = SQLiteRandomHistory.make(seed: seed, offeredCount: Self.offeredEventsPerHistory)
        try #require(history.count > 300, "seed \(seed): the history should accept many events")
        let directory = SQLiteTestSupport.temporaryDirectory("upkeep")
        defer { SQLiteTestSupport.cleanUp(directory) }

        // Incremental: random batch sizes, the tables checked after every batch.
        let incremental = try SQLiteProjection(path: directory + "/incremental.sqlite")
        var random = SeededGenerator(state: seed)
        var models = ReadModels()
        var folded = 0
        try SQLiteTestSupport.applyInRandomBatches(history[...], to: incremental, batchSizes: 1...120, using: &random) { last in
            while folded < Int(last) {
                models.fold(history[folded])
                folded += 1
            }
            SQLiteTestSupport.expectEqual(
                try incremental.contents(), SQLiteProjection.expectedContents(models), "seed \(seed), after position \(last)")
            let checkpoint = try incremental.checkpoint()
            #expect(checkpoint.position == last, "seed \(seed)")
            #expect(checkpoint.chainHash == SQLiteTestSupport.chainHash(after: last), "seed \(seed)")
        }

        // Rebuild: everything in one batch into a reset database that held other rows.
        let rebuilt = try SQLiteProjection(path: directory + "/rebuilt.sqlite")
        try rebuilt.apply(Array(history.prefix(50)), chainHash: SQLiteTestSupport.chainHash(after: 50))
        try rebuilt.reset()
        #expect(try rebuilt.checkpoint().position == 0)
        #expect(try rebuilt.contents() == SQLiteContents())
        try rebuilt.apply(history, chainHash: SQLiteTestSupport.chainHash(after: UInt64(history.count)))

        let expected = SQLiteProjection.expectedContents(SQLiteTestSupport.models(history))
        SQLiteTestSupport.expectEqual(try incremental.contents(), expected, "seed \(seed), incremental")
        SQLiteTestSupport.expectEqual(try rebuilt.contents(), expected, "seed \(seed), rebuilt")
        #expect(try incremental.contents() == rebuilt.contents(), "seed \(seed)")
        #expect(try incremental.checkpoint() == rebuilt.checkpoint(), "seed \(seed)")
        // The history reached every table, so the comparison compared something everywhere.
        for (table, count) in Self.rowCounts(expected) {
            #expect(count > 0, "seed \(seed): no row in \(table)")
        }
    }

    @Test func sampleFixtureEqualsTheReadModelsInBatchesAndAtOnce() throws {
        let history = try SQLiteSampleHistory.recorded()
        #expect(history.count == 120)
        let directory = SQLiteTestSupport.temporaryDirectory("sample")
        defer { SQLiteTestSupport.cleanUp(directory) }
        let expected = SQLiteProjection.expectedContents(SQLiteTestSupport.models(history))

        let atOnce = try SQLiteProjection(path: directory + "/at-once.sqlite")
        try atOnce.apply(history, chainHash: SQLiteTestSupport.chainHash(after: 120))
        SQLiteTestSupport.expectEqual(try atOnce.contents(), expected, "sample at once")

        // One event per batch: every entity row rewritten as often as it can be.
        let oneByOne = try SQLiteProjection(path: directory + "/one-by-one.sqlite")
        for recorded in history {
            try oneByOne.apply([recorded], chainHash: SQLiteTestSupport.chainHash(after: recorded.position))
        }
        SQLiteTestSupport.expectEqual(try oneByOne.contents(), expected, "sample one by one")
        #expect(try oneByOne.checkpoint() == atOnce.checkpoint())
    }

    static func rowCounts(_ contents: SQLiteContents) -> [(String, Int)] {
        [
            ("tenants", contents.tenants.count), ("writer_balances", contents.writerBalances.count),
            ("writer_rates", contents.writerRates.count), ("invoices", contents.invoices.count),
            ("orders", contents.orders.count), ("order_history", contents.orderHistory.count),
            ("invitations", contents.invitations.count), ("users", contents.users.count),
            ("subscriptions", contents.subscriptions.count), ("subscription_changes", contents.subscriptionChanges.count),
            ("audit_log", contents.auditLog.count), ("journal_accounts", contents.journalAccounts.count),
            ("journal_transfers", contents.journalTransfers.count),
        ]
    }
}
